"""Button payloads over Telegram's 64-byte ``callback_data``: short ids per chat."""
from __future__ import annotations

import collections
import itertools
import logging
from typing import Optional


# What a reminder knows of a booking, and where it is looked up: shared with WeChat.


log = logging.getLogger("juzhu.telegram")
from .texts import CALLBACK_DATA_MAX_BYTES, MAPPED_PREFIX


# --- button payloads over 64 bytes --------------------------------------------------

class CallbackPayloads:
    """Maps payloads too long for ``callback_data`` to short ids, per chat.

    Ids come from one counter and are never reused, so a stale keyboard can
    never send another payload than the one it showed. Each chat keeps its
    ``per_chat`` newest mappings (a tap on an older one is "expired")."""

    def __init__(self, per_chat: int = 256):
        self.per_chat = per_chat
        self._tables: dict[int, collections.OrderedDict[str, str]] = {}
        self._counter = itertools.count(1)

    @staticmethod
    def fits(payload: str) -> bool:
        return (len(payload.encode("utf-8")) <= CALLBACK_DATA_MAX_BYTES
                and not payload.startswith(MAPPED_PREFIX))

    def encode(self, chat_id: int, payload: str) -> str:
        if self.fits(payload):
            return payload
        table = self._tables.setdefault(chat_id, collections.OrderedDict())
        for key, known in table.items():
            if known == payload:
                table.move_to_end(key)
                return key
        key = f"{MAPPED_PREFIX}{next(self._counter)}"
        table[key] = payload
        while len(table) > self.per_chat:
            table.popitem(last=False)
        return key

    def decode(self, chat_id: int, data: str) -> Optional[str]:
        """The payload behind ``data``; None for an expired or unknown id."""
        if not data.startswith(MAPPED_PREFIX):
            return data
        return self._tables.get(chat_id, {}).get(data)

    def forget(self, chat_id: int) -> None:
        self._tables.pop(chat_id, None)
