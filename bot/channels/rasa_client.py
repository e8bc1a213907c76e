"""The one client of Rasa's REST webhook: every channel (kiosk, Telegram, WeChat) sends through it.

It names the client to the REST gate (relay headers), waits ``RASA_TIMEOUT_S``,
retries only what never reached Rasa, and turns every failure into
:class:`RasaUnavailable`, which each channel says as 系统繁忙 with the hotline.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Optional

import httpx

from . import DEFAULT_RASA_TIMEOUT_S, relay_headers

log = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    """Rasa did not answer usefully (after the retries a never-sent message gets)."""


# The request never left: retrying cannot make Rasa run a message twice.
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout)


class RasaClient:
    """Posts to Rasa's REST channel; retries only what never reached it."""

    def __init__(self, base_url: str, *, timeout: float = DEFAULT_RASA_TIMEOUT_S, retries: int = 2,
                 backoff: float = 0.5, relay_token: Optional[str] = None):
        self.url = base_url.rstrip("/") + "/webhooks/rest/webhook"
        self.relay_token = relay_token  # default: the deployment's Rasa token, read on first send
        self.retries = max(0, retries)
        self.backoff = backoff
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)))

    async def close(self) -> None:
        await self._client.aclose()

    async def send(self, sender: str, message: str, *, client: Optional[str] = None) -> list[dict[str, Any]]:
        """Rasa's replies to ``message``; :class:`RasaUnavailable` when there are none to be had.

        ``client`` is who the booking and hand-off limits count per (the
        kiosk's address); by default the sender (a Telegram chat, a WeChat
        follower).

        Sent at most once: a request that may have reached Rasa (read
        timeout, connection dropped, any HTTP status) is never repeated,
        since Rasa may have acted on it (a booking step run twice books
        twice). Only connection failures before sending are retried.
        """
        problem = "no attempt"
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self.backoff * (2 ** (attempt - 1)))
            try:
                # The client the booking and hand-off limits count per (rest_gate.py).
                response = await self._client.post(self.url, json={"sender": sender, "message": message},
                                                   headers=relay_headers(client or sender, self.relay_token))
            except NOT_SENT_ERRORS as error:
                problem = f"{type(error).__name__}: {error}"
                log.warning("Rasa unreachable (attempt %d of %d): %s", attempt + 1, self.retries + 1, problem)
                continue
            except httpx.HTTPError as error:  # sent, perhaps acted on: not repeated
                raise RasaUnavailable(f"no answer from Rasa: {type(error).__name__}: {error}") from None
            if response.status_code >= 400:
                raise RasaUnavailable(f"Rasa answered HTTP {response.status_code}")
            try:
                replies = response.json()
            except ValueError:
                raise RasaUnavailable("Rasa answered something that is not JSON") from None
            if not isinstance(replies, list):
                raise RasaUnavailable("Rasa answered JSON that is not a list")
            return [reply for reply in replies if isinstance(reply, dict)]
        raise RasaUnavailable(f"no connection to Rasa in {self.retries + 1} attempts; last: {problem}")
