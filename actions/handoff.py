"""Rasa's side of hand-offs and ratings (issue 11): thin adapters over bot.handoff.

- :func:`open_handoff`: a person takes over. Called for 转人工 (answers.py,
  interview.py), for the second "not understood" in a row (answers.py's
  clarify) and for a verdict with open questions the regulation's text cannot
  settle (interview.py's action_assess). The case (facts, last decision, last
  messages, masked) goes to the store; the applicant is told the case number
  and what happens next. From then on the channels keep the applicant's
  messages for staff until staff close the hand-off.
- :func:`ask_rating`: the rating question after a verdict or a booking, at most
  once per conversation (slot ``feedback_asked``: the topic it was asked for).
  A hand-off reserves the question for its close (the store asks it then).
- ``action_rate`` / ``action_feedback_comment``: store a rating (a button or
  typed words) and an optional comment, with city, topic, verdict, channel;
  no personal data.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.platform.ratelimit import default_limiter

from bot.dialogue import handoff, rating
from .facts import state_of
from .guard import GuardedAction, deliver, hotline
from .understanding import client_of, entity_values, is_payload, message_of

logger = logging.getLogger(__name__)

ASKED_SLOT, RATING_SLOT = rating.ASKED, rating.RATING  # the topic asked for; the rating given

_service: list[Any] = []
_service_lock = threading.Lock()


def handoff_service() -> Any:
    """The process's hand-off store (``DATABASE_URL``), opened on first use."""
    with _service_lock:
        if not _service:
            from bot.handoff import HandoffService

            _service.append(HandoffService())
        return _service[0]


def transcript_of(tracker: Tracker) -> list[dict[str, str]]:
    """The conversation's user and bot messages since the last restart (button payloads left
    out), from the first: staff see what the applicant said first; the store masks and caps it."""
    lines: list[dict[str, str]] = []
    for event in tracker.events:
        kind, text = event.get("event"), (event.get("text") or "").strip()
        if kind in ("user", "bot") and text and not is_payload(text):
            lines.append({"who": kind, "text": text})
        elif kind == "restart":
            lines = []
    return lines


def _known_names(tracker: Tracker) -> list[str]:
    try:
        from bot.platform.conversations import known_names

        return known_names(tracker.events)
    except Exception:  # masking by cue and number still applies
        return []


def second_not_understood(tracker: Tracker, asked_back: str) -> bool:
    """Whether the assistant already asked back (``asked_back``) after the previous user message."""
    users = 0
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            users += 1
            if users == 2:
                return False
        elif kind == "bot" and users == 1 and (event.get("text") or "") == asked_back:
            return True
        elif kind == "restart":
            return False
    return False


def open_handoff(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str,
                 state: Any = None, decision: Optional[dict[str, Any]] = None) -> list[EventType]:
    """Opens (or finds) the conversation's hand-off and tells the applicant (bot/dialogue/handoff.py);
    the events to return. ``decision``: the one just made (default the ``decision`` slot's)."""
    state = state if state is not None else state_of(tracker)
    if decision is None and isinstance(tracker.get_slot("decision"), dict):
        decision = tracker.get_slot("decision")
    return deliver(dispatcher, handoff.open_case(
        handoff_service, default_limiter(), sender=tracker.sender_id, client=client_of(tracker), reason=reason,
        city=state.city, facts=state.facts, decision=decision, transcript=transcript_of(tracker),
        names=_known_names(tracker), rating_asked=bool(tracker.get_slot(ASKED_SLOT)), hotline=hotline()))


def ask_rating(dispatcher: CollectingDispatcher, tracker: Tracker, topic: str) -> list[EventType]:
    """The rating question with its five buttons, unless it was asked in this conversation."""
    return deliver(dispatcher, rating.ask(_values(tracker), topic))


def _values(tracker: Tracker) -> dict[str, Any]:
    return {ASKED_SLOT: tracker.get_slot(ASKED_SLOT), RATING_SLOT: tracker.get_slot(RATING_SLOT)}


class ActionRate(GuardedAction):
    """A rating (button or words): stored once per conversation, without personal data."""

    def name(self) -> str:
        return "action_rate"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        from bot.handoff import channel_of

        text = message_of(tracker).text or ""
        level, comment = rating.level_of(entity_values(tracker.latest_message or {}), text, is_payload(text))
        decision = tracker.get_slot("decision") if isinstance(tracker.get_slot("decision"), dict) else {}
        values = _values(tracker)
        store = handoff_service() if not values[RATING_SLOT] and level is not None else None
        outcome = rating.rate(store, values, level, comment, city=decision.get("city") or state_of(tracker).city,
                              verdict=decision.get("verdict"), channel=channel_of(tracker.sender_id))
        if RATING_SLOT in outcome.values:
            logger.info("rating level=%d topic=%s", level, outcome.values[ASKED_SLOT])
        return deliver(dispatcher, outcome)


class ActionFeedbackComment(GuardedAction):
    """"意见：…": a comment added to the rating given in this conversation (masked)."""

    def name(self) -> str:
        return "action_feedback_comment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        values = _values(tracker)
        store = handoff_service() if values[RATING_SLOT] else None
        return deliver(dispatcher, rating.comment(store, values, message_of(tracker).text or ""))
