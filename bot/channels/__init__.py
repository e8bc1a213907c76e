"""The channels people talk to the assistant through: the web front (kiosk + staff pages) and Telegram.

Both relay messages to Rasa's REST channel and share their texts
(:mod:`.texts`) and the timeout setting below.

Timeouts along the chain of one message: the channel waits for Rasa
(``RASA_TIMEOUT_S``, default 30 s; the web front and the Telegram bridge
read the same setting), Rasa waits for the action server, and the action
server's database calls give up after a few seconds. The channel's wait must
be the longest in the chain: then whatever fails further down comes back to
the channel as an answer (or as Rasa's empty list, which the channels turn
into the busy text) before the channel gives up, and a channel never gives
up on a message whose booking step is still running and may yet succeed.
Rasa 3.6's own wait for the action server is fixed at 5 minutes
(``rasa.core.constants.DEFAULT_REQUEST_TIMEOUT``, not configurable in
endpoints.yml), so it is the action server's short database timeouts that
keep every turn well inside ``RASA_TIMEOUT_S``; raise ``RASA_TIMEOUT_S``
rather than those if turns legitimately take longer.
"""
from __future__ import annotations

import functools
import os
from typing import Mapping, Optional

DEFAULT_RASA_TIMEOUT_S = 30.0


def rasa_timeout_s(env: Optional[Mapping[str, str]] = None) -> float:
    """``RASA_TIMEOUT_S`` from ``env`` (default the process's), in seconds; ValueError (English) when unusable."""
    env = os.environ if env is None else env
    text = (env.get("RASA_TIMEOUT_S") or "").strip()
    if not text:
        return DEFAULT_RASA_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 600:
        raise ValueError(f"RASA_TIMEOUT_S: expected a number of seconds between 0 and 600, got {text!r}")
    return value


# What a relay of this project (web front, Telegram bridge) sends with each
# message to Rasa's REST webhook: the Rasa token as proof, and the client the
# rate limits count per (the kiosk's address, the Telegram chat). The gate
# (bot/channels/rest_gate.py) believes the client only with the token.
RELAY_TOKEN_HEADER = "X-Juzhu-Relay-Token"
CLIENT_HEADER = "X-Juzhu-Client"


def relay_headers(client: str, token: Optional[str] = None) -> dict[str, str]:
    """The headers naming ``client``; ``token`` by default the deployment's Rasa token."""
    return {RELAY_TOKEN_HEADER: token or deployment_rasa_token(), CLIENT_HEADER: client[:100]}


@functools.lru_cache(maxsize=1)
def deployment_rasa_token() -> str:
    """The Rasa token relays prove themselves with, and the gate checks."""
    from bot.platform.secrets import rasa_token  # read once: a new token needs a restart of every process anyway

    return rasa_token()
