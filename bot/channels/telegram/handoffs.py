"""The Telegram bridge's side of hand-offs (issue 11).

While a person has a chat's conversation (a hand-off open or taken in
bot.handoff), what the chat writes is kept for staff at Rasa's gate
(bot/handoff/hold.py), as for every channel. Staff replies and the closing note wait
in the store's outbox; :meth:`TelegramHandoffs.deliver_outbox`, run every
``TELEGRAM_HANDOFF_POLL_S`` (2) seconds by the bridge, sends them to the
chat (the chat id is recorded on the hand-off when the chat writes, since
the conversation id is a keyed hash of it).

The store is the appointments database (``DATABASE_URL``), opened on first
use; when it cannot be reached the assistant answers as before.
"""
from __future__ import annotations

import asyncio
import logging
import os
import threading
from typing import Any, Awaitable, Callable, Optional

log = logging.getLogger(__name__)

DEFAULT_POLL_S = 2.0


def poll_seconds() -> float:
    text = os.environ.get("TELEGRAM_HANDOFF_POLL_S", "").strip()
    try:
        value = float(text) if text else DEFAULT_POLL_S
    except ValueError:
        value = 0
    return value if value > 0 else DEFAULT_POLL_S


class TelegramHandoffs:
    """``factory`` returns the store (default :class:`bot.handoff.HandoffService` on ``DATABASE_URL``)."""

    def __init__(self, factory: Optional[Callable[[], Any]] = None):
        self._factory = factory
        self._service: Optional[Any] = None
        self._lock = threading.Lock()
        self._warned = False

    def service(self) -> Any:
        with self._lock:
            if self._service is None:
                if self._factory is not None:
                    self._service = self._factory()
                else:
                    from bot.handoff import HandoffService

                    self._service = HandoffService()
            return self._service

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(lambda: getattr(self.service(), method)(*args, **kwargs))

    def _unavailable(self, error: BaseException) -> None:
        if not self._warned:  # once, not every poll
            log.warning("hand-off store unavailable: %s: %s", type(error).__name__, error)
            self._warned = True

    async def bind(self, sender: str, chat_id: int) -> None:
        """After Rasa answered: a hand-off Rasa just opened learns where its chat is."""
        try:
            await self._call("bind_address", sender, str(chat_id))
        except Exception as error:
            self._unavailable(error)

    async def deliver_outbox(self, deliver: Callable[[int, dict[str, Any]], Awaitable[None]]) -> int:
        """Sends every waiting staff/system message to its chat; how many were sent."""
        try:
            items = await self._call("outbox", channel="telegram")
        except Exception as error:
            self._unavailable(error)
            return 0
        sent = 0
        for item in items:
            address = item.get("address")
            if not address or not str(address).lstrip("-").isdigit():
                log.warning("hand-off %s: no chat to deliver a staff message to", item.get("case_no"))
                continue
            reply = {"text": item["text"]}
            if item.get("buttons"):
                reply["buttons"] = item["buttons"]
            await deliver(int(address), reply)
            sent += 1
        return sent

    async def loop(self, deliver: Callable[[int, dict[str, Any]], Awaitable[None]]) -> None:
        while True:
            try:
                await self.deliver_outbox(deliver)
            except Exception as error:  # never let the loop die
                log.warning("hand-off outbox pass failed: %s", type(error).__name__)
            await asyncio.sleep(poll_seconds())
