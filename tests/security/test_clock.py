"""One Asia/Shanghai clock: a UTC server agrees with itself between 00:00 and 08:00 Beijing time."""
from __future__ import annotations

import datetime as dt
import json

from bot.platform import clock

# 23:30 UTC on 22 November is 07:30 on 23 November in Shanghai.
UTC_LATE_EVENING = "2026-11-22T23:30:00+00:00"


def test_today_is_the_shanghai_day_whatever_the_server_zone(monkeypatch):
    monkeypatch.delenv("JUZHU_TODAY", raising=False)
    monkeypatch.setenv("JUZHU_NOW", UTC_LATE_EVENING)
    monkeypatch.setenv("TZ", "UTC")
    assert clock.today() == dt.date(2026, 11, 23)
    assert clock.local_now(clock.env_clock()) == dt.datetime(2026, 11, 23, 7, 30)


def test_an_assessment_without_as_of_is_made_on_the_shanghai_day(monkeypatch, capsys):
    from bot.cli import main

    monkeypatch.delenv("JUZHU_TODAY", raising=False)
    monkeypatch.setenv("JUZHU_NOW", UTC_LATE_EVENING)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(json.dumps(
        {"city": "liaocheng", "hukou": {"province": "河北省"}, "lived_months": 2, "registered_months": 2,
         "housing": "rented"})))
    assert main(["assess", "--json"]) == 0
    decision = json.loads(capsys.readouterr().out)
    # Four months from the Shanghai day (23 Nov), not from the UTC day (22 Nov).
    assert decision["verdict"] == "not_yet_eligible"
    assert decision["eligible_from"] == "2027-03-23"
