"""The 签注 actions: the due date under the city's article; the reminder offered on
Telegram only, ordered from and cancelled through the bridge's custom element."""
from __future__ import annotations

from rasa_sdk import Tracker

from actions.endorsement import ActionEndorsementDue, ActionRemindEndorsement, ActionStopReminder
from tests.actions.action_trackers import message, payload_message, tracker_for


def on(sender: str, tracker: Tracker) -> Tracker:
    tracker.sender_id = sender
    return tracker


def slots_set(events) -> dict:
    return {event["name"]: event["value"] for event in events if event.get("event") == "slot"}


async def test_due_date_for_liaocheng_on_the_kiosk_with_a_printable_note(dispatcher, domain):
    tracker = tracker_for(message("居住证是今年3月15号在聊城办的，什么时候签注", "endorsement_due"), {"city": "liaocheng"})
    events = await ActionEndorsementDue().run(dispatcher, on("kiosk-1", tracker), domain)
    text = dispatcher.messages[0]["text"]
    assert "2027年3月15日" in text and "第九条" in text and "按当月1日算" not in text
    assert "到时提醒我" not in str(dispatcher.messages)  # no reminder off Telegram
    note = dispatcher.messages[1]["custom"]["endorsement"]
    assert note["deadline"] == "2027-03-15" and note["article"] == "第九条" and "2027年3月15日" in note["note"]
    assert slots_set(events)["endorsement_due"] == "2027-03-15"


async def test_on_telegram_the_reminder_is_offered_ordered_and_cancelled(dispatcher, domain):
    tracker = tracker_for(message("去年12月在曲靖办的", "endorsement_due"), {"city": "qujing"})
    events = await ActionEndorsementDue().run(dispatcher, on("tg-abc", tracker), domain)
    text = dispatcher.messages[0]["text"]
    # 2025-12-01 + 1 year − 30 days = 2026-11-01, already past on 2026-11-22: overdue, no reminder
    assert "2026年11月1日" in text and "使用功能中止" in text and "到时提醒我" not in str(dispatcher.messages)

    dispatcher.messages.clear()
    tracker = tracker_for(message("今年5月在曲靖办的居住证", "endorsement_due"), {"city": "qujing"})
    events = await ActionEndorsementDue().run(dispatcher, on("tg-abc", tracker), domain)
    assert "/remind_endorsement" in [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    slots = slots_set(events)
    assert slots["endorsement_due"] == "2027-04-01" and slots["endorsement_city"] == "qujing"

    dispatcher.messages.clear()
    tracker = tracker_for(payload_message("/remind_endorsement"), {"city": "qujing", **slots})
    await ActionRemindEndorsement().run(dispatcher, on("tg-abc", tracker), domain)
    assert "2027年3月2日" in dispatcher.messages[0]["text"] and "2027年3月25日" in dispatcher.messages[0]["text"]
    assert dispatcher.messages[1]["custom"] == {"endorsement_reminder": {"city": "qujing", "due": "2027-04-01"}}

    dispatcher.messages.clear()
    await ActionStopReminder().run(dispatcher, on("tg-abc", tracker_for(message("不用提醒了", "stop_reminder"))),
                                   domain)
    assert dispatcher.messages[1]["custom"] == {"endorsement_reminder": {"cancel": True}}


async def test_without_a_date_it_is_asked_and_without_a_city_the_city(dispatcher, domain):
    await ActionEndorsementDue().run(dispatcher, tracker_for(message("什么时候签注", "endorsement_due")), domain)
    assert "什么时候办的" in dispatcher.messages[0]["text"]
    dispatcher.messages.clear()
    events = await ActionEndorsementDue().run(dispatcher, tracker_for(message("去年5月办的", "endorsement_due")), domain)
    assert dispatcher.messages[0]["buttons"][0]["payload"].startswith('/endorsement_due{"city":')
    assert slots_set(events)["endorsement_last"] == "2025-05-01"


async def test_on_wechat_the_reminder_is_offered_only_with_a_template(dispatcher, domain, monkeypatch):
    """Issue 21: WeChat can remind only through the account's subscription-message template."""
    monkeypatch.delenv("WECHAT_TEMPLATE_REMINDER", raising=False)
    tracker = tracker_for(message("今年5月在曲靖办的居住证", "endorsement_due"), {"city": "qujing"})
    await ActionEndorsementDue().run(dispatcher, on("wx-abc", tracker), domain)
    assert "/remind_endorsement" not in str(dispatcher.messages)
    dispatcher.messages.clear()
    monkeypatch.setenv("WECHAT_TEMPLATE_REMINDER", "TPL-1")
    tracker = tracker_for(message("今年5月在曲靖办的居住证", "endorsement_due"), {"city": "qujing"})
    await ActionEndorsementDue().run(dispatcher, on("wx-abc", tracker), domain)
    assert "/remind_endorsement" in [b["payload"] for b in dispatcher.messages[0]["buttons"]]
