"""When a permit was issued or last endorsed, as people say it."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.parsing.when import parse_past_day

TODAY = dt.date(2026, 11, 22)


@pytest.mark.parametrize("text, day", [
    ("去年5月办的", dt.date(2025, 5, 1)),
    ("我的居住证是去年五月办的", dt.date(2025, 5, 1)),
    ("前年10月办的居住证", dt.date(2024, 10, 1)),
    ("2025年3月10日签注的", dt.date(2025, 3, 10)),
    ("居住证2025年12月办的", dt.date(2025, 12, 1)),
    ("今年2月", dt.date(2026, 2, 1)),
    ("12月办的", dt.date(2025, 12, 1)),  # said in November: last December
    ("上个月刚办的", dt.date(2026, 10, 1)),
    ("半年前办的", dt.date(2026, 5, 22)),
    ("一年前办的证", dt.date(2025, 11, 22)),
])
def test_past_days(text, day):
    assert parse_past_day(text, TODAY) == day


@pytest.mark.parametrize("text", ["什么时候签注", "明年5月", "下周一", "2027年1月办的"])
def test_no_past_day(text):
    assert parse_past_day(text, TODAY) is None
