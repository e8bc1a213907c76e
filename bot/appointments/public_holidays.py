"""China's public holidays (法定节假日 and the State Council's bridging days off).

Source: the ``chinesecalendar`` library (PyPI), which follows each year's
State Council notice; version 1.11 knows 2004–2026. For a year it does not
know yet, the statutory days of 全国年节及纪念日放假办法 (2025 revision) are
listed below, without the bridging days (调休) that are only known once the
State Council publishes the year's schedule: add those as closed days in
the database (``closed_days``, station NULL) or upgrade ``chinesecalendar``.

Stations follow their own weekly hours: 调休 working weekends do not open
them (a station that does open on weekends lists them in its hours).
"""
from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache
from typing import Optional

log = logging.getLogger(__name__)

try:  # pragma: no branch
    import chinese_calendar
except ImportError:  # pragma: no cover - it is a dependency
    chinese_calendar = None

_CHINESE = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}

# Statutory days of years chinesecalendar does not know yet (lunar dates
# computed for 2027). Bridging days are not included: see the module doc.
_STATUTORY_FALLBACK: dict[int, dict[dt.date, str]] = {
    2027: {
        dt.date(2027, 1, 1): "元旦",
        dt.date(2027, 2, 5): "春节",  # 除夕
        dt.date(2027, 2, 6): "春节",
        dt.date(2027, 2, 7): "春节",
        dt.date(2027, 2, 8): "春节",
        dt.date(2027, 4, 5): "清明节",
        dt.date(2027, 5, 1): "劳动节",
        dt.date(2027, 5, 2): "劳动节",
        dt.date(2027, 6, 9): "端午节",
        dt.date(2027, 9, 15): "中秋节",
        dt.date(2027, 10, 1): "国庆节",
        dt.date(2027, 10, 2): "国庆节",
        dt.date(2027, 10, 3): "国庆节",
    },
}


@lru_cache(maxsize=4096)
def holiday_name(day: dt.date) -> Optional[str]:
    """The Chinese name of the public holiday on ``day`` (weekdays and
    weekends alike), or None when it is not one."""
    if chinese_calendar is not None:
        try:
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            pass
        else:
            if on_holiday and name:
                return _CHINESE.get(name, name)
            return None
    fallback = _STATUTORY_FALLBACK.get(day.year)
    if fallback is None:
        _warn_unknown_year(day.year)
        return None
    return fallback.get(day)


@lru_cache(maxsize=None)
def _warn_unknown_year(year: int) -> None:
    log.warning("no public-holiday data for %d: upgrade chinesecalendar or add closed days", year)
