"""Loading a city's regulation from its data file, and name look-ups on it.

A city is one YAML file in ``cities/`` per version of its regulation:
``<id>.yml``, and a successor text beside it as ``<id>@<YYYY-MM-DD>.yml``
(the day it takes effect). Each file carries its own validity window
(``policy.in_force_from`` / ``in_force_to``), as OpenFisca keys parameters by
date: an assessment on a day uses the version in force that day
(:func:`city_version`). Nothing here knows any city by name.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import yaml

CITIES_DIR = Path(__file__).parent / "cities"

# Suffixes a county-level or township name may carry; stripped when matching
# so that 东昌府 and 东昌府区 are the same place.
COUNTY_SUFFIXES = ("区", "县", "市")
CITY_SUFFIXES = ("市", "地区", "州")
PROVINCE_SUFFIXES = ("省", "市", "自治区", "壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区")


def strip_suffix(name: str, suffixes: tuple[str, ...]) -> str:
    name = name.strip()
    for suffix in sorted(suffixes, key=len, reverse=True):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True)
class County:
    name: str
    kind: str  # district | county | county_city | zone
    aliases: tuple[str, ...]


class City:
    """One city's regulation: the parsed data file plus name look-ups."""

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.id: str = data["id"]
        self.name: str = data["name"]
        self.province: str = data["province"]
        self.counties = [
            County(c["name"], c["kind"], tuple(c.get("aliases") or ()))
            for c in data["counties"]
        ]
        self._county_keys: dict[str, County] = {}
        for county in self.counties:
            for key in (county.name, strip_suffix(county.name, COUNTY_SUFFIXES), *county.aliases):
                self._county_keys[key] = county

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    @property
    def source(self) -> str:
        return self.data["policy"]["title"]

    @property
    def in_force_from(self) -> dt.date:
        return self.data["policy"]["in_force_from"]

    @property
    def in_force_to(self) -> dt.date:
        return self.data["policy"]["in_force_to"]

    def county(self, name: Optional[str]) -> Optional[County]:
        """The county-level unit called ``name`` (with or without suffix), if any."""
        if not name:
            return None
        name = name.strip()
        return self._county_keys.get(name) or self._county_keys.get(
            strip_suffix(name, COUNTY_SUFFIXES)
        )

    def is_this_city(self, name: Optional[str]) -> bool:
        if not name:
            return False
        names = {self.name, strip_suffix(self.name, CITY_SUFFIXES), *self.data.get("aliases", ())}
        return name.strip() in names or strip_suffix(name, CITY_SUFFIXES) in names

    def is_this_province(self, name: Optional[str]) -> bool:
        if not name:
            return False
        names = {self.province, strip_suffix(self.province, PROVINCE_SUFFIXES),
                 *self.data.get("province_aliases", ())}
        return name.strip() in names or strip_suffix(name, PROVINCE_SUFFIXES) in names

    def topic(self, name: str) -> Optional[dict[str, Any]]:
        return self.data.get("topics", {}).get(name)


def city_ids() -> list[str]:
    return list(_city_ids(CITIES_DIR))


@lru_cache(maxsize=None)
def _city_ids(directory: Path) -> tuple[str, ...]:
    # Once per process: the city files are part of the release, and this was
    # a directory listing on every action call (~1 ms).
    return tuple(sorted({p.stem.split("@")[0] for p in directory.glob("*.yml")}))


@lru_cache(maxsize=None)
def _versions(directory: Path, city_id: str) -> tuple[City, ...]:
    """Every version of a city's regulation, oldest first."""
    found = []
    for path in sorted(directory.glob(f"{city_id}.yml")) + sorted(directory.glob(f"{city_id}@*.yml")):
        with path.open(encoding="utf-8") as handle:
            found.append(City(yaml.safe_load(handle)))
    return tuple(sorted(found, key=lambda city: city.in_force_from))


def versions(city_id: str) -> tuple[City, ...]:
    if city_id not in city_ids():
        raise KeyError(city_id)
    return _versions(CITIES_DIR, city_id)


def load_city(city_id: str) -> City:
    """The city's newest regulation (its names and counties; for a dated assessment, :func:`city_version`)."""
    return versions(city_id)[-1]


def city_version(city_id: str, day: dt.date) -> City:
    """The version in force on ``day``; else the newest that began before it (an expired text,
    which the engine says is expired); else the first (not yet in force that day)."""
    found = versions(city_id)
    started = [city for city in found if city.in_force_from <= day]
    return started[-1] if started else found[0]


def find_city(name: Optional[str]) -> Optional[City]:
    """The city whose id or Chinese name (with or without 市) is ``name``."""
    if not name:
        return None
    name = name.strip()
    for city_id in city_ids():
        city = load_city(city_id)
        if name == city.id or city.is_this_city(name):
            return city
    return None


def find_county(name: Optional[str]) -> Optional[tuple[City, County]]:
    """The (city, county) whose county is called ``name``, searching every city."""
    for city_id in city_ids():
        city = load_city(city_id)
        county = city.county(name)
        if county:
            return city, county
    return None


def city_id_of(value: object) -> Optional[str]:
    """A city id from an id, a Chinese city name or a county name; None if unknown."""
    if not isinstance(value, str) or not value.strip():
        return None
    city = find_city(value.strip())
    if city:
        return city.id
    found = find_county(value.strip())
    return found[0].id if found else None
