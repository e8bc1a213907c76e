"""What a flow of the core answers: messages in Rasa's REST shape, the values it sets, what runs next.

``messages``: ``{"text", "buttons"}`` and ``{"custom": …}`` dicts, as a channel
receives them (``{"response": name}`` for one of the domain's responses, and
``image`` when a repeated message had one); ``values``: slot name -> new value,
in the order set; ``then``: what the conversation does after them, in order:

- ``LISTEN``: wait for the next message (a form that ends here does not close);
- ``RESTART``: forget the conversation after this turn (Rasa's action_restart);
- ``FORGET``: forget it now (the turn's words stay);
- ``REJECT``: the form does not take this message; the rules handle it;
- ``REVERT``: the message is dropped from the dialogue state (a fallback's ask-back);
- ``END_FORM``: the form going on ends;
- ``run(name)``: that form or action runs next.

``actions/`` turns them into ``utter_message`` calls and Rasa events (actions/guard.py ``deliver``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional


LISTEN, RESTART, FORGET, REJECT, REVERT, END_FORM = "listen", "restart", "forget", "reject", "revert", "end_form"
RUN = "run:"


def run(name: str) -> str:
    """``then`` for "the form or action ``name`` runs next"."""
    return RUN + name


@dataclass
class Outcome:
    messages: list[dict[str, Any]] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    then: list[str] = field(default_factory=list)

    def __add__(self, other: "Outcome") -> "Outcome":
        """This outcome, then ``other``'s messages, values and next steps."""
        return Outcome(self.messages + other.messages, {**self.values, **other.values}, self.then + other.then)

    def set(self, **values: Any) -> "Outcome":
        self.values.update(values)
        return self

    def next(self, *steps: str) -> "Outcome":
        self.then.extend(steps)
        return self

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
