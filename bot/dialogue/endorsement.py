"""The yearly 签注: when it is due, and the reminder on Telegram or WeChat.

"去年5月办的居住证，什么时候签注？" → :func:`due`: the date is read by
bot.parsing.when, the due date and its article come from bot.rules (the
city's ``endorsement_rule``, rendered by bot.rules.render). Where the channel
can remind (Telegram; WeChat with a subscription template) the reminder is
offered; elsewhere (kiosk, staff page) the reply carries the due date and a
printable note in ``custom.endorsement``.

:func:`remind` ("到时提醒我") and :func:`stop` ("不用提醒了") answer with
``custom.endorsement_reminder``, which the channel that knows the chat stores
or deletes (bot/reminders.py, bot/channels/wechat_reminders.py).
"""
from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any, Mapping, Optional

from bot.parsing.when import parse_past_day
from bot.platform.clock import today
from bot.platform.dates import date_text
from bot.rules.engine import endorsement_dates
from bot.rules.policy import city_ids, load_city
from bot.rules.render import render_endorsement_due

from . import memory
from .conversation import Conversation
from .outcome import Outcome, button

# The conversation's words about the reminder (not law: that is bot/rules/render).

REMIND_PAYLOAD = "/remind_endorsement"
REMIND_TITLE = "到时提醒我"
NO_THANKS_TITLE = "不用了"
ASK_LAST_DATE = ("请告诉我居住证是什么时候办的（或上次签注的时间），我帮您算下次签注的期限，"
                 "例如“去年5月办的”“2025年3月10日签注的”。")
ASK_CITY = "您的居住证是在哪个城市办的？"
OFFER = "需要的话，我可以在期限前30天和前7天各提醒您一次。"
SUBSCRIBED = ("好的，我会在{first}和{last}各提醒您一次（签注最晚{due}前办理）。"
              "只保存这个聊天的编号、城市和到期日，到期后自动删除；不需要了请回复“不用提醒了”。")
ALREADY_DUE = "签注期限已经过了或就在眼前，就不设提醒了，请尽快办理。"
CANCELLED = "好的，已取消签注提醒，您的提醒信息已删除。"
NOTHING_TO_CANCEL = "好的，不提醒。"
PRINT_NOTE = "可以把这段话打印或拍照保存：到期前请带齐材料去办理签注。"
ONLY_TELEGRAM = "到期提醒目前只在 Telegram 上提供。请记下上面的日期，或把这段话打印、拍照保存。"

TELEGRAM_SENDER_PREFIX = "tg-"  # bot.channels.telegram.SENDER_PREFIX (no PTB in the action server)
WECHAT_SENDER_PREFIX = "wx-"  # bot.channels.wechat.sender_of


_NO_MORE_REMINDERS = re.compile(r"(?:不用|不要|别|无需|不需要|取消|停止|关掉|关闭)(?:再)?(?:发)?(?:签注)?提醒|提醒(?:取消|关掉|停了)")


def wants_no_reminder(text: str) -> bool:
    """"不用提醒了", "别再提醒": close to "到时提醒我" for the classifier, plain in the words."""
    return bool(_NO_MORE_REMINDERS.search(text or ""))


def can_remind(sender: str) -> bool:
    """Whether this conversation's channel can remind: Telegram, and WeChat when the account has
    a subscription-message template for it (WECHAT_TEMPLATE_REMINDER; bot/channels/wechat_reminders.py)."""
    if sender.startswith(WECHAT_SENDER_PREFIX):
        return bool((os.environ.get("WECHAT_TEMPLATE_REMINDER") or "").strip())
    return sender.startswith(TELEGRAM_SENDER_PREFIX)


def _month_only(text: str) -> bool:
    return not re.search(r"[日号]|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|前|之前|以前", text or "")


def due(text: str, values: Mapping[str, Any], city: Optional[str], sender: str, today: dt.date) -> Outcome:
    """When the next 签注 is due, from the day said now (or said before: ``values``)."""
    out = Outcome()
    last: Optional[dt.date] = None
    month_only = False
    if not text.startswith("/"):
        last = parse_past_day(text, today)
        month_only = _month_only(text)
    if last is not None:
        out.values.update(endorsement_last=last.isoformat(), endorsement_month_only=month_only)
    elif values.get("endorsement_last"):
        last = dt.date.fromisoformat(values["endorsement_last"])
        month_only = bool(values.get("endorsement_month_only"))
    if last is None:
        return out.say(ASK_LAST_DATE)
    if city is None:
        return out.say(ASK_CITY, [button(load_city(city_id).name, "endorsement_due", {"city": city_id})
                                    for city_id in city_ids()])
    dates = endorsement_dates(load_city(city), last, today)
    due_text = render_endorsement_due(city, last, today, month_only=month_only)
    out.values.update(endorsement_city=city, endorsement_due=dates["deadline"].isoformat())
    if can_remind(sender) and dates["status"] != "overdue":
        return out.say(f"{due_text}\n{OFFER}", [{"title": REMIND_TITLE, "payload": REMIND_PAYLOAD},
                                                   button("预约办理", "book_appointment"),
                                                   button(NO_THANKS_TITLE, "deny")])
    out.say(due_text, [button("预约办理", "book_appointment")])
    # For the kiosk and the staff page: the due date and a note to print.
    return out.send({"endorsement": {
        "city": city, "last": last.isoformat(), "deadline": dates["deadline"].isoformat(),
        "year_ends": dates["year_ends"].isoformat(), "status": dates["status"],
        "article": dates["article"], "note": f"{due_text}\n{PRINT_NOTE}"}})


def remind(values: Mapping[str, Any], sender: str, today: dt.date) -> Outcome:
    """"到时提醒我": the reminder ordered from the channel (city, due date)."""
    city, due_day = values.get("endorsement_city"), values.get("endorsement_due")
    if not city or not due_day:
        return Outcome().say(ASK_LAST_DATE)
    if not can_remind(sender):
        return Outcome().say(ONLY_TELEGRAM)
    deadline = dt.date.fromisoformat(due_day)
    rule = load_city(city)["endorsement_rule"]
    first = deadline - dt.timedelta(days=int(rule["remind_days_before"]))
    last = deadline - dt.timedelta(days=int(rule["remind_last_days_before"]))
    if last < today:
        return Outcome().say(ALREADY_DUE)
    return (Outcome().say(SUBSCRIBED.format(first=date_text(max(first, today)), last=date_text(last),
                                              due=date_text(deadline)))
            .send({"endorsement_reminder": {"city": city, "due": due_day}}))


def stop(sender: str) -> Outcome:
    """"不用提醒了": the channel deletes this conversation's reminder."""
    if not can_remind(sender):
        return Outcome().say(NOTHING_TO_CANCEL)
    return Outcome(values={"endorsement_due": None, "endorsement_city": None}).say(CANCELLED).send(
        {"endorsement_reminder": {"cancel": True}})


# --- on a conversation ---------------------------------------------------------------------

VALUES = ("endorsement_last", "endorsement_month_only", "endorsement_city", "endorsement_due")


def _values(conversation: Conversation) -> dict[str, Any]:
    return {name: conversation.slot(name) for name in VALUES}


def when_due(conversation: Conversation) -> Outcome:
    """When the next 签注 is due, under the city's article; the reminder offered where it can be sent."""
    city = memory.city_in_message(conversation.latest) or memory.city_id_of(conversation.slot("city"))
    return due(conversation.latest.get("text") or "", _values(conversation), city, str(conversation.sender or ""),
               today())


def subscribe(conversation: Conversation) -> Outcome:
    """"到时提醒我"."""
    return remind(_values(conversation), str(conversation.sender or ""), today())


def unsubscribe(conversation: Conversation) -> Outcome:
    """"不用提醒了"."""
    return stop(str(conversation.sender or ""))
