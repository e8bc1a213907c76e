"""Durations, start dates and ages.

jionlp finds and reads the time expressions (八个月, 一年零三个月, 两年半,
去年三月, 2024年5月); cn2an reads numerals. What is hand-written here is only
the colloquial glue jionlp does not know, applied as rewrites before it runs:
approximations (十来个月, 两三年, 快一年, 不到半年), calendar months without a
year (三月份来的), 上个月, and 刚来.

Decisions (where the brief was silent):
- Everything is floored to whole months: 一年多 -> 12, 两个半月 -> 2, 三天 -> 0.
- "快/将近/不到 N" means N minus one month (快一年 -> 11, 不到一个月 -> 0).
- Ranges and vague counts take the lower bound: 两三年 -> 24, 十几个月 -> 10.
- A start date counts from the first day of the period it names (去年三月 ->
  1 March last year, 2024年 -> 1 January 2024), whole months to ``today`` with
  dateutil's month arithmetic, as the rules engine's ``add_months`` does
  (31 January -> 28 February is one month).
- A calendar month without a year (三月来的) is the latest such month not after
  today; "N月" without 个 is always a calendar month.
- "20年" (one or two digits before 年, nothing after) is twenty years, not
  the year 2020; jionlp would read it as the year.
- "N年前" is the duration N years (not 1 January of that year).
- Dates after ``today`` are ignored.
- "没住满半年", "还没有一年" are "不到": less than the duration.

Every span also says whether it is ``approximate``: a vague or bounded
amount (快半年 -> 5, 不到一年 -> 11, 一年多 -> 12, 两三年 -> 24, 半年左右,
大概八个月) or a start date coarser than a day whose count depends on the
day (去年三月: from 1 March 20 months, from 31 March 19). The value is
still the reading above; the flag lets the caller say so or ask.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from dateutil.relativedelta import relativedelta

from ._text import NUM, digits, jionlp, normalise, to_int
from bot.platform import clock

MAX_MONTHS = 12 * 130
ARRIVED = "·"
_SPAN_PUNCTUATION = ",;。；!！?？、:：~… "  # stands for a 来 after a date in the rewritten text
MAX_AGE = 130

# 刚来 / 刚搬来 / 才到: arrived just now, when no duration is given.
_JUST_ARRIVED = re.compile(r"(刚刚?|才)(搬过?来|过来|来|到|搬|住)")
# "没到半年" is a duration, not "never": these are rewritten to 不到 first.
_NOT_YET = re.compile(r"还?(没有?到|没满|不满|未满|不足|没够|不够|没超过|不超过)")
# "没住满半年", "没登记到一年" -> 住不到半年.
_NOT_STAYED = re.compile(rf"(?:没有?|未|不)(住|待|呆|登记|交|缴|办)(?:了)?(?:满|到|够)(?={NUM}|半)")
# "还没有一年", "没一个月" -> 不到.
_NOT_A_WHOLE = re.compile(rf"没有?(?=(?:{NUM}+|半)(?:个多?|个半)?(?:月|年|周|星期|天))")
_APPROXIMATE_BEFORE = re.compile(r"(?:快|不到|差不多|大概|大约|约|估计|可能|好像|应该|少说|起码|至少|最少)\S{0,2}$")
_APPROXIMATE_AFTER = re.compile(r"^(?:多|左右|上下|前后|的样子|吧)")
_ALMOST = re.compile(r"差不多快|快要|快到|将近|接近|(?<!最)近(?=[0-9零一二两三四五六七八九十半])")


@dataclass(frozen=True)
class Span:
    """A duration found in a text: months, and where it sits in ``Found.text``."""

    months: int
    start: int
    end: int
    approximate: bool = False


@dataclass(frozen=True)
class Found:
    text: str  # the rewritten text the offsets refer to
    spans: tuple[Span, ...]
    just_arrived: Optional[int]  # offset of 刚来 & co., if present


def whole_months(start: dt.date, today: dt.date) -> int:
    delta = relativedelta(today, start)
    return delta.years * 12 + delta.months


def _calendar_month(match: re.Match, today: dt.date) -> str:
    month = to_int(match.group(1))
    if month is None or not 1 <= month <= 12:
        return match.group(0)
    year = today.year if month <= today.month else today.year - 1
    return f"{year}年{month}月"


def _rewrite(text: str, today: dt.date) -> str:
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    text = re.sub(r"上个?月", f"{last_month.year}年{last_month.month}月", text)
    text = re.sub(r"这个月|本月", f"{today.year}年{today.month}月", text)
    # Ranges (两三年, 八九个月) -> the lower bound, kept vague ("两年多"); cn2an
    # would read 两三 as 23.
    text = re.sub(r"([一二两三四五六七八九])[二三四五六七八九](个|年)(?!多)", r"\1\2多", text)
    text = re.sub(r"([一二两三四五六七八九])[二三四五六七八九](?=个|年|岁|周|天|星期)", r"\1", text)
    # "没住满半年", "还没有一年": less than.
    text = _NOT_STAYED.sub(r"\1不到", text)
    text = _NOT_YET.sub("不到", text)
    text = _NOT_A_WHOLE.sub("不到", text)
    text = _ALMOST.sub("快", text)
    text = digits(text)
    # 十来个月, 十几个月, 十多年 -> the lower bound, kept vague (10个多月, 10年多).
    text = re.sub(r"(\d)(?:来|几|多)(个|年)(?!多)", r"\1\2多", text)
    text = re.sub(r"(\d)(?:来|几|多)(?=个|年|岁|周|天|星期)", r"\1", text)
    text = re.sub(r"(?<=月)份", "", text)
    # "两年前来的" is two years ago; jionlp would start at 1 January of that year.
    text = re.sub(r"((?<![\d.])(?:\d{1,2}|半)(?:个多?|个半)?(?:年|月|天|周|星期)(?:多|半)?)(?:以)?前", r"\1", text)
    # A month with no 个 and no year before it is a calendar month.
    text = re.sub(r"(?<![年个0-9.\-/])(\d{1,2})月", lambda m: _calendar_month(m, today), text)
    # jionlp reads "三月来" as "since March" with a broken start; the 来 is
    # kept as ARRIVED, which jionlp ignores and ``numbers`` reads as 来.
    text = re.sub(r"(?<=[年月日号底初多半])(?:搬过来|搬来|过来|来)", ARRIVED, text)
    return text


def _delta_months(value: dict) -> Optional[int]:
    def amount(key: str) -> float:
        part = value.get(key) or 0
        return min(part) if isinstance(part, (list, tuple)) else float(part)

    if not any(key in value for key in ("year", "month", "day")):
        return None  # hours and minutes are not a stay
    return int(amount("year") * 12 + amount("month") + amount("day") / 30 + 1e-9)


def _span_months(item: dict, today: dt.date) -> Optional[tuple[int, bool]]:
    """(months, approximate by the date's precision), or None."""
    detail, said = item["detail"], item["text"]
    if detail["type"] == "time_delta":
        months = _delta_months(detail["time"])
        return None if months is None else (months, "多" in said)
    if detail["type"] not in ("time_point", "time_span"):
        return None  # 每年 and other periods
    if re.fullmatch(r"\d{1,2}年", said):
        return int(said[:-1]) * 12, False
    if not re.search(r"年|月|\d{4}|国庆|春节|元旦|五一|中秋|端午|清明|过年", said):
        return None  # 现在, 今天: not a start date
    try:
        start = dt.date.fromisoformat(detail["time"][0][:10])
    except (ValueError, TypeError, IndexError):
        return None
    if start > today:
        return None
    try:
        last = min(dt.date.fromisoformat(detail["time"][1][:10]), today)
    except (ValueError, TypeError, IndexError):
        last = start
    months = whole_months(start, today)
    return months, whole_months(last, today) != months


def find_durations(text: str, today: Optional[dt.date] = None) -> Found:
    """Every duration or start date in ``text``, in order."""
    return _find_durations(normalise(text), today or clock.today())


@lru_cache(maxsize=2048)
def _find_durations(plain: str, today: dt.date) -> Found:
    """``find_durations`` once per text and day: a turn reads one message several times
    (the facts, then the answer to the question), and jionlp's time parser is the slow part."""
    rewritten = _rewrite(plain, today)
    items = []
    # Clause by clause: over a whole message jionlp merges "办了1年,2025年3月" into one
    # expression and loses the first duration.
    for piece in re.finditer(r"[^,;。；!！?？、:：~…]+", rewritten):
        try:
            found = jionlp().ner.extract_time(
                piece.group(), time_base=dt.datetime.combine(today, dt.time()), with_parsing=True)
        except Exception:  # jionlp raises assorted errors on odd input
            found = []
        for item in found:
            start, end = item["offset"]
            items.append({**item, "offset": [start + piece.start(), end + piece.start()]})
    spans = []
    for item in items:
        try:
            read = _span_months(item, today)
        except (KeyError, TypeError, ValueError):
            read = None
        if read is None:
            continue
        months, approximate = read
        start, end = item["offset"]
        while start < end and rewritten[start] in _SPAN_PUNCTUATION:  # jionlp may take the comma before
            start += 1
        if item["text"] in ("今年", "去年", "前年") and re.match(rf"{NUM}|岁", rewritten[end:end + 1]):
            continue  # "今年68了", "今年8岁": an age, not since when
        if re.search(r"(快|不到)$", rewritten[:start]):
            months = max(0, months - 1)
        clause = _clause_around(rewritten, start, end)
        approximate = approximate or bool(_APPROXIMATE_BEFORE.search(rewritten[clause[0]:start])
                                          or _APPROXIMATE_AFTER.match(rewritten[end:clause[1]]))
        if months <= MAX_MONTHS:
            spans.append(Span(months, start, end, approximate))
    arrived = _JUST_ARRIVED.search(rewritten)
    return Found(rewritten, tuple(spans), arrived.start() if arrived else None)


def _clause_around(text: str, start: int, end: int) -> tuple[int, int]:
    marks = [m.start() for m in re.finditer(r"[,;。；!！?？、:：~…]", text)]
    return (max([m + 1 for m in marks if m < start], default=0),
            min([m for m in marks if m >= end], default=len(text)))


def parse_months(text: str, today: Optional[dt.date] = None) -> Optional[int]:
    """A duration or a start date -> whole months, as of ``today``; None if none."""
    plain = normalise(text)
    if re.fullmatch(r"\d+", plain):  # the question asked for months
        return int(plain) if int(plain) <= MAX_MONTHS else None
    found = find_durations(plain, today)
    if found.spans:
        return found.spans[0].months
    return 0 if found.just_arrived is not None else None


# "好几年了", "很久了": not a number, but more than either regulation asks for
# (half a year): read as two years, flagged approximate. "大半年": more than
# half a year, less than one: eight months, flagged.
_VAGUE_LONG = re.compile(r"好几年|好多年|很多年|多年|十几年|几十年|很久|挺久|好久|老早|早就|n年")
VAGUE_LONG_MONTHS = 24
_MORE_THAN_HALF = re.compile(r"大半年|半年多|多半年|半年以上|超过半年|过了半年")
MORE_THAN_HALF_MONTHS = 8


def vague_months(text: str) -> Optional[int]:
    """24 for "好几年", 8 for "大半年", None when the words say neither."""
    plain = normalise(text)
    if _VAGUE_LONG.search(plain):
        return VAGUE_LONG_MONTHS
    if _MORE_THAN_HALF.search(plain):
        return MORE_THAN_HALF_MONTHS
    return None
