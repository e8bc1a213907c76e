import datetime as dt
import subprocess
import sys

import pytest

from bot.parsing import parse_age, parse_months, parse_registered

TODAY = dt.date(2026, 11, 22)


@pytest.mark.parametrize("text, months", [
    ("8", 8), ("8个月", 8), ("八个月", 8), ("半年", 6), ("一年多", 12), ("两年半", 30),
    ("一年零三个月", 15), ("两个多月", 2), ("快一年了", 11), ("十来个月", 10), ("三年", 36),
    ("一年半", 18), ("刚来", 0), ("刚搬来", 0), ("不到一个月", 0),
])
def test_durations_from_the_brief(text, months):
    assert parse_months(text, TODAY) == months


@pytest.mark.parametrize("text, months", [
    ("８个月", 8), ("１２", 12), (" 8 个月 ", 8), ("一年 零 三个月", 15),  # full width, spaces
    ("1.5年", 18), ("两个半月", 2), ("一年零3个月", 15), ("18个月", 18),
    ("两三年", 24), ("八九个月", 8), ("十几个月", 10), ("十多年", 120),  # lower bound
    ("将近一年", 11), ("没到半年", 5), ("快两年了", 23),
    ("住了20年", 240), ("二十年", 240),  # years, not the year 2020
    ("三天", 0), ("一个礼拜", 0), ("住了八个月了", 8),
    ("两年前来的", 24), ("三个月前", 3), ("两年多前来的", 24), ("一年多来", 12),  # 前/来 after a duration
])
def test_colloquial_durations(text, months):
    assert parse_months(text, TODAY) == months


@pytest.mark.parametrize("text, months", [
    ("去年三月来的", 20),          # from 2025-03-01, floored
    ("2024年5月", 30),
    ("2024年5月来的", 30),
    ("24年5月", 30),
    ("今年1月", 10),
    ("三月份来的", 8),             # a month without a year: the last March
    ("十二月来的", 11),            # December is still to come this year: last December
    ("上个月来的", 1),
    ("2025年11月23日", 11),        # one day short of a year
    ("2025年11月22日", 12),
])
def test_start_dates_count_whole_months_to_today(text, months):
    assert parse_months(text, TODAY) == months


@pytest.mark.parametrize("text, today, months", [
    ("2026年1月31日来的", dt.date(2026, 2, 28), 1),  # month end: 31 Jan -> 28 Feb is a month
    ("2026年1月31日来的", dt.date(2026, 2, 27), 0),
    ("2024年2月29日", dt.date(2025, 2, 28), 12),
    ("2025年3月31日", dt.date(2025, 4, 30), 1),
    ("2026-01-31", dt.date(2026, 3, 1), 1),
    ("去年三月来的", dt.date(2026, 3, 31), 12),
])
def test_month_ends(text, today, months):
    assert parse_months(text, today) == months


@pytest.mark.parametrize("text", ["", "不知道", "几个月", "好几年", "2027年1月", "租房", "现在", "99999"])
def test_no_duration(text):
    assert parse_months(text, TODAY) is None


@pytest.mark.parametrize("text, expected", [
    ("没办", (True, None)), ("没有登记", (True, None)), ("没办过", (True, None)), ("还没", (True, None)),
    ("未登记", (True, None)), ("不", (True, None)),
    ("半年", (True, 6)), ("办了一年多了", (True, 12)), ("没到半年", (True, 5)), ("不到三个月", (True, 2)),
    ("去年三月登记的", (True, 20)), ("刚办的", (True, 0)), ("办了没多久，两个月", (True, 2)),
    ("没多久", (False, None)),  # "not long" is not "never"
    ("不知道", (False, None)), ("办了", (False, None)), ("", (False, None)),
])
def test_registered(text, expected):
    assert parse_registered(text, TODAY) == expected


@pytest.mark.parametrize("text, age", [
    ("35", 35), ("35岁", 35), ("三十五岁", 35), ("孩子8岁", 8), ("七十多了", 70), ("３５岁", 35),
    ("两岁", 2), ("八十五周岁", 85), ("今年七十", 70), ("二十几岁", 20), ("孩子才八个月", 0), ("十八个月大", 1), ("刚出生", 0), ("不到一岁", 0), ("两岁半", 2),
])
def test_age(text, age):
    assert parse_age(text) == age


@pytest.mark.parametrize("text", ["200岁", "131", "不知道", "", "老了"])
def test_no_age(text):
    assert parse_age(text) is None


def test_nothing_reaches_stdout():
    """The CLI prints JSON on stdout: jionlp's import banner must not get there."""
    code = ("from bot.parsing import parse_months, parse_place\n"
            "assert parse_months('八个月') == 8\n"
            "assert parse_place('河南周口')['city'] == '周口市'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == ""
