"""Chinese answers -> fact values (CONTRACT.md section 3).

Shared by the interview CLI, the Rasa custom actions and the staff page.
jionlp is imported lazily and silently (its import prints on stdout).
"""
from .answers import (Answer, ExtractedFacts, NotUnderstood, extract_facts, parse_answer, parse_registered,
                      read_answer)
from .choices import (Reading, parse_employment, parse_housing, parse_nationality, parse_study, parse_yes_no,
                      read_by_proxy, read_disabled, read_employment, read_housing, read_mobility_impaired,
                      read_nationality, read_study)
from .durations import parse_age, parse_months
from .numbers import bind_durations, find_age
from .places import OTHER_CITY_IN_PROVINCE, OUTSIDE_CITY, OUTSIDE_PROVINCE, normalise_city, parse_place, read_hukou

__all__ = [
    "Answer",
    "ExtractedFacts",
    "NotUnderstood",
    "OTHER_CITY_IN_PROVINCE",
    "OUTSIDE_CITY",
    "OUTSIDE_PROVINCE",
    "Reading",
    "bind_durations",
    "extract_facts",
    "find_age",
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
    "read_answer",
    "read_by_proxy",
    "read_disabled",
    "read_employment",
    "read_hukou",
    "read_housing",
    "read_mobility_impaired",
    "read_nationality",
    "read_study",
]
