"""The channels people talk to the assistant through: the web front (kiosk + staff pages) and Telegram.

Both relay messages to Rasa's REST channel and share their texts
(:mod:`.texts`) and the timeout setting below.

Timeouts along the chain of one message: the channel waits for Rasa
(``RASA_TIMEOUT_S``, default 30 s), Rasa waits for the action server, and
the action server's database calls give up after a few seconds. The
channel's wait is the longest in the chain, so whatever fails further down
is reported back to the channel as an answer (or Rasa's empty list) before
the channel gives up, and the channel never abandons a message whose
booking step is still running.
"""
from __future__ import annotations

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
