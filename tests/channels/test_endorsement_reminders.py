"""The yearly 签注 reminder on Telegram, with a faked clock, against the fake
Bot API: asked for in the chat, sent on the right days for both cities (and
with a button to book), never after "不用提醒了", and gone after the due date."""
from __future__ import annotations

import asyncio
import datetime as dt
import json

from bot.reminders import BOOK_PAYLOAD, EndorsementReminders
from bot.rules import load_city
from bot.rules.engine import endorsement_dates
from tests.channels.test_telegram import (CHAT, TOKEN, Clock, FakeRasa, bridge, redaction,  # noqa: F401
                                          telegram_api, texts)

REMIND = "/remind_endorsement"


def assistant(city: str, last: dt.date, clock: Clock):
    """What the real assistant answers (actions/endorsement.py), scripted: the due date, the offer, the order."""
    def script(sender: str, message: str):
        dates = endorsement_dates(load_city(city), last, clock().date())
        if message == "去年5月办的":
            return [{"recipient_id": sender, "text": f"下次签注最晚{dates['deadline']}前办理。",
                     "buttons": [{"title": "到时提醒我", "payload": REMIND}]}]
        if message == REMIND:
            return [{"recipient_id": sender, "text": "好的，到时提醒您。"},
                    {"recipient_id": sender, "custom": {"endorsement_reminder": {
                        "city": city, "due": dates["deadline"].isoformat()}}}]
        if message == "不用提醒了":
            return [{"recipient_id": sender, "text": "好的，不再提醒。"},
                    {"recipient_id": sender, "custom": {"endorsement_reminder": {"cancel": True}}}]
        return [{"recipient_id": sender, "text": "收到"}]
    return script


def reminders(telegram_api) -> list:
    return [call for call in telegram_api.sent(CHAT, "sendMessage")
            if str(call.params.get("text", "")).startswith("温馨提醒：您在")]


async def at(telegram_api, rasa_url, tmp_path, clock, when: dt.datetime) -> None:
    """The bridge (re)started at ``when``: it runs its reminder pass at start-up, then a few more."""
    clock.now = when
    async with bridge(telegram_api, rasa_url, tmp_path, clock=clock, reminder_interval=0.05):
        await asyncio.sleep(0.4)


async def test_qujing_reminders_come_thirty_days_and_a_week_before_the_deadline(telegram_api, tmp_path):
    # Issued 2025-05-01 ("去年5月"); 曲靖 第十四条: due 30 days before the year ends (2026-05-01),
    # so the deadline is 2026-04-01; reminders on 2026-03-02 and on 2026-03-25.
    clock = Clock(dt.datetime(2026, 1, 10, 10, 0))
    rasa = await FakeRasa(assistant("qujing", dt.date(2025, 5, 1), clock)).start()
    try:
        async with bridge(telegram_api, rasa.url, tmp_path, clock=clock, reminder_interval=0.05):
            telegram_api.user_says(CHAT, "去年5月办的")
            offer = await telegram_api.wait_sent(CHAT, 1)
            assert "2026-04-01" in offer[0].params["text"]
            telegram_api.user_taps(offer[0], "到时提醒我")
            await telegram_api.wait_for(lambda: "好的，到时提醒您。" in texts(telegram_api.sent(CHAT)))
            await asyncio.sleep(0.3)
        assert EndorsementReminders().all() == [(CHAT, "qujing", dt.date(2026, 4, 1), 0)]
        assert reminders(telegram_api) == []

        await at(telegram_api, rasa.url, tmp_path, clock, dt.datetime(2026, 3, 1, 20, 0))  # the day before
        assert reminders(telegram_api) == []
        await at(telegram_api, rasa.url, tmp_path, clock, dt.datetime(2026, 3, 2, 7, 0))  # too early in the day
        assert reminders(telegram_api) == []
        await at(telegram_api, rasa.url, tmp_path, clock, dt.datetime(2026, 3, 2, 9, 0))
        first = reminders(telegram_api)
        assert len(first) == 1
        text = first[0].params["text"]
        assert "曲靖市" in text and "2026年4月1日前办理（第十四条）" in text and "还有30天" in text
        assert "本人居民身份证（第十四条）" in text and "居住证使用功能中止" in text
        keyboard = json.loads(first[0].params["reply_markup"]) if isinstance(first[0].params["reply_markup"], str) \
            else first[0].params["reply_markup"]
        assert [key["text"] for row in keyboard["inline_keyboard"] for key in row] == ["预约办理"]
        assert keyboard["inline_keyboard"][0][0]["callback_data"] == BOOK_PAYLOAD

        await at(telegram_api, rasa.url, tmp_path, clock, dt.datetime(2026, 3, 24, 12, 0))  # restart: not again
        assert len(reminders(telegram_api)) == 1
        await at(telegram_api, rasa.url, tmp_path, clock, dt.datetime(2026, 3, 25, 12, 0))  # a week before
        assert len(reminders(telegram_api)) == 2 and "还有7天" in reminders(telegram_api)[1].params["text"]
        await at(telegram_api, rasa.url, tmp_path, clock, dt.datetime(2026, 4, 2, 12, 0))  # past the due date
        assert len(reminders(telegram_api)) == 2
        assert EndorsementReminders().all() == []  # purged
    finally:
        await rasa.stop()


async def test_liaocheng_reminder_on_its_day_and_none_after_no_more_reminders(telegram_api, tmp_path):
    # Issued 2025-05-01; 聊城 第九条 "每年签注1次": due by the anniversary, 2026-05-01;
    # first reminder 2026-04-01.
    clock = Clock(dt.datetime(2026, 1, 10, 10, 0))
    rasa = await FakeRasa(assistant("liaocheng", dt.date(2025, 5, 1), clock)).start()
    other = CHAT + 1
    try:
        async with bridge(telegram_api, rasa.url, tmp_path, clock=clock, reminder_interval=0.05):
            for chat in (CHAT, other):
                telegram_api.user_says(chat, "去年5月办的")
                offer = await telegram_api.wait_sent(chat, 1)
                telegram_api.user_taps(offer[0], "到时提醒我")
                await telegram_api.wait_for(lambda: "好的，到时提醒您。" in texts(telegram_api.sent(chat)))
            telegram_api.user_says(CHAT, "不用提醒了")
            await telegram_api.wait_for(lambda: "好的，不再提醒。" in texts(telegram_api.sent(CHAT)))
            await asyncio.sleep(0.3)
        assert EndorsementReminders().all() == [(other, "liaocheng", dt.date(2026, 5, 1), 0)]

        await at(telegram_api, rasa.url, tmp_path, clock, dt.datetime(2026, 3, 31, 12, 0))
        assert not [c for c in telegram_api.sent(other, "sendMessage") if "温馨提醒" in c.params["text"]]
        await at(telegram_api, rasa.url, tmp_path, clock, dt.datetime(2026, 4, 1, 12, 0))
        sent = [c.params["text"] for c in telegram_api.sent(other, "sendMessage") if "温馨提醒" in c.params["text"]]
        assert len(sent) == 1 and "聊城市" in sent[0] and "2026年5月1日前办理（第九条）" in sent[0]
        assert reminders(telegram_api) == []  # the chat that said "不用提醒了"
    finally:
        await rasa.stop()
