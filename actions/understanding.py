"""The latest user message of a tracker, as the interview driver reads it.

Rasa's parse of the message (text, intent and confidence, a button's
entities) becomes a ``bot.dialogue.eligibility.Message``; what the message says is then
the driver's business (``bot.dialogue.eligibility.reading``), for every channel alike.
"""
from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import Tracker

from bot.dialogue.eligibility import Message


def is_payload(text: Optional[str]) -> bool:
    return bool(text) and text.startswith("/")


def entity_values(message: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for entity in message.get("entities") or ():
        if entity.get("entity") and entity.get("value") is not None:
            values.setdefault(entity["entity"], entity["value"])
    return values


def message_of(tracker: Tracker) -> Message:
    """The latest user message, with the NLU's intent as a second opinion."""
    latest = tracker.latest_message or {}
    text = (latest.get("text") or "").strip()
    intent = latest.get("intent") or {}
    if is_payload(text):
        return Message.parse(text, entities=entity_values(latest))
    return Message(text=text, intent=intent.get("name"), confidence=float(intent.get("confidence") or 0.0))


def message_key(tracker: Tracker) -> int:
    """Which user message this is: the count of user messages since the last restart.

    The interview remembers the key of the last message it read, so a form
    coming back after another action already answered that message only
    asks its question again.
    """
    count = 0
    for event in tracker.events:
        kind = event.get("event")
        if kind == "restart":
            count = 0
        elif kind == "user":
            count += 1
    return count


def client_of(tracker: Tracker) -> Optional[str]:
    """The client the REST gate vouches for (kiosk address, Telegram chat, else the TCP peer)."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    client = metadata.get("client") if isinstance(metadata, dict) else None
    return client if isinstance(client, str) and client else None
