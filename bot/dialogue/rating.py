"""The rating after a verdict, a booking or a hand-off, and the comment that may follow it.

Asked at most once per conversation (``feedback_asked``: the topic it was
asked for); a rating is stored once (``feedback_rating``: its id), without
personal data; a comment is added to it (masked by the store).
"""
from __future__ import annotations

import logging
from typing import Any, Mapping, Optional

from bot.handoff import channel_of, texts as handoff_texts

from . import memory, stores
from .conversation import Conversation, is_payload
from .outcome import Outcome

ASKED = "feedback_asked"  # the topic the rating question was asked for (once per conversation)
RATING = "feedback_rating"  # the id of the rating given (a comment is added to it)

logger = logging.getLogger(__name__)


def ask(values: Mapping[str, Any], topic: str) -> Outcome:
    """The rating question with its five buttons, unless it was asked in this conversation."""
    if values.get(ASKED):
        return Outcome()
    return Outcome(values={ASKED: topic}).say(handoff_texts.RATING_QUESTION, handoff_texts.rating_buttons())


def level_of(entities: Mapping[str, Any], text: str, payload: bool) -> tuple[Optional[int], Optional[str]]:
    """(level, comment) of a rating message: a button's entity, or typed words."""
    if entities.get("rating") is not None:
        try:
            return int(float(entities["rating"])), None
        except (TypeError, ValueError):
            return None, None
    if payload:
        return None, None
    found = handoff_texts.level_in(text)
    if found is None:
        return None, None
    return found[0], found[1] or None


def rate(store: Any, values: Mapping[str, Any], level: Optional[int], comment: Optional[str], *,
         city: Optional[str], verdict: Optional[str], channel: str) -> Outcome:
    """Stores the rating (once per conversation) and thanks; asks again when no level was given."""
    topic = values.get(ASKED) or "other"
    if values.get(RATING):
        return Outcome().say(handoff_texts.RATING_ALREADY)
    if level is None or not 1 <= level <= 5:
        return Outcome(values={ASKED: topic}).say(handoff_texts.RATING_QUESTION, handoff_texts.rating_buttons())
    rating_id = store.rate(level, comment=comment, city=city, topic=topic, verdict=verdict, channel=channel)
    text = handoff_texts.RATING_THANKS + ("" if comment else handoff_texts.RATING_COMMENT_INVITE)
    return Outcome(values={RATING: str(rating_id), ASKED: topic}).say(text, handoff_texts.next_step_buttons())


def comment(store: Any, values: Mapping[str, Any], text: str) -> Outcome:
    """"意见：…": added to this conversation's rating; without a rating yet, the rating is asked first."""
    said = handoff_texts.comment_of(text)
    rating_id = values.get(RATING)
    if said and rating_id and str(rating_id).isdigit():
        store.comment(int(rating_id), said)
        return Outcome().say(handoff_texts.COMMENT_THANKS, handoff_texts.next_step_buttons())
    if said:  # the level is what the statistics count
        return Outcome(values={ASKED: values.get(ASKED) or "other"}).say(handoff_texts.RATING_QUESTION,
                                                                          handoff_texts.rating_buttons())
    return Outcome().say(handoff_texts.COMMENT_THANKS, handoff_texts.next_step_buttons())


# --- on a conversation ---------------------------------------------------------------------

def _values(conversation: Conversation) -> dict[str, Any]:
    return {ASKED: conversation.slot(ASKED), RATING: conversation.slot(RATING)}


def ask_after(conversation: Conversation, topic: str) -> Outcome:
    """The rating question after ``topic`` (a verdict, a booking), unless it was asked already."""
    return ask(_values(conversation), topic)


def take(conversation: Conversation) -> Outcome:
    """A rating (a button or words): stored once per conversation, without personal data."""
    text = conversation.text
    level, said = level_of(conversation.entities, text, is_payload(text))
    decision = conversation.slot("decision") if isinstance(conversation.slot("decision"), dict) else {}
    values = _values(conversation)
    store = stores.handoffs() if not values[RATING] and level is not None else None
    outcome = rate(store, values, level, said, city=decision.get("city") or memory.state_of(conversation).city,
                   verdict=decision.get("verdict"), channel=channel_of(conversation.sender))
    if RATING in outcome.values:
        logger.info("rating level=%d topic=%s", level, outcome.values[ASKED])
    return outcome


def take_comment(conversation: Conversation) -> Outcome:
    """"意见：…": a comment added to the rating given in this conversation (masked by the store)."""
    values = _values(conversation)
    return comment(stores.handoffs() if values[RATING] else None, values, conversation.text)
