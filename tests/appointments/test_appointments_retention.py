"""Retention: old bookings lose their name and phone (``anonymise_bookings``),
and the schema migration that allows it, on SQLite and on PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from sqlalchemy import event, insert, select, text
from sqlalchemy.exc import IntegrityError

from bot.platform.store import db
from bot.appointments.models import ANONYMISED_NAME, Booking
from bot.appointments.service import AppointmentService
from bot.appointments.validation import BookingRefused

from .conftest import NOW, PHONES

STATION = "lc-dongchangfu"
OCTOBER = dt.datetime(2026, 10, 12, 8, 0)  # a Monday after the National Day holidays


def at(day: int, hhmm: str, month: int = 10) -> dt.datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return dt.datetime(2026, month, day, hours, minutes)


@pytest.fixture
def history(svc, clock):
    """Bookings made in October, some cancelled or marked, and some still to come at NOW."""
    clock.set(OCTOBER)
    made = {
        "never_marked": svc.book(STATION, at(12, "09:00"), "张三", PHONES[0]),
        "cancelled": svc.book(STATION, at(13, "09:00"), "李四", PHONES[1]),
        "attended": svc.book(STATION, at(14, "09:00"), "王五", PHONES[2]),
        "never_marked_too": svc.book(STATION, at(15, "09:00"), "赵六", PHONES[3]),
        "just_before_cutoff": svc.book(STATION, at(23, "16:30"), "孙七", PHONES[4]),
        "after_cutoff": svc.book(STATION, at(26, "09:00"), "周八", PHONES[5]),
    }
    svc.cancel(made["cancelled"].code, PHONES[1])
    clock.set(at(14, "10:00"))
    svc.mark(made["attended"].code, "attended")
    clock.set(NOW)  # 2026-11-23 08:00: 30 days before is 10-24 08:00
    made["coming"] = svc.book(STATION, at(24, "09:00", month=11), "吴九", PHONES[6])
    return made


def rows(svc: AppointmentService) -> dict[str, tuple]:
    with svc._read() as session:
        return {row.code: (row.name, row.phone, row.status, row.station_id, row.start)
                for row in session.execute(select(Booking)).scalars()}


def test_old_bookings_lose_name_and_phone_and_keep_the_rest(svc, history):
    before = rows(svc)
    assert svc.anonymise_bookings(30) == 5
    after = rows(svc)
    old = ("never_marked", "cancelled", "attended", "never_marked_too", "just_before_cutoff")
    for key in old:
        code = history[key].code
        name, phone, status, station, start = after[code]
        assert (name, phone) == (ANONYMISED_NAME, None), key
        assert (status, station, start) == before[code][2:], key  # kept for statistics
    for key in ("after_cutoff", "coming"):
        assert after[history[key].code] == before[history[key].code], key
    # Two bookings never marked stay "booked" with no phone: the unique index holds.
    assert after[history["never_marked"].code][2] == after[history["never_marked_too"].code][2] == "booked"


def test_anonymising_is_idempotent(svc, history):
    assert svc.anonymise_bookings(30) == 5
    snapshot = rows(svc)
    assert svc.anonymise_bookings(30) == 0
    assert rows(svc) == snapshot
    assert svc.anonymise_bookings(0) == 1  # every visit before now: the 10-26 one; not the coming one
    assert rows(svc)[history["coming"].code][:2] == ("吴九", PHONES[6])


def test_an_anonymised_booking_is_nobodys(svc, history):
    svc.anonymise_bookings(30)
    old = history["never_marked"]
    with pytest.raises(BookingRefused) as caught:
        svc.find(old.code, PHONES[0])
    assert caught.value.code == "unknown_code"
    assert svc.count_active_by_phone(PHONES[0]) == 0
    assert svc.book(STATION, at(25, "09:00", month=11), "张三", PHONES[0])  # the phone books again
    [listed] = svc.day_bookings(STATION, old.start.date())
    assert (listed.code, listed.name, listed.phone, listed.status) == (old.code, ANONYMISED_NAME, None, "booked")
    assert listed.to_dict()["phone"] == "" and listed.to_dict(full_phone=True)["phone"] is None


def test_now_is_shanghai_time(svc, history):
    """10-23 16:30 is older than 30 days at 11-22 17:00 Shanghai (09:00 UTC), not at 09:00 Shanghai."""
    utc_morning = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.timezone.utc)
    assert svc.anonymise_bookings(30, now=dt.datetime(2026, 11, 22, 9, 0)) == 4
    assert svc.anonymise_bookings(30, now=utc_morning) == 1
    assert rows(svc)[history["just_before_cutoff"].code][:2] == (ANONYMISED_NAME, None)


def test_one_update_in_one_short_transaction(svc, history):
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.split()[0].upper())

    event.listen(svc.engine, "before_cursor_execute", record)
    try:
        svc.anonymise_bookings(30)
    finally:
        event.remove(svc.engine, "before_cursor_execute", record)
    writes = [s for s in statements if s in ("UPDATE", "INSERT", "DELETE")]
    # The family members' names, then the bookings' names and phones: one transaction.
    assert writes == ["UPDATE", "UPDATE"], statements
    assert statements.count("BEGIN") <= 1 and statements.count("COMMIT") <= 1


def test_a_negative_age_is_refused(svc):
    with pytest.raises(ValueError):
        svc.anonymise_bookings(-1)


def test_upgrading_a_database_with_bookings(db_url):
    """0001 → head keeps the bookings, lets phones be NULL and keeps one active booking per phone."""
    command.upgrade(db.alembic_config(db_url), "0001_initial")
    engine = db.get_engine(db_url)
    with db.write_engine(engine).connect() as connection, connection.begin():
        from bot.appointments.stations import seed_stations

        seed_stations(connection)
        connection.execute(insert(Booking).values(
            code="ABCDEF", station_id=STATION, start=at(12, "09:00"), name="张三", phone=PHONES[0],
            status="booked", created_at=OCTOBER, changed_at=OCTOBER))
    db.ensure_schema(db_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == db.SCHEMA_HEAD
        assert connection.execute(select(Booking.code, Booking.phone)).all() == [("ABCDEF", PHONES[0])]

    def add(code: str, phone, status: str = "booked") -> None:
        with db.write_engine(engine).connect() as connection, connection.begin():
            connection.execute(insert(Booking).values(
                code=code, station_id=STATION, start=at(13, "09:00"), name="x", phone=phone,
                status=status, created_at=OCTOBER, changed_at=OCTOBER))

    with pytest.raises(IntegrityError):  # still one active booking per phone
        add("BCDEFG", PHONES[0])
    add("CDEFGH", PHONES[0], "cancelled")
    add("DEFGHJ", None)
    add("EFGHJK", None)  # several anonymised active ones: NULLs never collide
