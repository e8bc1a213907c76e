"""One visit for a family: each applicant's own decision and checklist.

The booking (bot/appointments) knows only how many come and how they are
related; what each must bring is the law's, so it is asked here of the
rules engine, one decision per person, and rendered by bot/rules/render.

A family that moved together shares where and how long it has lived and
how it is housed; each member adds what is theirs: age, schooling, whether
someone else applies for them (a child under the proxy age; a parent who
said 行动不便), and no job for a child.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Iterable, Optional

from bot.rules import assess_dict
from bot.rules.render import render_person_checklist

log = logging.getLogger(__name__)

# Facts of the booker that hold for the whole family (CONTRACT.md section 3).
SHARED_FACTS = ("city", "as_of", "nationality", "hukou", "residence", "lived_months", "registered_months",
                "supplementary_proof_months", "housing")
RELATION_TITLES = {"spouse": "配偶", "child": "孩子", "parent": "父母", "other": "家人"}


def member_title(member: dict[str, Any], index: int, same: int) -> str:
    """孩子1（8岁）, 配偶, 父母（65岁）: how the confirmation names a member."""
    title = RELATION_TITLES.get(member.get("relation"), "家人")
    if same > 1:
        title += str(index)
    if member.get("age") is not None:
        title += f"（{member['age']}岁）"
    return title


def member_facts(shared: dict[str, Any], member: dict[str, Any], proxy_under: int = 16) -> dict[str, Any]:
    facts = {key: shared[key] for key in SHARED_FACTS if shared.get(key) is not None}
    age = member.get("age")
    if age is not None:
        facts["age"] = int(age)
    relation = member.get("relation")
    if member.get("study"):
        facts["study"] = "full_time"
    if relation == "child":
        facts["by_proxy"] = True  # the parent books and applies for the child
        if age is not None and age >= proxy_under:
            facts["by_proxy"] = False
        if age is not None and age < proxy_under:
            facts["employment"] = "none"
    elif relation == "parent" and member.get("mobility_impaired"):
        facts.update(by_proxy=True, mobility_impaired=True)
    return facts


# Said about a person: in a family's message ("我和两个孩子…8岁…都在上学") they are the members'.
PERSONAL_FACTS = ("age", "by_proxy", "mobility_impaired", "disabled")


def booker_facts(facts: dict[str, Any], members: list[dict[str, Any]]) -> dict[str, Any]:
    """The booker's own facts: without the ones the family's words gave about its members."""
    if not members:
        return dict(facts)
    own = {key: value for key, value in facts.items() if key not in PERSONAL_FACTS}
    if any(member.get("study") for member in members):
        own.pop("study", None)
    return own


def family_checklists(facts: dict[str, Any], members: Iterable[dict[str, Any]],
                      today: Optional[dt.date] = None) -> list[str]:
    """The booker's checklist, then each member's, each from its own decision.

    ``facts``: the booker's facts (the contract's shape, ``city`` required).
    """
    from bot.rules import load_city

    members = list(members)
    proxy_under = int(load_city(facts["city"])["proxy"]["minor_under_age"])
    own = assess_dict(booker_facts(facts, members), today)
    said = list(own.get("warnings") or ())
    result = [render_person_checklist("您本人", own)]
    counts: dict[str, int] = {}
    totals = {relation: sum(1 for m in members if m.get("relation") == relation) for relation in RELATION_TITLES}
    for member in members:
        relation = member.get("relation", "other")
        counts[relation] = counts.get(relation, 0) + 1
        decision = assess_dict(member_facts(facts, member, proxy_under), today)
        result.append(render_person_checklist(member_title(member, counts[relation], totals.get(relation, 1)),
                                              decision, tuple(said)))
        said += [warning for warning in decision.get("warnings") or () if warning not in said]
    return result
