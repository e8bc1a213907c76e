"""One conversation as the core sees it: who, what it remembers, what was just said, what came before.

Every flow of the core takes a :class:`Conversation` and answers an
:class:`bot.dialogue.outcome.Outcome`. A channel adapter builds it
(``actions/`` from Rasa's tracker, tests from a dict). Its history is Rasa's
event JSON (``{"event": "user" | "bot" | "slot" | "action" | "restart", …}``),
the shape the conversations store keeps as well; what the core needs from it
is read here, once: which message this is, why a form runs, the failed
answers in a row, the last bot turn, the transcript for staff.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

from .booking import PastTurn
from .message import Message

REQUESTED = "requested_slot"  # the value a form asks for now
HISTORY_TURNS = 12  # user turns read back for the failed answers in a row


def is_payload(text: Optional[str]) -> bool:
    """A button's payload (``/intent{…}``), not typed words."""
    return bool(text) and str(text).startswith("/")


@dataclass(frozen=True)
class Conversation:
    """``slots``: the values it remembers (a missing name reads None); ``latest``: the latest
    user message as the NLU parsed it (text, intent, entities, intent_ranking, metadata);
    ``form``: the form going on, if any."""
    sender: str = ""
    slots: Mapping[str, Any] = field(default_factory=dict)
    latest: Mapping[str, Any] = field(default_factory=dict)
    events: Sequence[Mapping[str, Any]] = ()
    form: Optional[str] = None

    def slot(self, name: str) -> Any:
        return self.slots.get(name)

    # --- the latest message ---------------------------------------------------------------

    @property
    def text(self) -> str:
        return (self.latest.get("text") or "").strip()

    @property
    def intent(self) -> Optional[str]:
        return (self.latest.get("intent") or {}).get("name")

    @property
    def entities(self) -> dict[str, Any]:
        """The first value of each entity (a button's values, or the NLU's)."""
        values: dict[str, Any] = {}
        for entity in self.latest.get("entities") or ():
            if entity.get("entity") and entity.get("value") is not None:
                values.setdefault(entity["entity"], entity["value"])
        return values

    @property
    def client(self) -> Optional[str]:
        """The client the REST gate vouches for (kiosk address, Telegram chat, else the TCP peer)."""
        metadata = self.latest.get("metadata") or {}
        client = metadata.get("client") if isinstance(metadata, dict) else None
        return client if isinstance(client, str) and client else None

    def message(self, entities: bool = False) -> Message:
        """The latest message: a button with its values, or words with the NLU's intent as a second
        opinion. ``entities``: the NLU's entities of typed words too (the booking takes a phone or a
        code the NLU found); the interview reads the words itself."""
        if is_payload(self.text):
            return Message.parse(self.text, entities=self.entities)
        intent = self.latest.get("intent") or {}
        return Message(text=self.text, intent=intent.get("name"), confidence=float(intent.get("confidence") or 0.0),
                       entities=self.entities if entities else {})

    # --- what came before -----------------------------------------------------------------

    def message_key(self) -> int:
        """Which user message this is: the count of user messages since the last restart.

        The interview remembers the key of the last message it read, so a form
        coming back after another action already answered that message only
        asks its question again."""
        count = 0
        for event in self.events:
            kind = event.get("event")
            if kind == "restart":
                count = 0
            elif kind == "user":
                count += 1
        return count

    def turn_kind(self, form: str) -> str:
        """Why ``form`` runs: 'answer' (a new user message), 'activation' or 'resume'.

        Rasa hands the validator the events ending in the form's own
        ActionExecuted (plus the slots it set); what came before tells whether
        the latest user message is new to the form or was already answered by
        another action (an interruption the form now returns from)."""
        events = list(self.events)
        last_form = next((i for i in range(len(events) - 1, -1, -1)
                          if events[i].get("event") == "action" and events[i].get("name") == form), len(events))
        activated = False
        for event in reversed(events[:last_form]):
            kind = event.get("event")
            if kind == "active_loop" and event.get("name") == form:
                activated = True
            elif kind == "user":
                return "activation" if activated else "answer"
            elif kind == "action" and event.get("name") not in ("action_listen", None):
                return "activation" if activated else "resume"
        return "activation" if activated else "resume"

    def asked_already(self) -> bool:
        """The words of this turn so far carry buttons: a validator asked already.

        Rasa hands an ask action the events of this turn after the form's own
        ActionExecuted, the validator's messages among them."""
        for event in reversed(self.events):
            kind = event.get("event")
            if kind in ("user", "action"):
                return False
            if kind == "bot" and (event.get("data") or {}).get("buttons"):
                return True
        return False

    def last_bot_turn(self) -> list[Mapping[str, Any]]:
        """The bot messages between the two latest user messages."""
        events = list(self.events)
        users = [i for i, event in enumerate(events) if event.get("event") == "user"]
        if len(users) < 2:
            return [] if not users else [e for e in events[:users[-1]] if e.get("event") == "bot"]
        return [e for e in events[users[-2] + 1:users[-1]] if e.get("event") == "bot"]

    def transcript(self) -> list[dict[str, str]]:
        """The user and bot messages since the last restart (button payloads left out), from the
        first: staff see what the applicant said first; the hand-off store masks and caps it."""
        lines: list[dict[str, str]] = []
        for event in self.events:
            kind, text = event.get("event"), (event.get("text") or "").strip()
            if kind in ("user", "bot") and text and not is_payload(text):
                lines.append({"who": kind, "text": text})
            elif kind == "restart":
                lines = []
        return lines

    def answered_with(self, response: str, turns: int) -> bool:
        """Whether each of the last ``turns`` user messages before this one got the domain's
        ``response`` (Rasa marks a response's messages with ``metadata.utter_action``)."""
        replies: list[bool] = []  # per user message, oldest first: its reply had the response
        for event in self.events:
            kind = event.get("event")
            if kind == "restart":
                replies = []
            elif kind == "user":
                replies.append(False)
            elif kind == "bot" and replies and (event.get("metadata") or {}).get("utter_action") == response:
                replies[-1] = True
        earlier = replies[:-1]  # the latest user message is the one being answered
        return len(earlier) >= turns and all(earlier[-turns:])

    def asked_back(self, words: str) -> bool:
        """Whether the assistant said ``words`` after the previous user message (a second
        "not understood" in a row)."""
        users = 0
        for event in reversed(self.events):
            kind = event.get("event")
            if kind == "user":
                users += 1
                if users == 2:
                    return False
            elif kind == "bot" and users == 1 and (event.get("text") or "") == words:
                return True
            elif kind == "restart":
                return False
        return False


def past_turns(events: Sequence[Mapping[str, Any]]) -> list[PastTurn]:
    """The user turns before the latest message: the step asked, the values set, the step asked next."""
    turns: list[PastTurn] = []
    requested: Optional[str] = None
    current: Optional[dict[str, Any]] = None
    for event in events:
        kind = event.get("event")
        if kind == "user":
            if current is not None:
                turns.append(PastTurn(current["text"], current["asked"], current["set"], requested))
            current = {"text": event.get("text") or "", "asked": requested, "set": {}}
        elif kind == "slot" and event.get("name") == REQUESTED:
            requested = event.get("value")
        elif kind == "slot" and current is not None:
            current["set"][event.get("name")] = event.get("value")
        elif kind in ("restart", "session_started"):
            turns, requested, current = [], None, None
    return turns[-HISTORY_TURNS:]  # the latest user turn (``current``) is the one being read
