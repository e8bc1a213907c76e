"""Stations: weekly opening hours, the CSV format, the sample seed, imports.

CSV columns (UTF-8, with or without BOM; GB18030 as saved by Excel works too):

    id,name,city,county,address,phone,hours[,slot_minutes,seats_per_slot,sample]

- ``id``: short ASCII, lower case, digits and dashes (``lc-dongchangfu``)
- ``city``: a city id of bot/rules (``liaocheng``, ``qujing``)
- ``county``: a county-level unit of that city, with or without suffix
  (东昌府 → 东昌府区)
- ``hours``: ``mon-fri 09:00-12:00,13:30-17:00; sat 09:00-12:00``
- ``slot_minutes`` (default 30), ``seats_per_slot`` (default 3),
  ``sample`` (true/false, default false: an imported list is a real one)

The only use of bot.rules here is reading each city's county list.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Union

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from bot.platform.dates import WEEKDAYS_ZH

from .models import Booking, ClosedDay, SlotCount, Station

SEED_FILE = Path(__file__).parent / "stations_seed.csv"

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Interval = tuple[dt.time, dt.time]
WeeklyHours = dict[int, list[Interval]]

REQUIRED_COLUMNS = ("id", "name", "city", "county", "address", "phone", "hours")
OPTIONAL_COLUMNS = ("slot_minutes", "seats_per_slot", "sample")
ID_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")


# --- opening hours ---------------------------------------------------------------

def _parse_time(text: str) -> dt.time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f"{text.strip()!r} is not a time HH:MM")
    return dt.time(int(match.group(1)), int(match.group(2)))


def _parse_days(text: str) -> list[int]:
    days: list[int] = []
    for part in text.split(","):
        part = part.strip().lower()
        if "-" in part:
            first, _, last = part.partition("-")
            if first not in WEEKDAYS or last not in WEEKDAYS:
                raise ValueError(f"{part!r} is not a day range like mon-fri")
            a, b = WEEKDAYS.index(first), WEEKDAYS.index(last)
            if b < a:
                raise ValueError(f"{part!r}: the range runs backwards")
            days.extend(range(a, b + 1))
        elif part in WEEKDAYS:
            days.append(WEEKDAYS.index(part))
        else:
            raise ValueError(f"{part!r} is not a day (mon … sun)")
    return days


def parse_hours(text: str) -> WeeklyHours:
    """``mon-fri 09:00-12:00,13:30-17:00; sat 09:00-12:00`` → {weekday: [(open, close)]}."""
    hours: WeeklyHours = {}
    text = (text or "").strip()
    if not text:
        raise ValueError("empty; write e.g. 'mon-fri 09:00-12:00,13:30-17:00'")
    for group in text.split(";"):
        group = group.strip()
        if not group:
            continue
        days_text, _, times_text = group.partition(" ")
        if not times_text.strip():
            raise ValueError(f"{group!r}: days and times are separated by a space")
        intervals: list[Interval] = []
        for span in times_text.replace(" ", "").split(","):
            opens, sep, closes = span.partition("-")
            if not sep:
                raise ValueError(f"{span!r} is not a span like 09:00-12:00")
            start, end = _parse_time(opens), _parse_time(closes)
            if end <= start:
                raise ValueError(f"{span!r} closes before it opens")
            intervals.append((start, end))
        for day in _parse_days(days_text):
            if day in hours:
                raise ValueError(f"{WEEKDAYS[day]} is given twice")
            hours[day] = sorted(intervals)
    for day, intervals in hours.items():
        for (_, end), (start, _) in zip(intervals, intervals[1:]):
            if start < end:
                raise ValueError(f"{WEEKDAYS[day]}: spans overlap")
    return dict(sorted(hours.items()))


def _spans_text(intervals: list[Interval]) -> str:
    return ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in intervals)


def format_hours(hours: WeeklyHours) -> str:
    """The canonical text of ``hours`` (consecutive days with the same spans grouped)."""
    groups: list[tuple[int, int, str]] = []
    for day in range(7):
        if day not in hours or not hours[day]:
            continue
        spans = _spans_text(hours[day])
        if groups and groups[-1][1] == day - 1 and groups[-1][2] == spans:
            groups[-1] = (groups[-1][0], day, spans)
        else:
            groups.append((day, day, spans))
    parts = []
    for first, last, spans in groups:
        days = WEEKDAYS[first] if first == last else f"{WEEKDAYS[first]}-{WEEKDAYS[last]}"
        parts.append(f"{days} {spans}")
    return "; ".join(parts)


def hours_json(hours: WeeklyHours) -> dict[str, list[str]]:
    """{"mon": ["09:00-12:00", "13:30-17:00"], ..., "sun": []}"""
    return {WEEKDAYS[day]: [f"{a:%H:%M}-{b:%H:%M}" for a, b in hours.get(day, [])]
            for day in range(7)}


def hours_chinese(hours: WeeklyHours) -> str:
    """周一至周五 09:00-12:00、13:30-17:00；周六 09:00-12:00"""
    parts = []
    for group in format_hours(hours).split("; "):
        if not group:
            continue
        days, _, spans = group.partition(" ")
        first, _, last = days.partition("-")
        label = WEEKDAYS_ZH[WEEKDAYS.index(first)]
        if last:
            label += "至" + WEEKDAYS_ZH[WEEKDAYS.index(last)]
        parts.append(f"{label} {spans.replace(',', '、')}")
    return "；".join(parts)


def slot_starts(hours: WeeklyHours, day: dt.date, slot_minutes: int) -> list[dt.datetime]:
    """Every slot start of ``day``: from each opening, every ``slot_minutes``,
    as long as the slot ends by closing time."""
    starts = []
    length = dt.timedelta(minutes=slot_minutes)
    for opens, closes in hours.get(day.weekday(), []):
        start = dt.datetime.combine(day, opens)
        end = dt.datetime.combine(day, closes)
        while start + length <= end:
            starts.append(start)
            start += length
    return starts


# --- geography (read from bot/rules' city files) -------------------------------------

def city_ids() -> list[str]:
    from bot.rules.policy import city_ids as _city_ids

    return _city_ids()


def counties_of(city_id: str) -> list[str]:
    from bot.rules.policy import load_city

    return [county.name for county in load_city(city_id).counties]


def canonical_county(city_id: str, name: str) -> str:
    from bot.rules.policy import load_city

    county = load_city(city_id).county(name)
    if county is None:
        raise ValueError(f"{name!r} is not a county-level unit of {city_id} "
                         f"(one of {', '.join(counties_of(city_id))})")
    return county.name


# --- CSV rows ----------------------------------------------------------------------------

@dataclass(frozen=True)
class StationRow:
    id: str
    name: str
    city: str
    county: str
    address: str
    phone: str
    hours: str  # canonical text
    slot_minutes: int
    seats_per_slot: int
    sample: bool


class StationFileError(ValueError):
    """A station file with bad rows; ``errors`` holds one line per problem."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


_TRUE = {"true", "yes", "y", "1", "是"}
_FALSE = {"false", "no", "n", "0", "否", ""}


def _text(value: Optional[str], column: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValueError(f"{column}: empty")
    if len(value) > limit:
        raise ValueError(f"{column}: longer than {limit} characters")
    if any(ord(ch) < 32 for ch in value):
        raise ValueError(f"{column}: contains control characters")
    return value


def _int(value: Optional[str], column: str, default: int, low: int, high: int) -> int:
    value = (value or "").strip()
    if not value:
        return default
    if not re.fullmatch(r"\d+", value) or not low <= int(value) <= high:
        raise ValueError(f"{column}: {value!r} is not a whole number from {low} to {high}")
    return int(value)


def validate_row(raw: dict[str, Optional[str]], known_cities: Iterable[str]) -> StationRow:
    """One CSV row → a StationRow; ValueError naming the column otherwise."""
    station_id = (raw.get("id") or "").strip()
    if not ID_PATTERN.fullmatch(station_id):
        raise ValueError(f"id: {station_id!r} is not a short lower-case ASCII id like lc-dongchangfu")
    city = (raw.get("city") or "").strip()
    known = list(known_cities)
    if city not in known:
        raise ValueError(f"city: {city!r} is not one of {', '.join(known)}")
    county_text = _text(raw.get("county"), "county", 40)
    try:
        county = canonical_county(city, county_text)
    except ValueError as error:
        raise ValueError(f"county: {error}") from None
    try:
        hours = parse_hours(raw.get("hours") or "")
    except ValueError as error:
        raise ValueError(f"hours: {error}") from None
    slot_minutes = _int(raw.get("slot_minutes"), "slot_minutes", 30, 5, 240)
    seats = _int(raw.get("seats_per_slot"), "seats_per_slot", 3, 1, 100)
    if not any(slot_starts(hours, _a_day(day), slot_minutes) for day in hours):
        raise ValueError(f"hours: no {slot_minutes}-minute slot fits in {raw.get('hours')!r}")
    sample_text = (raw.get("sample") or "").strip().lower()
    if sample_text not in _TRUE | _FALSE:
        raise ValueError(f"sample: {sample_text!r} is not true or false")
    return StationRow(
        id=station_id,
        name=_text(raw.get("name"), "name", 100),
        city=city,
        county=county,
        address=_text(raw.get("address"), "address", 200),
        phone=_text(raw.get("phone"), "phone", 40),
        hours=format_hours(hours),
        slot_minutes=slot_minutes,
        seats_per_slot=seats,
        sample=sample_text in _TRUE,
    )


def _a_day(weekday: int) -> dt.date:
    monday = dt.date(2024, 1, 1)  # a Monday
    return monday + dt.timedelta(days=weekday)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise StationFileError(["the file is neither UTF-8 nor GB18030 text"])


def read_station_file(source: Union[str, Path, bytes]) -> list[StationRow]:
    """Every row of a station CSV, or StationFileError listing each bad row by line."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    text = _decode(data)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(name or "").strip() for name in (reader.fieldnames or [])]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise StationFileError([f"line 1: missing column(s) {', '.join(missing)} "
                                f"(columns: {','.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)})"])
    unknown = [column for column in header if column not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise StationFileError([f"line 1: unknown column(s) {', '.join(unknown)}"])
    reader.fieldnames = header
    known = city_ids()
    rows: list[StationRow] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for raw in reader:
        # The line the row starts on (csv skips blank lines; a quoted field may span lines).
        line_of_row = reader.line_num - sum(
            value.count("\n") for value in raw.values() if isinstance(value, str))
        if not any((value or "").strip() for value in raw.values() if isinstance(value, str)):
            continue  # blank line
        if None in raw:
            errors.append(f"line {line_of_row}: more fields than the header has")
            continue
        try:
            row = validate_row(raw, known)
        except ValueError as error:
            errors.append(f"line {line_of_row}: {error}")
            continue
        if row.id in seen:
            errors.append(f"line {line_of_row}: id: {row.id!r} already on line {seen[row.id]}")
            continue
        seen[row.id] = line_of_row
        rows.append(row)
    if errors:
        raise StationFileError(errors)
    if not rows:
        raise StationFileError(["the file has no station rows"])
    return rows


# --- writing ---------------------------------------------------------------------------

def upsert_stations(connection: Connection, rows: list[StationRow], now: dt.datetime) -> tuple[int, int]:
    """Insert new stations, update existing ids; returns (inserted, updated)."""
    table = Station.__table__
    existing = set(connection.execute(
        select(table.c.id).where(table.c.id.in_([row.id for row in rows]))).scalars())
    inserted = updated = 0
    for row in rows:
        values = dict(name=row.name, city=row.city, county=row.county, address=row.address,
                      phone=row.phone, hours=row.hours, slot_minutes=row.slot_minutes,
                      seats_per_slot=row.seats_per_slot, sample=row.sample, changed_at=now)
        if row.id in existing:
            connection.execute(update(table).where(table.c.id == row.id).values(**values))
            updated += 1
        else:
            connection.execute(insert(table).values(id=row.id, created_at=now, **values))
            inserted += 1
    return inserted, updated


def remove_samples(connection: Connection, keep: set[str]) -> tuple[list[str], list[str]]:
    """Delete the sample stations whose id is not in ``keep`` and that have no
    bookings; returns (removed ids, kept ids that have bookings)."""
    samples = connection.execute(select(Station.id).where(Station.sample.is_(True))
                                 .order_by(Station.id)).scalars().all()
    removed, kept = [], []
    for station_id in samples:
        if station_id in keep:
            continue
        if connection.execute(select(Booking.id).where(Booking.station_id == station_id).limit(1)).first():
            kept.append(station_id)
            continue
        connection.execute(delete(SlotCount).where(SlotCount.station_id == station_id))
        connection.execute(delete(ClosedDay).where(ClosedDay.station_id == station_id))
        connection.execute(delete(Station).where(Station.id == station_id))
        removed.append(station_id)
    return removed, kept


def seed_stations(connection: Connection, now: Optional[dt.datetime] = None) -> int:
    """Insert the sample stations (one per county-level unit of each city)."""
    from bot.platform.clock import local_now

    rows = read_station_file(SEED_FILE)
    inserted, _ = upsert_stations(connection, rows, now or local_now())
    return inserted
