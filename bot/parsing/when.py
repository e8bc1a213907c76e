"""When an applicant wants to come: "明天上午", "23号", "下周一九点半" -> day, time.

Best effort for the booking conversation; the buttons remain the sure way.
Nothing here knows about stations or free seats: the caller checks the
result against the store.

    parse_when("明天上午", today=date(2026, 11, 22))
    -> When(day=date(2026, 11, 23), time=None, part="am")
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Optional

from ._text import normalise, to_int

_N = "[0-9零〇一二两三四五六七八九十]"
_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5,
            "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_RELATIVE = (("大后天", 3), ("后天", 2), ("明天", 1), ("明日", 1), ("今天", 0), ("今日", 0))
_DAY_WORDS = re.compile(rf"(?:周|星期|礼拜)[一二三四五六日天末1-7]|{_N}{{1,3}}月{_N}{{1,3}}[日号]?|"
                        rf"{_N}{{1,3}}[日号]|20\d\d[-/.年]\d{{1,2}}[-/.月]\d{{1,2}}")
_PM = ("下午", "中午", "午后", "晚上", "傍晚")
_AM = ("上午", "早上", "早晨", "清早", "一早", "早点", "上半天")


@dataclass(frozen=True)
class When:
    day: Optional[dt.date] = None
    time: Optional[dt.time] = None
    part: Optional[str] = None  # "am" / "pm": 上午 / 下午 without an hour

    @property
    def empty(self) -> bool:
        return self.day is None and self.time is None and self.part is None


def _number(text: str) -> Optional[int]:
    if text.isdigit():
        return int(text)
    return to_int(text)


def _safe_date(year: int, month: int, day: int) -> Optional[dt.date]:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_day(text: str, today: dt.date) -> Optional[dt.date]:
    """The day named in ``text`` (the next one on or after ``today`` when the
    month or week is left out), or None."""
    text = normalise(text)
    match = re.search(r"(20\d\d)[-/.年](\d{1,2})[-/.月](\d{1,2})", text)
    if match:
        return _safe_date(*(int(g) for g in match.groups()))
    match = re.search(rf"({_N}{{1,3}})月({_N}{{1,3}})[日号]?", text) or \
        re.search(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})(?!\d)", text)
    if match:
        month, day = _number(match.group(1)), _number(match.group(2))
        if month and day:
            found = _safe_date(today.year, month, day)
            if found and found < today - dt.timedelta(days=31):
                found = _safe_date(today.year + 1, month, day)  # "1月5日" said in December
            return found
    for word, offset in _RELATIVE:
        if word in text:
            return today + dt.timedelta(days=offset)
    match = re.search(r"(下下|下个?|这个?|本)?(?:周|星期|礼拜)([一二三四五六日天末1-7])", text)
    if match:
        which, weekday = match.group(1) or "", _WEEKDAY[match.group(2)]
        monday = today - dt.timedelta(days=today.weekday())
        if which.startswith("下下"):
            return monday + dt.timedelta(days=14 + weekday)
        if which.startswith("下"):
            return monday + dt.timedelta(days=7 + weekday)
        if which:  # 这周 / 本周
            return monday + dt.timedelta(days=weekday)
        ahead = (weekday - today.weekday()) % 7
        return today + dt.timedelta(days=ahead)
    match = re.search(rf"(?<![0-9月])({_N}{{1,3}})[日号]", text)
    if match:
        day = _number(match.group(1))
        if day and 1 <= day <= 31:
            found = _safe_date(today.year, today.month, day)
            if found is None or found < today:  # the next month's
                month = today.month % 12 + 1
                year = today.year + (1 if month == 1 else 0)
                found = _safe_date(year, month, day)
            return found
    return None


def parse_time(text: str) -> tuple[Optional[dt.time], Optional[str]]:
    """(time, part of day) named in ``text``; an hour without 上午/下午 is read
    as office hours do: 7–11 the morning, 12–6 the afternoon."""
    text = _DAY_WORDS.sub(",", normalise(text))  # 周一九点: the 一 is the weekday's
    part = "pm" if any(word in text for word in _PM) else "am" if any(word in text for word in _AM) else None
    hour = minute = None
    match = re.search(r"(?<!\d)(\d{1,2})[:：](\d{2})(?!\d)", text)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
    else:
        match = re.search(rf"({_N}{{1,3}})[点時时](半|一刻|三刻|({_N}{{1,3}})分?)?", text)
        if match:
            hour = _number(match.group(1))
            rest = match.group(2) or ""
            minute = 30 if rest == "半" else 15 if rest == "一刻" else 45 if rest == "三刻" else \
                (_number(match.group(3)) if match.group(3) else 0)
    if hour is None or minute is None or not 0 <= minute < 60:
        return None, part
    if part == "pm" and hour < 12:
        hour += 12
    elif part is None and 1 <= hour <= 6:
        hour += 12
    if not 0 <= hour < 24:
        return None, part
    return dt.time(hour, minute), part


def parse_when(text: str, today: dt.date) -> When:
    day = parse_day(text, today)
    time, part = parse_time(text)
    return When(day=day, time=time, part=part)


# --- a day in the past: when a permit was issued or last endorsed ----------------------

_YEAR_WORDS = (("大前年", -3), ("前年", -2), ("去年", -1), ("今年", 0), ("本年", 0))


def parse_past_day(text: str, today: dt.date) -> Optional[dt.date]:
    """The day (or the first day of the month) in the past that ``text`` names:
    "去年5月办的", "2025年5月20日", "前年三月", "今年2月", "上个月", "半年前",
    "一年前", "3个月前"; None when it names none or a day after ``today``.

    A month without a day is read as its first day: for a deadline the
    earliest reading is the safe one (the caller says so)."""
    from .durations import parse_months

    text = normalise(text)
    if re.search(r"明年|后年|下个?月|以后|之后", text):  # the future is no issue date
        return None
    found: Optional[dt.date] = None
    match = re.search(r"(20\d\d)[-/.年](\d{1,2})(?:[-/.月](\d{1,2})[日号]?|月)?", text)
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        found = _safe_date(year, month, int(match.group(3)) if match.group(3) else 1)
    else:
        offset = next((years for word, years in _YEAR_WORDS if word in text), None)
        match = re.search(rf"({_N}{{1,3}})月(?:份)?(?:({_N}{{1,3}})[日号])?", text)
        month = _number(match.group(1)) if match else None
        if month and 1 <= month <= 12:
            day = _number(match.group(2)) if match.group(2) else 1
            year = today.year + (offset if offset is not None else 0)
            found = _safe_date(year, month, day or 1)
            if found and offset is None and found > today:  # "5月办的" said in March: last year's May
                found = _safe_date(year - 1, month, day or 1)
        elif re.search(r"上个?月", text):
            found = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        elif re.search(r"前|之前|以前", text):
            months = parse_months(text.split("前")[0], today)
            if months:
                found = _add_months(today, -months)
    if found is None or found > today:
        return None
    return found


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for last in (day.day, 30, 29, 28):
        moved = _safe_date(year, month + 1, min(day.day, last))
        if moved:
            return moved
    raise AssertionError("unreachable")  # pragma: no cover
