"""The eligibility interview on a conversation: each message of the form, and the verdict.

:func:`form_turn` hands every user message of the form to the interview
driver (``bot.dialogue.eligibility``) with the facts the conversation
remembers, says what the driver says (questions included: the form has no
ask actions) and sets the values it changed. The driver decides everything:
which facts the message gives, corrections, a change of city, side questions
and small talk (answered, then the question again), failed answers (hint,
then a choice, never a third time), skipping, repeating, starting over and
stopping.

How each end of the interview goes on:

- decided: nothing more is asked (``requested_slot`` None); the rules then
  run the verdict (:func:`verdict`, the driver's ``conclude``);
- stopped ("算了"), or the city never given: said so, the form ends and the
  assistant listens;
- start over ("重来一遍"): said so, and the conversation is forgotten, as
  with the kiosk's button;
- handed over (转人工, 再见, 预约, 查询, 取消): the form does not take the
  message (keeping any facts it gave) and the rules run what it asks for.
  When only the driver heard it (the NLU thought otherwise), the turn gives
  the hand-off or the goodbye itself, or starts the booking.
"""
from __future__ import annotations

import logging
from typing import Any, Iterable

from bot.platform.clock import today
from bot.rules.policy import city_ids, load_city

from . import handoff, memory, rating
from .conversation import REQUESTED, Conversation
from .eligibility import Out
from .outcome import END_FORM, LISTEN, REJECT, RESTART, Outcome, button, run

logger = logging.getLogger(__name__)

FORM = "eligibility_form"


def city_buttons() -> list[dict[str, str]]:
    return [button(load_city(city).name, "inform", {"city": city}) for city in city_ids()]


def says(outs: Iterable[Out]) -> list[dict[str, Any]]:
    """The driver's messages as the channel's: text, buttons, and a custom payload when there is one."""
    return [{"text": out.text, "buttons": [{"title": c.title, "payload": c.payload()} for c in out.choices],
             "custom": out.custom} for out in outs]


def next_question(conversation: Conversation) -> list[str]:
    """The value the form asks for next (none once decided)."""
    asked = memory.slot_of(memory.driver().resume(memory.state_of(conversation)).next)
    return [asked] if asked else []


def form_turn(conversation: Conversation) -> Outcome:
    """One message of the form through the driver (see the module's docstring)."""
    driver = memory.driver()
    state = memory.state_of(conversation)
    key = conversation.message_key()
    message = conversation.message()
    if memory.memo_of(conversation).get("seen") == key:
        # Back after another action answered this message: only the question again.
        reply = driver.resume(state)
    else:
        reply = driver.handle(state, message)
    out = Outcome(values=memory.state_values(conversation, reply.state, seen=key, memo_always=True))
    if conversation.slot("awaiting_city"):
        out.set(awaiting_city=False, pending_topic=None)
    logger.debug("interview: cases=%s next=%s ended=%s", reply.cases, reply.next, reply.ended)

    if reply.ended == "leave":
        if message.intent == reply.leave or reply.leave not in ("request_human", "goodbye", "book_appointment"):
            return out.next(REJECT)  # the rules do what the message asks (hand-off, goodbye, booking)
        if reply.leave == "book_appointment":
            # "…，帮我预约" the NLU filed as facts: the booking starts and reads this same
            # message (who comes along, the county), the facts stay for its checklist.
            return out.set(**{REQUESTED: None}).next(END_FORM, run("booking_form"))
        if reply.leave == "request_human":
            out = out + handoff.open_for(conversation, "asked", reply.state)
        else:
            out.messages.append({"response": "utter_goodbye"})
        return out.set(**{REQUESTED: None}).next(LISTEN)

    out.messages += says(said for said in reply.messages if said.role != "verdict")
    if reply.ended == "verdict":
        return out.set(**{REQUESTED: None})
    if reply.ended in ("stopped", "holder"):
        return out.set(**{REQUESTED: None}).next(LISTEN)
    if reply.ended == "restart":
        return out.set(**{REQUESTED: None}).next(RESTART)
    return out.set(**{REQUESTED: memory.slot_of(reply.next)})


def verdict(conversation: Conversation) -> Outcome:
    """The verdict: the driver's conclusion (the renderer's text, next steps, the decision as custom),
    then a person for what the regulation's text leaves open, else the rating question."""
    decision, dropped = memory.decide(memory.fact_values(conversation), today())
    out = Outcome(values={name: None for name in dropped})
    state = memory.state_of(conversation)
    outs = memory.driver().conclude(state)
    out.messages += says(outs)
    memo = memory.memo_of(conversation)
    if decision is None:
        return out.set(**{memory.MEMO: {**memo, "asked": "city"}})
    logger.info("verdict city=%s verdict=%s", decision["city"], decision["verdict"])
    out = out + (handoff.open_for(conversation, "cannot_decide", state, decision) if decision.get("open_questions")
                 else rating.ask_after(conversation, "verdict"))
    kept = {key: value for key, value in state.to_dict().items() if key != "facts"}
    kept.update(asked=None, tries=0, last=[said.as_dict() for said in outs], seen=memo.get("seen"))
    return out.set(decision=decision, **{memory.MEMO: kept})
