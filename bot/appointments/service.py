"""The rules of booking: what the conversation, the CLI and the staff page call.

    svc = AppointmentService()                   # DATABASE_URL or var/juzhu.db
    svc = AppointmentService(url, clock=lambda: datetime(2026, 11, 23, 8, 0))

Every refusal raises :class:`BookingRefused` (``.code`` ASCII, ``.reason``
Chinese). Results are plain frozen dataclasses, detached from any session.

Capacity under concurrency (SQLite and PostgreSQL alike): a booking, inside
one transaction, makes sure the slot's counter row exists (``INSERT … ON
CONFLICT DO NOTHING``), then runs ONE conditional statement::

    UPDATE slot_counts SET booked = booked + 1
     WHERE station_id = :s AND start = :t AND booked < :capacity

and inserts the booking only when that changed a row. PostgreSQL takes the
row lock for the UPDATE and, in READ COMMITTED, re-checks ``booked <
capacity`` against the newest committed row after waiting for a concurrent
writer, so at most ``capacity`` increments ever succeed. SQLite has one
writer at a time and our write transactions take that lock up front
(``BEGIN IMMEDIATE``, see db.py), so the same statement is serialised there.
A booking that fails later in the transaction (e.g. the phone already has a
booking) rolls its increment back with it. State changes of a booking
(cancel, reschedule, staff marks) are conditional updates too
(``… WHERE id = :id AND status = 'booked'``), so two concurrent cancels
cannot free one seat twice.

Owners only: a booking is shown, changed or cancelled only with its code AND
the phone it was made with. A phone alone learns how many active bookings
it has (:meth:`AppointmentService.count_active_by_phone`), nothing more; an
unknown code and a code with another phone are refused alike.

Retention: :meth:`AppointmentService.anonymise_bookings` removes the name and
phone of bookings whose visit is older than N days (``juzhu purge``).
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Callable, Optional, TypeVar, Union

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from bot.platform.clock import Clock, env_clock, local_now, to_local_naive
from bot.platform.masking import mask_phone

from . import db
from .models import (ACTIVE, Booking, BookingMember, ClosedDay, SlotCount, Station)
from .public_holidays import holiday_name
from bot.platform.dates import WEEKDAYS_ZH, day_text, moment_text

from .stations import parse_hours, slot_starts
from .guesses import CODE_LOCKED_TEXT, CodeGuesses
from .results import (BookingInfo, DayInfo, Member, SlotInfo, StationInfo, check_party, county_key, county_rank, fmt,
                      parse_start)
from .staff_view import StaffView
from .validation import BookingRefused, clean_name, new_code, normalise_code, normalise_phone

log = logging.getLogger(__name__)

HORIZON_DAYS = 14  # bookable: today … today + 14
T = TypeVar("T")


class _SlotFull(Exception):
    """Inside a write transaction: the conditional increment changed no row."""


# --- the service --------------------------------------------------------------------------

class AppointmentService(StaffView):
    """Stations, slots and bookings. ``clock`` returns now (aware, or naive
    Shanghai time); default the real clock, or ``$JUZHU_NOW`` when set."""

    def __init__(self, url: Optional[str] = None, *, clock: Optional[Clock] = None,
                 ensure: bool = True, guesses: Optional["CodeGuesses"] = None):
        self.guesses = guesses if guesses is not None else CodeGuesses()
        self.url = db.database_url(url)
        if ensure:
            db.ensure_schema(self.url)
        self.engine = db.get_engine(self.url)
        self._write_engine = db.write_engine(self.engine)
        self.clock = clock if clock is not None else env_clock()

    # sessions -------------------------------------------------------------------------
    def now(self) -> dt.datetime:
        return local_now(self.clock)

    def _read(self) -> Session:
        return Session(self.engine, future=True)

    def _write(self) -> Session:
        return Session(self._write_engine, future=True)

    def _retrying(self, work: Callable[[], T], attempts: int = 5) -> T:
        """Run ``work`` again after a transient failure (PostgreSQL deadlock or
        serialisation failure, SQLite busy past its timeout), as long as the
        statement timeout has not been spent waiting: a database that stays
        locked fails the call in about that time, not in attempts × it."""
        deadline = time.monotonic() + db.statement_timeout_s()
        for attempt in range(attempts):
            try:
                return work()
            except OperationalError as error:
                code = getattr(error.orig, "pgcode", None)
                transient = code in ("40P01", "40001") or "database is locked" in str(error.orig)
                if not transient or attempt == attempts - 1 or time.monotonic() >= deadline:
                    raise
                log.info("transient database error (%s), retrying", code or "locked")
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    # stations ---------------------------------------------------------------------------
    def stations(self, city: Optional[str] = None, county: Optional[str] = None) -> list[StationInfo]:
        """Stations (of ``city`` when given), ordered by city, then in the city's own
        county order (its data file), then by id. With ``county``, that county's
        stations come first, then the city's others."""
        with self._read() as session:
            query = select(Station).order_by(Station.city, Station.id)
            if city:
                query = query.where(Station.city == city)
            found = [self._station_info(row) for row in session.execute(query).scalars()]
        found.sort(key=lambda s: (s.city, county_rank(s.city, s.county)))
        if county:
            key = county_key(county)
            found.sort(key=lambda s: 0 if county_key(s.county) == key else 1)
        return found

    def cities(self) -> list[str]:
        with self._read() as session:
            return list(session.execute(select(Station.city).distinct().order_by(Station.city)).scalars())

    def station(self, station_id: str) -> StationInfo:
        with self._read() as session:
            row = session.get(Station, station_id)
            if row is None:
                raise BookingRefused("unknown_station", "没有这个办理点，请从列表中选择。")
            return self._station_info(row)

    @staticmethod
    def _station_info(row: Station) -> StationInfo:
        return StationInfo(id=row.id, name=row.name, city=row.city, county=row.county,
                           address=row.address, phone=row.phone, hours=parse_hours(row.hours),
                           slot_minutes=row.slot_minutes, seats_per_slot=row.seats_per_slot,
                           sample=bool(row.sample))

    # closed days ------------------------------------------------------------------------
    def add_closed_day(self, day: dt.date, reason: str, station_id: Optional[str] = None) -> None:
        """Close one station (or all, ``station_id`` None) on ``day``. Bookings
        already made for that day stay; staff contact the applicants."""
        if station_id is not None:
            self.station(station_id)
        reason = (reason or "").strip()[:100] or "暂停办理"
        with self._write() as session, session.begin():
            session.execute(insert(ClosedDay).values(station_id=station_id, day=day, reason=reason))
        log.info("closed day %s for %s: %s", day, station_id or "all stations", reason)

    def closed_reason(self, station_id: str, day: dt.date) -> Optional[str]:
        """Why ``station_id`` does not open on ``day`` (Chinese), or None when it opens."""
        station = self.station(station_id)
        with self._read() as session:
            closures = self._closures(session, station.id, day, day)
        return self._closed_reason(station, day, closures)

    @staticmethod
    def _closures(session: Session, station_id: str, first: dt.date, last: dt.date) -> dict[dt.date, str]:
        rows = session.execute(
            select(ClosedDay.day, ClosedDay.reason, ClosedDay.station_id)
            .where(ClosedDay.day >= first, ClosedDay.day <= last,
                   or_(ClosedDay.station_id.is_(None), ClosedDay.station_id == station_id))
            .order_by(ClosedDay.station_id.is_(None), ClosedDay.id))
        closures: dict[dt.date, str] = {}
        for day, reason, _ in rows:
            closures.setdefault(day, reason)  # a station's own closure first
        return closures

    @staticmethod
    def _closed_reason(station: StationInfo, day: dt.date, closures: dict[dt.date, str]) -> Optional[str]:
        if day in closures:
            return closures[day]
        holiday = holiday_name(day)
        if holiday:
            return f"{holiday}放假"
        if not station.hours.get(day.weekday()):
            return f"{WEEKDAYS_ZH[day.weekday()]}不办公"
        return None

    # slots ------------------------------------------------------------------------------
    def slots(self, station_id: str, day: dt.date) -> list[SlotInfo]:
        """Every slot of ``day`` (empty on a closed day); past ones and those
        beyond the horizon are listed with ``bookable`` False."""
        station = self.station(station_id)
        with self._read() as session:
            return self._slots(session, station, day, day, self.now())

    def _slots(self, session: Session, station: StationInfo, first: dt.date, last: dt.date,
               now: dt.datetime) -> list[SlotInfo]:
        closures = self._closures(session, station.id, first, last)
        begin = dt.datetime.combine(first, dt.time.min)
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min)
        counts = dict(session.execute(
            select(SlotCount.start, SlotCount.booked)
            .where(SlotCount.station_id == station.id, SlotCount.start >= begin,
                   SlotCount.start < end)).all())
        horizon = now.date() + dt.timedelta(days=HORIZON_DAYS)
        length = dt.timedelta(minutes=station.slot_minutes)
        result = []
        day = first
        while day <= last:
            if self._closed_reason(station, day, closures) is None:
                for start in slot_starts(station.hours, day, station.slot_minutes):
                    remaining = max(0, station.seats_per_slot - counts.get(start, 0))
                    bookable = remaining > 0 and now < start and start.date() <= horizon
                    result.append(SlotInfo(station.id, start, start + length,
                                           station.seats_per_slot, remaining, bookable))
            day += dt.timedelta(days=1)
        return result

    def _window(self, session: Session, station: StationInfo, now: dt.datetime, seats: int = 1) -> list[SlotInfo]:
        """Every bookable slot with at least ``seats`` seats left from now to the horizon."""
        last = now.date() + dt.timedelta(days=HORIZON_DAYS)
        return [slot for slot in self._slots(session, station, now.date(), last, now)
                if slot.bookable and slot.remaining >= seats]

    def days_with_free_seats(self, station_id: str, seats: int = 1) -> list[DayInfo]:
        """The days from today to today + 14 with a slot of at least ``seats`` free seats."""
        station = self.station(station_id)
        with self._read() as session:
            free = self._window(session, station, self.now(), seats)
        days: dict[dt.date, list[SlotInfo]] = {}
        for slot in free:
            days.setdefault(slot.start.date(), []).append(slot)
        return [DayInfo(day, len(slots), sum(s.remaining for s in slots))
                for day, slots in sorted(days.items())]

    def nearest_free_slots(self, station_id: str, around: dt.datetime, limit: int = 3,
                           seats: int = 1) -> list[SlotInfo]:
        """The ``limit`` bookable slots with ``seats`` free seats closest in
        time to ``around`` (itself excluded), in time order."""
        station = self.station(station_id)
        around = to_local_naive(around)
        with self._read() as session:
            free = [slot for slot in self._window(session, station, self.now(), seats) if slot.start != around]
        free.sort(key=lambda slot: (abs((slot.start - around).total_seconds()), slot.start))
        return sorted(free[:max(0, limit)], key=lambda slot: slot.start)

    # booking rules ----------------------------------------------------------------------
    def check_bookable(self, station_id: str, start: dt.datetime) -> None:
        """Refuse (BookingRefused) a start that breaks a rule other than capacity."""
        station = self.station(station_id)
        self._check_time(station, to_local_naive(start), self.now())

    def _check_time(self, station: StationInfo, start: dt.datetime, now: dt.datetime) -> None:
        if start <= now:
            raise BookingRefused("past_time", f"所选时间 {moment_text(start)} 已过，请选择以后的时间。")
        horizon = now.date() + dt.timedelta(days=HORIZON_DAYS)
        if start.date() > horizon:
            raise BookingRefused("too_far_ahead",
                                 f"最多只能预约{HORIZON_DAYS}天以内的时段（至{day_text(horizon)}）。")
        with self._read() as session:
            closures = self._closures(session, station.id, start.date(), start.date())
        closed = self._closed_reason(station, start.date(), closures)
        if closed:
            raise BookingRefused("closed_day", f"{day_text(start.date())}{station.name}不办理（{closed}），请选择其他日期。")
        starts = slot_starts(station.hours, start.date(), station.slot_minutes)
        if start not in starts:
            spans = station.hours.get(start.weekday(), [])
            inside = any(opens <= start.time() < closes for opens, closes in spans)
            if inside and starts:
                raise BookingRefused(
                    "outside_hours",
                    f"预约时间须是时段的开始时间（每{station.slot_minutes}分钟一个时段，"
                    f"如 {starts[0]:%H:%M}、{starts[1 % len(starts)]:%H:%M}），请重新选择。")
            raise BookingRefused("outside_hours",
                                 f"{start:%H:%M} 不在办公时间内（{station.hours_text}），请重新选择。")

    def book(self, station_id: str, start: Union[dt.datetime, str], name: str, phone: str,
             party: int = 1, members: tuple = ()) -> BookingInfo:
        """Book one visit for ``party`` applicants (the booker and up to 4
        family ``members``: :class:`Member` or (relation, name)), taking
        ``party`` seats. Refusals: bad_name, bad_phone, bad_party,
        unknown_station, past_time, too_far_ahead, closed_day,
        outside_hours, already_booked, slot_full (with ``alternatives``:
        the nearest slots with enough free seats)."""
        name = clean_name(name)
        phone = normalise_phone(phone)
        party, members = check_party(party, tuple(members))
        if isinstance(start, str):
            try:
                start = parse_start(start)
            except ValueError:
                raise BookingRefused("outside_hours", "预约时间格式不对，应为 YYYY-MM-DD HH:MM。") from None
        start = to_local_naive(start)
        station = self.station(station_id)
        now = self.now()
        self._check_time(station, start, now)

        for _ in range(5):  # a fresh code after the (rare) collision of two new codes
            try:
                booking = self._retrying(lambda: self._book_once(station, start, name, phone, now,
                                                                 party, members))
            except IntegrityError:  # a concurrent booking of this phone, or (rarely) of this code
                if self.count_active_by_phone(phone):
                    raise self._already_booked() from None
                continue
            log.info("booked %s: %s at %s for %s, %d seat(s)", booking.code, station.id, fmt(start),
                     mask_phone(phone), party)
            return booking
        raise RuntimeError("could not find a free booking code")  # pragma: no cover

    def _book_once(self, station: StationInfo, start: dt.datetime, name: str, phone: str,
                   now: dt.datetime, party: int = 1, members: tuple[Member, ...] = ()) -> BookingInfo:
        with self._write() as session, session.begin():
            self._settle_stale(session, phone, now)
            existing = session.execute(
                select(Booking.id).where(Booking.phone == phone, Booking.status == ACTIVE)).first()
            if existing is not None:
                raise self._already_booked()
            if self._take_seat(session, station, start, party):
                code = self._fresh_code(session)
                booking_id = session.execute(insert(Booking).values(
                    code=code, station_id=station.id, start=start, name=name, phone=phone,
                    status=ACTIVE, party=party, created_at=now, changed_at=now)).inserted_primary_key[0]
                for position, member in enumerate(members, 2):
                    session.execute(insert(BookingMember).values(
                        booking_id=booking_id, position=position, relation=member.relation, name=member.name))
            else:
                code = None
        if code is None:
            log.info("slot full: %s at %s for %d (asked by %s)", station.id, fmt(start), party, mask_phone(phone))
            raise self._slot_full(station, start, party)
        return self.find(code, phone)

    def _slot_full(self, station: StationInfo, start: dt.datetime, party: int) -> BookingRefused:
        text = (f"{moment_text(start)} 这个时段已约满，请选择其他时间。" if party <= 1 else
                f"{moment_text(start)} 这个时段剩余名额不够{party}人，请选择其他时间。")
        return BookingRefused("slot_full", text,
                              alternatives=self.nearest_free_slots(station.id, start, seats=party))

    @classmethod
    def _take_seat(cls, session: Session, station: StationInfo, start: dt.datetime, seats: int = 1) -> bool:
        """One conditional UPDATE takes all ``seats`` or nothing: correct under
        races on both databases (a check-then-insert is not)."""
        cls._ensure_counter(session, station.id, start)
        taken = session.execute(
            update(SlotCount)
            .where(SlotCount.station_id == station.id, SlotCount.start == start,
                   SlotCount.booked <= station.seats_per_slot - seats)
            .values(booked=SlotCount.booked + seats)
            .execution_options(synchronize_session=False))
        return taken.rowcount == 1

    @staticmethod
    def _ensure_counter(session: Session, station_id: str, start: dt.datetime) -> None:
        dialect = session.get_bind().dialect.name
        values = dict(station_id=station_id, start=start, booked=0)
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            statement = pg_insert(SlotCount).values(**values).on_conflict_do_nothing()
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            statement = sqlite_insert(SlotCount).values(**values).on_conflict_do_nothing()
        else:  # pragma: no cover - other databases: insert in a savepoint
            exists = session.execute(select(SlotCount.booked).where(
                SlotCount.station_id == station_id, SlotCount.start == start)).first()
            if exists is None:
                try:
                    with session.begin_nested():
                        session.execute(insert(SlotCount).values(**values))
                except IntegrityError:
                    pass
            return
        session.execute(statement)

    @staticmethod
    def _fresh_code(session: Session) -> str:
        while True:
            code = new_code()
            if session.execute(select(Booking.id).where(Booking.code == code)).first() is None:
                return code

    def _settle_stale(self, session: Session, phone: str, now: dt.datetime) -> None:
        """An active booking of ``phone`` whose slot is over and that staff
        never marked becomes ``no_show`` (staff can still mark it attended),
        so it no longer blocks a new booking."""
        rows = session.execute(
            select(Booking.id, Booking.code, Booking.start, Station.slot_minutes)
            .join(Station, Station.id == Booking.station_id)
            .where(Booking.phone == phone, Booking.status == ACTIVE)).all()
        for booking_id, code, start, minutes in rows:
            if start + dt.timedelta(minutes=minutes) <= now:
                session.execute(update(Booking).where(Booking.id == booking_id, Booking.status == ACTIVE)
                                .values(status="no_show", changed_at=now)
                                .execution_options(synchronize_session=False))
                log.info("booking %s (%s) was never marked: now no_show", code, mask_phone(phone))

    @staticmethod
    def _already_booked() -> BookingRefused:
        """Said to whoever typed the phone: nothing about the booking itself."""
        return BookingRefused(
            "already_booked",
            "这个手机号码已有一个有效预约，每个号码同时只能有一个预约。"
            "如需查询、改约或取消，请提供预约码和手机号码。")

    # look-ups -----------------------------------------------------------------------------
    def _booking_info(self, session: Session, row: Booking) -> BookingInfo:
        station = session.get(Station, row.station_id)
        members = tuple(Member(relation, name) for relation, name in session.execute(
            select(BookingMember.relation, BookingMember.name)
            .where(BookingMember.booking_id == row.id).order_by(BookingMember.position)))
        return BookingInfo(
            code=row.code, station_id=row.station_id, station_name=station.name,
            station_address=station.address, station_phone=station.phone, start=row.start,
            end=row.start + dt.timedelta(minutes=station.slot_minutes), name=row.name,
            phone=row.phone, status=row.status, created_at=row.created_at, changed_at=row.changed_at,
            party=row.party or 1, members=members)

    def _owned(self, session: Session, code: str, phone: str) -> Booking:
        """The booking ``code`` made with ``phone``. An unknown code and
        another phone are refused alike, so trying codes with one's own phone
        (or phones with a known code) tells nothing; and after a handful of
        wrong tries of one code, from any conversation or address, the code
        is locked for a while (:class:`CodeGuesses`). Staff reach it by
        station and day, without the phone."""
        code = normalise_code(code)
        phone = normalise_phone(phone)
        wait_s = self.guesses.locked(code)
        if wait_s:
            log.warning("booking %s: look-up refused, the code is locked after failed tries", code)
            raise BookingRefused("code_locked", CODE_LOCKED_TEXT)
        row = session.execute(select(Booking).where(Booking.code == code)).scalar_one_or_none()
        if row is None or row.phone != phone:
            self.guesses.failed(code)
            if row is not None:
                log.info("booking %s asked for with another phone (%s)", code, mask_phone(phone))
            raise BookingRefused("unknown_code",
                                 f"没有找到与这个手机号码对应的预约码 {code}，请核对预约码和手机号码。")
        return row

    def find(self, code: str, phone: str) -> BookingInfo:
        """The booking with ``code``, if ``phone`` is the one it was made with."""
        with self._read() as session:
            return self._booking_info(session, self._owned(session, code, phone))

    def count_active_by_phone(self, phone: str) -> int:
        """How many active bookings, not yet over, ``phone`` has: all a phone
        alone may learn (no code, time or station: those need the code too)."""
        phone = normalise_phone(phone)
        now = self.now()
        with self._read() as session:
            rows = session.execute(
                select(Booking.start, Station.slot_minutes)
                .join(Station, Station.id == Booking.station_id)
                .where(Booking.phone == phone, Booking.status == ACTIVE)).all()
        return sum(1 for start, minutes in rows if start + dt.timedelta(minutes=minutes) > now)

    # changes ----------------------------------------------------------------------------
    @staticmethod
    def _refuse_inactive(row: Booking) -> BookingRefused:
        text = {"cancelled": "这个预约已经取消了。", "attended": "这个预约已经办理完毕。",
                "no_show": "这个预约的时间已过（未到场）。"}.get(row.status, "这个预约已失效。")
        return BookingRefused("not_active", text)

    def cancel(self, code: str, phone: str) -> BookingInfo:
        """Cancel by code + phone; frees the seat. Refusals: bad_code,
        bad_phone, unknown_code (also for another phone), not_active, past_time."""
        now = self.now()

        def work() -> None:
            with self._write() as session, session.begin():
                row = self._owned(session, code, phone)
                if row.status != ACTIVE:
                    raise self._refuse_inactive(row)
                if row.start <= now:
                    raise BookingRefused("past_time", "预约时间已到或已过，不能再取消。")
                changed = session.execute(
                    update(Booking).where(Booking.id == row.id, Booking.status == ACTIVE)
                    .values(status="cancelled", changed_at=now)
                    .execution_options(synchronize_session=False))
                if changed.rowcount != 1:  # cancelled meanwhile by someone else
                    raise BookingRefused("not_active", "这个预约已经取消了。")
                self._release(session, row.station_id, row.start, row.party or 1)

        self._retrying(work)
        booking = self.find(code, phone)
        log.info("cancelled %s (%s)", booking.code, mask_phone(booking.phone))
        return booking

    @staticmethod
    def _release(session: Session, station_id: str, start: dt.datetime, seats: int = 1) -> None:
        session.execute(update(SlotCount)
                        .where(SlotCount.station_id == station_id, SlotCount.start == start,
                               SlotCount.booked >= seats)
                        .values(booked=SlotCount.booked - seats)
                        .execution_options(synchronize_session=False))

    def reschedule(self, code: str, phone: str, new_start: Union[dt.datetime, str],
                   station_id: Optional[str] = None) -> BookingInfo:
        """Move a booking (same code) to ``new_start``, at its station or at
        ``station_id``. The old seat is freed only if the new one is taken."""
        if isinstance(new_start, str):
            try:
                new_start = parse_start(new_start)
            except ValueError:
                raise BookingRefused("outside_hours", "预约时间格式不对，应为 YYYY-MM-DD HH:MM。") from None
        new_start = to_local_naive(new_start)
        now = self.now()
        current = self.find(code, phone)
        station = self.station(station_id or current.station_id)
        if current.status != ACTIVE:
            with self._read() as session:
                raise self._refuse_inactive(self._owned(session, code, phone))
        if current.start <= now:
            raise BookingRefused("past_time", "原预约时间已到或已过，不能再改约，请重新预约。")
        if current.station_id == station.id and current.start == new_start:
            return current
        self._check_time(station, new_start, now)

        def work() -> None:
            with self._write() as session, session.begin():
                row = self._owned(session, code, phone)
                if row.status != ACTIVE:
                    raise self._refuse_inactive(row)
                if not self._take_seat(session, station, new_start, row.party or 1):
                    raise _SlotFull()
                moved = session.execute(
                    update(Booking)
                    .where(Booking.id == row.id, Booking.status == ACTIVE,
                           Booking.station_id == row.station_id, Booking.start == row.start)
                    .values(station_id=station.id, start=new_start, changed_at=now)
                    .execution_options(synchronize_session=False))
                if moved.rowcount != 1:
                    raise BookingRefused("not_active", "这个预约刚刚被修改或取消了，请查询后再试。")
                self._release(session, row.station_id, row.start, row.party or 1)

        try:
            self._retrying(work)
        except _SlotFull:
            raise self._slot_full(station, new_start, current.party) from None
        booking = self.find(code, phone)
        log.info("rescheduled %s to %s at %s (%s)", booking.code, station.id, fmt(new_start),
                 mask_phone(booking.phone))
        return booking
