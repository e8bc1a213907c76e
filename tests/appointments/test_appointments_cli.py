"""`juzhu stations/slots/book/cancel/booking/bookings/…`: JSON shapes and exit codes."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from bot.cli import main

from .conftest import PHONES

STATION = "lc-dongchangfu"
MONDAY = "2026-11-23"
TUESDAY = "2026-11-24"


@pytest.fixture
def juzhu(db_url, monkeypatch, capsys):
    """Run `juzhu ARGS…` in this process against a fresh database at 2026-11-23 08:00."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("JUZHU_NOW", f"{MONDAY} 08:00")

    def run(*argv: str):
        capsys.readouterr()
        try:
            code = main(list(argv))
        except SystemExit as exit_:  # argparse errors
            code = exit_.code
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    return run


def as_json(out: str):
    return json.loads(out)


def test_stations(juzhu):
    code, out, _ = juzhu("stations", "--json")
    stations = as_json(out)
    assert code == 0 and len(stations) == 20
    for station in stations:
        assert {"id", "name", "city", "county", "address", "phone", "hours", "sample"} <= set(station)
        assert station["sample"] is True
        assert station["hours"]["mon"] == ["09:00-12:00", "13:30-17:00"] and station["hours"]["sun"] == []
    code, out, _ = juzhu("stations", "--city", "qujing", "--json")
    assert code == 0 and {s["city"] for s in as_json(out)} == {"qujing"} and len(as_json(out)) == 9
    code, out, _ = juzhu("stations", "--city", "liaocheng")
    assert code == 0 and STATION in out and "示例" in out
    code, _, err = juzhu("stations", "--city", "beijing", "--json")
    assert code == 2 and "--city" in err and len(err.strip().splitlines()) == 1


def test_slots(juzhu):
    code, out, _ = juzhu("slots", "--station", STATION, "--date", MONDAY, "--json")
    slots = as_json(out)
    assert code == 0 and len(slots) == 13
    assert slots[0] == {"start": f"{MONDAY} 09:00", "end": f"{MONDAY} 09:30", "capacity": 3,
                        "remaining": 3, "bookable": True}
    code, out, err = juzhu("slots", "--station", STATION, "--date", "2026-11-29", "--json")
    assert code == 0 and as_json(out) == [] and "周日" in err
    code, out, _ = juzhu("slots", "--station", STATION, "--date", MONDAY)
    assert code == 0 and "09:00-09:30" in out and "剩余 3/3" in out
    code, _, err = juzhu("slots", "--station", STATION, "--date", "2026-13-01")
    assert code == 2 and "--date" in err and len(err.strip().splitlines()) == 1
    code, _, err = juzhu("slots", "--station", "nowhere", "--date", MONDAY)
    assert code == 2 and "--station" in err


def test_book_cancel_look_up(juzhu):
    code, out, err = juzhu("book", "--station", STATION, "--start", f"{MONDAY} 09:00",
                           "--name", "张三", "--phone", "138-1234-5678", "--json")
    booking = as_json(out)
    assert code == 0 and err == ""
    assert booking["station"] == STATION and booking["start"] == f"{MONDAY} 09:00"
    assert len(booking["code"]) == 6 and booking["phone"] == "138****5678"
    booking_code = booking["code"]

    code, out, _ = juzhu("booking", booking_code, "--phone", "13812345678", "--json")
    assert code == 0 and as_json(out)["code"] == booking_code and as_json(out)["status"] == "booked"
    code, out, _ = juzhu("booking", booking_code, "--phone", "13812345678")
    assert code == 0 and booking_code in out and "138****5678" in out
    # A phone alone: how many, nothing about them.
    code, out, _ = juzhu("booking", "--phone", "+86 13812345678", "--json")
    assert code == 0 and as_json(out) == {"active_bookings": 1}
    code, out, _ = juzhu("booking", "--phone", "13812345678")
    assert code == 0 and "该号码有1个有效预约，请提供预约码" in out and booking_code not in out and "09:00" not in out
    code, out, _ = juzhu("booking", "--phone", PHONES[0], "--json")
    assert code == 0 and as_json(out) == {"active_bookings": 0}

    # Another phone and an unknown code are refused alike.
    code, out, err = juzhu("cancel", booking_code, "--phone", PHONES[0], "--json")
    assert code == 1 and "没有找到" in err and as_json(out)["refused"] == "unknown_code"
    code, out, unknown = juzhu("cancel", "ABCDEF", "--phone", "13812345678", "--json")
    assert code == 1 and unknown.replace("ABCDEF", booking_code) == err
    assert as_json(out)["refused"] == "unknown_code"
    code, _, err = juzhu("cancel", "ABC", "--phone", "13812345678")
    assert code == 2 and "CODE" in err
    code, out, _ = juzhu("cancel", booking_code.lower(), "--phone", "13812345678", "--json")
    assert code == 0 and as_json(out)["status"] == "cancelled" and as_json(out)["code"] == booking_code
    code, _, err = juzhu("cancel", booking_code, "--phone", "13812345678")
    assert code == 1 and "已经取消" in err


def test_book_refusals(juzhu):
    for phone in PHONES[:3]:
        assert juzhu("book", "--station", STATION, "--start", f"{MONDAY} 09:00",
                     "--name", "张三", "--phone", phone)[0] == 0
    code, out, err = juzhu("book", "--station", STATION, "--start", f"{MONDAY} 09:00",
                           "--name", "李四", "--phone", PHONES[3], "--json")
    assert code == 1 and "已约满" in err and "最近的空闲时段" in err
    refusal = as_json(out)
    assert refusal["refused"] == "slot_full" and refusal["alternatives"][0]["start"] == f"{MONDAY} 09:30"

    def book(start, phone=PHONES[4], name="李四"):
        return juzhu("book", "--station", STATION, "--start", start, "--name", name, "--phone", phone)

    code, _, err = book("2026-11-22 09:00")
    assert code == 1 and "已过" in err
    code, _, err = book("2026-12-08 09:00")
    assert code == 1 and "14天" in err
    code, _, err = book("2026-11-28 09:00")
    assert code == 1 and "不办理" in err
    code, _, err = book(f"{MONDAY} 12:30")
    assert code == 1 and "办公时间" in err
    code, _, err = book(f"{MONDAY} 09:00", phone=PHONES[0])
    assert code == 1 and "已有一个有效预约" in err
    code, _, err = book(f"{MONDAY} 9am")
    assert code == 2 and "--start" in err
    code, _, err = book(f"{MONDAY} 10:00", phone="12345")
    assert code == 2 and "--phone" in err and len(err.strip().splitlines()) == 1
    code, _, err = book(f"{MONDAY} 10:00", name=" ")
    assert code == 2 and "--name" in err
    code, _, err = juzhu("book", "--station", "nowhere", "--start", f"{MONDAY} 10:00",
                         "--name", "李四", "--phone", PHONES[4])
    assert code == 2 and "--station" in err and "nowhere" in err
    code, _, err = juzhu("book", "--station", STATION)
    assert code == 2 and "required" in err


def test_bookings_staff_view(juzhu):
    codes = []
    for phone, start in ((PHONES[0], "10:00"), (PHONES[1], "09:00")):
        code, out, _ = juzhu("book", "--station", STATION, "--start", f"{MONDAY} {start}",
                             "--name", "张三", "--phone", phone, "--json")
        codes.append(as_json(out)["code"])
    code, out, _ = juzhu("bookings", "--station", STATION, "--date", MONDAY, "--json")
    rows = as_json(out)
    assert code == 0 and [r["code"] for r in rows] == [codes[1], codes[0]]
    assert rows[0]["phone"] == PHONES[1]  # staff see full numbers
    assert set(rows[0]) == {"code", "start", "end", "name", "phone", "party", "members", "status", "created_at",
                            "changed_at"}
    assert rows[0]["party"] == 1 and rows[0]["members"] == []
    code, out, _ = juzhu("bookings", "--station", STATION, "--date", MONDAY, "--csv")
    table = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["code"] for r in table] == [codes[1], codes[0]] and table[0]["phone"] == PHONES[1]
    code, out, _ = juzhu("bookings", "--station", STATION, "--date", MONDAY)
    assert code == 0 and codes[0] in out and "2 条预约" in out
    code, _, err = juzhu("bookings", "--station", STATION, "--date", MONDAY, "--json", "--csv")
    assert code == 2 and "not allowed" in err
    code, out, _ = juzhu("bookings", "--station", STATION, "--date", TUESDAY, "--json")
    assert code == 0 and as_json(out) == []


def test_reschedule_mark_and_closed_day(juzhu, monkeypatch):
    code, out, _ = juzhu("book", "--station", STATION, "--start", f"{MONDAY} 09:00",
                         "--name", "张三", "--phone", PHONES[0], "--json")
    booking_code = as_json(out)["code"]
    code, out, _ = juzhu("reschedule", booking_code, "--phone", PHONES[0], "--start", f"{MONDAY} 10:00", "--json")
    assert code == 0 and as_json(out)["start"] == f"{MONDAY} 10:00"
    code, out, _ = juzhu("closed-day", "--date", TUESDAY, "--reason", "内部培训", "--station", STATION)
    assert code == 0
    code, _, err = juzhu("reschedule", booking_code, "--phone", PHONES[0], "--start", f"{TUESDAY} 10:00")
    assert code == 1 and "内部培训" in err
    code, _, err = juzhu("mark", booking_code, "attended")
    assert code == 0
    code, _, err = juzhu("mark", booking_code, "gone")
    assert code == 2 and "invalid choice" in err
    monkeypatch.setenv("JUZHU_NOW", "yesterday")
    code, _, err = juzhu("stations")
    assert code == 2 and "JUZHU_NOW" in err


IMPORT_HEADER = "id,name,city,county,address,phone,hours,slot_minutes,seats_per_slot,sample\n"


def test_stations_import(juzhu, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(IMPORT_HEADER
                   + "lc-new,新派出所,liaocheng,冠县,地址,0635-1234567,mon-fri 09:00-12:00,30,2,false\n"
                   + "lc-bad,坏派出所,liaocheng,冠县,地址,0635-1234567,mon-fri 09:00-25:00,30,2,false\n",
                   encoding="utf-8")
    code, out, err = juzhu("stations", "import", str(bad))
    assert code == 2 and "line 3" in err and "hours" in err and "nothing imported" in err
    code, out, _ = juzhu("stations", "--json")
    assert len(as_json(out)) == 20 and "lc-new" not in out

    good = tmp_path / "good.csv"
    good.write_text(IMPORT_HEADER
                    + "lc-new,新派出所,liaocheng,冠县,地址,0635-1234567,mon-sat 09:00-12:00,20,2,false\n"
                    + f"{STATION},东昌府户政大厅,liaocheng,东昌府,东昌路1号,0635-7654321,mon-fri 08:30-12:00,30,5,false\n",
                    encoding="utf-8")
    code, out, _ = juzhu("stations", "import", str(good), "--json")
    assert code == 0 and as_json(out) == {"imported": 2, "inserted": 1, "updated": 1,
                                          "removed_samples": [], "kept_samples": []}
    code, out, _ = juzhu("stations", "--json")
    stations = {s["id"]: s for s in as_json(out)}
    assert len(stations) == 21
    assert stations[STATION]["name"] == "东昌府户政大厅" and stations[STATION]["sample"] is False
    assert stations["lc-new"]["hours"]["sat"] == ["09:00-12:00"]
    code, out, _ = juzhu("slots", "--station", STATION, "--date", MONDAY, "--json")
    assert as_json(out)[0] == {"start": f"{MONDAY} 08:30", "end": f"{MONDAY} 09:00", "capacity": 5,
                               "remaining": 5, "bookable": True}
    code, _, err = juzhu("stations", "import", str(tmp_path / "missing.csv"))
    assert code == 2 and "no such file" in err

    assert juzhu("book", "--station", "qj-qilin", "--start", f"{MONDAY} 09:00", "--name", "张三",
                 "--phone", PHONES[0])[0] == 0
    code, out, err = juzhu("stations", "import", str(good), "--remove-samples", "--json")
    result = as_json(out)
    assert code == 0 and result["kept_samples"] == ["qj-qilin"] and len(result["removed_samples"]) == 18
    assert "qj-qilin" in err
    code, out, _ = juzhu("stations", "--json")
    assert sorted(s["id"] for s in as_json(out)) == [STATION, "lc-new", "qj-qilin"]


def test_an_import_into_an_empty_database_does_not_seed(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    good = tmp_path / "good.csv"
    good.write_text(IMPORT_HEADER + "lc-new,新派出所,liaocheng,冠县,地址,0635-1,mon 09:00-12:00\n",
                    encoding="utf-8")
    assert main(["stations", "import", str(good)]) == 0
    capsys.readouterr()
    assert main(["stations", "--json"]) == 0
    assert [s["id"] for s in json.loads(capsys.readouterr().out)] == ["lc-new"]


CONSOLE = "import sys; from bot.cli import main; sys.exit(main())"  # what .venv/bin/juzhu runs


def test_the_console_command_in_a_process(sqlite_url, tmp_path):
    env = dict(os.environ, DATABASE_URL=sqlite_url, JUZHU_NOW=f"{MONDAY} 08:00")
    done = subprocess.run([sys.executable, "-c", CONSOLE, "book", "--station", STATION, "--start",
                           f"{MONDAY} 09:00", "--name", "张三", "--phone", "13812345678", "--json"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert as_json(done.stdout)["station"] == STATION
    done = subprocess.run([sys.executable, "-c", CONSOLE, "book", "--station", STATION, "--start",
                           "2026-11-22 09:00", "--name", "张三", "--phone", "13912345678"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert done.returncode == 1 and "已过" in done.stderr and "Traceback" not in done.stderr


def test_default_database_is_created_under_var(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run([sys.executable, "-c", CONSOLE, "stations", "--json"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert len(as_json(done.stdout)) == 20 and (tmp_path / "var" / "juzhu.db").is_file()
