"""Rasa's REST channel, silent while a person has the conversation (named in credentials.yml).

The kiosk's web front and the Telegram bridge keep an applicant's messages for
staff during a hand-off before anything reaches Rasa (bot/channels/web/handoffs.py,
bot/channels/telegram_handoffs.py). A script posting to the REST webhook
directly reaches Rasa without them; this connector applies the same rule on
Rasa's side: while a hand-off is open for the sender, the message is stored for
staff (masked) and the answer is the waiting note, or nothing once staff are
answering. Rasa's custom-connector extension point, not a patch: the URL stays
``/webhooks/rest/webhook``.

If the hand-off store cannot be read, the assistant answers (as the kiosk does):
an applicant is never left with no one.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput

log = logging.getLogger(__name__)


class HandoffAwareRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"  # the same webhook as Rasa's own REST channel

    def __init__(self, store: Optional[Any] = None) -> None:
        self._store = store

    def store(self) -> Any:
        if self._store is None:
            from bot.handoff import HandoffService

            self._store = HandoffService()
        return self._store

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Any:
        async def unless_a_person_has_it(message: UserMessage) -> Any:
            held = await self._held(message)
            if held is None:
                return await on_new_message(message)
            if held.get("reply") and message.output_channel is not None:
                await message.output_channel.send_text_message(message.sender_id, held["reply"])
            return None

        return super().blueprint(unless_a_person_has_it)

    def _hold(self, sender: str, text: str) -> Optional[dict[str, Any]]:
        store = self.store()
        if store.active_for(sender) is None:  # the usual case: a read, no write lock on SQLite
            return None
        return store.applicant_message(sender, text)

    async def _held(self, message: UserMessage) -> Optional[dict[str, Any]]:
        text = message.text or ""
        if not message.sender_id or not text or text.startswith("/restart"):
            return None
        try:
            return await asyncio.to_thread(self._hold, message.sender_id, text)
        except Exception as error:  # the store is down: the assistant answers rather than no one
            log.warning("hand-off store unavailable; message goes to the assistant: %s", type(error).__name__)
            return None
