"""Reminders for WeChat followers (issue 21): the day before a visit, and the yearly 签注.

WeChat lets an account write to a follower outside a conversation only with a
subscription message (订阅通知), through a template the account chose in its
back end: ``WECHAT_TEMPLATE_REMINDER``. Without it nothing is sent (and the
assistant does not offer the 签注 reminder on WeChat). The template's fields,
as the README says to choose them: ``thing1`` (事项), ``time2`` (时间),
``thing3`` (备注); a ``thing`` holds at most 20 characters.

What is kept (table ``wechat_reminders``, migration 0006): the reminder's key
(``booking:<code>`` or ``endorsement:<sender>``), the conversation, the city,
the due time and which reminder went out. The openid comes from
``wechat_followers``, sealed; a follower who unfollows is reminded of nothing.
The same rules as Telegram's: a booking the day before, within the reminder
hours, once, and only while it is still active; the 签注 at the two stages of
the city's rule (bot/reminders.py ``stage_due``).
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Callable, Optional

from sqlalchemy import delete, insert, select, update

from bot.handoff.models import WechatReminder
from bot.reminders import BookingInfo, stage_due

log = logging.getLogger(__name__)

REMINDER_HOURS = (8, 21)  # Shanghai wall-clock hours, as on Telegram
THING_CHARS = 20
TABLE = WechatReminder.__table__


def upsert(store: Any, table: Any, key: tuple[str, str], values: dict[str, Any]) -> None:
    """One row of ``table`` whose column ``key[0]`` is ``key[1]``: updated, else inserted."""
    column, value = key
    with store.writer.begin() as connection:
        if not connection.execute(update(table).where(table.c[column] == value).values(**values)).rowcount:
            connection.execute(insert(table).values({column: value, **values}))


def remember_booking(store: Any, sender: str, code: str, start: dt.datetime) -> None:
    upsert(store, TABLE, ("key", f"booking:{code}"), {"sender": sender, "city": None, "due": start, "sent": 0})


def remember_endorsement(store: Any, sender: str, city: str, due: dt.date) -> None:
    upsert(store, TABLE, ("key", f"endorsement:{sender}"),
           {"sender": sender, "city": city, "due": dt.datetime.combine(due, dt.time()), "sent": 0})


def cancel_endorsement(store: Any, sender: str) -> None:
    with store.writer.begin() as connection:
        connection.execute(delete(TABLE).where(TABLE.c.key == f"endorsement:{sender}"))


def forget_sender(store: Any, sender: str) -> None:
    """A follower who unfollowed: no reminder of theirs is kept."""
    with store.writer.begin() as connection:
        connection.execute(delete(TABLE).where(TABLE.c.sender == sender))


def handle_replies(store: Any, sender: str, replies: list[dict[str, Any]]) -> bool:
    """What in Rasa's replies asks for a reminder (a booking's ticket; 到时提醒我 / 不用提醒了);
    True when the follower's openid is needed for it."""
    wanted = False
    for reply in replies:
        custom = reply.get("custom") if isinstance(reply.get("custom"), dict) else {}
        booking = custom.get("booking") if isinstance(custom.get("booking"), dict) else None
        if booking and booking.get("code") and booking.get("start"):
            try:
                remember_booking(store, sender, str(booking["code"]), dt.datetime.fromisoformat(booking["start"]))
                wanted = True
            except ValueError:
                log.warning("wechat: a booking in a Rasa reply has no readable start")
        order = custom.get("endorsement_reminder")
        if isinstance(order, dict):
            if order.get("cancel"):
                cancel_endorsement(store, sender)
            else:
                try:
                    remember_endorsement(store, sender, str(order.get("city")), dt.date.fromisoformat(str(order.get("due"))))
                    wanted = True
                except ValueError:
                    log.warning("wechat: an endorsement reminder in a Rasa reply is invalid")
    return wanted


def _thing(text: str) -> dict[str, str]:
    return {"value": text[:THING_CHARS]}


def booking_fields(booking: BookingInfo) -> dict[str, dict[str, str]]:
    return {"thing1": _thing("居住证办理预约（明天）"), "time2": {"value": f"{booking.start:%Y-%m-%d %H:%M}"},
            "thing3": _thing(f"{booking.station} 预约码{booking.code}")}


def endorsement_fields(due: dt.date) -> dict[str, dict[str, str]]:
    return {"thing1": _thing("居住证签注"), "time2": {"value": f"{due:%Y-%m-%d}"},
            "thing3": _thing("请在期限前到派出所办理签注")}


async def send_due(store: Any, send: Callable[[str, dict[str, Any]], Any],
                   lookup: Callable[[str], Optional[BookingInfo]], now: dt.datetime) -> int:
    """One pass: the reminders owed now, through ``send(sender, fields)`` (awaitable, True when sent);
    past ones purged. Returns how many went out."""
    import asyncio

    today = now.date()
    in_hours = REMINDER_HOURS[0] <= now.hour < REMINDER_HOURS[1]
    with store.engine.connect() as connection:
        rows = connection.execute(select(TABLE.c.key, TABLE.c.sender, TABLE.c.city, TABLE.c.due,
                                         TABLE.c.sent)).all()
    sent = 0
    for key, sender, city, due, done in rows:
        if key.startswith("booking:"):
            booking = await asyncio.to_thread(lookup, key.split(":", 1)[1])
            if booking is None or not booking.active or booking.start.date() < today:
                await asyncio.to_thread(_delete, store, key)
                continue
            if done or not in_hours or booking.start.date() != today + dt.timedelta(days=1):
                continue
            if await send(sender, booking_fields(booking)):
                await asyncio.to_thread(_mark, store, key, 1)
                sent += 1
            continue
        if due.date() < today:
            await asyncio.to_thread(_delete, store, key)
            continue
        stage = stage_due(city, due.date(), done, today) if in_hours else 0
        if stage and await send(sender, endorsement_fields(due.date())):
            await asyncio.to_thread(_mark, store, key, stage)
            sent += 1
    return sent


def _delete(store: Any, key: str) -> None:
    with store.writer.begin() as connection:
        connection.execute(delete(TABLE).where(TABLE.c.key == key))


def _mark(store: Any, key: str, sent: int) -> None:
    with store.writer.begin() as connection:
        connection.execute(update(TABLE).where(TABLE.c.key == key).values(sent=sent))
