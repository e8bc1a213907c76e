"""What one user turn says about the facts: button payloads and free text.

Free text goes through the shared parser (``bot.parsing``): ``extract_facts``
for everything the sentence says (unprompted facts, corrections), then
``parse_answer`` for the fact that was asked when the sentence alone did not
give it. A button payload (``/inform{"housing":"rented"}``, ``/affirm``)
carries its value in entities; a value whose meaning depends on the question
(a county, a duration, yes/no) is read for the requested slot.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from bot.rules.facts import EMPLOYMENTS, HOUSINGS, NATIONALITIES, STUDIES

from . import texts
from .facts import FACT_OF_SLOT, INT_SLOTS, city_id_of, city_name, slots_from_facts

logger = logging.getLogger(__name__)

YES_NO_SLOTS = ("disabled", "mobility_impaired", "by_proxy")
CODED = {"housing": HOUSINGS, "employment": EMPLOYMENTS, "study": STUDIES, "nationality": NATIONALITIES}
# Place buttons carry short codes (Telegram's callback_data is 64 bytes):
# {"city":"other"} under the hukou question is "another city of this
# province", {"province":"other"} "another province".
OTHER = "other"


@dataclass
class Understood:
    slots: dict[str, Any] = field(default_factory=dict)
    hint: Optional[str] = None  # the parser's Chinese explanation when the answer was not understood


def is_payload(text: Optional[str]) -> bool:
    return bool(text) and text.startswith("/")


def _entity_values(message: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for entity in message.get("entities") or ():
        if entity.get("entity") and entity.get("value") is not None:
            values.setdefault(entity["entity"], entity["value"])
    return values


def _int(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def from_payload(message: dict[str, Any], requested: Optional[str]) -> Understood:
    """Slots from a button payload such as /inform{"county":"东昌府区"} or /deny."""
    intent = (message.get("intent") or {}).get("name")
    entities = _entity_values(message)
    slots: dict[str, Any] = {}
    if intent in ("affirm", "deny"):
        yes = intent == "affirm"
        if requested in YES_NO_SLOTS:
            slots[requested] = yes
        elif requested == "study":
            slots["study"] = "full_time" if yes else "none"
        elif requested == "registered_months" and not yes:
            slots.update(registered_months=None, never_registered=True)
        elif requested == "supplementary_proof_months" and not yes:
            slots["supplementary_proof_months"] = 0
    for name, codes in CODED.items():
        if entities.get(name) in codes:
            slots[name] = entities[name]
    if "city" in entities:
        value = entities["city"]
        if requested == "hukou_city":
            city = city_id_of(value)
            slots["hukou_city"] = (texts.HUKOU_OTHER_CITY_VALUE if value == OTHER
                                   else city_name(city) if city else value)
        else:
            city = city_id_of(value)
            if city:
                slots["city"] = city
    if "province" in entities:
        value = entities["province"]
        slots["hukou_province"] = texts.HUKOU_OTHER_PROVINCE_VALUE if value == OTHER else value
    for place in ("county", "township"):
        if place in entities:
            target = f"hukou_{place}" if requested == f"hukou_{place}" else f"residence_{place}"
            slots[target] = entities[place]
    if "duration" in entities and requested in INT_SLOTS:
        months = _int(entities["duration"])
        if months is not None:
            slots[requested] = months
            if requested == "registered_months":
                slots["never_registered"] = False
    if "age" in entities and _int(entities["age"]) is not None:
        slots["age"] = _int(entities["age"])
    return Understood(slots=slots)


# A duration said without saying what it measures ("八个月") answers the
# question asked, or, in a correction ("不对，是九个月"), the previous one.
DURATION_SLOTS = ("lived_months", "registered_months", "supplementary_proof_months")
_CORRECTION = re.compile(r"^(?:不对|不是|错了|说错|搞错|弄错|更正|纠正|改一下|改成|应该是|其实是|我是说)")
_CUES = {"lived_months": re.compile(r"住|来|到|待|呆|搬"), "registered_months": re.compile(r"登记|暂住证"),
         "supplementary_proof_months": re.compile(r"证明|执照|个税|社保|五险|学籍|合同")}


def _durations(slots: dict[str, Any]) -> dict[str, Any]:
    found = {name: slots[name] for name in DURATION_SLOTS if name in slots}
    if slots.get("never_registered"):
        found["registered_months"] = None
    return found


def _set_duration(slots: dict[str, Any], name: str, value: Any) -> None:
    slots[name] = value
    if name == "registered_months":
        slots["never_registered"] = value is None


def from_text(text: str, requested: Optional[str], city_id: Optional[str], today: dt.date,
              previous: Optional[str] = None) -> Understood:
    """Slots from free text: every fact the sentence gives, then the asked one.

    ``previous`` is the slot asked before ``requested``: a correction of a
    bare duration goes there.
    """
    from bot.parsing import NotUnderstood, extract_facts, normalise_city, parse_answer

    slots = slots_from_facts(_safe(extract_facts, text, city_id, today) or {})
    durations = _durations(slots)
    bare = [name for name in durations if not _CUES[name].search(text)]
    if _CORRECTION.search(text.strip()) and previous in DURATION_SLOTS and len(durations) == 1 and bare:
        if bare[0] != previous:
            value = durations[bare[0]]
            slots.pop(bare[0], None)
            slots.pop("never_registered", None)
            _set_duration(slots, previous, value)
        return Understood(slots=slots)
    if requested == "city" and not slots.get("city"):
        city = _safe(normalise_city, text)
        if city:
            slots["city"] = city
    if requested is None or requested in durations or requested in slots:
        return Understood(slots=slots)
    if requested == "city":
        cities = "、".join(_city_names())
        return Understood(slots=slots, hint=texts.CITY_NOT_SERVED.format(cities=cities))
    fact = FACT_OF_SLOT.get(requested)
    city_for_parse = slots.get("city") or city_id
    if fact is None:
        return Understood(slots=slots)
    if requested in DURATION_SLOTS and len(durations) == 1 and bare:
        # extract_facts filed a bare duration under its default; it answers the question.
        value = durations[bare[0]]
        slots.pop(bare[0], None)
        slots.pop("never_registered", None)
        _set_duration(slots, requested, value)
        return Understood(slots=slots)
    if requested in DURATION_SLOTS and durations:
        return Understood(slots=slots)  # durations said for other facts; ask again
    try:
        value = parse_answer(fact, text, city_for_parse, today)
    except NotUnderstood as error:
        return Understood(slots=slots, hint=str(error) or texts.NOT_UNDERSTOOD)
    except Exception:  # the parser must never silence the assistant
        logger.exception("parse_answer(%r) failed", fact)
        return Understood(slots=slots, hint=texts.NOT_UNDERSTOOD)
    slots.update(_answer_slots(fact, requested, value))
    return Understood(slots=slots)


def _answer_slots(fact: str, slot: str, value: Any) -> dict[str, Any]:
    if isinstance(value, dict):  # a place answer: {"province": ..., "city": ...}
        group = fact.split(".", 1)[0]
        return slots_from_facts({group: value}) if group in ("hukou", "residence") else slots_from_facts(value)
    if fact == "registered_months":
        return {"registered_months": value, "never_registered": value is None}
    return {slot: value}


def _safe(function, *args):
    try:
        return function(*args)
    except Exception as error:  # NotUnderstood or a parser bug: treat as nothing found
        if type(error).__name__ != "NotUnderstood":
            logger.exception("%s failed", getattr(function, "__name__", function))
        return None


def _city_names() -> list[str]:
    from .facts import all_city_ids, city_name

    return [city_name(city) for city in all_city_ids()]


def understand(message: dict[str, Any], requested: Optional[str], city_id: Optional[str],
               today: dt.date, previous: Optional[str] = None) -> Understood:
    text = (message.get("text") or "").strip()
    if not text:
        return Understood(hint=texts.NOT_UNDERSTOOD)
    if is_payload(text):
        return from_payload(message, requested)
    return from_text(text, requested, city_id, today, previous)
