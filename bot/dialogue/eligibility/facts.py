"""The facts object of CONTRACT.md section 3 as the interview keeps it.

The interview holds the facts as the contract writes them (``hukou`` and
``residence`` as nested dicts, ``registered_months: None`` present for
"never registered") and names single facts the way the engine's ``missing``
list does: ``hukou.city``, ``residence.county``, ``lived_months``.
"""
from __future__ import annotations

import copy
import datetime as dt
import logging
from typing import Any, Optional

from bot.rules import FactsError, assess_dict
from bot.rules.policy import city_id_of

logger = logging.getLogger(__name__)

GROUPS = ("hukou", "residence")
# Facts about the person (not the city or the address): any of them in a
# message means the person is telling their case.
PERSONAL = ("nationality", "hukou", "lived_months", "registered_months", "supplementary_proof_months",
            "housing", "employment", "study", "age", "disabled", "mobility_impaired", "by_proxy")
DURATIONS = ("lived_months", "registered_months", "supplementary_proof_months")
# Facts that only make sense for one city (cleared when the city changes).
CITY_BOUND = ("residence",)



def flatten(facts: dict[str, Any]) -> dict[str, Any]:
    """{"hukou": {"city": x}} -> {"hukou.city": x}; other keys as they are."""
    flat: dict[str, Any] = {}
    for key, value in facts.items():
        if key in GROUPS and isinstance(value, dict):
            for sub, sub_value in value.items():
                if sub_value:
                    flat[f"{key}.{sub}"] = sub_value
        else:
            flat[key] = value
    return flat


def get(facts: dict[str, Any], name: str) -> Any:
    if "." in name:
        group, key = name.split(".", 1)
        return (facts.get(group) or {}).get(key)
    return facts.get(name)


def known(facts: dict[str, Any], name: str) -> bool:
    """Whether ``name`` is known (``registered_months: None`` is: never registered)."""
    if "." in name:
        return bool(get(facts, name))
    if name == "registered_months":
        return name in facts
    return facts.get(name) is not None


def merge(facts: dict[str, Any], found: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """(new facts, what changed by dotted name, the known facts said differently).

    A 户口 said again at the province or city level replaces the old one (a
    correction: "不对，户口在河南"); a county or township adds to it. A new
    county of residence drops the old township.
    """
    new = copy.deepcopy(facts)
    changed: dict[str, Any] = {}
    corrected: list[str] = []
    for key, value in found.items():
        if key in GROUPS and isinstance(value, dict):
            value = {k: v for k, v in value.items() if v}
            if not value:
                continue
            old = dict(new.get(key) or {})
            target = {} if _replaces(key, old, value) else old
            if key == "residence" and value.get("county") and value["county"] != old.get("county"):
                target.pop("township", None)
            for sub, sub_value in value.items():
                if target.get(sub) != sub_value:
                    changed[f"{key}.{sub}"] = sub_value
                    if old.get(sub) and old[sub] != sub_value:
                        corrected.append(f"{key}.{sub}")
                target[sub] = sub_value
            for sub in old:
                if sub not in target:
                    changed[f"{key}.{sub}"] = None
            new[key] = target
            continue
        if key == "registered_months":
            if key in new and new[key] == value:
                continue
            if key in new and new[key] != value:
                corrected.append(key)
            new[key] = value
            changed[key] = value
            continue
        if value is None:
            continue
        if new.get(key) != value:
            if new.get(key) is not None:
                corrected.append(key)
            new[key] = value
            changed[key] = value
    return new, changed, corrected


def _replaces(group: str, old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether a new place replaces the old one rather than adding to it."""
    if group == "residence":
        return bool(new.get("county") and old.get("county") and new["county"] != old["county"])
    differs = any(new.get(level) and old.get(level) and new[level] != old[level] for level in ("province", "city"))
    # "外地" or "聊城市" said before, a province now: the province is the newer, finer word.
    vaguer = bool(new.get("province") and not new.get("city") and old.get("city") and not old.get("province"))
    return differs or vaguer


def change_city(facts: dict[str, Any], city: str) -> dict[str, Any]:
    """The facts with another city: its addresses belong to the old city."""
    new = {key: value for key, value in copy.deepcopy(facts).items() if key not in CITY_BOUND}
    new["city"] = city
    return new


def drop(facts: dict[str, Any], name: str) -> None:
    if "." in name:
        group, key = name.split(".", 1)
        (facts.get(group) or {}).pop(key, None)
        if group in facts and not facts[group]:
            facts.pop(group)
    elif name in GROUPS:
        facts.pop(name, None)
    else:
        facts.pop(name, None)


def decide(facts: dict[str, Any], as_of: dt.date) -> tuple[Optional[dict[str, Any]], list[str]]:
    """(decision, facts dropped as invalid); (None, []) without a city.

    A value the engine refuses (a county of another city after the city
    changed, say) is dropped and the decision made without it, so the
    interview asks for it again instead of failing.
    """
    facts = copy.deepcopy(facts)
    dropped: list[str] = []
    if not city_id_of(facts.get("city")):
        return None, dropped
    for _ in range(20):
        try:
            return assess_dict({**facts, "as_of": as_of.isoformat()}), dropped
        except FactsError as error:
            name = error.field
            if name == "city" or not (known(facts, name) or name in facts):
                logger.error("facts refused and nothing to drop: %s", error)
                return None, dropped
            logger.info("dropping %s: %s", name, error)
            drop(facts, name)
            dropped.append(name)
    return None, dropped


def personal(found: dict[str, Any]) -> bool:
    """Whether facts say something about the person (more than a city or an address)."""
    return any(key in found and (found[key] is not None or key == "registered_months") for key in PERSONAL)
