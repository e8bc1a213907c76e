"""Chinese answers -> fact values (CONTRACT.md section 3).

Shared by the interview CLI, the Rasa custom actions and the staff page.
jionlp is imported lazily and silently (its import prints on stdout).

Modules:
- ``negation``: is a cue word affirmed, denied or left open in its clause.
- ``choices``: housing, employment, study, nationality, disability, mobility,
  proxy, yes/no; what a denial of each means (from the regulations).
- ``durations``: durations, start dates and ages, with approximate flags.
- ``numbers``: each number bound to the cue of its own clause, or unbound.
- ``places``: provinces, cities, the served counties; 户口 said vaguely
  (外地, 省外, 不是这边的 -> OUTSIDE_CITY / OUTSIDE_PROVINCE).
- ``answers``: ``parse_answer`` / ``read_answer`` for one question,
  ``extract_facts`` for a free sentence (an ``ExtractedFacts`` dict whose
  attributes ``approximate``, ``unbound``, ``denied``, ``assumed`` carry what
  the facts alone cannot say).
"""
from .answers import (Answer, ExtractedFacts, NotUnderstood, extract_facts, parse_answer, parse_registered,
                      read_answer)
from .choices import (Reading, parse_employment, parse_housing, parse_nationality, parse_study, parse_yes_no,
                      read_by_proxy, read_disabled, read_employment, read_housing, read_mobility_impaired,
                      read_nationality, read_study)
from .contact import Contact, normalise_code, normalise_phone, read_code, read_contact, read_name, read_phone
from .durations import parse_months
from .numbers import parse_age
from .numbers import bind_durations, find_age
from .places import OTHER_CITY_IN_PROVINCE, OUTSIDE_CITY, OUTSIDE_PROVINCE, normalise_city, parse_place, read_hukou

def warm_up() -> None:
    """Build the tables a first message would otherwise wait for (place names and their
    pinyin, the world's countries, OpenCC, jionlp's time parser): about two seconds,
    spent when a server starts rather than on a person's first long message."""
    import datetime as dt

    from .choices import _countries
    from .spoken import _latin_places, _place_words, written

    _place_words(), _latin_places(), _countries()
    extract_facts(written("戶口Henan周口 2025年3月来的聊城东阿县 租房 居住登记办了一年"), None, dt.date(2026, 1, 1))


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
    "warm_up",
]
