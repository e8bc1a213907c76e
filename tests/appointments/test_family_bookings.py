"""One visit for a family: a booking for N applicants takes N seats (CLI,
service, retention, and a race of mixed-size bookings on SQLite and PostgreSQL)."""
from __future__ import annotations

import json
import random
import threading

from sqlalchemy import func, select, update

from bot.appointments.models import Booking, BookingMember, SlotCount, Station
from bot.appointments.results import Member
from bot.appointments.service import AppointmentService
from bot.appointments.validation import BookingRefused
from bot.cli import main

from .conftest import PHONES, FakeClock, at

STATION = "qj-qilin"  # 3 seats a slot
START = "2026-11-24 09:00"


def run(capsys, *argv: str):
    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_party_of_three_fills_a_three_seat_slot_and_the_next_booking_is_refused(db_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("JUZHU_NOW", "2026-11-23 08:00")
    code, out, err = run(capsys, "book", "--station", STATION, "--start", START, "--name", "王芳",
                         "--phone", PHONES[0], "--party", "3", "--member", "child:王小明", "--member", "孩子",
                         "--json")
    assert code == 0, err
    booking = json.loads(out)
    assert booking["party"] == 3
    assert booking["members"] == [{"relation": "child", "name": "王小明"}, {"relation": "child", "name": None}]

    code, out, _ = run(capsys, "slots", "--station", STATION, "--date", "2026-11-24", "--json")
    assert json.loads(out)[0]["remaining"] == 0

    code, out, err = run(capsys, "book", "--station", STATION, "--start", START, "--name", "李四",
                         "--phone", PHONES[1], "--party", "1", "--json")
    assert code == 1 and "已约满" in err and json.loads(out)["refused"] == "slot_full"

    # The staff view: one row for the family, with the number of people.
    code, out, _ = run(capsys, "bookings", "--station", STATION, "--date", "2026-11-24", "--json")
    rows = json.loads(out)
    assert [(row["code"], row["party"]) for row in rows] == [(booking["code"], 3)]
    code, out, _ = run(capsys, "bookings", "--station", STATION, "--date", "2026-11-24")
    assert "1 条预约，3 人" in out and "3人（子女 王小明；子女）" in out


def test_party_too_big_or_too_many_members_is_bad_input(sqlite_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("JUZHU_NOW", "2026-11-23 08:00")
    base = ("book", "--station", STATION, "--start", START, "--name", "王芳", "--phone", PHONES[0], "--json")
    code, _, err = run(capsys, *base, "--party", "6")
    assert code == 2 and "--party" in err
    code, _, err = run(capsys, *base, "--party", "2", "--member", "child", "--member", "parent")
    assert code == 2 and "--member" in err
    code, _, err = run(capsys, *base, "--member", "cousin:王五")
    assert code == 2 and "RELATION" in err
    code, out, _ = run(capsys, "slots", "--station", STATION, "--date", "2026-11-24", "--json")
    assert json.loads(out)[0]["remaining"] == 3  # nothing booked


def test_a_family_is_offered_only_slots_with_room_for_all_and_moves_with_all_its_seats(svc):
    start = at(1, "09:00")
    svc.book(STATION, start, "张三", PHONES[0])  # 2 seats left at 09:00
    with_room = svc.days_with_free_seats(STATION, seats=3)
    assert with_room and with_room[0].remaining >= 3
    try:
        svc.book(STATION, start, "王芳", PHONES[1], party=3)
        raise AssertionError("a party of 3 got a slot with 2 seats")
    except BookingRefused as refusal:
        assert refusal.code == "slot_full" and "不够3人" in refusal.reason
        assert refusal.alternatives and all(slot.remaining >= 3 for slot in refusal.alternatives)
    family = svc.book(STATION, at(1, "09:30"), "王芳", PHONES[1], party=3,
                      members=[Member("child", "王小明"), ("parent", None)])
    # Moving to 09:00 (2 seats left) is refused; to 10:00 moves all three seats.
    try:
        svc.reschedule(family.code, PHONES[1], start)
        raise AssertionError("rescheduled 3 people into 2 seats")
    except BookingRefused as refusal:
        assert refusal.code == "slot_full"
    moved = svc.reschedule(family.code, PHONES[1], at(1, "10:00"))
    assert moved.code == family.code and moved.party == 3
    remaining = {slot.start: slot.remaining for slot in svc.slots(STATION, start.date())}
    assert remaining[at(1, "09:30")] == 3 and remaining[at(1, "10:00")] == 0
    svc.cancel(family.code, PHONES[1])
    assert {slot.start: slot.remaining for slot in svc.slots(STATION, start.date())}[at(1, "10:00")] == 3


def test_retention_removes_the_family_members_names(sqlite_url):
    clock = FakeClock()
    svc = AppointmentService(sqlite_url, clock=clock)
    svc.book(STATION, at(1, "09:00"), "王芳", PHONES[0], party=2, members=[Member("spouse", "李强")])
    clock.set(clock.now.replace(year=2027))
    assert svc.anonymise_bookings(30) == 1
    with svc._read() as session:
        assert session.execute(select(BookingMember.name)).scalars().all() == [None]
        assert session.execute(select(BookingMember.relation)).scalars().all() == ["spouse"]


def test_twenty_concurrent_mixed_size_bookings_never_exceed_the_seats(db_url):
    service = AppointmentService(db_url, clock=FakeClock())
    seats = 7
    with service._write() as session, session.begin():
        session.execute(update(Station).where(Station.id == STATION).values(seats_per_slot=seats))
    start = at(1, "09:00")
    sizes = [random.Random(index).randint(1, 5) for index in range(20)]
    results: list = [None] * len(sizes)
    barrier = threading.Barrier(len(sizes))

    def racer(index: int) -> None:
        racer_service = AppointmentService(db_url, clock=FakeClock(), ensure=False)
        barrier.wait()
        try:
            results[index] = racer_service.book(STATION, start, f"申请人{index}", PHONES[index], party=sizes[index])
        except BookingRefused as refusal:
            results[index] = refusal

    threads = [threading.Thread(target=racer, args=(index,)) for index in range(len(sizes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    won = [(size, result) for size, result in zip(sizes, results) if not isinstance(result, BookingRefused)]
    lost = [(size, result) for size, result in zip(sizes, results) if isinstance(result, BookingRefused)]
    assert all(result is not None for result in results)
    assert won and lost and {refusal.code for _, refusal in lost} == {"slot_full"}
    taken = sum(size for size, _ in won)
    assert taken <= seats
    # Every refused party found fewer free seats than it needed, so what is left is less than the smallest refused.
    assert seats - taken < min(size for size, _ in lost)
    with service._read() as session:
        assert session.execute(select(SlotCount.booked).where(
            SlotCount.station_id == STATION, SlotCount.start == start)).scalar_one() == taken
        assert session.execute(select(func.sum(Booking.party))).scalar_one() == taken
