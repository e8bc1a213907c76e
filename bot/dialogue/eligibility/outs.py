"""What one turn of the interview says (Out, Choice), keeps (State) and returns (Reply)."""
from __future__ import annotations

import copy
import json
import logging
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Optional

from bot.rules import labels

from .facts import city_id_of
from .reading import Message

logger = logging.getLogger(__name__)

WHO = "by_proxy"  # the fact behind "who applies"
READBACK = "readback"  # "what I understood, right?" before a verdict (CONTRACT §2)
# Where a fact came from. Only "words" (read from a longer message, not the
# plain answer to the question asked) needs the person's confirmation.
BUTTON, ANSWER, WORDS, CONFIRMED = "button", "answer", "words", "confirmed"
MAX_FAILED = 2  # failed answers to one question before it is skipped (never asked a third time)
CLOSED = set(labels.CHOICES) | {WHO}

# Station look-up for "几点下班": (city id, county or None) -> objects with name, hours.
Stations = Callable[[str, Optional[str]], list[Any]]


@dataclass
class Choice:
    """A button: what it says, and the message it sends (an intent and values)."""

    title: str
    intent: str
    entities: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> str:
        """``/intent{"k":v}``, compact (Telegram's callback_data is at most 64 bytes)."""
        if not self.entities:
            return f"/{self.intent}"
        return f"/{self.intent}" + json.dumps(self.entities, ensure_ascii=False, separators=(",", ":"))

    def message(self) -> Message:
        return Message(text=self.payload(), intent=self.intent, entities=dict(self.entities), button=True)


@dataclass
class Out:
    """One message to the person.

    ``role``: "say", "question" (asks ``fact``) or "verdict" (the decision,
    also as ``custom = {"decision": …}`` for channels that draw it).
    ``closed``: the choices are the answers (a terminal may number them).
    """

    text: str
    choices: list[Choice] = field(default_factory=list)
    custom: Optional[dict[str, Any]] = None
    role: str = "say"
    fact: Optional[str] = None
    closed: bool = False

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text, "role": self.role}
        if self.choices:
            data["choices"] = [{"title": c.title, "payload": c.payload()} for c in self.choices]
        if self.custom is not None:
            data["custom"] = self.custom
        if self.fact:
            data["fact"] = self.fact
        if self.closed:
            data["closed"] = True
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Out":
        choices = []
        for item in data.get("choices") or ():
            message = Message.parse(item.get("payload") or "")
            choices.append(Choice(item.get("title") or "", message.intent or "", message.entities))
        return cls(text=data.get("text") or "", choices=choices, custom=data.get("custom"),
                   role=data.get("role") or "say", fact=data.get("fact"), closed=bool(data.get("closed")))


@dataclass
class State:
    """What the interview knows between two messages (JSON with ``to_dict``)."""

    facts: dict[str, Any] = field(default_factory=dict)  # CONTRACT.md §3 facts (no as_of)
    asked: Optional[str] = None  # the fact asked last ("city", "by_proxy", "hukou.city", …)
    previous: Optional[str] = None  # the fact asked before that (a correction may be for it)
    tries: int = 0  # failed answers to ``asked``
    skipped: list[str] = field(default_factory=list)  # facts the person could not or would not give
    last: list[dict[str, Any]] = field(default_factory=list)  # the last reply (再说一遍)
    # Where each known fact (top-level name) came from: {"how": BUTTON|ANSWER|WORDS|CONFIRMED, "words": …}.
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    helped: list[str] = field(default_factory=list)  # help given once ("estimate": how to guess a duration)
    # A holder's case answered for every city (the card's city not said): the city named next
    # gets that case's answer, not an interview (CONTRACT §2). {"event", "to_city", "to_elsewhere"}.
    holding: Optional[dict[str, Any]] = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Optional[dict[str, Any]]) -> "State":
        data = data or {}
        return cls(facts=copy.deepcopy(data.get("facts") or {}), asked=data.get("asked"),
                   previous=data.get("previous"), tries=int(data.get("tries") or 0),
                   skipped=list(data.get("skipped") or ()), last=list(data.get("last") or ()),
                   sources=copy.deepcopy(data.get("sources") or {}), helped=list(data.get("helped") or ()),
                   holding=dict(data["holding"]) if isinstance(data.get("holding"), dict) else None)

    def copy(self) -> "State":
        return State.from_dict(copy.deepcopy(self.to_dict()))

    @property
    def city(self) -> Optional[str]:
        return city_id_of(self.facts.get("city"))

    def guessed(self) -> list[str]:
        """The known facts read from free words and not yet confirmed (what a read-back is for)."""
        return [name for name in self.facts
                if name != "as_of" and (self.sources.get(name) or {}).get("how") == WORDS]

    def confirm(self) -> None:
        for name in self.facts:
            self.sources[name] = {**(self.sources.get(name) or {}), "how": CONFIRMED}


@dataclass
class Reply:
    """What one message led to.

    ``cases``: the conversation-repair cases handled, in order (``answer``,
    ``facts``, ``correction``, ``city_change``, ``side_question``,
    ``chitchat``, ``repeat``, ``skip``, ``not_understood``, ``explain``,
    ``restart``, ``stop``, ``leave``, ``verdict``, ``holder``…). ``ended``: None while
    the interview goes on; "verdict", "stopped", "restart" or "leave" (then
    ``leave`` is the intent handed over: request_human, goodbye,
    book_appointment…). ``changed``: the facts this message set, by name.
    """

    state: State
    messages: list[Out] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)
    decision: Optional[dict[str, Any]] = None
    next: Optional[str] = None
    ended: Optional[str] = None
    leave: Optional[str] = None
    changed: dict[str, Any] = field(default_factory=dict)

    @property
    def texts(self) -> list[str]:
        return [out.text for out in self.messages]

    @property
    def verdict(self) -> Optional[Out]:
        return next((out for out in self.messages if out.role == "verdict"), None)
