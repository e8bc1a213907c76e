"""30 `juzhu book` processes, released at once, for one slot with 3 seats:
exactly 3 codes, 27 clear refusals, no traceback — on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from sqlalchemy import func, select

from bot.appointments.models import Booking, SlotCount
from bot.appointments.service import AppointmentService
from bot.appointments.validation import CODE_ALPHABET

from .conftest import PHONES, FakeClock, at

RACERS = 30
STATION = "qj-qilin"

# Each racer is the console command (`juzhu` runs bot.cli:main) with its
# imports done and the parser built before the start line, so that all 30
# reach the database together once the "go" file appears.
RACER = r"""
import sys, time, pathlib
import bot.cli
bot.cli.build_parser()
import bot.appointments.service, sqlalchemy.dialects.postgresql, sqlalchemy.dialects.sqlite
ready, go = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
ready.touch()
deadline = time.monotonic() + 120
while not go.exists() and time.monotonic() < deadline:
    time.sleep(0.002)
sys.exit(bot.cli.main(sys.argv[3:]))
"""


def test_thirty_processes_race_for_three_seats(db_url, tmp_path):
    service = AppointmentService(db_url, clock=FakeClock())  # schema and stations ready
    assert service.station(STATION).seats_per_slot == 3
    start = at(1, "09:00")
    # The race is about capacity, not latency: thirty processes queueing for
    # SQLite's one write lock on a busy 2-core machine may wait longer than
    # the production timeout (5 s), so the racers get a generous one.
    env = dict(os.environ, DATABASE_URL=db_url, JUZHU_NOW="2026-11-23 08:00", DB_STATEMENT_TIMEOUT_S="60")
    go = tmp_path / "go"
    racers = []
    for index in range(RACERS):
        ready = tmp_path / f"ready-{index}"
        argv = [sys.executable, "-c", RACER, str(ready), str(go),
                "book", "--station", STATION, "--start", start.strftime("%Y-%m-%d %H:%M"),
                "--name", f"申请人{index}", "--phone", PHONES[index], "--json"]
        racers.append((ready, subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                               text=True, env=env, cwd=tmp_path)))
    deadline = time.monotonic() + 90
    while not all(ready.exists() for ready, _ in racers):
        assert time.monotonic() < deadline, "the racers did not start"
        assert all(p.poll() is None for _, p in racers), [p.communicate() for _, p in racers if p.poll() is not None]
        time.sleep(0.02)
    go.touch()
    results = [(p.wait(timeout=120), *p.communicate()) for _, p in racers]

    for code, out, err in results:
        assert "Traceback" not in out + err and "internal error" not in err, (code, out, err)
    won = [json.loads(out) for code, out, _ in results if code == 0]
    lost = [(out, err) for code, out, err in results if code == 1]
    assert len(won) == 3 and len(lost) == 27, [(c, e) for c, _, e in results]
    assert all(len(b["code"]) == 6 and set(b["code"]) <= set(CODE_ALPHABET) for b in won)
    assert len({b["code"] for b in won}) == 3
    assert all(b["station"] == STATION and b["start"] == "2026-11-24 09:00" for b in won)
    for out, err in lost:
        assert "已约满" in err  # the Chinese reason on stderr
        assert json.loads(out)["refused"] == "slot_full"

    with service._read() as session:
        assert session.execute(select(func.count()).select_from(Booking)).scalar_one() == 3
        assert session.execute(select(SlotCount.booked).where(
            SlotCount.station_id == STATION, SlotCount.start == start)).scalar_one() == 3
    assert service.slots(STATION, start.date())[0].remaining == 0
