"""What a flow of the core answers: messages in Rasa's REST shape and the values it sets.

``messages``: ``{"text", "buttons"}`` and ``{"custom": …}`` dicts, as a channel
receives them; ``values``: slot name -> new value. ``actions/`` turns them
into ``utter_message`` calls and ``SlotSet`` events (actions/guard.py ``deliver``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass
class Outcome:
    messages: list[dict[str, Any]] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)

    def say(self, text: str, buttons: Optional[list[dict[str, str]]] = None) -> "Outcome":
        self.messages.append({"text": text, **({"buttons": buttons} if buttons else {})})
        return self

    def send(self, custom: dict[str, Any]) -> "Outcome":
        self.messages.append({"custom": custom})
        return self


def button(title: str, intent: str, entities: Optional[dict[str, Any]] = None) -> dict[str, str]:
    """A button; the payload compact (Telegram's callback_data is at most 64 bytes)."""
    payload = f"/{intent}" + (json.dumps(entities, ensure_ascii=False, separators=(",", ":")) if entities else "")
    return {"title": title, "payload": payload}
