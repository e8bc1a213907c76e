"""The yearly 签注 on Rasa: the adapter of bot/dialogue/endorsement.py.

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

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.dialogue import endorsement
from bot.platform.clock import today

from .facts import city_id_of, city_in_message
from .guard import GuardedAction, deliver

VALUES = ("endorsement_last", "endorsement_month_only", "endorsement_city", "endorsement_due")


def _values(tracker: Tracker) -> dict:
    return {name: tracker.get_slot(name) for name in VALUES}


class ActionEndorsementDue(GuardedAction):
    """When the next 签注 is due, under the city's article; the reminder offered where it can be sent."""

    def name(self) -> str:
        return "action_endorsement_due"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        latest = tracker.latest_message or {}
        city = city_in_message(latest) or city_id_of(tracker.get_slot("city"))
        return deliver(dispatcher, endorsement.due(latest.get("text") or "", _values(tracker), city,
                                                   str(tracker.sender_id or ""), today()))


class ActionRemindEndorsement(GuardedAction):
    """"到时提醒我"."""

    def name(self) -> str:
        return "action_remind_endorsement"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        return deliver(dispatcher, endorsement.remind(_values(tracker), str(tracker.sender_id or ""), today()))


class ActionStopReminder(GuardedAction):
    """"不用提醒了"."""

    def name(self) -> str:
        return "action_stop_reminder"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        return deliver(dispatcher, endorsement.stop(str(tracker.sender_id or "")))
