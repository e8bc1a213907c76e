"""The yearly 签注 reminder on Telegram: who asked, and when to remind them.

The assistant (bot/dialogue/endorsement.py) tells a holder when the next 签注 is
due (bot.rules: the city's ``endorsement_rule``) and, on Telegram, offers to
remind them. When they accept, its reply carries
``{"custom": {"endorsement_reminder": {"city": C, "due": "YYYY-MM-DD"}}}``;
"不用提醒了" carries ``{"custom": {"endorsement_reminder": {"cancel": true}}}``.
The Telegram bridge, which alone knows the chat id, hands those to
:meth:`EndorsementReminders.handle_custom` and calls :func:`send_due` from its
reminder loop.

Stored (table ``endorsement_reminders`` in the one database (bot.platform.store), so it
survives restarts): the chat id, the city, the due date (the 签注 deadline)
and which of the two reminders went out; nothing else. A row is deleted on
"不用提醒了", when the chat blocks the bot, and once its due date is past.

Two reminders per due date, on the first pass on or after each day, within
the bridge's reminder hours: ``remind_days_before`` days before the deadline
(in time to act) and ``remind_last_days_before`` days before it (a week);
a bridge that was down on the day sends the one still owed, once.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Callable, Optional

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.platform.store import db
from bot.appointments.models import EndorsementReminder, TelegramBooking

log = logging.getLogger(__name__)

BOOK_PAYLOAD = "/book_appointment"
BOOK_TITLE = "预约办理"


class TelegramBookings:
    """Which Telegram chat booked which code, and the visit start its reminder went out for
    (table ``telegram_bookings`` in the one database; ``url`` default DATABASE_URL)."""

    def __init__(self, url: Optional[str] = None):
        self.url = url
        self.engine = self._write_engine = None

    def open(self) -> None:
        self.url = db.ensure_schema(self.url)
        self.engine = db.get_engine(self.url)
        self._write_engine = db.write_engine(self.engine)

    def _opened(self) -> None:
        if self.engine is None:
            self.open()

    def remember(self, code: str, chat_id: int, seen_at: dt.datetime) -> None:
        self._opened()
        with Session(self._write_engine, future=True) as session, session.begin():
            row = session.get(TelegramBooking, code)
            if row is None:
                session.add(TelegramBooking(code=code, chat_id=chat_id, seen_at=seen_at))
            else:
                row.chat_id = chat_id

    def known(self) -> list[tuple[str, int, Optional[dt.datetime]]]:
        self._opened()
        with Session(self.engine, future=True) as session:
            return [tuple(row) for row in session.execute(
                select(TelegramBooking.code, TelegramBooking.chat_id, TelegramBooking.reminded_for)
                .order_by(TelegramBooking.seen_at, TelegramBooking.code))]

    def mark_reminded(self, code: str, start: dt.datetime) -> None:
        self._opened()
        with Session(self._write_engine, future=True) as session, session.begin():
            session.execute(update(TelegramBooking).where(TelegramBooking.code == code)
                            .values(reminded_for=start).execution_options(synchronize_session=False))

    def forget(self, code: str) -> None:
        self._opened()
        with Session(self._write_engine, future=True) as session, session.begin():
            session.execute(delete(TelegramBooking).where(TelegramBooking.code == code))


class EndorsementReminders:
    """The stored reminders (``url``: the appointments database, default DATABASE_URL)."""

    def __init__(self, url: Optional[str] = None):
        self.url = db.ensure_schema(url)
        self.engine = db.get_engine(self.url)
        self._write_engine = db.write_engine(self.engine)

    def subscribe(self, chat_id: int, city: str, due: dt.date) -> None:
        """Remind ``chat_id`` of the 签注 due on ``due`` (replaces an earlier one of that chat)."""
        from bot.rules.policy import city_ids

        if city not in city_ids():
            raise ValueError(f"unknown city {city!r}")
        with Session(self._write_engine, future=True) as session, session.begin():
            session.execute(delete(EndorsementReminder).where(EndorsementReminder.chat_id == chat_id))
            session.add(EndorsementReminder(chat_id=chat_id, city=city, due=due, sent=0))

    def cancel(self, chat_id: int) -> bool:
        with Session(self._write_engine, future=True) as session, session.begin():
            return session.execute(
                delete(EndorsementReminder).where(EndorsementReminder.chat_id == chat_id)).rowcount > 0

    def all(self) -> list[tuple[int, str, dt.date, int]]:
        with Session(self.engine, future=True) as session:
            return [tuple(row) for row in session.execute(
                select(EndorsementReminder.chat_id, EndorsementReminder.city, EndorsementReminder.due,
                       EndorsementReminder.sent).order_by(EndorsementReminder.due))]

    def mark_sent(self, chat_id: int, stage: int) -> None:
        with Session(self._write_engine, future=True) as session, session.begin():
            session.execute(update(EndorsementReminder).where(EndorsementReminder.chat_id == chat_id)
                            .values(sent=stage).execution_options(synchronize_session=False))

    def purge(self, today: dt.date) -> int:
        """Delete the reminders whose due date is past."""
        with Session(self._write_engine, future=True) as session, session.begin():
            return session.execute(
                delete(EndorsementReminder).where(EndorsementReminder.due < today)).rowcount

    def handle_custom(self, chat_id: int, custom: dict[str, Any]) -> Optional[str]:
        """A reply's ``endorsement_reminder`` element: "subscribed", "cancelled", or None (none, or invalid)."""
        order = custom.get("endorsement_reminder")
        if not isinstance(order, dict):
            return None
        if order.get("cancel"):
            self.cancel(chat_id)
            return "cancelled"
        try:
            due = dt.date.fromisoformat(str(order.get("due")))
            self.subscribe(chat_id, str(order.get("city")), due)
        except ValueError as error:
            log.warning("an endorsement reminder in a Rasa reply is invalid: %s", error)
            return None
        return "subscribed"


# "不用提醒了" and its kin, for when the classifier is unsure between asking for a reminder and stopping one.
def stage_due(city: str, due: dt.date, sent: int, today: dt.date) -> int:
    """Which reminder (1 or 2) is owed on ``today``, or 0."""
    from bot.rules.policy import load_city

    rule = load_city(city)["endorsement_rule"]
    if today >= due - dt.timedelta(days=int(rule["remind_last_days_before"])) and sent < 2:
        return 2
    if today >= due - dt.timedelta(days=int(rule["remind_days_before"])) and sent < 1:
        return 1
    return 0


async def send_due(store: EndorsementReminders, bot: Any, now: dt.datetime,
                   keyboard: Any = None) -> int:
    """One pass: purge the past ones, send the reminders owed today. Returns how many went out.

    ``keyboard(chat_id, buttons)`` makes the inline keyboard (the bridge's,
    so the button's tap works like any other); ``bot`` is PTB's Bot."""
    import asyncio

    from telegram.error import Forbidden, TelegramError

    from bot.rules.render import render_endorsement_reminder

    today = now.date()
    purged = await asyncio.to_thread(store.purge, today)
    if purged:
        log.info("purged %d endorsement reminder(s) past their due date", purged)
    sent = 0
    for chat_id, city, due, done in await asyncio.to_thread(store.all):
        stage = stage_due(city, due, done, today)
        if not stage:
            continue
        markup = keyboard(chat_id, [{"title": BOOK_TITLE, "payload": BOOK_PAYLOAD}]) if keyboard else None
        try:
            await bot.send_message(chat_id, render_endorsement_reminder(city, due, today), reply_markup=markup)
        except Forbidden:
            log.info("a chat blocked the bot; its endorsement reminder is dropped")
            await asyncio.to_thread(store.cancel, chat_id)
            continue
        except TelegramError as error:
            log.warning("could not send an endorsement reminder (will retry): %s", error)
            continue
        await asyncio.to_thread(store.mark_sent, chat_id, stage)
        sent += 1
    return sent


# --- what a reminder knows of a booking (Telegram's and WeChat's day-before reminders) --------------

@dataclass(frozen=True)
class BookingInfo:
    """What a reminder needs to know about a booking."""

    code: str
    start: dt.datetime  # naive, Shanghai wall-clock time
    station: str
    active: bool
    address: str = ""


BookingLookup = Callable[[str], Optional[BookingInfo]]
Clock = Callable[[], dt.datetime]


def appointments_lookup(code: str, url: Optional[str] = None) -> Optional[BookingInfo]:
    """Looks a booking up in the appointments store (``url``, else
    ``DATABASE_URL``, else var/juzhu.db). Reads code, start, status and the
    station; never the applicant's name or phone."""
    from sqlalchemy import select

    from bot.platform.store.db import get_engine
    from bot.appointments.models import ACTIVE, Booking, Station

    with get_engine(url).connect() as connection:
        row = connection.execute(
            select(Booking.code, Booking.start, Booking.status, Station.name, Station.address)
            .join(Station, Station.id == Booking.station_id)
            .where(Booking.code == code)).first()
    if row is None:
        return None
    return BookingInfo(code=row.code, start=row.start, station=row.name,
                       active=row.status == ACTIVE, address=row.address or "")
