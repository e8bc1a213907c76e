"""The law: each city's regulation as data, one engine, one renderer.

Knows nothing of Rasa, databases or HTTP.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from .engine import evaluate
from .facts import Facts, FactsError, parse_facts
from .policy import city_ids, find_city, load_city
from .render import question_for, render_decision, render_topic
from .wording import in_words


def assess(facts: Facts) -> dict[str, Any]:
    """Facts -> CONTRACT §3's decision: the engine's findings, said by the wording catalogue."""
    return in_words(evaluate(facts))


def assess_dict(raw: Any, today: Optional[dt.date] = None) -> dict[str, Any]:
    """Facts as a JSON-like dict -> decision dict. Raises FactsError on bad input."""
    return assess(parse_facts(raw, today=today))


__all__ = ["assess", "evaluate", "assess_dict", "Facts", "FactsError", "parse_facts", "city_ids", "find_city",
           "load_city", "question_for", "render_decision", "render_topic"]
