"""What to bring: the checklist of a decision, of a family visit, or the city's general list.

Used by the answer to "要带什么" and by a booking's confirmation; every line
carries its article (the rules' renderer writes the general list).
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Optional

from bot.dialogue.booking import texts as T
from bot.rules import load_city, render_topic

from .eligibility.family import family_checklists

logger = logging.getLogger(__name__)

MY_MATERIALS = "根据您刚才说的情况，{city}办理居住证需要带："


def personal_materials(decision: Optional[dict[str, Any]]) -> Optional[str]:
    """The checklist of an earlier decision, if it has one."""
    if not decision or not decision.get("materials"):
        return None
    lines = [MY_MATERIALS.format(city=load_city(decision["city"]).name)]
    lines += [f"□ {item['text']}（{'、'.join(item['articles'])}）" for item in decision["materials"]]
    return "\n".join(lines)


def checklist_for(decision: Optional[dict[str, Any]], city: str, today: dt.date) -> str:
    """The personal checklist of the last decision for that city, else the city's general list."""
    personal = personal_materials(decision) if decision and decision.get("city") == city else None
    if personal:
        return personal
    try:
        return render_topic(city, "materials", today)
    except Exception:  # never leave the confirmation without a line on what to bring
        logger.exception("materials of %s", city)
        return T.NO_CHECKLIST_FALLBACK


def family_checklist(facts: dict[str, Any], members: list[Any], city: str, decision: Optional[dict[str, Any]],
                     today: dt.date) -> str:
    """A booking's confirmation: one checklist per person of a family visit (each from its own
    decision), else the booker's."""
    if not members:
        return checklist_for(decision, city, today)
    if facts.get("city") != city:
        facts = {"city": city}
    try:
        return "\n".join(family_checklists(facts, members, today))
    except Exception:  # never leave the confirmation without a line on what to bring
        logger.exception("family checklists of %s", city)
        return checklist_for(decision, city, today)
