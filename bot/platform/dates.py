"""Dates and times as people in the halls write them: the one formatter.

``date_text`` 2025年3月1日 (the law's dates, the 签注 deadline), ``day_text``
3月1日（周六） and ``moment_text`` 3月1日（周六） 09:30 (visits),
``month_day`` 3月1日, ``WEEKDAYS_ZH`` 周一…周日.
"""
from __future__ import annotations

import datetime as dt
from typing import Union

WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

Day = Union[dt.date, str]


def _day(day: Day) -> dt.date:
    return dt.date.fromisoformat(day[:10]) if isinstance(day, str) else day


def date_text(day: Day) -> str:
    day = _day(day)
    return f"{day.year}年{day.month}月{day.day}日"


def month_day(day: Day) -> str:
    day = _day(day)
    return f"{day.month}月{day.day}日"


def day_text(day: Day) -> str:
    day = _day(day)
    return f"{month_day(day)}（{WEEKDAYS_ZH[day.weekday()]}）"


def moment_text(moment: dt.datetime) -> str:
    return f"{day_text(moment.date())} {moment:%H:%M}"
