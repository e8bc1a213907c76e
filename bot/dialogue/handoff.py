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

from . import stations
from .outcome import Outcome
from .rating import ASKED

logger = logging.getLogger(__name__)


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
