"""The rules of booking, on SQLite and on PostgreSQL (see conftest.py)."""
from __future__ import annotations

import datetime as dt
import logging
import threading

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError

from bot.platform.store import db
from bot.appointments.models import Booking, SlotCount
from bot.appointments.service import AppointmentService
from bot.appointments.stations import StationRow, upsert_stations
from bot.appointments.validation import CODE_ALPHABET, BookingRefused
from bot.rules.policy import load_city

from .conftest import NOW, PHONES, at

STATION = "lc-dongchangfu"


def refused(code: str, call, *args, **kwargs) -> BookingRefused:
    with pytest.raises(BookingRefused) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value
    assert caught.value.reason and not caught.value.reason.isascii()  # a Chinese reason
    return caught.value


def add_tiny_station(svc: AppointmentService, seats: int = 1) -> str:
    """One 30-minute slot a weekday, ``seats`` seats."""
    row = StationRow(id="t-tiny", name="测试派出所", city="liaocheng", county="冠县",
                     address="测试地址", phone="0635-0000099", hours="mon-fri 09:00-09:30",
                     slot_minutes=30, seats_per_slot=seats, sample=True)
    with db.write_engine(svc.engine).connect() as connection, connection.begin():
        upsert_stations(connection, [row], NOW)
    return row.id


def counters_match_bookings(svc: AppointmentService) -> None:
    with svc._read() as session:
        counts = {(s, t): n for s, t, n in session.execute(
            select(SlotCount.station_id, SlotCount.start, SlotCount.booked)) if n}
        held = {(s, t): n for s, t, n in session.execute(
            select(Booking.station_id, Booking.start, func.count())
            .where(Booking.status != "cancelled").group_by(Booking.station_id, Booking.start))}
    assert counts == held


# --- seed and stations --------------------------------------------------------------------

def test_seed_has_one_sample_station_per_county(svc):
    stations = svc.stations()
    assert len(stations) == 20
    for city_id, expected in (("liaocheng", 11), ("qujing", 9)):
        counties = [c.name for c in load_city(city_id).counties]
        assert len(counties) == expected
        mine = [s for s in stations if s.city == city_id]
        assert sorted(s.county for s in mine) == sorted(counties)
    assert all(s.sample and s.id.isascii() and s.slot_minutes == 30 and s.seats_per_slot == 3
               for s in stations)
    assert len({s.id for s in stations}) == 20


def test_stations_come_in_the_citys_own_county_order(svc):
    """Buttons on every channel list stations as the city lists its counties (东昌府区 first), not by id."""
    for city_id in ("liaocheng", "qujing"):
        listed = [s.county for s in svc.stations(city=city_id)]
        assert listed == [c.name for c in load_city(city_id).counties]


def test_stations_of_a_county_come_first(svc):
    found = svc.stations(city="liaocheng", county="东阿")
    assert found[0].county == "东阿县" and len(found) == 11
    assert svc.stations(city="liaocheng", county="莘")[0].id == "lc-shenxian"
    assert svc.stations(county="冠县")[0].id == "lc-guanxian"
    assert {s.city for s in svc.stations(city="qujing")} == {"qujing"}
    refused("unknown_station", svc.station, "nowhere")


def test_ensure_schema_is_idempotent(db_url, svc):
    assert db.ensure_schema(db_url) == db_url
    assert len(svc.stations()) == 20
    with svc.engine.connect() as connection:
        assert db._current_revisions(connection) == {db.SCHEMA_HEAD}


def test_schema_head_constant_is_the_newest_migration():
    assert db._head_revisions() == {db.SCHEMA_HEAD}


def test_migrated_schema_matches_the_models(db_url, svc):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from bot.appointments.models import Base
    from bot.handoff.models import Base as HandoffBase

    with svc.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), [Base.metadata, HandoffBase.metadata])
    assert diff == []


# --- slots ---------------------------------------------------------------------------------

def test_slots_of_a_weekday(svc):
    slots = svc.slots(STATION, at(0, "00:00").date())
    assert [s.start.strftime("%H:%M") for s in slots] == [
        "09:00", "09:30", "10:00", "10:30", "11:00", "11:30",
        "13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30"]
    assert all(s.capacity == 3 and s.remaining == 3 and s.bookable for s in slots)
    assert svc.slots(STATION, at(5, "00:00").date()) == []  # Saturday
    assert svc.closed_reason(STATION, at(6, "00:00").date()) == "周日不办公"


def test_past_and_far_slots_are_not_bookable(svc, clock):
    clock.set(at(0, "10:05"))
    today = svc.slots(STATION, at(0, "00:00").date())
    assert [s.bookable for s in today[:4]] == [False, False, False, True]
    assert all(not s.bookable for s in svc.slots(STATION, at(15, "00:00").date()))
    assert all(s.bookable for s in svc.slots(STATION, at(14, "00:00").date()))


def test_public_holiday_is_closed(svc, clock):
    clock.set(dt.datetime(2026, 9, 28, 8, 0))  # Monday before 国庆节
    assert svc.closed_reason(STATION, dt.date(2026, 10, 1)) == "国庆节放假"
    assert svc.slots(STATION, dt.date(2026, 10, 1)) == []
    refused("closed_day", svc.book, STATION, dt.datetime(2026, 10, 1, 9, 0), "张三", PHONES[0])
    days = [d.day for d in svc.days_with_free_seats(STATION)]
    assert days == [dt.date(2026, 9, 28), dt.date(2026, 9, 29), dt.date(2026, 9, 30),
                    dt.date(2026, 10, 8), dt.date(2026, 10, 9), dt.date(2026, 10, 12)]
    assert not any(dt.date(2026, 10, 1) <= d <= dt.date(2026, 10, 7) for d in days)


def test_one_off_closures(svc):
    svc.add_closed_day(at(1, "00:00").date(), "系统升级", station_id=STATION)
    svc.add_closed_day(at(2, "00:00").date(), "全市停电")
    e = refused("closed_day", svc.book, STATION, at(1, "09:00"), "张三", PHONES[0])
    assert "系统升级" in e.reason
    refused("closed_day", svc.book, "qj-qilin", at(2, "09:00"), "张三", PHONES[0])
    assert svc.book("qj-qilin", at(1, "09:00"), "张三", PHONES[0]).code  # other station open
    days = [d.day for d in svc.days_with_free_seats(STATION)]
    assert at(1, "0:00").date() not in days and at(2, "0:00").date() not in days
    assert at(3, "0:00").date() in days


def test_days_with_free_seats(svc, clock):
    days = svc.days_with_free_seats(STATION)
    # Mon 11-23 … Mon 12-07, weekends excluded.
    assert len(days) == 11 and days[0].day == at(0, "0:00").date() and days[-1].day == at(14, "0:00").date()
    assert days[0].free_slots == 13 and days[0].remaining == 39
    tiny = add_tiny_station(svc, seats=1)
    svc.book(tiny, at(1, "09:00"), "张三", PHONES[0])
    tiny_days = [d.day for d in svc.days_with_free_seats(tiny)]
    assert at(1, "0:00").date() not in tiny_days and at(2, "0:00").date() in tiny_days
    clock.set(at(0, "09:00"))  # today's only slot has begun
    assert at(0, "0:00").date() not in [d.day for d in svc.days_with_free_seats(tiny)]


def test_nearest_free_slots(svc):
    for index, phone in enumerate(PHONES[:6]):
        svc.book(STATION, at(0, "11:30" if index < 3 else "11:00"), "张三", phone)
    nearest = svc.nearest_free_slots(STATION, at(0, "11:30"), limit=3)
    # 11:00 is full; 10:30 is 60 min away, 10:00 90, 09:30 and 13:30 (after lunch) 120
    # (a tie: the earlier first), 09:00 150.
    assert [s.start for s in nearest] == [at(0, "09:30"), at(0, "10:00"), at(0, "10:30")]
    assert all(s.remaining > 0 and s.bookable for s in nearest)
    nearest = svc.nearest_free_slots(STATION, at(0, "11:30"), limit=4)
    assert [s.start for s in nearest] == [at(0, "09:30"), at(0, "10:00"), at(0, "10:30"), at(0, "13:30")]


# --- booking -------------------------------------------------------------------------------

def test_book_and_look_up(svc):
    booking = svc.book(STATION, at(0, "09:00"), "  张 三  ", "+86 138 1234 5678")
    assert len(booking.code) == 6 and set(booking.code) <= set(CODE_ALPHABET)
    assert booking.phone == "13812345678" and booking.name == "张 三"
    assert booking.status == "booked" and booking.end == at(0, "09:30")
    assert booking.created_at == NOW and booking.station_address
    assert svc.slots(STATION, at(0, "0:00").date())[0].remaining == 2
    assert svc.find(booking.code.lower(), "138-1234-5678") == booking
    assert svc.count_active_by_phone("13812345678") == 1
    assert svc.count_active_by_phone(PHONES[0]) == 0
    counters_match_bookings(svc)


def test_booking_accepts_a_string_start(svc):
    assert svc.book(STATION, "2026-11-24 14:00", "张三", PHONES[0]).start == at(1, "14:00")


def test_refusals_of_time(svc, clock):
    clock.set(at(0, "10:00"))
    refused("past_time", svc.book, STATION, at(0, "10:00"), "张三", PHONES[0])
    refused("past_time", svc.book, STATION, at(0, "09:30"), "张三", PHONES[0])
    assert svc.book(STATION, at(0, "10:30"), "张三", PHONES[0])
    refused("too_far_ahead", svc.book, STATION, at(15, "09:00"), "李四", PHONES[1])
    assert svc.book(STATION, at(14, "16:30"), "李四", PHONES[1])  # the 14th day, last slot
    refused("closed_day", svc.book, STATION, at(5, "09:00"), "王五", PHONES[2])  # Saturday
    e = refused("outside_hours", svc.book, STATION, at(1, "09:10"), "王五", PHONES[2])
    assert "开始时间" in e.reason
    refused("outside_hours", svc.book, STATION, at(1, "12:30"), "王五", PHONES[2])
    refused("outside_hours", svc.book, STATION, at(1, "17:00"), "王五", PHONES[2])
    refused("outside_hours", svc.book, STATION, at(1, "08:30"), "王五", PHONES[2])
    refused("outside_hours", svc.book, STATION, "tomorrow 9", "王五", PHONES[2])


def test_refusals_of_input(svc):
    refused("bad_phone", svc.book, STATION, at(0, "09:00"), "张三", "12345")
    refused("bad_phone", svc.book, STATION, at(0, "09:00"), "张三", "010-12345678")
    refused("bad_name", svc.book, STATION, at(0, "09:00"), "   ", PHONES[0])
    refused("bad_name", svc.book, STATION, at(0, "09:00"), "张" * 21, PHONES[0])
    refused("bad_name", svc.book, STATION, at(0, "09:00"), "张\x00三", PHONES[0])
    refused("unknown_station", svc.book, "nowhere", at(0, "09:00"), "张三", PHONES[0])
    assert svc.book(STATION, at(0, "09:00"), "张" * 20, PHONES[0])


def test_slot_full_offers_the_nearest_free_times(svc):
    for phone in PHONES[:3]:
        svc.book(STATION, at(0, "09:00"), "张三", phone)
    e = refused("slot_full", svc.book, STATION, at(0, "09:00"), "李四", PHONES[3])
    assert [s.start for s in e.alternatives] == [at(0, "09:30"), at(0, "10:00"), at(0, "10:30")]
    assert svc.slots(STATION, at(0, "0:00").date())[0].remaining == 0
    assert len(svc.day_bookings(STATION, at(0, "0:00").date())) == 3
    counters_match_bookings(svc)


def test_one_active_booking_per_phone(svc):
    first = svc.book(STATION, at(0, "09:00"), "张三", PHONES[0])
    e = refused("already_booked", svc.book, "qj-qilin", at(1, "09:00"), "李四", PHONES[0])
    # Whoever typed the phone learns that it has a booking, nothing about it.
    assert first.code not in e.reason and "09:00" not in e.reason and "11月23日" not in e.reason
    assert "古楼" not in e.reason and "张三" not in e.reason and "预约码" in e.reason
    assert not hasattr(e, "booking")
    svc.cancel(first.code, PHONES[0])
    assert svc.book("qj-qilin", at(1, "09:00"), "张三", PHONES[0]).code != first.code


def test_the_database_enforces_one_active_booking_per_phone(svc):
    svc.book(STATION, at(0, "09:00"), "张三", PHONES[0])
    with pytest.raises(IntegrityError):
        with svc._write() as session, session.begin():
            session.execute(insert(Booking).values(
                code="ZZZZZZ", station_id=STATION, start=at(1, "09:00"), name="x",
                phone=PHONES[0], status="booked", created_at=NOW, changed_at=NOW))
    with svc._write() as session, session.begin():  # an inactive one is fine
        session.execute(insert(Booking).values(
            code="ZZZZZZ", station_id=STATION, start=at(1, "09:00"), name="x",
            phone=PHONES[0], status="cancelled", created_at=NOW, changed_at=NOW))


def test_a_past_unmarked_booking_does_not_block(svc, clock):
    old = svc.book(STATION, at(0, "09:00"), "张三", PHONES[0])
    clock.set(at(0, "09:31"))
    new = svc.book(STATION, at(1, "09:00"), "张三", PHONES[0])
    assert svc.find(old.code, PHONES[0]).status == "no_show"
    assert svc.find(new.code, PHONES[0]).status == "booked"
    assert svc.count_active_by_phone(PHONES[0]) == 1
    assert svc.mark(old.code, "attended").status == "attended"  # staff can correct it


# --- cancel, reschedule, look-ups ---------------------------------------------------------------

def test_cancel(svc, clock):
    booking = svc.book(STATION, at(0, "09:00"), "张三", PHONES[0])
    unknown = refused("unknown_code", svc.cancel, "ABCDEF", PHONES[0])
    mismatch = refused("unknown_code", svc.cancel, booking.code, PHONES[1])  # reads like an unknown code
    assert mismatch.reason == unknown.reason.replace("ABCDEF", booking.code)
    assert svc.find(booking.code, PHONES[0]).status == "booked"
    refused("bad_code", svc.cancel, "ABC", PHONES[0])
    refused("bad_code", svc.cancel, "ABCDE0", PHONES[0])
    refused("bad_phone", svc.cancel, booking.code, "123")
    cancelled = svc.cancel(booking.code, PHONES[0])
    assert cancelled.status == "cancelled" and cancelled.changed_at == NOW
    assert svc.slots(STATION, at(0, "0:00").date())[0].remaining == 3
    refused("not_active", svc.cancel, booking.code, PHONES[0])
    counters_match_bookings(svc)
    other = svc.book(STATION, at(0, "09:00"), "李四", PHONES[1])
    clock.set(at(0, "09:00"))
    refused("past_time", svc.cancel, other.code, PHONES[1])


def test_look_ups_need_the_code_and_the_right_phone(svc):
    mine = svc.book(STATION, at(0, "09:00"), "张三", PHONES[0])
    theirs = svc.book(STATION, at(0, "09:00"), "李四", PHONES[1])
    other_phone = refused("unknown_code", svc.find, mine.code, PHONES[1])
    unknown = refused("unknown_code", svc.find, "ABCDEF", PHONES[0])
    assert other_phone.reason == unknown.reason.replace("ABCDEF", mine.code)  # alike: nothing to learn
    assert svc.find(mine.code, PHONES[0]).name == "张三" and svc.find(theirs.code, PHONES[1]).name == "李四"
    # A phone alone: a number, nothing else.
    assert svc.count_active_by_phone(PHONES[0]) == 1 and svc.count_active_by_phone(PHONES[2]) == 0
    assert not hasattr(svc, "find_by_phone")
    svc.cancel(mine.code, PHONES[0])
    assert svc.count_active_by_phone(PHONES[0]) == 0 and svc.count_active_by_phone(PHONES[1]) == 1
    refused("bad_phone", svc.count_active_by_phone, "12345")


def test_a_booking_over_is_not_counted_as_active(svc, clock):
    svc.book(STATION, at(0, "09:00"), "张三", PHONES[0])
    clock.set(at(0, "09:29"))
    assert svc.count_active_by_phone(PHONES[0]) == 1
    clock.set(at(0, "09:30"))  # the slot is over, though staff have not marked it yet
    assert svc.count_active_by_phone(PHONES[0]) == 0


def test_reschedule(svc):
    booking = svc.book(STATION, at(0, "09:00"), "张三", PHONES[0])
    moved = svc.reschedule(booking.code, PHONES[0], at(1, "14:00"))
    assert moved.code == booking.code and moved.start == at(1, "14:00")
    assert svc.slots(STATION, at(0, "0:00").date())[0].remaining == 3
    assert svc.slots(STATION, at(1, "0:00").date())[7].remaining == 2
    other = svc.reschedule(booking.code, PHONES[0], at(2, "09:00"), station_id="qj-qilin")
    assert other.station_id == "qj-qilin"
    refused("unknown_code", svc.reschedule, booking.code, PHONES[1], at(2, "09:30"))
    refused("closed_day", svc.reschedule, booking.code, PHONES[0], at(5, "09:30"))
    for phone in PHONES[1:4]:
        svc.book("qj-qilin", at(3, "09:00"), "李四", phone)
    e = refused("slot_full", svc.reschedule, booking.code, PHONES[0], at(3, "09:00"))
    assert e.alternatives
    assert svc.find(booking.code, PHONES[0]).start == at(2, "09:00")  # unchanged
    counters_match_bookings(svc)
    svc.cancel(booking.code, PHONES[0])
    refused("not_active", svc.reschedule, booking.code, PHONES[0], at(2, "09:30"))


# --- staff -----------------------------------------------------------------------------------

def test_staff_marks_and_day_list(svc, clock):
    a = svc.book(STATION, at(0, "10:00"), "张三", PHONES[0])
    b = svc.book(STATION, at(0, "09:00"), "李四", PHONES[1])
    c = svc.book(STATION, at(1, "09:00"), "王五", PHONES[2])
    svc.cancel(b.code, PHONES[1])
    assert [x.code for x in svc.day_bookings(STATION, at(0, "0:00").date())] == [b.code, a.code]
    assert [x.code for x in svc.day_bookings(STATION, at(0, "0:00").date(),
                                            include_cancelled=False)] == [a.code]
    refused("too_early", svc.mark, c.code, "attended")
    refused("not_active", svc.mark, b.code, "attended")
    refused("unknown_code", svc.mark, "ABCDEF", "attended")
    clock.set(at(0, "10:05"))
    assert svc.mark(a.code, "attended").status == "attended"
    assert svc.mark(a.code, "no_show").status == "no_show"
    with pytest.raises(ValueError):
        svc.mark(a.code, "cancelled")
    # attended/no_show keep the seat; the phone may book again
    assert svc.slots(STATION, at(0, "0:00").date())[2].remaining == 2
    assert svc.book(STATION, at(2, "09:00"), "张三", PHONES[0])
    counters_match_bookings(svc)


# --- logs ------------------------------------------------------------------------------------

def test_logs_mask_phone_numbers_and_never_name_anyone(svc, caplog):
    caplog.set_level(logging.DEBUG, logger="bot.appointments")
    booking = svc.book(STATION, at(0, "09:00"), "张三丰", "13812345678")
    with pytest.raises(BookingRefused):
        svc.book(STATION, at(0, "09:30"), "张三丰", "13812345678")
    svc.reschedule(booking.code, "13812345678", at(0, "10:00"))
    with pytest.raises(BookingRefused):
        svc.cancel(booking.code, "13912345678")
    svc.cancel(booking.code, "13812345678")
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("bot.appointments")]
    assert any("138****5678" in m for m in messages) and any("139****5678" in m for m in messages)
    assert not any("13812345678" in m or "13912345678" in m or "张三丰" in m for m in messages)


# --- concurrency (threads; the process race is in test_appointments_race.py) ------------------

def test_thread_race_for_one_slot(svc):
    tiny = add_tiny_station(svc, seats=3)
    results: list[object] = []
    barrier = threading.Barrier(12)

    def attempt(phone: str) -> None:
        barrier.wait()
        try:
            results.append(svc.book(tiny, at(1, "09:00"), "张三", phone).code)
        except BookingRefused as error:
            results.append(error.code)
        except Exception as error:  # noqa: BLE001 - recorded for the assertion
            results.append(repr(error))

    threads = [threading.Thread(target=attempt, args=(phone,)) for phone in PHONES[:12]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    won = [r for r in results if r != "slot_full"]
    assert len(results) == 12 and len(won) == 3, results
    assert all(isinstance(c, str) and len(c) == 6 and set(c) <= set(CODE_ALPHABET) for c in won), results
    assert svc.slots(tiny, at(1, "0:00").date())[0].remaining == 0
    counters_match_bookings(svc)


def test_thread_race_one_phone_many_slots(svc):
    results: list[str] = []
    barrier = threading.Barrier(6)

    def attempt(hhmm: str) -> None:
        barrier.wait()
        try:
            svc.book(STATION, at(1, hhmm), "张三", PHONES[0])
            results.append("ok")
        except BookingRefused as error:
            results.append(error.code)
        except Exception as error:  # noqa: BLE001
            results.append(repr(error))

    threads = [threading.Thread(target=attempt, args=(t,))
               for t in ("09:00", "09:30", "10:00", "10:30", "11:00", "11:30")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == ["already_booked"] * 5 + ["ok"], results
    counters_match_bookings(svc)


def test_postgres_url_spelling_is_accepted():
    assert db.database_url("postgres://u@h/d") == "postgresql://u@h/d"


def test_default_url_is_var_under_cwd(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    url = db.database_url()
    assert url == f"sqlite:///{tmp_path.resolve() / 'var' / 'juzhu.db'}"
    try:
        db.get_engine(url).connect().close()
        assert (tmp_path / "var").is_dir()
        with db.get_engine(url).connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
    finally:
        db.dispose_engines()
