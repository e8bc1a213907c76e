"""Chinese answers -> fact values (CONTRACT.md section 3).

Shared by the interview CLI, the Rasa custom actions and the staff page.
jionlp is imported lazily and silently (its import prints on stdout).
"""
from .answers import NotUnderstood, extract_facts, parse_answer
from .choices import parse_employment, parse_housing, parse_nationality, parse_study, parse_yes_no
from .durations import parse_age, parse_months, parse_registered
from .places import normalise_city, parse_place

__all__ = [
    "NotUnderstood",
    "extract_facts",
    "normalise_city",
    "parse_age",
    "parse_answer",
    "parse_employment",
    "parse_housing",
    "parse_months",
    "parse_nationality",
    "parse_place",
    "parse_registered",
    "parse_study",
    "parse_yes_no",
]
