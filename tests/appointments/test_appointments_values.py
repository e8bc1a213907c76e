"""Phones, names, codes, opening hours, station files, tickets: no database."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from icalendar import Calendar
from PIL import Image

from bot.appointments.public_holidays import holiday_name
from bot.appointments.results import BookingInfo
from bot.appointments.stations import (StationFileError, format_hours, hours_chinese, parse_hours,
                                       read_station_file, slot_starts)
from bot.appointments.tickets import ics_bytes, qr_png
from bot.appointments import validation
from bot.appointments.validation import (CODE_ALPHABET, BookingRefused, clean_name, new_code,
                                         normalise_code, normalise_phone)


@pytest.mark.parametrize("raw", ["13812345678", "+86 138 1234 5678", "138-1234-5678",
                                 "0086 138 1234 5678", "(138) 1234-5678", "１３８１２３４５６７８",
                                 " 8613812345678 "])
def test_mainland_mobiles_are_accepted(raw):
    assert normalise_phone(raw) == "13812345678"


@pytest.mark.parametrize("raw", ["", None, "12345", "1381234567", "138123456789", "010-12345678",
                                 "0635-8888888", "+1 415 555 0100", "+852 9123 4567", "abc",
                                 "12812345678", "138 1234 5678 ext 9"])
def test_other_numbers_are_refused(raw):
    with pytest.raises(BookingRefused) as caught:
        normalise_phone(raw)
    assert caught.value.code == "bad_phone" and "手机" in caught.value.reason


def test_one_masking_module_for_the_whole_product():
    """Masking is bot.platform.masking's (logs, tracker store, replies): none of its own here."""
    import bot.appointments

    for name in ("mask_phone", "mask_phones_in", "PhoneMaskingFilter", "get_logger"):
        assert not hasattr(validation, name) and not hasattr(bot.appointments, name), name


def test_names():
    assert clean_name("  张三  ") == "张三"
    assert clean_name("阿卜杜 · 热合曼") == "阿卜杜 · 热合曼"
    assert clean_name("Li   Lei") == "Li Lei"
    for bad in ("", "   ", None, "x" * 21, "张\u0000三", "张\u200b三", "张\n三", "a\tb", "张\x07"):
        with pytest.raises(BookingRefused) as caught:
            clean_name(bad)
        assert caught.value.code == "bad_name"
    assert clean_name("x" * 20) == "x" * 20


def test_codes():
    assert not set("0O1IL") & set(CODE_ALPHABET)
    assert len(CODE_ALPHABET) == 31
    codes = {new_code() for _ in range(2000)}
    assert len(codes) > 1990  # random, not sequential
    assert all(len(code) == 6 and set(code) <= set(CODE_ALPHABET) for code in codes)
    assert normalise_code(" ab-c 234 ") == "ABC234"
    for bad in ("ABC23", "ABC2345", "ABC23O", "ABC231", "ABCDEL", ""):
        with pytest.raises(BookingRefused) as caught:
            normalise_code(bad)
        assert caught.value.code == "bad_code"


def test_opening_hours():
    hours = parse_hours("mon-fri 09:00-12:00,13:30-17:00; sat 09:00-12:00")
    assert format_hours(hours) == "mon-fri 09:00-12:00,13:30-17:00; sat 09:00-12:00"
    assert hours_chinese(hours) == "周一至周五 09:00-12:00、13:30-17:00；周六 09:00-12:00"
    monday = dt.date(2026, 11, 23)
    assert len(slot_starts(hours, monday, 30)) == 13
    assert len(slot_starts(hours, monday, 45)) == 4 + 4  # 09:00…11:15 | 13:30…15:45
    assert slot_starts(hours, monday + dt.timedelta(days=6), 30) == []
    for bad in ("", "mon 09:00", "xyz 09:00-10:00", "fri-mon 09:00-10:00", "mon 10:00-09:00",
                "mon 09:00-11:00,10:00-12:00", "mon 9-10", "mon 09:00-10:00; mon 11:00-12:00",
                "mon 25:00-26:00"):
        with pytest.raises(ValueError):
            parse_hours(bad)


def test_public_holidays():
    assert holiday_name(dt.date(2026, 10, 1)) == "国庆节"
    assert holiday_name(dt.date(2026, 2, 17)) == "春节"
    assert holiday_name(dt.date(2026, 11, 23)) is None
    assert holiday_name(dt.date(2026, 11, 28)) is None  # an ordinary Saturday is no holiday
    assert holiday_name(dt.date(2027, 1, 1)) == "元旦"  # past the library's years: the table


HEADER = "id,name,city,county,address,phone,hours,slot_minutes,seats_per_slot,sample\n"
GOOD = "lc-a,甲派出所,liaocheng,东昌府,地址1,0635-1,\"mon-fri 09:00-12:00\",30,3,false\n"


def test_station_file_good_rows_and_canonical_counties(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(HEADER + GOOD + "\n" + "qj-b,乙派出所,qujing,麒麟,地址2,0874-1,sat 09:00-10:00,,,\n",
                    encoding="utf-8-sig")
    rows = read_station_file(path)
    assert [r.county for r in rows] == ["东昌府区", "麒麟区"]
    assert rows[1].slot_minutes == 30 and rows[1].seats_per_slot == 3 and rows[1].sample is False
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes((HEADER + GOOD).encode("gb18030"))
    assert read_station_file(gbk)[0].name == "甲派出所"


@pytest.mark.parametrize("row, line, column", [
    ("LC A,甲,liaocheng,东昌府,地址,1,mon 09:00-10:00,,,\n", 3, "id"),
    ("lc-b,甲,beijing,东昌府,地址,1,mon 09:00-10:00,,,\n", 3, "city"),
    ("lc-b,甲,liaocheng,麒麟区,地址,1,mon 09:00-10:00,,,\n", 3, "county"),
    ("lc-b,甲,liaocheng,东昌府,地址,,mon 09:00-10:00,,,\n", 3, "phone"),
    ("lc-b,甲,liaocheng,东昌府,地址,1,monday 9-10,,,\n", 3, "hours"),
    ("lc-b,甲,liaocheng,东昌府,地址,1,mon 09:00-10:00,0,,\n", 3, "slot_minutes"),
    ("lc-b,甲,liaocheng,东昌府,地址,1,mon 09:00-10:00,30,x,\n", 3, "seats_per_slot"),
    ("lc-b,甲,liaocheng,东昌府,地址,1,mon 09:00-10:00,30,3,maybe\n", 3, "sample"),
    ("lc-a,甲,liaocheng,东昌府,地址,1,mon 09:00-10:00,,,\n", 3, "id"),  # duplicate
    ("lc-b,甲,liaocheng,东昌府,地址,1,mon 09:00-09:20,30,,\n", 3, "hours"),  # no slot fits
])
def test_station_file_bad_row_is_reported_by_line(tmp_path, row, line, column):
    path = tmp_path / "s.csv"
    path.write_text(HEADER + GOOD + row, encoding="utf-8")
    with pytest.raises(StationFileError) as caught:
        read_station_file(path)
    assert caught.value.errors[0].startswith(f"line {line}: {column}:"), caught.value.errors


def test_station_file_line_numbers_skip_blank_lines_and_header_problems(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(HEADER + "\n\n" + GOOD + "lc-b,甲,liaocheng,东昌府,地址,,mon 09:00-10:00\n",
                    encoding="utf-8")
    with pytest.raises(StationFileError) as caught:
        read_station_file(path)
    assert caught.value.errors == ["line 5: phone: empty"]
    path.write_text("id,name\nx,y\n", encoding="utf-8")
    with pytest.raises(StationFileError) as caught:
        read_station_file(path)
    assert "missing column" in caught.value.errors[0]


def _booking(**changes) -> BookingInfo:
    values = dict(code="ABC234", station_id="lc-dongchangfu", station_name="古楼派出所",
                  station_address="聊城市东昌府区东昌中路1号", station_phone="0635-0000001",
                  start=dt.datetime(2026, 11, 24, 9, 30), end=dt.datetime(2026, 11, 24, 10, 0),
                  name="张三", phone="13812345678", status="booked",
                  created_at=dt.datetime(2026, 11, 23, 8, 0), changed_at=dt.datetime(2026, 11, 23, 8, 0))
    values.update(changes)
    return BookingInfo(**values)


def test_ics():
    data = ics_bytes(_booking(), extra_description="请携带：身份证、住址证明")
    calendar = Calendar.from_ical(data)
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert len(events) == 1
    event = events[0]
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert str(start.tzinfo) == "Asia/Shanghai" and start.utcoffset() == dt.timedelta(hours=8)
    assert start.replace(tzinfo=None) == dt.datetime(2026, 11, 24, 9, 30)
    assert end - start == dt.timedelta(minutes=30)
    assert str(event["location"]) == "聊城市东昌府区东昌中路1号"
    assert "古楼派出所" in str(event["summary"])
    assert "ABC234" in str(event["description"]) and "住址证明" in str(event["description"])
    assert "ABC234" in str(event["uid"]) and str(event["status"]) == "CONFIRMED"
    assert any(c.name == "VTIMEZONE" and str(c["tzid"]) == "Asia/Shanghai" for c in calendar.walk())
    assert b"13812345678" not in data  # no applicant phone in the file
    cancelled = Calendar.from_ical(ics_bytes(_booking(status="cancelled")))
    assert str([c for c in cancelled.walk() if c.name == "VEVENT"][0]["status"]) == "CANCELLED"


def test_qr_png():
    data = qr_png("ABC234")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.width == image.height >= 21 * 8
    # The QR of the same code is the same picture; another code another one.
    assert qr_png("ABC234") == data and qr_png("XYZ789") != data


def test_a_booking_shows_its_phone_masked_but_to_staff():
    from bot.appointments.models import ANONYMISED_NAME

    assert _booking().to_dict()["phone"] == "138****5678"
    assert _booking().to_dict(full_phone=True)["phone"] == "13812345678"
    anonymised = _booking(name=ANONYMISED_NAME, phone=None)
    assert anonymised.to_dict()["phone"] == "" and anonymised.to_dict(full_phone=True)["phone"] is None
