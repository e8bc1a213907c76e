"""Slots <-> the facts object of CONTRACT.md section 3, and the decision.

One slot per fact; the dotted fact names of the engine's ``missing`` list
(``hukou.county``) become slot names (``hukou_county``). "Never registered"
(``registered_months: null``) is the ``never_registered`` flag.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Optional

from bot.rules import FactsError, assess_dict, parse_facts
from bot.rules.policy import city_ids, find_city, find_county, load_city
from bot.clock import today

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
}
FACT_OF_SLOT = {slot: fact for fact, slot in SLOT_OF_FACT.items()}
INT_SLOTS = ("lived_months", "registered_months", "supplementary_proof_months", "age")
BOOL_SLOTS = ("disabled", "mobility_impaired", "by_proxy", "never_registered")
# Every slot the interview fills, in the order of the domain's form.
FACT_SLOTS = ("city", "nationality", "hukou_province", "hukou_city", "hukou_county", "hukou_township",
              "residence_county", "residence_township", "lived_months", "registered_months",
              "never_registered", "supplementary_proof_months", "housing", "employment", "study", "age",
              "disabled", "mobility_impaired", "by_proxy")
# Slots that only make sense for one city (cleared when the city changes).
CITY_BOUND_SLOTS = ("residence_county", "residence_township")




def city_id_of(value: Any) -> Optional[str]:
    """A city id from an id, a Chinese city name or a county name; None if unknown."""
    if not isinstance(value, str) or not value.strip():
        return None
    city = find_city(value.strip())
    if city:
        return city.id
    found = find_county(value.strip())
    return found[0].id if found else None


def city_name(city_id: str) -> str:
    return load_city(city_id).name


def all_city_ids() -> list[str]:
    return city_ids()


def _as_int(value: Any) -> Optional[int]:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def facts_from_slots(slots: dict[str, Any], as_of: Optional[dt.date] = None) -> Optional[dict[str, Any]]:
    """The facts object for the slots; None while the city is unknown."""
    city = city_id_of(slots.get("city"))
    if city is None:
        return None
    facts: dict[str, Any] = {"city": city, "as_of": (as_of or today()).isoformat()}
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
    for slot in ("nationality", "employment", "housing", "study"):
        if slots.get(slot):
            facts[slot] = slots[slot]
    for slot in ("disabled", "mobility_impaired", "by_proxy"):
        if slots.get(slot) is not None:
            facts[slot] = bool(slots[slot])
    return facts


def slots_from_facts(found: dict[str, Any]) -> dict[str, Any]:
    """Slot values for a partial facts dict (from the parser or a payload)."""
    slots: dict[str, Any] = {}
    for key, value in found.items():
        if key in ("hukou", "residence") and isinstance(value, dict):
            for sub, sub_value in value.items():
                slot = SLOT_OF_FACT.get(f"{key}.{sub}")
                if slot and sub_value:
                    slots[slot] = sub_value
        elif key == "city":
            city = city_id_of(value)
            if city:
                slots["city"] = city
        elif key == "registered_months":
            if value is None:
                slots["registered_months"], slots["never_registered"] = None, True
            else:
                slots["registered_months"], slots["never_registered"] = value, False
        elif key in SLOT_OF_FACT:
            slots[SLOT_OF_FACT[key]] = value
    return slots


def slot_of_field(field_name: str) -> list[str]:
    """The slots behind a FactsError field (``hukou.county`` -> hukou_county)."""
    if field_name in SLOT_OF_FACT:
        return [SLOT_OF_FACT[field_name]]
    if field_name in ("hukou", "residence"):
        return [slot for fact, slot in SLOT_OF_FACT.items() if fact.startswith(field_name + ".")]
    if field_name.startswith(("hukou.", "residence.")):
        return [SLOT_OF_FACT.get(field_name, field_name.replace(".", "_"))]
    if field_name == "city":
        return ["city"]
    return [field_name] if field_name in FACT_SLOTS else []


def decide(slots: dict[str, Any], as_of: Optional[dt.date] = None) -> tuple[Optional[dict[str, Any]], list[str]]:
    """(decision, slots dropped as invalid) for the slots; (None, []) without a city.

    A value the engine refuses (a county of another city after the city
    changed, say) is dropped and the decision made without it, so the
    interview asks for it again instead of failing.
    """
    slots = dict(slots)
    dropped: list[str] = []
    for _ in range(len(FACT_SLOTS) + 1):
        facts = facts_from_slots(slots, as_of)
        if facts is None:
            return None, dropped
        try:
            return assess_dict(facts), dropped
        except FactsError as error:
            names = [name for name in slot_of_field(error.field) if slots.get(name) is not None]
            if not names:
                logger.error("facts refused and no slot to drop: %s", error)
                return None, dropped
            logger.info("dropping %s: %s", names, error)
            for name in names:
                slots[name] = None
                dropped.append(name)
    return None, dropped


def valid_slot_values(slots: dict[str, Any], candidates: dict[str, Any],
                      as_of: Optional[dt.date] = None) -> tuple[dict[str, Any], list[str]]:
    """The candidates that the engine accepts on top of ``slots``, and the refused ones."""
    merged = {**slots, **candidates}
    refused: list[str] = []
    for _ in range(len(candidates) + 1):
        facts = facts_from_slots(merged, as_of)
        if facts is None:
            break
        try:
            parse_facts(facts)
            break
        except FactsError as error:
            names = [name for name in slot_of_field(error.field) if name in candidates and name not in refused]
            if not names:
                break
            for name in names:
                refused.append(name)
                merged[name] = slots.get(name)
    return {k: v for k, v in candidates.items() if k not in refused}, refused


def first_missing_slot(decision: Optional[dict[str, Any]]) -> Optional[str]:
    """The slot of the engine's most useful missing fact; 'city' without a decision."""
    if decision is None:
        return "city"
    if decision["verdict"] != "undetermined":
        return None
    for fact in decision["missing"]:
        if fact in SLOT_OF_FACT:
            return SLOT_OF_FACT[fact]
        logger.error("the engine asks for %r, which no slot holds", fact)
    return None
