"""What a conversation remembers, as named values <-> the interview's state (eligibility.State).

One value per fact (a Rasa slot in ``actions/``); the dotted fact names of
the engine's ``missing`` list (``hukou.county``) become value names
(``hukou_county``). "Never registered" (``registered_months: null``) is the
``never_registered`` flag. What the interview remembers beyond the facts (the
question asked, failed answers, skipped questions, the last reply, the last
message it read) is one value, ``interview``.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Mapping, Optional

from bot.platform.clock import today

from . import stations
from .conversation import Conversation, is_payload
from .eligibility import Interview, State, decide as decide_facts
from .eligibility.facts import city_id_of

logger = logging.getLogger(__name__)

# fact name (as in decision["missing"]) -> slot name
SLOT_OF_FACT = {
    "hukou.province": "hukou_province",
    "hukou.city": "hukou_city",
    "hukou.county": "hukou_county",
    "hukou.township": "hukou_township",
    "residence.county": "residence_county",
    "residence.township": "residence_township",
    "lived_months": "lived_months",
    "registered_months": "registered_months",
    "supplementary_proof_months": "supplementary_proof_months",
    "housing": "housing",
    "employment": "employment",
    "study": "study",
    "age": "age",
    "disabled": "disabled",
    "mobility_impaired": "mobility_impaired",
    "by_proxy": "by_proxy",
    "nationality": "nationality",
    "agent": "agent",
}
FACT_OF_SLOT = {slot: fact for fact, slot in SLOT_OF_FACT.items()}
FACT_OF_SLOT["readback"] = "readback"  # the read-back before a verdict: a question, not a fact
INT_SLOTS = ("lived_months", "registered_months", "supplementary_proof_months", "age")
BOOL_SLOTS = ("disabled", "mobility_impaired", "by_proxy", "never_registered")
# Every slot the interview fills, in the order of the domain's form.
FACT_SLOTS = ("city", "nationality", "hukou_province", "hukou_city", "hukou_county", "hukou_township",
              "residence_county", "residence_township", "lived_months", "registered_months",
              "never_registered", "supplementary_proof_months", "housing", "employment", "study", "age",
              "disabled", "mobility_impaired", "by_proxy", "agent")
MEMO = "interview"  # the interview's own memory (see the module's docstring)


def _as_int(value: Any) -> Optional[int]:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def slot_of(fact: Optional[str]) -> Optional[str]:
    """The slot asking for ``fact`` ("city" is its own slot)."""
    if fact is None:
        return None
    return "city" if fact == "city" else SLOT_OF_FACT.get(fact, fact.replace(".", "_"))


def facts_from_slots(slots: Mapping[str, Any], as_of: Optional[dt.date] = None) -> dict[str, Any]:
    """The facts object for the slots (with ``as_of`` only when given)."""
    facts: dict[str, Any] = {}
    city = city_id_of(slots.get("city"))
    if city:
        facts["city"] = city
    if as_of:
        facts["as_of"] = as_of.isoformat()
    for group in ("hukou", "residence"):
        values = {fact.split(".", 1)[1]: slots.get(slot) for fact, slot in SLOT_OF_FACT.items()
                  if fact.startswith(group + ".") and slots.get(slot)}
        if values:
            facts[group] = values
    for slot in INT_SLOTS:
        value = _as_int(slots.get(slot))
        if value is not None:
            facts[slot] = value
    if slots.get("never_registered") and facts.get("registered_months") is None:
        facts["registered_months"] = None
    for slot in ("nationality", "employment", "housing", "study", "agent"):
        if slots.get(slot):
            facts[slot] = slots[slot]
    for slot in ("disabled", "mobility_impaired", "by_proxy"):
        if slots.get(slot) is not None:
            facts[slot] = bool(slots[slot])
    return facts


def slots_from_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """Every fact slot's value for a facts object (None for what it does not say)."""
    slots: dict[str, Any] = {name: None for name in FACT_SLOTS}
    slots["city"] = city_id_of(facts.get("city"))
    for fact, slot in SLOT_OF_FACT.items():
        if "." in fact:
            group, key = fact.split(".", 1)
            slots[slot] = (facts.get(group) or {}).get(key) or None
        elif fact != "registered_months":
            slots[slot] = facts.get(fact)
    if "registered_months" in facts:
        slots["registered_months"] = facts["registered_months"]
        slots["never_registered"] = facts["registered_months"] is None
    return slots


def fact_values(conversation: Conversation) -> dict[str, Any]:
    return {name: conversation.slot(name) for name in FACT_SLOTS}


def memo_of(conversation: Conversation) -> dict[str, Any]:
    memo = conversation.slot(MEMO)
    return memo if isinstance(memo, dict) else {}


def state_of(conversation: Conversation) -> State:
    """The interview's state from what the conversation remembers."""
    memo = memo_of(conversation)
    state = State.from_dict(memo)
    state.facts = facts_from_slots(fact_values(conversation))
    if "asked" not in memo and conversation.form == "eligibility_form":
        # No memory yet (a conversation older than it): the form's requested value.
        requested = conversation.slot("requested_slot")
        state.asked = fact_of(requested)
        state.previous = fact_of(_asked_before(conversation, requested))
    return state


def fact_of(slot: Optional[str]) -> Optional[str]:
    if not slot:
        return None
    return "city" if slot == "city" else FACT_OF_SLOT.get(slot)


def _asked_before(conversation: Conversation, requested: Optional[str]) -> Optional[str]:
    """The value the form asked before the current one."""
    asked = [e.get("value") for e in conversation.events
             if e.get("event") == "slot" and e.get("name") == "requested_slot" and e.get("value")]
    for value in reversed(asked):
        if value != requested:
            return value
    return None


def state_values(conversation: Conversation, state: State, seen: Optional[int] = None,
                 memo_always: bool = False, memo: bool = True) -> dict[str, Any]:
    """The values that bring the conversation to ``state`` (the facts that changed, and the
    memo when it changed or ``memo_always``: a form's validator must set a value)."""
    before = fact_values(conversation)
    values = {name: value for name, value in slots_from_facts(state.facts).items()
              if _differs(before.get(name), value)}
    if not memo:
        return values
    after_memo = {key: value for key, value in state.to_dict().items() if key != "facts"}
    old = memo_of(conversation)
    after_memo["seen"] = seen if seen is not None else old.get("seen")
    before_memo = {key: value for key, value in State.from_dict(old).to_dict().items() if key != "facts"}
    before_memo["seen"] = old.get("seen")
    if memo_always or after_memo != before_memo:
        values[MEMO] = after_memo
    return values


def _differs(old: Any, new: Any) -> bool:
    if isinstance(old, (int, float)) and not isinstance(old, bool) and isinstance(new, (int, float)) \
            and not isinstance(new, bool):
        return float(old) != float(new)
    return old != new


def driver() -> Interview:
    """The driver, with the station list for "几点下班" when the store is there."""
    return Interview(as_of=today(), stations=lambda city, county=None: stations.stations_of(city, county))


def decide(slots: Mapping[str, Any], as_of: Optional[dt.date] = None) -> tuple[Optional[dict[str, Any]], list[str]]:
    """(decision, slots dropped as invalid) for the slots; (None, []) without a city."""
    decision, dropped = decide_facts(facts_from_slots(slots), as_of or today())
    return decision, [slot_of(name) or name for name in dropped]


def city_in_message(message: Mapping[str, Any]) -> Optional[str]:
    """A city named in the message: a button's city, or a city or county where the
    applicant lives named in the text (not the 户口's: the parser tells them apart)."""
    text = message.get("text") or ""
    if is_payload(text):
        for entity in message.get("entities") or ():
            if entity.get("entity") in ("city", "county"):
                city = city_id_of(str(entity.get("value")))
                if city:
                    return city
        return None
    if not text.strip():
        return None
    try:
        return city_id_of(driver().read_facts(text).get("city"))
    except Exception:  # the parser must never silence the answer
        logger.exception("reading the city of a question failed")
        return None
