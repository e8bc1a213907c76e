"""What the booking service answers: stations, slots, days and bookings.

Frozen dataclasses, detached from any session; parties of several people.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Optional


from bot.platform.masking import mask_phone

from .models import (PARTY_MAX, RELATIONS)
from bot.platform.dates import day_text, moment_text

from .stations import WeeklyHours, hours_chinese, hours_json
from .validation import BookingRefused, clean_name

log = logging.getLogger(__name__)


def fmt(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class StationInfo:
    id: str
    name: str
    city: str
    county: str
    address: str
    phone: str
    hours: WeeklyHours = field(compare=False)
    slot_minutes: int
    seats_per_slot: int
    sample: bool

    @property
    def hours_text(self) -> str:
        """Chinese, e.g. 周一至周五 09:00-12:00、13:30-17:00"""
        return hours_chinese(self.hours)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "city": self.city, "county": self.county,
                "address": self.address, "phone": self.phone, "hours": hours_json(self.hours),
                "hours_text": self.hours_text, "slot_minutes": self.slot_minutes,
                "seats_per_slot": self.seats_per_slot, "sample": self.sample}


@dataclass(frozen=True)
class SlotInfo:
    station_id: str
    start: dt.datetime
    end: dt.datetime
    capacity: int
    remaining: int
    bookable: bool  # in the future, within the horizon, seats left

    @property
    def label(self) -> str:
        """11月23日（周一） 09:00"""
        return moment_text(self.start)

    def to_dict(self) -> dict[str, Any]:
        return {"start": fmt(self.start), "end": fmt(self.end), "capacity": self.capacity,
                "remaining": self.remaining, "bookable": self.bookable}


@dataclass(frozen=True)
class DayInfo:
    day: dt.date
    free_slots: int  # bookable slots with seats left
    remaining: int  # seats left in them

    @property
    def label(self) -> str:
        return day_text(self.day)

    def to_dict(self) -> dict[str, Any]:
        return {"date": self.day.isoformat(), "free_slots": self.free_slots,
                "remaining": self.remaining}


@dataclass(frozen=True)
class BookingInfo:
    code: str
    station_id: str
    station_name: str
    station_address: str
    station_phone: str
    start: dt.datetime
    end: dt.datetime
    name: str  # ANONYMISED_NAME once retention removed it
    phone: Optional[str]  # 11 digits (None once anonymised); masked wherever it is not the staff's own view
    status: str
    created_at: dt.datetime
    changed_at: dt.datetime
    party: int = 1  # applicants of the visit, the booker included (seats taken)
    members: tuple[Member, ...] = ()  # the family members listed (party - 1 at most)

    @property
    def label(self) -> str:
        return moment_text(self.start)

    def to_dict(self, *, full_phone: bool = False) -> dict[str, Any]:
        return {"code": self.code, "station": self.station_id, "station_name": self.station_name,
                "address": self.station_address, "station_phone": self.station_phone,
                "start": fmt(self.start), "end": fmt(self.end), "name": self.name,
                "phone": self.phone if full_phone else mask_phone(self.phone),
                "status": self.status, "party": self.party,
                "members": [member.to_dict() for member in self.members],
                "created_at": self.created_at.isoformat(sep=" "),
                "changed_at": self.changed_at.isoformat(sep=" ")}


@dataclass(frozen=True)
class Member:
    """A family member coming with the booker: ``relation`` (spouse, child,
    parent, other) and an optional name (None once anonymised or never given)."""
    relation: str
    name: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        return {"relation": self.relation, "name": self.name}


def check_party(party: Any, members: tuple = ()) -> tuple[int, tuple[Member, ...]]:
    """The party size (1–PARTY_MAX, at least 1 + members) and the members
    cleaned; BookingRefused('bad_party') otherwise."""
    if isinstance(party, bool) or not isinstance(party, int) or not 1 <= party <= PARTY_MAX:
        raise BookingRefused("bad_party", f"一次预约可为1至{PARTY_MAX}人办理（本人加最多{PARTY_MAX - 1}位家人）。")
    cleaned = []
    for member in members:
        if not isinstance(member, Member):
            member = Member(*member) if isinstance(member, (tuple, list)) else Member(**member)
        if member.relation not in RELATIONS:
            raise BookingRefused("bad_party", "家人关系只能是配偶、子女、父母或其他亲属。")
        cleaned.append(Member(member.relation, clean_name(member.name) if member.name else None))
    if len(cleaned) > party - 1:
        raise BookingRefused("bad_party", f"同行家人比人数多：{party}人的预约最多列{party - 1}位家人。")
    return party, tuple(cleaned)


def seats_text(party: int) -> str:
    return "" if party <= 1 else f"（{party}人）"


def parse_start(text: str) -> dt.datetime:
    """'YYYY-MM-DD HH:MM' → datetime; ValueError otherwise."""
    try:
        return dt.datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")
    except (ValueError, AttributeError):
        raise ValueError(f"{text!r} is not 'YYYY-MM-DD HH:MM'") from None


def county_rank(city: str, county: str) -> int:
    """Where ``county`` comes in the city's list (bot/rules/cities); unknown ones last."""
    from bot.rules.policy import city_ids, load_city

    if city not in city_ids():
        return 999
    keys = [county_key(c.name) for c in load_city(city).counties]
    key = county_key(county)
    return keys.index(key) if key in keys else 999


def county_key(name: str) -> str:
    """东昌府区 and 东昌府 compare equal (a string convenience, not geography)."""
    name = (name or "").strip()
    for suffix in ("区", "县", "市"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


