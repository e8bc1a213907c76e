"""The eligibility interview: the form's validator, its questions, the verdict.

How the next question is chosen: after every turn the validator turns the
slots into a facts object, asks the engine for a decision and requests the
slot of the first fact in ``decision["missing"]`` (or ``city`` while the city
is unknown). When the engine decides, it requests nothing and the form ends;
``action_assess`` then gives the verdict. The law decides what to ask; this
module only asks it.
"""
from __future__ import annotations

import json
import logging
from abc import abstractmethod
from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.rules import labels, question_for, render_decision
from bot.rules.policy import load_city

from . import texts
from .facts import (CITY_BOUND_SLOTS, FACT_OF_SLOT, FACT_SLOTS, all_city_ids, city_id_of, city_name,
                    decide, first_missing_slot, today)
from .guard import GuardedAction, GuardedFormValidationAction
from .understanding import OTHER, understand

logger = logging.getLogger(__name__)

FORM = "eligibility_form"
REQUESTED_SLOT = "requested_slot"
# Intents whose text is taken as an answer inside the interview. Any other
# intent (a question, a greeting, 转人工) is left to the rules, which answer
# it and resume the interview; unless the NLU was unsure and the text
# answers the question after all.
ANSWER_INTENTS = {"inform", "affirm", "deny", "nlu_fallback", "ask_eligibility"}
UNSURE_BELOW = 0.7


def slot_values(tracker: Tracker) -> dict[str, Any]:
    return {name: tracker.get_slot(name) for name in FACT_SLOTS}


def payload(intent: str, entities: Optional[dict[str, Any]] = None) -> str:
    """A button payload, compact (Telegram's callback_data is at most 64 bytes)."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}" + json.dumps(entities, ensure_ascii=False, separators=(",", ":"))


def button(title: str, intent: str, entities: Optional[dict[str, Any]] = None) -> dict[str, str]:
    return {"title": title, "payload": payload(intent, entities)}


def duration_buttons() -> list[dict[str, str]]:
    return [button(title, "inform", {"duration": months}) for title, months in texts.DURATIONS]


def city_buttons() -> list[dict[str, str]]:
    return [button(city_name(city), "inform", {"city": city}) for city in all_city_ids()]


def turn_kind(tracker: Tracker, form: str = FORM) -> str:
    """Why the form runs: 'answer' (a new user message), 'activation' or 'resume'.

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


def previous_question(tracker: Tracker, requested: Optional[str]) -> Optional[str]:
    """The slot asked before the current one (the last one asked, after the form ended)."""
    asked = [e.get("value") for e in tracker.events
             if e.get("event") == "slot" and e.get("name") == REQUESTED_SLOT and e.get("value")]
    for value in reversed(asked):
        if value != requested:
            return value
    return None


class ValidateEligibilityForm(GuardedFormValidationAction):
    """Fills every fact a user turn gives and requests the engine's first missing one."""

    def name(self) -> str:
        return "validate_eligibility_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        decision, _ = decide(slot_values(tracker), today())
        slot = first_missing_slot(decision)
        return [slot] if slot else []

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        as_of = today()
        slots = slot_values(tracker)
        kind = turn_kind(tracker, self.form_name())
        requested = tracker.get_slot(REQUESTED_SLOT) if kind == "answer" else None
        events: list[EventType] = []
        changed: dict[str, Any] = {}

        if kind in ("answer", "activation"):
            message = tracker.latest_message or {}
            intent = (message.get("intent") or {}).get("name")
            confidence = (message.get("intent") or {}).get("confidence") or 0.0
            understood = understand(message, requested, slots.get("city"), as_of,
                                    previous_question(tracker, requested))
            answers = intent in ANSWER_INTENTS or (
                confidence < UNSURE_BELOW and requested is not None and requested in understood.slots)
            if kind == "answer" and not answers:
                # Not an answer: return nothing, so the form rejects and the
                # rules answer the question; the form then asks again.
                return []
            changed = self._merge(slots, understood.slots)
            if any(slots.get(name) is not None and name != "never_registered" for name in changed):
                dispatcher.utter_message(text=texts.CORRECTED)
            if kind == "answer" and not changed and requested:
                dispatcher.utter_message(text=understood.hint or texts.NOT_UNDERSTOOD)
                # A slot event keeps the form from rejecting: it asks again.
                events.append(SlotSet(requested, None))

        merged = {**slots, **changed}
        decision, dropped = decide(merged, as_of)
        for name in dropped:
            changed[name] = None
        if tracker.get_slot("awaiting_city"):
            events += [SlotSet("awaiting_city", False), SlotSet("pending_topic", None)]
        events += [SlotSet(name, value) for name, value in changed.items()]
        next_slot = first_missing_slot(decision)
        logger.debug("interview: changed=%s next=%s", sorted(changed), next_slot)
        return events + [SlotSet(REQUESTED_SLOT, next_slot)]

    @staticmethod
    def _merge(slots: dict[str, Any], found: dict[str, Any]) -> dict[str, Any]:
        """The slot changes a turn brings; a new city clears the old city's places."""
        changed = {name: value for name, value in found.items()
                   if name in FACT_SLOTS and (value != slots.get(name) or name == "never_registered")}
        new_city = changed.get("city")
        if new_city and slots.get("city") and new_city != slots["city"]:
            for name in CITY_BOUND_SLOTS:
                if name not in changed and slots.get(name) is not None:
                    changed[name] = None
        return changed


class ActionAskFact(GuardedAction):
    """Asks for one slot: the engine's question for its fact, buttons for closed answers."""

    @property
    @abstractmethod
    def slot(self) -> str:
        """The slot this action asks for (a class attribute in the subclasses)."""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        city = city_id_of(tracker.get_slot("city"))
        text, buttons = question(self.slot, city, slot_values(tracker))
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


def question(slot: str, city: Optional[str], slots: dict[str, Any]) -> tuple[str, list[dict[str, str]]]:
    """(question text, buttons) for a slot."""
    if slot == "city" or city is None:
        names = "、".join(city_name(c) for c in all_city_ids())
        return texts.ASK_CITY.format(cities=names), city_buttons()
    fact = FACT_OF_SLOT[slot]
    buttons: list[dict[str, str]] = []
    text = question_for(fact, city)
    this = load_city(city)
    if slot == "hukou_city":
        province = slots.get("hukou_province")
        if province and this.is_this_province(province):
            text = texts.ASK_HUKOU_CITY_IN_PROVINCE.format(province=this.province)
        buttons = [button(texts.HUKOU_LOCAL.format(city=this.name), "inform", {"city": city}),
                   button(texts.HUKOU_OTHER_CITY, "inform", {"city": OTHER}),
                   button(texts.HUKOU_OTHER_PROVINCE, "inform", {"province": OTHER})]
    elif slot in ("hukou_county", "residence_county"):
        buttons = [button(county.name, "inform", {"county": county.name}) for county in this.counties]
    elif slot == "lived_months":
        buttons = [button(texts.JUST_ARRIVED, "inform", {"duration": 0})] + duration_buttons()
    elif slot == "registered_months":
        buttons = [button(texts.NEVER_REGISTERED, "deny")] + duration_buttons()
    elif slot == "supplementary_proof_months":
        buttons = [button(texts.NONE_PROOF, "deny")] + duration_buttons()
    elif fact in labels.CHOICES:
        for code, label in labels.CHOICES[fact]:
            if isinstance(code, bool):
                buttons.append(button(label, "affirm" if code else "deny"))
            else:
                buttons.append(button(label, "inform", {fact: code}))
    return text, buttons


# One ask action per slot the engine may request.
ASKED_SLOTS = ("city", "hukou_city", "hukou_county", "hukou_township", "residence_county",
               "residence_township", "lived_months", "registered_months", "supplementary_proof_months",
               "housing", "employment", "study", "age", "disabled", "mobility_impaired")
ASK_ACTIONS = {
    slot: type(f"ActionAsk_{slot}", (ActionAskFact,), {"slot": slot, "__module__": __name__})
    for slot in ASKED_SLOTS
}


def next_step_buttons(verdict: str) -> list[dict[str, str]]:
    if verdict in ("eligible", "eligible_after_review", "not_yet_eligible"):
        return [button(texts.NEXT_BOOK, "book_appointment"), button(texts.NEXT_BENEFITS, "ask_benefits"),
                button(texts.NEXT_OTHER, "greet")]
    if verdict == "not_eligible":
        return [button(texts.TOPIC_TITLES["ask_registration"], "ask_registration"),
                button(texts.TOPIC_TITLES["request_human"], "request_human"), button(texts.NEXT_OTHER, "greet")]
    return [button(texts.TOPIC_TITLES["request_human"], "request_human"), button(texts.NEXT_OTHER, "greet")]


class ActionAssess(GuardedAction):
    """The verdict: the engine's decision rendered, with the next steps as buttons."""

    def name(self) -> str:
        return "action_assess"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        decision, dropped = decide(slot_values(tracker), today())
        events: list[EventType] = [SlotSet(name, None) for name in dropped]
        if decision is None:
            text, buttons = question("city", None, {})
            dispatcher.utter_message(text=text, buttons=buttons)
            return events
        dispatcher.utter_message(text=render_decision(decision), buttons=next_step_buttons(decision["verdict"]))
        logger.info("verdict city=%s verdict=%s", decision["city"], decision["verdict"])
        return events + [SlotSet("decision", decision)]
