"""The booking conversation (actions/booking.py) against a temporary SQLite store.

The store's clock is fixed on Sunday 2026-11-22 10:00 (Asia/Shanghai), so the
first bookable day is Monday 2026-11-23. ``Conversation`` plays Rasa's part:
it runs the form's validator on each turn, applies the slot events, then asks
the requested slot with its ask action, or runs the form's closing action
when the validator requests nothing.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import re
from typing import Any, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.booking as booking
from bot.appointments import AppointmentService
from bot.ratelimit import TOO_MANY_BOOKINGS_TEXT, RateLimiter

from tests.actions.action_trackers import all_slots, message, payload_message

NOW = dt.datetime(2026, 11, 22, 10, 0)
PHONE = "13812345678"
OTHER_PHONE = "13987654321"
MASKED = "138****5678"


@pytest.fixture(scope="module")
def template_db(tmp_path_factory):
    """One migrated and seeded database, copied for every test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("store") / "template.db"
    AppointmentService(f"sqlite:///{path}", clock=lambda: NOW)
    return path


@pytest.fixture(autouse=True)
def limiter(monkeypatch) -> RateLimiter:
    """A fresh in-memory limiter per test (the process's one would count across tests)."""
    fresh = RateLimiter("memory://")
    monkeypatch.setattr(booking, "limiter", lambda: fresh)
    return fresh


@pytest.fixture
def svc(template_db, tmp_path, monkeypatch):
    path = tmp_path / "juzhu.db"
    path.write_bytes(template_db.read_bytes())
    service = AppointmentService(f"sqlite:///{path}", clock=lambda: NOW)
    monkeypatch.setattr(booking, "_store", service)
    return service


def msg(text: str, intent: str = "inform", confidence: float = 0.9) -> dict[str, Any]:
    if text.startswith("/"):
        return payload_message(text)
    return message(text, intent, confidence)


FORMS = {
    "booking_form": (booking.ValidateBookingForm, booking.ActionBookAppointment),
    "check_form": (booking.ValidateCheckForm, booking.ActionCheckAppointment),
    "cancel_form": (booking.ValidateCancelForm, booking.ActionCancelAppointment),
}
ASK = {
    "city": booking.ActionAskBookingCity,
    "booking_station": booking.ActionAskBookingStation,
    "booking_day": booking.ActionAskBookingDay,
    "booking_time": booking.ActionAskBookingTime,
    "booking_name": booking.ActionAskBookingName,
    "booking_phone": booking.ActionAskBookingPhone,
    "booking_confirmed": booking.ActionAskBookingConfirmed,
    "booking_change": booking.ActionAskBookingChange,
    "lookup_phone": booking.ActionAskLookupPhone,
    "lookup_code": None,  # no ask action: the validator asks for the code itself
    "cancel_confirmed": booking.ActionAskCancelConfirmed,
}


class Conversation:
    """One form conversation, Rasa's part played by hand."""

    def __init__(self, form: str = "booking_form", sender: str = "test", **slots: Any):
        self.form = form
        self.sender = sender
        self.slots: dict[str, Any] = dict(slots)
        self.active = False
        self.replies: list[dict[str, Any]] = []  # the bot messages of the last turn
        self.events: dict[str, Any] = {}  # the slot events of the last turn
        self.rejected = False

    def tracker(self, latest: dict[str, Any], kind: str) -> Tracker:
        user = {"event": "user", "text": latest["text"], "parse_data": latest}
        requested = self.slots.get("requested_slot")
        if kind == "activation":
            events = [{"event": "action", "name": "action_listen"}, user, {"event": "active_loop", "name": self.form}]
        else:
            events = [{"event": "action", "name": self.form}, {"event": "action", "name": "action_listen"}, user]
        events += [{"event": "slot", "name": "requested_slot", "value": requested},
                   {"event": "action", "name": self.form}]
        return Tracker(sender_id=self.sender, slots=all_slots(**self.slots), latest_message=latest, events=events,
                       paused=False, followup_action=None, active_loop={"name": self.form},
                       latest_action_name=self.form)

    def plain_tracker(self, latest: dict[str, Any]) -> Tracker:
        return Tracker(sender_id=self.sender, slots=all_slots(**self.slots), latest_message=latest,
                       events=[], paused=False, followup_action=None,
                       active_loop={"name": self.form} if self.active else {}, latest_action_name=self.form)

    def apply(self, events: list[dict[str, Any]], record: bool = True) -> None:
        for event in events:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
                if record:  # the validator's events (the closing action then clears the slots)
                    self.events[event["name"]] = event["value"]

    async def say(self, text: str, intent: str = "inform", confidence: float = 0.9) -> list[dict[str, Any]]:
        latest = msg(text, intent, confidence)
        validator, closing = FORMS[self.form]
        kind = "answer" if self.active else "activation"
        dispatcher = CollectingDispatcher()
        self.events = {}
        events = await validator().run(dispatcher, self.tracker(latest, kind), {})
        self.rejected = kind == "answer" and events == []
        if self.rejected:
            self.replies = []
            return []
        self.active = True
        self.apply(events)
        requested = self.slots.get("requested_slot")
        if requested:
            if ASK[requested]:
                await ASK[requested]().run(dispatcher, self.plain_tracker(latest), {})
        elif {"event": "followup", "name": "action_listen"} in [
                {"event": e.get("event"), "name": e.get("name")} for e in events]:
            self.active = False  # the form ended on a failure: Rasa listens, no closing action
        else:
            self.active = False
            self.apply(await closing().run(dispatcher, self.plain_tracker(latest), {}), record=False)
        self.replies = dispatcher.messages
        return self.replies

    @property
    def requested(self) -> Optional[str]:
        return self.slots.get("requested_slot")

    @property
    def text(self) -> str:
        return "\n".join(m.get("text") or "" for m in self.replies)

    @property
    def payloads(self) -> list[str]:
        return [b["payload"] for m in self.replies for b in (m.get("buttons") or [])]

    @property
    def titles(self) -> list[str]:
        return [b["title"] for m in self.replies for b in (m.get("buttons") or [])]

    @property
    def custom(self) -> list[dict[str, Any]]:
        return [m["custom"] for m in self.replies if m.get("custom")]


def no_full_phone(replies: list[dict[str, Any]], *phones: str) -> None:
    dumped = json.dumps(replies, ensure_ascii=False)
    for phone in phones or (PHONE, OTHER_PHONE):
        assert phone not in dumped


async def up_to_confirmation(svc, *, phone: str = PHONE, time: str = "09:30", sender: str = "test",
                             **slots) -> Conversation:
    chat = Conversation(city="liaocheng", sender=sender, **slots)
    await chat.say("我要预约", "book_appointment")
    await chat.say('/inform{"booking_station":"lc-dongchangfu"}')
    await chat.say('/inform{"booking_day":"2026-11-23"}')
    await chat.say(f'/inform{{"booking_time":"{time}"}}')
    await chat.say("张三")
    await chat.say(phone)
    assert chat.requested == "booking_confirmed"
    return chat


def eligible_decision() -> dict[str, Any]:
    from actions.facts import decide

    decision, _ = decide({"city": "liaocheng", "hukou_province": "河北省", "lived_months": 8,
                          "registered_months": 8, "housing": "rented", "employment": "labor_contract"},
                         dt.date(2026, 11, 22))
    assert decision["verdict"] == "eligible"
    return decision


# --- choosing station, day, time -----------------------------------------------------------

async def test_without_a_city_the_city_is_asked_first(svc):
    chat = Conversation()
    await chat.say("我要预约", "book_appointment")
    assert chat.requested == "city"
    assert chat.payloads == ['/inform{"city":"liaocheng"}', '/inform{"city":"qujing"}']
    await chat.say('/inform{"city":"qujing"}')
    assert chat.requested == "booking_station" and chat.slots["city"] == "qujing"
    assert all(p.startswith('/inform{"booking_station":"qj-') for p in chat.payloads)


async def test_stations_of_the_applicants_county_come_first(svc):
    chat = Conversation(city="liaocheng", residence_county="茌平区")
    await chat.say("我要预约", "book_appointment")
    assert chat.requested == "booking_station"
    assert chat.payloads[0] == '/inform{"booking_station":"lc-chiping"}'
    assert len(chat.payloads) == 11  # every station of the city, as buttons
    assert "茌平区" in chat.text and "振兴路1号" in chat.text
    assert chat.titles[0] == "茌平区 振兴派出所"
    assert all(len(p.encode("utf-8")) <= 64 for p in chat.payloads)


async def test_days_with_free_seats_then_times(svc):
    chat = Conversation(city="liaocheng")
    await chat.say("我要预约", "book_appointment")
    await chat.say('/inform{"booking_station":"lc-dongchangfu"}')
    assert chat.requested == "booking_day"
    assert chat.titles[0] == "11月23日（周一）"
    assert chat.payloads[0] == '/inform{"booking_day":"2026-11-23"}'
    assert "11月28日（周六）" not in chat.titles and "11月29日（周日）" not in chat.titles
    assert len(chat.titles) == 10  # the working days of the next 14 days
    await chat.say('/inform{"booking_day":"2026-11-24"}')
    assert chat.requested == "booking_time"
    assert chat.payloads[0] == '/inform{"booking_time":"09:00"}'
    assert "13:30" in chat.titles and "12:00" not in chat.titles
    assert all(len(p.encode("utf-8")) <= 64 for p in chat.payloads)
    await chat.say('/inform{"booking_time":"13:30"}')
    assert chat.requested == "booking_name"
    assert chat.slots["booking_day"] == "2026-11-24" and chat.slots["booking_time"] == "13:30"


async def test_free_text_day_and_part_of_day(svc):
    chat = Conversation(city="liaocheng")
    await chat.say("我要预约", "book_appointment")
    await chat.say("东昌府的", "inform")
    assert chat.slots["booking_station"] == "lc-dongchangfu"
    await chat.say("明天上午", "book_appointment")
    assert chat.slots["booking_day"] == "2026-11-23" and chat.requested == "booking_time"
    assert chat.titles[:6] == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    assert "13:30" not in chat.titles
    await chat.say("十点半")
    assert chat.slots["booking_time"] == "10:30" and chat.requested == "booking_name"


async def test_everything_in_the_first_sentence(svc):
    chat = Conversation()
    await chat.say("帮我预约东昌府23号下午两点", "book_appointment")
    assert chat.slots["city"] == "liaocheng" and chat.slots["booking_station"] == "lc-dongchangfu"
    assert chat.slots["booking_day"] == "2026-11-23" and chat.slots["booking_time"] == "14:00"
    assert chat.requested == "booking_name"


async def test_a_closed_day_or_a_gibberish_day_re_offers_the_buttons(svc):
    chat = Conversation(city="liaocheng")
    await chat.say("我要预约", "book_appointment")
    await chat.say('/inform{"booking_station":"lc-dongchangfu"}')
    await chat.say("周六")
    assert "周六不办公" in chat.text and chat.requested == "booking_day"
    assert chat.payloads[0] == '/inform{"booking_day":"2026-11-23"}'
    await chat.say("嗯嗯", "affirm")
    assert "没听明白是哪一天" in chat.text and chat.requested == "booking_day" and chat.payloads


async def test_a_question_in_the_middle_is_left_to_the_rules(svc):
    chat = Conversation(city="liaocheng")
    await chat.say("我要预约", "book_appointment")
    await chat.say('/inform{"booking_station":"lc-dongchangfu"}')
    await chat.say("办证要钱吗", "ask_fee")
    assert chat.rejected


# --- name and phone ------------------------------------------------------------------------

async def test_name_and_phone_are_validated(svc):
    chat = Conversation(city="liaocheng")
    for step in ("我要预约", '/inform{"booking_station":"lc-dongchangfu"}', '/inform{"booking_day":"2026-11-23"}',
                 '/inform{"booking_time":"09:30"}'):
        await chat.say(step, "book_appointment" if step == "我要预约" else "inform")
    assert chat.requested == "booking_name" and "姓名" in chat.text
    await chat.say("一" * 21, "nlu_fallback")
    assert "姓名过长" in chat.text and chat.requested == "booking_name"
    await chat.say("我叫 张三 ")
    assert chat.slots["booking_name"] == "张三" and chat.requested == "booking_phone"
    await chat.say("12345", "nlu_fallback")
    assert "手机号码无效" in chat.text and chat.requested == "booking_phone"
    assert "请输入预约人的手机号码" in chat.text  # the same question again
    await chat.say("138-1234-5678")
    assert chat.slots["booking_phone"] == PHONE and chat.requested == "booking_confirmed"
    assert MASKED in chat.text and "张三" in chat.text and "11月23日（周一） 09:30" in chat.text
    assert chat.payloads == ["/affirm", "/deny"]
    no_full_phone(chat.replies)


# --- confirmation ----------------------------------------------------------------------------

async def test_confirmation_books_and_hands_out_code_checklist_and_ticket(svc):
    chat = await up_to_confirmation(svc, decision=eligible_decision())
    await chat.say("确认", "affirm")
    code = chat.events["booking_code"]
    assert code and chat.events["booking_outcome"] == "booked" and chat.requested is None
    booking_row = svc.find(code, PHONE)
    assert booking_row.start == dt.datetime(2026, 11, 23, 9, 30) and booking_row.name == "张三"
    text = chat.text
    for part in (f"预约码：{code}（{' '.join(code)}）", "聊城市公安局东昌府分局古楼派出所", "东昌中路1号",
                 "0635-0000001", "11月23日（周一） 09:30", MASKED, "□ 本人居民身份证", "房屋租赁合同", "劳动合同"):
        assert part in text, part
    no_full_phone(chat.replies)
    [element] = chat.custom
    assert element["code"] == code and element["filename"] == f"juzhu-{code}.ics"
    assert element["booking"] == {"code": code, "start": "2026-11-23 09:30", "station": "聊城市公安局东昌府分局古楼派出所"}
    assert code in element["text"]
    assert element["qr"].startswith("data:image/png;base64,")
    png = base64.b64decode(element["qr"].split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    from icalendar import Calendar

    calendar = Calendar.from_ical(base64.b64decode(element["ics"]))
    [event] = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert code in str(event["description"]) and "本人居民身份证" in str(event["description"])
    assert event.decoded("dtstart").replace(tzinfo=None) == dt.datetime(2026, 11, 23, 9, 30)
    # The form's slots are cleared once it is told: nothing personal stays in the tracker.
    assert all(chat.slots.get(name) is None for name in booking.BOOKING_SLOTS)


async def test_without_a_decision_the_general_checklist(svc):
    from bot.rules import render_topic

    chat = await up_to_confirmation(svc)
    await chat.say("好的", "affirm")
    general = render_topic("liaocheng", "materials", dt.date(2026, 11, 22))
    assert general.splitlines()[0] in chat.text


async def test_deny_lets_them_change_an_item_or_stop(svc):
    chat = await up_to_confirmation(svc)
    await chat.say("不对", "deny")
    assert chat.requested == "booking_change"
    assert '/inform{"booking_change":"time"}' in chat.payloads and '/inform{"booking_change":"stop"}' in chat.payloads
    await chat.say('/inform{"booking_change":"time"}')
    assert chat.requested == "booking_time" and chat.slots["booking_time"] is None
    await chat.say('/inform{"booking_time":"10:00"}')
    assert chat.requested == "booking_confirmed" and "11月23日（周一） 10:00" in chat.text
    await chat.say("改成下午三点")
    assert chat.slots["booking_time"] == "15:00" and chat.requested == "booking_confirmed"
    await chat.say("后天可以吗", "affirm")  # a new day, not a plain yes: the time is asked again
    assert chat.slots["booking_day"] == "2026-11-24" and chat.requested == "booking_time"
    await chat.say('/inform{"booking_time":"15:00"}')
    assert chat.requested == "booking_confirmed" and svc.count_active_by_phone(PHONE) == 0
    await chat.say("不对", "deny")
    await chat.say('/inform{"booking_change":"stop"}')
    assert chat.requested is None and "先不预约了" in chat.text
    assert svc.count_active_by_phone(PHONE) == 0
    assert all(chat.slots.get(name) is None for name in booking.BOOKING_SLOTS)


async def test_a_full_slot_at_confirmation_offers_the_nearest_free_times(svc):
    chat = await up_to_confirmation(svc)
    for phone in ("13900000001", "13900000002", "13900000003"):  # others take 09:30 meanwhile
        svc.book("lc-dongchangfu", "2026-11-23 09:30", "别人", phone)
    await chat.say("确认", "affirm")
    assert chat.requested == "booking_time" and "刚刚约满" in chat.text
    assert chat.slots["booking_alternatives"] == ["2026-11-23 09:00", "2026-11-23 10:00", "2026-11-23 10:30"]
    assert chat.payloads[0] == '/inform{"booking_day":"2026-11-23","booking_time":"09:00"}'
    assert all(len(p.encode("utf-8")) <= 64 for p in chat.payloads)
    await chat.say('/inform{"booking_day":"2026-11-23","booking_time":"10:00"}')
    code = chat.events["booking_code"]  # booked at once: no second confirmation
    assert chat.events["booking_outcome"] == "booked" and f"预约码：{code}" in chat.text
    assert svc.find(code, PHONE).start == dt.datetime(2026, 11, 23, 10, 0)


def nothing_about(booking_info, chat: Conversation) -> None:
    """The replies tell nothing of that booking: no code, time, station or name."""
    dumped = json.dumps(chat.replies, ensure_ascii=False)
    for secret in (booking_info.code, f"{booking_info.start:%H:%M}", f"{booking_info.start.month}月{booking_info.start.day}日",
                   booking_info.station_name, booking_info.station_address, booking_info.name, MASKED):
        assert secret not in dumped, secret
    no_full_phone(chat.replies)


async def test_a_phone_with_a_booking_learns_only_that_it_has_one(svc):
    existing = svc.book("lc-linqing", "2026-11-25 14:00", "李四", PHONE)
    chat = Conversation(city="liaocheng")
    for step in ("我要预约", '/inform{"booking_station":"lc-dongchangfu"}', '/inform{"booking_day":"2026-11-23"}',
                 '/inform{"booking_time":"09:30"}', "张三"):
        await chat.say(step, "book_appointment" if step == "我要预约" else "inform")
    await chat.say(PHONE)
    assert chat.requested is None and chat.events["booking_outcome"] == "already_booked"
    assert "已经有一个有效预约" in chat.text and "预约码" in chat.text  # the code is asked for
    assert chat.payloads == ["/check_appointment", "/cancel_appointment", "/greet"]
    nothing_about(existing, chat)
    assert all(chat.slots.get(name) is None for name in booking.BOOKING_SLOTS)


async def test_a_phone_booked_meanwhile_learns_only_that_at_confirmation(svc):
    chat = await up_to_confirmation(svc)
    existing = svc.book("lc-linqing", "2026-11-25 14:00", "李四", PHONE)  # another device, same phone
    await chat.say("确认", "affirm")
    assert chat.events["booking_outcome"] == "already_booked" and "已经有一个有效预约" in chat.text
    nothing_about(existing, chat)
    assert svc.count_active_by_phone(PHONE) == 1


# --- rate limit ---------------------------------------------------------------------------------

REAL_LIMITER = booking.limiter  # before the autouse fixture replaces it


async def test_a_conversation_books_at_most_three_times_an_hour(svc, monkeypatch):
    monkeypatch.setenv("HOTLINE", "96110")
    shared = RateLimiter("memory://", rules={"bookings": "3/hour"})
    monkeypatch.setattr(booking, "limiter", lambda: shared)
    phones = [f"1390000001{n}" for n in range(5)]
    for phone, time in zip(phones[:3], ("09:00", "09:30", "10:00")):
        chat = await up_to_confirmation(svc, phone=phone, time=time, sender="kiosk-1")
        await chat.say("确认", "affirm")
        assert chat.events["booking_outcome"] == "booked"
    chat = await up_to_confirmation(svc, phone=phones[3], time="10:30", sender="kiosk-1")
    await chat.say("确认", "affirm")
    assert chat.events["booking_outcome"] == "rate_limited" and chat.requested is None
    assert chat.text == TOO_MANY_BOOKINGS_TEXT.format(hotline="96110")
    assert svc.count_active_by_phone(phones[3]) == 0
    assert all(chat.slots.get(name) is None for name in booking.BOOKING_SLOTS)
    other = await up_to_confirmation(svc, phone=phones[4], time="10:30", sender="kiosk-2")
    await other.say("确认", "affirm")  # another conversation has its own count
    assert other.events["booking_outcome"] == "booked"


async def test_only_a_confirmation_counts_not_every_message(svc, monkeypatch):
    once = RateLimiter("memory://", rules={"bookings": "1/hour"})
    monkeypatch.setattr(booking, "limiter", lambda: once)
    chat = await up_to_confirmation(svc)  # eight messages
    await chat.say("不对", "deny")
    await chat.say('/inform{"booking_change":"time"}')
    await chat.say('/inform{"booking_time":"10:00"}')
    assert chat.requested == "booking_confirmed"
    await chat.say("确认", "affirm")
    assert chat.events["booking_outcome"] == "booked"


async def test_a_free_time_picked_after_the_slot_filled_up_is_the_same_try(svc, monkeypatch):
    once = RateLimiter("memory://", rules={"bookings": "1/hour"})
    monkeypatch.setattr(booking, "limiter", lambda: once)
    chat = await up_to_confirmation(svc)
    for phone in ("13900000001", "13900000002", "13900000003"):
        svc.book("lc-dongchangfu", "2026-11-23 09:30", "别人", phone)
    await chat.say("确认", "affirm")
    assert chat.requested == "booking_time" and chat.slots["booking_alternatives"]
    await chat.say('/inform{"booking_day":"2026-11-23","booking_time":"10:00"}')
    assert chat.events["booking_outcome"] == "booked"


async def test_the_limit_comes_from_rate_limit_bookings(svc, monkeypatch):
    import bot.ratelimit

    monkeypatch.setenv("RATE_LIMIT_BOOKINGS", "1/hour")
    monkeypatch.setattr(bot.ratelimit, "_default", None)  # the process's limiter, made anew from the environment
    monkeypatch.setattr(booking, "limiter", REAL_LIMITER)
    first = await up_to_confirmation(svc, phone="13900000021", sender="env-test")
    await first.say("确认", "affirm")
    assert first.events["booking_outcome"] == "booked"
    second = await up_to_confirmation(svc, phone="13900000022", time="10:00", sender="env-test")
    await second.say("确认", "affirm")
    assert second.events["booking_outcome"] == "rate_limited"
    assert svc.count_active_by_phone("13900000022") == 0


# --- check and cancel --------------------------------------------------------------------------

async def test_check_by_code_and_phone(svc):
    made = svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    chat = Conversation("check_form")
    await chat.say(f"查一下{made.code.lower()}", "check_appointment")
    assert chat.requested == "lookup_phone" and made.code in chat.text
    await chat.say(PHONE)
    assert chat.requested is None
    assert "有效" in chat.text and "11月24日（周二） 10:00" in chat.text and MASKED in chat.text
    no_full_phone(chat.replies)


async def test_check_by_phone_alone_gives_the_count_and_asks_for_the_code(svc):
    made = svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    chat = Conversation("check_form")
    await chat.say(f"用手机号{PHONE}查预约", "check_appointment")
    assert chat.requested == "lookup_code" and chat.slots.get("lookup_outcome") is None
    assert chat.text.startswith("该号码有1个有效预约，请提供预约码")
    nothing_about(made, chat)
    await chat.say("不记得了", "nlu_fallback")  # no code: asked again, still nothing shown
    assert chat.requested == "lookup_code" and "没有看到预约码" in chat.text
    nothing_about(made, chat)
    await chat.say(PHONE)  # the same phone again: the code is asked for, never silence
    assert chat.requested == "lookup_code" and chat.text == booking.T.ASK_LOOKUP_CODE
    nothing_about(made, chat)
    await chat.say(made.code.lower())
    assert chat.requested is None and "有效" in chat.text
    assert made.code in chat.text and "11月24日（周二） 10:00" in chat.text and MASKED in chat.text
    no_full_phone(chat.replies)


async def test_back_from_a_question_the_code_is_asked_again(svc, dispatcher):
    from tests.actions.action_trackers import form_turn

    svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    tracker = form_turn(msg("要带什么材料", "ask_materials"),
                        {"lookup_phone": PHONE, "requested_slot": "lookup_code"}, kind="resume", form="check_form")
    events = await booking.ValidateCheckForm().run(dispatcher, tracker, {})
    assert [m["text"] for m in dispatcher.messages] == [booking.T.ASK_LOOKUP_CODE]
    assert {"event": "slot", "name": "requested_slot", "value": "lookup_code"} in [
        {k: e[k] for k in ("event", "name", "value")} for e in events]


async def test_a_wrong_code_after_the_count_reads_like_any_unknown_code(svc):
    made = svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    chat = Conversation("check_form")
    await chat.say("查预约", "check_appointment")
    await chat.say(PHONE)
    assert chat.requested == "lookup_code"
    await chat.say("ZZZZZZ")
    assert chat.requested is None and chat.text.startswith("没有找到与这个手机号码对应的预约码 ZZZZZZ")
    nothing_about(made, chat)


async def test_another_persons_phone_sees_nothing(svc):
    made = svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    chat = Conversation("check_form")
    await chat.say("查预约", "check_appointment")
    await chat.say(OTHER_PHONE)
    assert "没有有效的预约" in chat.text and made.code not in chat.text and "10:00" not in chat.text
    # With the code but another phone: the same answer as an unknown code.
    chat = Conversation("check_form")
    await chat.say(f"{made.code} {OTHER_PHONE}", "check_appointment")
    assert chat.text.startswith(f"没有找到与这个手机号码对应的预约码 {made.code}")
    assert "张三" not in chat.text and "10:00" not in chat.text and "东昌府" not in chat.text
    unknown = Conversation("check_form")
    await unknown.say(f"ZZZZZZ {OTHER_PHONE}", "check_appointment")
    assert unknown.text.replace("ZZZZZZ", made.code) == chat.text
    no_full_phone(chat.replies + unknown.replies)


async def test_cancel_by_phone_alone_needs_the_code_then_asks_first(svc):
    made = svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    chat = Conversation("cancel_form")
    await chat.say("取消预约", "cancel_appointment")
    assert chat.requested == "lookup_phone" and "预约码" in chat.text
    await chat.say(PHONE)
    assert chat.requested == "lookup_code" and chat.text.startswith("该号码有1个有效预约，请提供预约码")
    nothing_about(made, chat)
    assert svc.find(made.code, PHONE).status == "booked"
    await chat.say(f"预约码是{made.code}")
    assert chat.requested == "cancel_confirmed" and made.code in chat.text and "确定要取消吗" in chat.text
    assert chat.payloads == ["/affirm", "/deny"]
    await chat.say("确定", "affirm")
    assert chat.requested is None and f"已为您取消预约 {made.code}" in chat.text
    assert svc.find(made.code, PHONE).status == "cancelled"
    slot = next(s for s in svc.slots("lc-dongchangfu", dt.date(2026, 11, 24)) if s.start.hour == 10 and s.start.minute == 0)
    assert slot.remaining == 3  # the seat is free again
    assert all(chat.slots.get(name) is None for name in booking.LOOKUP_SLOTS)
    no_full_phone(chat.replies)


async def test_cancel_by_code_and_phone_and_keeping_it(svc):
    made = svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    chat = Conversation("cancel_form")
    await chat.say(f"取消{made.code}，手机{PHONE}", "cancel_appointment")
    assert chat.requested == "cancel_confirmed"
    await chat.say("算了不取消了", "deny")
    assert "预约保留" in chat.text and svc.find(made.code, PHONE).status == "booked"


async def test_cancel_with_another_phone_cancels_nothing(svc):
    made = svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    chat = Conversation("cancel_form")
    await chat.say(f"取消{made.code}", "cancel_appointment")
    await chat.say(OTHER_PHONE)
    assert chat.requested is None and "没有找到" in chat.text
    assert svc.find(made.code, PHONE).status == "booked"


async def test_store_calls_leave_the_event_loop_free(svc, monkeypatch):
    import threading

    seen = []
    original = svc.days_with_free_seats

    def spy(*args, **kwargs):
        seen.append(threading.current_thread() is threading.main_thread())
        return original(*args, **kwargs)

    monkeypatch.setattr(svc, "days_with_free_seats", spy)
    chat = Conversation(city="liaocheng")
    await chat.say("我要预约", "book_appointment")
    await chat.say('/inform{"booking_station":"lc-dongchangfu"}')
    assert seen and not any(seen)


def test_the_store_is_made_by_the_factory(monkeypatch, tmp_path):
    made = []
    monkeypatch.setattr(booking, "_store", None)
    monkeypatch.setattr(booking, "make_store",
                        lambda: made.append(1) or AppointmentService(f"sqlite:///{tmp_path / 'x.db'}"))
    assert booking.store() is booking.store() and made == [1]


def test_the_code_is_spelled_out():
    assert booking.spelled("K7M3QX") == "K 7 M 3 Q X"
    assert re.fullmatch(r"[0-9A-Z ]+", booking.spelled("23456A"))


async def test_a_yes_is_no_name_and_a_no_thanks_stops(svc):
    chat = Conversation(city="liaocheng")
    for step in ("我要预约", '/inform{"booking_station":"lc-dongchangfu"}', '/inform{"booking_day":"2026-11-23"}',
                 '/inform{"booking_time":"09:30"}'):
        await chat.say(step, "book_appointment" if step == "我要预约" else "inform")
    await chat.say("好的", "affirm")
    assert chat.slots.get("booking_name") is None and chat.requested == "booking_name"
    await chat.say("王五", "deny")  # a name the NLU took for a no is still a name
    assert chat.slots["booking_name"] == "王五" and chat.requested == "booking_phone"
    await chat.say("算了不约了", "cancel_appointment")
    assert chat.requested is None and "先不预约了" in chat.text


async def test_looking_up_while_booking_is_left_to_the_rules(svc):
    chat = Conversation(city="liaocheng")
    await chat.say("我要预约", "book_appointment")
    await chat.say("查一下我的预约", "check_appointment")
    assert chat.rejected
