"""The facts of CONTRACT.md section 3: validation and normalisation.

``parse_facts`` turns a JSON-like dict into a ``Facts`` or raises
``FactsError`` naming the field and the accepted values (English: it is read
by developers and operators, never shown to applicants as such).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from .policy import City, city_ids, city_version, find_city, load_city
from bot.platform import clock

NATIONALITIES = ("cn", "foreign", "hk", "mo", "tw")
EMPLOYMENTS = ("labor_contract", "business_license", "public_sector", "none")
# "other": a home the article does not list (a relative's or friend's, a site shed): recorded as
# said, never forced into a category (additive to CONTRACT §3).
HOUSINGS = ("owned", "rented", "public_housing", "employer_dorm", "school_dorm", "none", "other")
STUDIES = ("full_time", "none")
# Who applies for someone else (聊城 第六条, 曲靖 第十二条: only 监护人、近亲属); additive to CONTRACT §3.
AGENTS = ("guardian", "relative", "other")
HUKOU_KEYS = ("province", "city", "county", "township")
RESIDENCE_KEYS = ("county", "township")
MONTH_FIELDS = ("lived_months", "registered_months", "supplementary_proof_months")
BOOL_FIELDS = ("mobility_impaired", "disabled", "by_proxy")
ENUMS = {"nationality": NATIONALITIES, "employment": EMPLOYMENTS, "housing": HOUSINGS, "study": STUDIES,
         "agent": AGENTS}
FIELDS = ("city", "as_of", "nationality", "hukou", "residence", *MONTH_FIELDS,
          "employment", "housing", "study", "age", *BOOL_FIELDS, "agent")
MAX_AGE = 130
MAX_MONTHS = 12 * 130


class FactsError(ValueError):
    """Bad input: one line naming the field and what it accepts."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


@dataclass(frozen=True)
class Facts:
    city: City
    as_of: dt.date
    nationality: str = "cn"
    hukou: dict[str, str] = field(default_factory=dict)
    residence: dict[str, str] = field(default_factory=dict)
    lived_months: Optional[int] = None
    # None with "registered_months" in ``given`` means never registered.
    registered_months: Optional[int] = None
    supplementary_proof_months: Optional[int] = None
    employment: Optional[str] = None
    housing: Optional[str] = None
    study: Optional[str] = None
    age: Optional[int] = None
    mobility_impaired: Optional[bool] = None
    disabled: Optional[bool] = None
    by_proxy: Optional[bool] = None
    agent: Optional[str] = None  # guardian, relative or other: who applies for the person
    given: frozenset = frozenset()

    def known(self, name: str) -> bool:
        """Whether fact ``name`` (dotted for hukou.x / residence.x) is known."""
        if "." in name:
            group, key = name.split(".", 1)
            return bool(getattr(self, group).get(key))
        return name in self.given and (name == "registered_months" or getattr(self, name) is not None)

    @property
    def never_registered(self) -> bool:
        return "registered_months" in self.given and self.registered_months is None

    def with_(self, **changes: Any) -> "Facts":
        return replace(self, given=self.given | set(changes), **changes)


def _accepted(values: tuple[str, ...]) -> str:
    return "accepted: " + ", ".join(values)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FactsError(name, f"expected a Chinese place name (text), got {value!r}")
    if len(value) > 40:
        raise FactsError(name, "place name too long (40 characters at most)")
    return value.strip()


def _months(value: Any, name: str, allow_null: bool) -> Optional[int]:
    if value is None and allow_null:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MONTHS:
        accepted = "an integer ≥ 0" + (", or null for never registered" if allow_null else "")
        raise FactsError(name, f"expected {accepted}, got {value!r}")
    return value


def parse_facts(raw: Any, today: Optional[dt.date] = None) -> Facts:
    if not isinstance(raw, dict):
        raise FactsError("facts", "expected a JSON object such as {\"city\": \"liaocheng\"}")
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise FactsError(unknown[0], "not a known fact; " + _accepted(FIELDS))
    if "city" not in raw or raw["city"] in (None, ""):
        raise FactsError("city", "required; " + _accepted(tuple(city_ids())))
    city = find_city(raw["city"]) if isinstance(raw["city"], str) else None
    if city is None:
        raise FactsError("city", f"unknown city {raw['city']!r}; " + _accepted(tuple(city_ids())))

    values: dict[str, Any] = {"city": city}
    given = {key for key, value in raw.items() if value is not None or key == "registered_months"}

    as_of = raw.get("as_of")
    if as_of is None:
        values["as_of"] = today or clock.today()
    else:
        try:
            values["as_of"] = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else None
        except ValueError:
            values["as_of"] = None
        if values["as_of"] is None or len(as_of) != 10:
            raise FactsError("as_of", f"expected a date YYYY-MM-DD, got {as_of!r}")
    values["city"] = city = city_version(city.id, values["as_of"])  # the regulation in force that day

    for name, accepted in ENUMS.items():
        value = raw.get(name)
        if value is None:
            continue
        if value not in accepted:
            raise FactsError(name, f"unknown value {value!r}; " + _accepted(accepted))
        values[name] = value

    for name, keys in (("hukou", HUKOU_KEYS), ("residence", RESIDENCE_KEYS)):
        group = raw.get(name)
        if group is None:
            continue
        if not isinstance(group, dict):
            raise FactsError(name, "expected an object with keys " + ", ".join(keys))
        extra = sorted(set(group) - set(keys))
        if extra:
            raise FactsError(f"{name}.{extra[0]}", "not a known key; " + _accepted(keys))
        values[name] = {k: _text(v, f"{name}.{k}") for k, v in group.items() if v is not None}

    residence = values.get("residence", {})
    if residence.get("county"):
        county = city.county(residence["county"])
        if county is None:
            raise FactsError("residence.county", f"{residence['county']!r} is not a county of {city.name}; "
                             + _accepted(tuple(c.name for c in city.counties)))
        values["residence"] = {**residence, "county": county.name}
    values["hukou"] = hukou = normalise_hukou(values.get("hukou", {}), city)
    if hukou.get("city") == city.name and hukou.get("county") and not city.county(hukou["county"]):
        raise FactsError("hukou.county", f"{hukou['county']!r} is not a county of {city.name}; "
                         + _accepted(tuple(c.name for c in city.counties)))

    for name in MONTH_FIELDS:
        if name in raw:
            values[name] = _months(raw[name], name, allow_null=name == "registered_months")

    if raw.get("age") is not None:
        age = raw["age"]
        if isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= MAX_AGE:
            raise FactsError("age", f"expected an integer from 0 to {MAX_AGE}, got {age!r}")
        values["age"] = age

    for name in BOOL_FIELDS:
        if raw.get(name) is not None:
            if not isinstance(raw[name], bool):
                raise FactsError(name, f"expected true or false, got {raw[name]!r}")
            values[name] = raw[name]

    return Facts(given=frozenset(given), **values)


def normalise_hukou(hukou: dict[str, str], city: City) -> dict[str, str]:
    """Canonical names for a 户口 place as far as the assessing city knows them.

    A county of the assessing city given without its city (东阿) implies the
    city; a county-level city given as the city (临清) is moved to county.
    """
    hukou = dict(hukou)
    if hukou.get("city") and not city.is_this_city(hukou["city"]) and city.county(hukou["city"]):
        hukou.setdefault("county", hukou["city"])
        hukou["city"] = city.name
    if hukou.get("city") and city.is_this_city(hukou["city"]):
        hukou["city"] = city.name
        hukou.setdefault("province", city.province)
    county = city.county(hukou.get("county"))
    city_unknown_or_this = not hukou.get("city") or hukou["city"] == city.name
    province_unknown_or_this = not hukou.get("province") or city.is_this_province(hukou["province"])
    if county and city_unknown_or_this and province_unknown_or_this:
        hukou["county"] = county.name
        hukou["city"] = city.name
        hukou["province"] = city.province
    if hukou.get("province") and city.is_this_province(hukou["province"]):
        hukou["province"] = city.province
    return hukou


def known_city_names() -> list[str]:
    return [load_city(city_id).name for city_id in city_ids()]
