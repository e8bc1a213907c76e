"""The one hand-off check: while a person has a conversation, the assistant does not answer over them.

Every message of every channel passes Rasa's REST gate
(bot/channels/rest_gate.py), which asks :func:`hold` before Rasa reads it:

- no open hand-off for the sender: the message goes on to the assistant;
- ``/restart`` (the kiosk's reset, Telegram's /reset): the person has left or
  started over, the open hand-off is abandoned and the message goes on;
- "算了不用人工了，…": the hand-off is closed (withdrawn) and what came with it
  goes on to the assistant; without anything after it, the applicant is told
  and offered the next steps;
- otherwise the message is kept for staff (masked) and the answer is the
  waiting note, or nothing once staff are answering.

The answer is in Rasa's REST shape: texts (with buttons) and one
``{"custom": {"handoff": {"case_no", "status", "held": true}}}`` the channels
read (the kiosk's hold screen, where Telegram and WeChat send staff replies).
If the store cannot be read, the assistant answers: never no one.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Optional

from .texts import next_step_buttons

log = logging.getLogger(__name__)

RESTART = "/restart"


@dataclass
class Held:
    """``text``: what goes on to the assistant (None: nothing does); ``replies``: what the sender is told."""

    text: Optional[str]
    replies: list[dict[str, Any]] = field(default_factory=list)


def is_held(reply: Any) -> bool:
    """Whether a reply is the gate's note that the message was kept for staff (the channels read it)."""
    custom = reply.get("custom") if isinstance(reply, dict) else None
    return isinstance(custom, dict) and isinstance(custom.get("handoff"), dict) and custom["handoff"].get("held") is True


def hold(store: Any, sender: str, text: str) -> Held:
    """What the gate does with one message (see the module's docstring)."""
    if store is None or not sender or not text:
        return Held(text)
    try:
        if store.active_for(sender) is None:  # the usual case: a read, no write lock on SQLite
            return Held(text)
        if text.startswith(RESTART):
            store.abandon(sender)
            return Held(text)
        held = store.applicant_message(sender, text)
    except Exception as error:  # the store is down: the assistant answers rather than no one
        log.warning("hand-off store unavailable; message goes to the assistant: %s", type(error).__name__)
        return Held(text)
    if held is None:
        return Held(text)
    if held["status"] == "withdrawn" and held.get("rest"):
        return Held(held["rest"])  # the question that came with "算了不用人工了" is answered
    replies: list[dict[str, Any]] = []
    if held.get("reply"):
        reply: dict[str, Any] = {"text": held["reply"]}
        if held["status"] == "withdrawn":
            reply["buttons"] = next_step_buttons()
        replies.append(reply)
    replies.append({"custom": {"handoff": {"case_no": held["case_no"], "status": held["status"], "held": True}}})
    return Held(None, replies)
