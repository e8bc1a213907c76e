"""The eligibility interview on Rasa: the form's validator and the verdict.

Tracker in, driver, events out. ``validate_eligibility_form`` hands every
user message of the form to the interview driver (``bot.dialogue.eligibility``) with
the facts in the slots, says what the driver says (questions included: the
form has no ask actions) and sets the slots it changed. The driver decides
everything: which facts the message gives, corrections, a change of city,
side questions and small talk (answered, then the question again), failed
answers (hint, then a choice, never a third time), skipping, repeating,
starting over and stopping.

How each end of the interview reaches Rasa:

- decided: ``requested_slot`` None; the rules then run ``action_assess``,
  which gives the verdict (the driver's ``conclude``).
- stopped ("算了"), or the city never given: the validator says so, ends the
  form and has Rasa listen (``FollowupAction(action_listen)``).
- start over ("重来一遍"): the validator says so and Rasa's own
  ``action_restart`` forgets the conversation, as the kiosk's button does.
- handed over (转人工, 再见, 预约, 查询, 取消): the form rejects the message
  (keeping any facts it gave) and the rules run what it asks for. When only
  the driver heard it (the NLU thought otherwise), the validator gives the
  hand-off or the goodbye itself.
"""
from __future__ import annotations

import logging

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.dialogue.eligibility import Out
from bot.dialogue.outcome import button  # noqa: F401  (the booking and answer actions take it from here)

from .facts import (MEMO, all_city_ids, city_name, decide, interview, slot_of, state_events, state_of, today,
                    tracker_slots)
from .guard import GuardedAction, GuardedFormValidationAction
from .understanding import message_key, message_of

logger = logging.getLogger(__name__)

FORM = "eligibility_form"
REQUESTED_SLOT = "requested_slot"
ACTION_LISTEN = "action_listen"
ACTION_RESTART = "action_restart"


# --- buttons and messages (shared with the booking and answer actions) ----------------

def city_buttons() -> list[dict[str, str]]:
    return [button(city_name(city), "inform", {"city": city}) for city in all_city_ids()]


def say(dispatcher: CollectingDispatcher, outs: list[Out]) -> None:
    """The driver's messages as Rasa messages: text, buttons, and a custom payload when there is one."""
    for out in outs:
        buttons = [{"title": c.title, "payload": c.payload()} for c in out.choices]
        if out.custom is not None:
            dispatcher.utter_message(text=out.text, buttons=buttons, json_message=out.custom)
        else:
            dispatcher.utter_message(text=out.text, buttons=buttons)


def turn_kind(tracker: Tracker, form: str = FORM) -> str:
    """Why a form runs: 'answer' (a new user message), 'activation' or 'resume'.

    Rasa hands the validator a tracker ending in the form's own
    ActionExecuted (plus the slots it set); what came before tells whether
    the latest user message is new to the form or was already answered by
    another action (an interruption the form now returns from).
    """
    events = list(tracker.events)
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


# --- the form -------------------------------------------------------------------------

class ValidateEligibilityForm(GuardedFormValidationAction):
    """Every message of the interview through the driver; the slots it changed; its next question."""

    def name(self) -> str:
        return "validate_eligibility_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        reply = interview(tracker).resume(state_of(tracker))
        slot = slot_of(reply.next)
        return [slot] if slot else []

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        driver = interview(tracker)
        state = state_of(tracker)
        key = message_key(tracker)
        memo = tracker.get_slot(MEMO) if isinstance(tracker.get_slot(MEMO), dict) else {}
        message = message_of(tracker)
        if memo.get("seen") == key:
            # Back after another action answered this message: only the question again.
            reply = driver.resume(state)
        else:
            reply = driver.handle(state, message)
        events = state_events(tracker, reply.state, seen=key, memo_always=True)
        if tracker.get_slot("awaiting_city"):
            events += [SlotSet("awaiting_city", False), SlotSet("pending_topic", None)]
        logger.debug("interview: cases=%s next=%s ended=%s", reply.cases, reply.next, reply.ended)

        if reply.ended == "leave":
            if message.intent == reply.leave:
                # The rules do what the message asks (hand-off, goodbye, booking).
                return events + [ActionExecutionRejected(self.form_name())]
            if reply.leave == "request_human":
                from .handoff import open_handoff

                events += open_handoff(dispatcher, tracker, "asked", reply.state)
            elif reply.leave == "goodbye":
                dispatcher.utter_message(response="utter_goodbye")
            elif reply.leave == "book_appointment":
                # "…，帮我预约" the NLU filed as facts: the booking starts and reads this same
                # message (who comes along, the county), the facts stay for its checklist.
                return events + [SlotSet(REQUESTED_SLOT, None), ActiveLoop(None), FollowupAction("booking_form")]
            else:
                return events + [ActionExecutionRejected(self.form_name())]
            return events + [SlotSet(REQUESTED_SLOT, None), FollowupAction(ACTION_LISTEN)]

        say(dispatcher, [out for out in reply.messages if out.role != "verdict"])
        if reply.ended == "verdict":
            return events + [SlotSet(REQUESTED_SLOT, None)]
        if reply.ended in ("stopped", "holder"):
            return events + [SlotSet(REQUESTED_SLOT, None), FollowupAction(ACTION_LISTEN)]
        if reply.ended == "restart":
            return events + [SlotSet(REQUESTED_SLOT, None), FollowupAction(ACTION_RESTART)]
        return events + [SlotSet(REQUESTED_SLOT, slot_of(reply.next))]


class ActionAssess(GuardedAction):
    """The verdict: the driver's conclusion (the renderer's text, next steps, the decision as custom)."""

    def name(self) -> str:
        return "action_assess"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        decision, dropped = decide(tracker_slots(tracker), today())
        events: list[EventType] = [SlotSet(name, None) for name in dropped]
        state = state_of(tracker)
        outs = interview(tracker).conclude(state)
        say(dispatcher, outs)
        if decision is None:
            return events + [SlotSet(MEMO, {**(tracker.get_slot(MEMO) or {}), "asked": "city"})]
        logger.info("verdict city=%s verdict=%s", decision["city"], decision["verdict"])
        from .handoff import ask_rating, open_handoff  # a person for what the text leaves open, else a rating

        events += (open_handoff(dispatcher, tracker, "cannot_decide", state, decision) if decision.get("open_questions")
                   else ask_rating(dispatcher, tracker, "verdict"))
        memo = {key: value for key, value in state.to_dict().items() if key != "facts"}
        memo.update(asked=None, tries=0, last=[out.as_dict() for out in outs],
                    seen=(tracker.get_slot(MEMO) or {}).get("seen"))
        return events + [SlotSet("decision", decision), SlotSet(MEMO, memo)]
