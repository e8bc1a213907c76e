"""The product's one clock: Asia/Shanghai, whatever the server's time zone.

Every date the product computes (assessment ``as_of``, ``eligible_from``,
bookings, reminders, retention) comes from here, so a UTC server does not
disagree with itself between 00:00 and 08:00 Beijing time.

The store keeps naive wall-clock times of Asia/Shanghai (UTC+8 all year).
``JUZHU_NOW`` (``YYYY-MM-DD HH:MM``, Shanghai time, or ISO 8601 with an
offset) fixes "now", and ``JUZHU_TODAY`` (``YYYY-MM-DD``) fixes the day of
assessments, for the command line, tests and demonstrations.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Callable, Optional

try:
    from zoneinfo import ZoneInfo

    TZ: dt.tzinfo = ZoneInfo("Asia/Shanghai")
except Exception:  # pragma: no cover - no tz database: China has one fixed offset
    TZ = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")

Clock = Callable[[], dt.datetime]


def to_local_naive(moment: dt.datetime) -> dt.datetime:
    """An aware time converted to Shanghai wall-clock time; a naive one is taken as that already."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(TZ).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def parse_now(text: str) -> dt.datetime:
    text = text.strip().replace("T", " ")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"JUZHU_NOW: {text!r} is not 'YYYY-MM-DD HH:MM'") from None
    return to_local_naive(moment)


def env_clock() -> Optional[Clock]:
    """A clock fixed at ``$JUZHU_NOW`` when it is set, else None."""
    text = os.environ.get("JUZHU_NOW", "").strip()
    if not text:
        return None
    moment = parse_now(text)
    return lambda: moment


def local_now(clock: Optional[Clock] = None) -> dt.datetime:
    """Now as naive Shanghai wall-clock time, from ``clock`` when given."""
    if clock is not None:
        return to_local_naive(clock())
    return dt.datetime.now(TZ).replace(tzinfo=None, microsecond=0)


def today() -> dt.date:
    """Today in Shanghai: ``$JUZHU_TODAY``, else the day of ``$JUZHU_NOW``, else the real day."""
    fixed = os.environ.get("JUZHU_TODAY", "").strip()
    if fixed:
        try:
            return dt.date.fromisoformat(fixed)
        except ValueError:
            logging.getLogger(__name__).warning("JUZHU_TODAY=%r is not a date YYYY-MM-DD; ignored", fixed)
    clock = env_clock()
    return local_now(clock).date()
