"""A person takes over: the hand-off opened (or found) with the case, and what the applicant is told.

Opened for 转人工, for the second "not understood" in a row, and for a verdict
with open questions the regulation's text cannot settle. The case (facts,
last decision, the conversation so far, masked by the store) goes to staff;
the applicant is told the case number and what happens next. New hand-offs
are counted per conversation and per client address (issue 19). With no
store, the stations' phone numbers instead: never a dead end.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from bot.handoff import staff_hours, texts as handoff_texts
from bot.platform.ratelimit import TOO_MANY_HANDOFFS_TEXT, RateLimiter

from . import memory, stations, stores
from .conversation import Conversation
from .outcome import Outcome
from .rating import ASKED
from .texts import hotline

logger = logging.getLogger(__name__)


def open_for(conversation: Conversation, reason: str, state: Any = None,
             decision: Optional[dict[str, Any]] = None) -> Outcome:
    """Opens (or finds) the conversation's hand-off and tells the applicant. ``state``: the
    interview's (default what the conversation remembers); ``decision``: the one just made
    (default the remembered ``decision``)."""
    state = state if state is not None else memory.state_of(conversation)
    if decision is None and isinstance(conversation.slot("decision"), dict):
        decision = conversation.slot("decision")
    return open_case(stores.handoffs, stores.limiter(), sender=str(conversation.sender or ""),
                     client=conversation.client, reason=reason, city=state.city, facts=state.facts,
                     decision=decision, transcript=conversation.transcript(), names=_known_names(conversation),
                     rating_asked=bool(conversation.slot(ASKED)), hotline=hotline())


def _known_names(conversation: Conversation) -> list[str]:
    try:
        from bot.platform.conversations import known_names

        return known_names(conversation.events)
    except Exception:  # masking by cue and number still applies
        return []


def open_case(store: Callable[[], Any], limits: RateLimiter, *, sender: str, client: Optional[str], reason: str,
              city: Optional[str], facts: dict[str, Any], decision: Optional[dict[str, Any]],
              transcript: list[dict[str, str]], names: list[str], rating_asked: bool, hotline: str) -> Outcome:
    counted = [("handoffs", ("sender", sender))]
    if limits.counts_address(client):
        counted.append(("handoffs", ("address", str(client))))
    try:
        service = store()
        if (any(not limits.peek(rule, *key).allowed for rule, key in counted)
                and service.active_for(sender) is None):
            # New sender ids are free to make: hand-offs are counted per client address too.
            logger.info("hand-off refused by the rate limit")
            return Outcome().say(TOO_MANY_HANDOFFS_TEXT.format(hotline=hotline))
        case, new = service.open(sender, reason=reason, city=city, facts=facts, decision=decision,
                                 transcript=transcript, names=names, rating_asked=rating_asked)
        if new:
            for rule, key in counted:
                limits.hit(rule, *key)
        on_duty = service.staff_on_duty()
    except Exception as error:  # no store: the stations' phones, as before hand-offs existed
        logger.warning("hand-off store unavailable (%s); told the phone numbers instead", type(error).__name__)
        county = (facts.get("residence") or {}).get("county")
        return Outcome(values={"handoff": True}).say(stations.handoff_text(city, county))
    said = handoff_texts.opened_message(reason, case, on_duty, new=new, hours=staff_hours(), hotline=hotline,
                                        kiosk=sender.startswith("kiosk-"))
    logger.info("hand-off %s reason=%s new=%s on_duty=%s", case["case_no"], reason, new, on_duty)
    out = Outcome(values={"handoff": True})
    if not rating_asked:  # the rating question waits for the close
        out.values[ASKED] = "handoff"
    out.messages.append({key: said[key] for key in ("text", "buttons", "custom") if said.get(key) is not None})
    return out
