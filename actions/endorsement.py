"""The yearly 签注: when it is due, and the reminder on Telegram or WeChat (the Rasa adapter).

"去年5月办的居住证，什么时候签注？" → ``action_endorsement_due``: the date is
read by bot.parsing.when, the due date and its article come from bot.rules
(the city's ``endorsement_rule``, rendered by bot.rules.render). On Telegram
(senders ``tg-…``) it offers a reminder; elsewhere (kiosk, staff page) the
reply carries the due date and a printable note in ``custom.endorsement``.

``action_remind_endorsement`` ("到时提醒我") and ``action_stop_reminder``
("不用提醒了") answer with ``custom.endorsement_reminder``, which the
Telegram bridge (the only one that knows the chat id) stores or deletes
(bot/reminders.py).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
from typing import Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot import reminders as W
from bot.platform.clock import today
from bot.platform.dates import date_text
from bot.parsing.when import parse_past_day
from bot.rules.engine import endorsement_dates
from bot.rules.policy import load_city
from bot.rules.render import render_endorsement_due

from .facts import all_city_ids, city_id_of, city_in_message, city_name
from .guard import GuardedAction
from .interview import button

logger = logging.getLogger(__name__)

TELEGRAM_SENDER_PREFIX = "tg-"  # bot.channels.telegram.SENDER_PREFIX (not imported: no PTB in the action server)


WECHAT_SENDER_PREFIX = "wx-"  # bot.channels.wechat.sender_of


def on_telegram(tracker: Tracker) -> bool:
    """Whether this conversation's channel can remind: Telegram, and WeChat when the account has
    a subscription-message template for it (WECHAT_TEMPLATE_REMINDER; bot/channels/wechat_reminders.py)."""
    sender = str(tracker.sender_id or "")
    if sender.startswith(WECHAT_SENDER_PREFIX):
        return bool((os.environ.get("WECHAT_TEMPLATE_REMINDER") or "").strip())
    return sender.startswith(TELEGRAM_SENDER_PREFIX)


def _month_only(text: str) -> bool:
    return not re.search(r"[日号]|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|前|之前|以前", text or "")


class ActionEndorsementDue(GuardedAction):
    """When the next 签注 is due, under the city's article; the reminder offered on Telegram."""

    def name(self) -> str:
        return "action_endorsement_due"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        latest = tracker.latest_message or {}
        text = latest.get("text") or ""
        now = today()
        last: Optional[dt.date] = None
        month_only = False
        if not text.startswith("/"):
            last = parse_past_day(text, now)
            month_only = _month_only(text)
        events: list[EventType] = []
        if last is not None:
            events += [SlotSet("endorsement_last", last.isoformat()),
                       SlotSet("endorsement_month_only", month_only)]
        elif tracker.get_slot("endorsement_last"):
            last = dt.date.fromisoformat(tracker.get_slot("endorsement_last"))
            month_only = bool(tracker.get_slot("endorsement_month_only"))
        city = city_in_message(latest) or city_id_of(tracker.get_slot("city"))
        if last is None:
            dispatcher.utter_message(text=W.ASK_LAST_DATE)
            return events
        if city is None:
            dispatcher.utter_message(text=W.ASK_CITY, buttons=[
                button(city_name(city_id), "endorsement_due", {"city": city_id}) for city_id in all_city_ids()])
            return events
        dates = endorsement_dates(load_city(city), last, now)
        due_text = render_endorsement_due(city, last, now, month_only=month_only)
        events += [SlotSet("endorsement_city", city), SlotSet("endorsement_due", dates["deadline"].isoformat())]
        if on_telegram(tracker) and dates["status"] != "overdue":
            dispatcher.utter_message(text=f"{due_text}\n{W.OFFER}", buttons=[
                {"title": W.REMIND_TITLE, "payload": W.REMIND_PAYLOAD},
                button("预约办理", "book_appointment"), button(W.NO_THANKS_TITLE, "deny")])
        else:
            dispatcher.utter_message(text=due_text, buttons=[button("预约办理", "book_appointment")])
            # For the kiosk and the staff page: the due date and a note to print.
            dispatcher.utter_message(json_message={"endorsement": {
                "city": city, "last": last.isoformat(), "deadline": dates["deadline"].isoformat(),
                "year_ends": dates["year_ends"].isoformat(), "status": dates["status"],
                "article": dates["article"], "note": f"{due_text}\n{W.PRINT_NOTE}"}})
        return events


class ActionRemindEndorsement(GuardedAction):
    """"到时提醒我": the reminder ordered from the Telegram bridge (chat id, city, due date)."""

    def name(self) -> str:
        return "action_remind_endorsement"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        city, due = tracker.get_slot("endorsement_city"), tracker.get_slot("endorsement_due")
        if not city or not due:
            dispatcher.utter_message(text=W.ASK_LAST_DATE)
            return []
        if not on_telegram(tracker):
            dispatcher.utter_message(text=W.ONLY_TELEGRAM)
            return []
        deadline = dt.date.fromisoformat(due)
        rule = load_city(city)["endorsement_rule"]
        first = deadline - dt.timedelta(days=int(rule["remind_days_before"]))
        last = deadline - dt.timedelta(days=int(rule["remind_last_days_before"]))
        if last < today():
            dispatcher.utter_message(text=W.ALREADY_DUE)
            return []
        dispatcher.utter_message(text=W.SUBSCRIBED.format(
            first=date_text(max(first, today())), last=date_text(last), due=date_text(deadline)))
        dispatcher.utter_message(json_message={"endorsement_reminder": {"city": city, "due": due}})
        return []


class ActionStopReminder(GuardedAction):
    """"不用提醒了": the Telegram bridge deletes this chat's reminder."""

    def name(self) -> str:
        return "action_stop_reminder"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        if not on_telegram(tracker):
            dispatcher.utter_message(text=W.NOTHING_TO_CANCEL)
            return []
        dispatcher.utter_message(text=W.CANCELLED)
        dispatcher.utter_message(json_message={"endorsement_reminder": {"cancel": True}})
        return [SlotSet("endorsement_due", None), SlotSet("endorsement_city", None)]
