"""The Rasa adapter of the booking conversation (actions/booking.py) against a temporary SQLite store.

The conversation's steps are tested without Rasa in
tests/appointments/test_dialogue.py; here, what Rasa sees: the slot events,
the requested slot, the button payloads, the ticket as a json_message, the
rate limit per conversation, the ask actions that stay silent after an
explanation, the store off the event loop.

The store's clock is fixed on Sunday 2026-11-22 10:00 (Asia/Shanghai), so the
first bookable day is Monday 2026-11-23. ``Conversation`` plays Rasa's part:
it keeps the conversation's events, runs the form's validator on each turn,
applies the slot events, then asks the requested slot with its ask action
(given the validator's messages of the turn, as Rasa does), or runs the
form's closing action when the validator requests nothing.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.booking as booking
from actions.adapter import conversation_of
from actions.guard import busy_text
from bot.dialogue import stores
from bot.dialogue.conversation import past_turns
from bot.dialogue.visits import BOOKING_SLOTS, LOOKUP_SLOTS
from bot.appointments import AppointmentService, db
from bot.dialogue.booking import PastTurn
from bot.platform.ratelimit import TOO_MANY_BOOKINGS_TEXT, RateLimiter

from tests.actions.action_trackers import all_slots, message, payload_message

NOW = dt.datetime(2026, 11, 22, 10, 0)
PHONE = "13812345678"
OTHER_PHONE = "13987654321"
MASKED = "138****5678"
from bot.dialogue.booking import texts as T  # noqa: E402


@pytest.fixture(scope="module")
def template_db(tmp_path_factory):
    """One migrated and seeded database, copied for every test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("store") / "template.db"
    AppointmentService(f"sqlite:///{path}", clock=lambda: NOW)
    db.dispose_engines()
    return path


@pytest.fixture(autouse=True)
def limiter(monkeypatch) -> RateLimiter:
    """A fresh in-memory limiter per test (the process's one would count across tests)."""
    fresh = RateLimiter("memory://")
    monkeypatch.setattr(stores, "limiter", lambda: fresh)
    return fresh


@pytest.fixture
def svc(template_db, tmp_path, monkeypatch):
    path = tmp_path / "juzhu.db"
    path.write_bytes(template_db.read_bytes())
    service = AppointmentService(f"sqlite:///{path}", clock=lambda: NOW)
    monkeypatch.setattr(stores, "_appointments", service)
    yield service
    db.dispose_engines()


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


def bot_events(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The BotUttered events Rasa makes of an action's messages."""
    return [{"event": "bot", "text": m.get("text"),
             "data": {"buttons": m.get("buttons") or None, "custom": m.get("custom") or None}} for m in messages]


class Conversation:
    """One form conversation, Rasa's part played by hand, with the conversation's events."""

    def __init__(self, form: str = "booking_form", sender: str = "test", **slots: Any):
        self.form = form
        self.sender = sender
        self.slots: dict[str, Any] = dict(slots)
        self.active = False
        self.log: list[dict[str, Any]] = [{"event": "action", "name": "action_listen"}]
        self.replies: list[dict[str, Any]] = []  # the bot messages of the last turn
        self.events: dict[str, Any] = {}  # the validator's slot events of the last turn
        self.rejected = False

    def tracker(self, latest: dict[str, Any], events: list[dict[str, Any]], active: bool = True) -> Tracker:
        return Tracker(sender_id=self.sender, slots=all_slots(**self.slots), latest_message=latest, events=events,
                       paused=False, followup_action=None, active_loop={"name": self.form} if active else {},
                       latest_action_name=self.form)

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
        user = [{"event": "user", "text": latest["text"], "parse_data": latest}]
        if kind == "activation":
            user.append({"event": "active_loop", "name": self.form})
        form_ran = [{"event": "slot", "name": "requested_slot", "value": self.slots.get("requested_slot")},
                    {"event": "action", "name": self.form}]
        dispatcher = CollectingDispatcher()
        self.events = {}
        events = await validator().run(dispatcher, self.tracker(latest, self.log + user + form_ran), {})
        self.rejected = kind == "answer" and events == []
        if self.rejected:  # another action answers; nothing of the form's
            self.log += user + [{"event": "action_execution_rejected", "name": self.form},
                                {"event": "action", "name": "action_listen"}]
            self.replies = []
            return []
        self.active = True
        self.apply(events)
        turn = user + [{"event": "action", "name": self.form}] + bot_events(dispatcher.messages) + [
            e for e in events if e.get("event") == "slot"]
        said = len(dispatcher.messages)
        requested = self.slots.get("requested_slot")
        if requested:
            if ASK[requested]:
                await ASK[requested]().run(dispatcher, self.tracker(latest, self.log + turn), {})
        elif "action_listen" in [e.get("name") for e in events if e.get("event") == "followup"]:
            self.active = False  # the form ended on a failure: Rasa listens, no closing action
        else:
            self.active = False
            closing_events = await closing().run(dispatcher, self.tracker(latest, self.log + turn, False), {})
            self.apply(closing_events, record=False)
            turn += [{"event": "active_loop", "name": None}] + closing_events
        turn[len(turn):] = bot_events(dispatcher.messages[said:])
        self.log += turn + [{"event": "action", "name": "action_listen"}]
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
    from bot.rules import assess_dict

    decision = assess_dict({"city": "liaocheng", "hukou": {"province": "河北省"}, "lived_months": 8,
                            "registered_months": 8, "housing": "rented", "employment": "labor_contract"},
                           dt.date(2026, 11, 22))
    assert decision["verdict"] == "eligible"
    return decision


# --- a booking, as Rasa sees it ----------------------------------------------------------------

async def test_a_booking_sets_its_slots_asks_each_step_and_hands_out_the_ticket(svc):
    chat = Conversation(city="liaocheng")
    await chat.say("我要预约", "book_appointment")
    assert chat.requested == "booking_station" and all(v is None for k, v in chat.events.items()
                                                        if k not in ("requested_slot",))
    assert '/inform{"booking_station":"lc-dongchangfu"}' in chat.payloads
    assert all(len(p.encode("utf-8")) <= 64 for p in chat.payloads)  # Telegram's callback_data
    await chat.say('/inform{"booking_station":"lc-dongchangfu"}')
    assert chat.events == {"booking_station": "lc-dongchangfu", "requested_slot": "booking_day"}
    assert chat.payloads[0] == '/inform{"booking_day":"2026-11-23"}'
    await chat.say("明天上午")
    assert chat.events == {"booking_day": "2026-11-23", "booking_part": "am", "requested_slot": "booking_time"}
    assert chat.payloads[:2] == ['/inform{"booking_time":"09:00"}', '/inform{"booking_time":"09:30"}']
    assert chat.payloads[-1] == '/inform{"booking_change":"day"}'
    await chat.say('/inform{"booking_time":"09:30"}')
    assert chat.events == {"booking_time": "09:30", "requested_slot": "booking_name"} and "姓名" in chat.text
    await chat.say("我叫 张三 ")
    assert chat.events == {"booking_name": "张三", "requested_slot": "booking_phone"}
    await chat.say("138-1234-5678")
    assert chat.events == {"booking_phone": PHONE, "requested_slot": "booking_confirmed"}
    assert MASKED in chat.text and chat.payloads == ["/affirm", "/deny", '/inform{"booking_change":"party"}']
    no_full_phone(chat.replies)

    await chat.say("确认", "affirm")
    code = chat.events["booking_code"]
    assert chat.events["booking_outcome"] == "booked" and chat.events["requested_slot"] is None
    assert svc.find(code, PHONE).start == dt.datetime(2026, 11, 23, 9, 30)
    assert f"预约码：{code}" in chat.text and MASKED not in chat.text
    [element] = chat.custom  # the ticket, as a json_message
    assert element["code"] == code and element["booking"]["start"] == "2026-11-23 09:30"
    assert element["qr"].startswith("data:image/png;base64,")
    no_full_phone(chat.replies)
    # The form's slots are cleared once it is told: nothing personal stays in the tracker.
    assert all(chat.slots.get(name) is None for name in BOOKING_SLOTS)
    # Then the rating question, once in the conversation.
    assert [p for p in chat.payloads if p.startswith("/rate")] == [f'/rate{{"rating":{n}}}' for n in (5, 4, 3, 2, 1)]
    assert chat.slots["feedback_asked"] == "booking"


async def test_the_personal_checklist_of_the_last_decision_goes_with_the_confirmation(svc):
    chat = await up_to_confirmation(svc, decision=eligible_decision())
    await chat.say("确认", "affirm")
    for part in ("□ 本人居民身份证", "房屋租赁合同", "劳动合同"):
        assert part in chat.text, part
    [element] = chat.custom
    import base64

    assert "房屋租赁合同" in base64.b64decode(element["ics"]).decode("utf-8").replace("\r\n ", "")


async def test_without_a_decision_the_general_checklist(svc):
    from bot.rules import render_topic

    chat = await up_to_confirmation(svc)
    await chat.say("好的", "affirm")
    general = render_topic("liaocheng", "materials", dt.date(2026, 11, 22))
    assert general.splitlines()[0] in chat.text


async def test_without_a_city_the_city_is_asked_and_a_waiting_question_is_released(svc):
    chat = Conversation(awaiting_city=True, pending_topic="fee")
    await chat.say("我要预约", "book_appointment")
    assert chat.requested == "city"
    assert chat.payloads == ['/inform{"city":"liaocheng"}', '/inform{"city":"qujing"}']
    await chat.say('/inform{"city":"qujing"}')
    assert chat.events["city"] == "qujing" and chat.events["awaiting_city"] is False
    assert chat.events["pending_topic"] is None and chat.requested == "booking_station"


async def test_a_question_in_the_middle_is_left_to_the_rules(svc):
    chat = Conversation(city="liaocheng")
    await chat.say("我要预约", "book_appointment")
    await chat.say("办证要钱吗", "ask_fee")
    assert chat.rejected


async def test_an_outcome_of_error_answers_busy(svc, dispatcher):
    tracker = Tracker(sender_id="t", slots=all_slots(booking_outcome="error", booking_phone=PHONE),
                      latest_message=message("确认", "affirm"), events=[], paused=False, followup_action=None,
                      active_loop={}, latest_action_name="booking_form")
    events = await booking.ActionBookAppointment().run(dispatcher, tracker, {})
    assert [m["text"] for m in dispatcher.messages] == [busy_text()]
    assert {e["name"] for e in events} == set(BOOKING_SLOTS) and all(e["value"] is None for e in events)


# --- 算了, 再说一遍, a second answer not taken, through Rasa -----------------------------------------

async def test_sorry_no_booking_ends_the_form_whatever_the_intent(svc):
    chat = await up_to_confirmation(svc)
    await chat.say("算了，不约了", "out_of_scope")
    assert not chat.rejected and chat.events["booking_outcome"] == "stopped" and chat.requested is None
    assert chat.text == T.STOPPED and chat.payloads == ["/book_appointment", "/greet"]
    assert all(chat.slots.get(name) is None for name in BOOKING_SLOTS)
    assert svc.count_active_by_phone(PHONE) == 0


async def test_say_it_again_asks_the_question_again(svc):
    chat = Conversation(city="liaocheng")
    await chat.say("我要预约", "book_appointment")
    await chat.say('/inform{"booking_station":"lc-dongchangfu"}')
    asked = chat.replies
    await chat.say("再说一遍", "out_of_scope")
    assert not chat.rejected and chat.requested == "booking_day"
    assert chat.events == {"booking_day": None, "requested_slot": "booking_day"}
    assert chat.replies == asked


async def test_a_second_answer_not_taken_is_explained_and_the_question_not_asked(svc):
    chat = Conversation(city="liaocheng")
    await chat.say("我要预约", "book_appointment")
    await chat.say('/inform{"booking_station":"lc-dongchangfu"}')
    question = chat.replies[0]["text"]
    await chat.say("嗯嗯", "affirm")
    assert chat.text == f"{T.NOT_UNDERSTOOD_DAY}\n{question}"  # the first time: the question again
    await chat.say("嗯嗯", "affirm")
    assert [m["text"] for m in chat.replies] == [T.EXPLAIN_DAY]  # the ask action stayed silent
    assert chat.payloads[0] == '/inform{"booking_day":"2026-11-23"}'
    assert chat.payloads[-1] == '/inform{"booking_change":"stop"}'
    await chat.say("23号")
    assert chat.requested == "booking_time"


async def test_a_question_between_two_answers_not_taken_starts_the_row_again(svc):
    chat = Conversation(city="liaocheng")
    await chat.say("我要预约", "book_appointment")
    await chat.say('/inform{"booking_station":"lc-dongchangfu"}')
    await chat.say("嗯嗯", "affirm")
    await chat.say("办证要钱吗", "ask_fee")
    assert chat.rejected
    await chat.say("嗯嗯", "affirm")
    assert chat.replies[0]["text"] == T.NOT_UNDERSTOOD_DAY and len(chat.replies) == 2


async def test_the_phone_of_a_look_up_not_given_twice_is_explained(svc):
    chat = Conversation("check_form")
    await chat.say("查预约", "check_appointment")
    await chat.say("嗯", "nlu_fallback")
    assert T.ASK_LOOKUP_PHONE in chat.text
    await chat.say("嗯", "nlu_fallback")
    assert [m["text"] for m in chat.replies] == [T.EXPLAIN_LOOKUP_PHONE] and chat.payloads == ["/deny"]
    await chat.say(T.NOT_NOW, "deny")
    assert chat.requested is None and chat.text == T.LOOKUP_STOPPED


def test_past_turns_from_rasa_events():
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "我要预约"}, {"event": "active_loop", "name": "booking_form"},
        {"event": "slot", "name": "booking_station", "value": None},
        {"event": "slot", "name": "requested_slot", "value": "booking_station"},
        {"event": "bot", "text": "请选择办理点："},
        {"event": "user", "text": "嗯"}, {"event": "action", "name": "booking_form"},
        {"event": "slot", "name": "booking_station", "value": None},
        {"event": "slot", "name": "requested_slot", "value": "booking_station"},
        {"event": "user", "text": "这一条正在读"},
    ]
    assert past_turns(events) == [
        PastTurn("我要预约", None, {"booking_station": None}, "booking_station"),
        PastTurn("嗯", "booking_station", {"booking_station": None}, "booking_station")]
    assert past_turns(events[:6] + [{"event": "restart"}] + events[6:])[0].text == "嗯"


def test_only_the_validators_words_of_this_turn_count_as_asked():
    buttons = {"buttons": [{"title": "x", "payload": "/y"}]}
    earlier = [{"event": "bot", "text": "费用", "data": buttons}, {"event": "action", "name": "booking_form"}]
    assert not conversation_of(Tracker("t", {}, {}, earlier, False, None, {}, "booking_form")).asked_already()
    now = earlier + [{"event": "bot", "text": T.EXPLAIN_DAY, "data": buttons},
                     {"event": "slot", "name": "requested_slot", "value": "booking_day"}]
    assert conversation_of(Tracker("t", {}, {}, now, False, None, {}, "booking_form")).asked_already()


# --- rate limit ---------------------------------------------------------------------------------

REAL_LIMITER = stores.limiter  # before the autouse fixture replaces it


async def test_a_conversation_books_at_most_three_times_an_hour(svc, monkeypatch):
    monkeypatch.setenv("HOTLINE", "96110")
    shared = RateLimiter("memory://", rules={"bookings": "3/hour"})
    monkeypatch.setattr(stores, "limiter", lambda: shared)
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
    assert all(chat.slots.get(name) is None for name in BOOKING_SLOTS)
    other = await up_to_confirmation(svc, phone=phones[4], time="10:30", sender="kiosk-2")
    await other.say("确认", "affirm")  # another conversation has its own count
    assert other.events["booking_outcome"] == "booked"


async def test_only_a_confirmation_counts_not_every_message(svc, monkeypatch):
    once = RateLimiter("memory://", rules={"bookings": "1/hour"})
    monkeypatch.setattr(stores, "limiter", lambda: once)
    chat = await up_to_confirmation(svc)  # eight messages
    await chat.say("不对", "deny")
    await chat.say('/inform{"booking_change":"time"}')
    await chat.say('/inform{"booking_time":"10:00"}')
    assert chat.requested == "booking_confirmed"
    await chat.say("确认", "affirm")
    assert chat.events["booking_outcome"] == "booked"


async def test_the_limit_comes_from_rate_limit_bookings(svc, monkeypatch):
    import bot.platform.ratelimit

    monkeypatch.setenv("RATE_LIMIT_BOOKINGS", "1/hour")
    monkeypatch.setattr(bot.platform.ratelimit, "_default", None)  # the process's limiter, made anew from the environment
    monkeypatch.setattr(stores, "limiter", REAL_LIMITER)
    first = await up_to_confirmation(svc, phone="13900000021", sender="env-test")
    await first.say("确认", "affirm")
    assert first.events["booking_outcome"] == "booked"
    second = await up_to_confirmation(svc, phone="13900000022", time="10:00", sender="env-test")
    await second.say("确认", "affirm")
    assert second.events["booking_outcome"] == "rate_limited"
    assert svc.count_active_by_phone("13900000022") == 0


# --- check and cancel --------------------------------------------------------------------------

async def test_check_by_phone_alone_then_the_code(svc):
    made = svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    chat = Conversation("check_form")
    await chat.say(f"用手机号{PHONE}查预约", "check_appointment")
    assert chat.events == {"lookup_phone": PHONE, "requested_slot": "lookup_code"}
    assert chat.text.startswith("该号码有1个有效预约，请提供预约码") and made.code not in chat.text
    await chat.say(PHONE)  # the same phone again: the code is asked for, never silence
    assert chat.events == {"lookup_phone": PHONE, "requested_slot": "lookup_code"}
    assert chat.text == T.ASK_LOOKUP_CODE
    await chat.say(made.code.lower())
    assert chat.events["lookup_outcome"] == "found" and chat.requested is None
    assert made.code in chat.text and MASKED not in chat.text
    assert chat.payloads == [f'/cancel_appointment{{"booking_code":"{made.code}"}}']
    assert all(chat.slots.get(name) is None for name in LOOKUP_SLOTS)
    no_full_phone(chat.replies)


async def test_back_from_a_question_the_code_is_asked_again(svc, dispatcher):
    from tests.actions.action_trackers import form_turn

    svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    tracker = form_turn(msg("要带什么材料", "ask_materials"),
                        {"lookup_phone": PHONE, "requested_slot": "lookup_code"}, kind="resume", form="check_form")
    events = await booking.ValidateCheckForm().run(dispatcher, tracker, {})
    assert [m["text"] for m in dispatcher.messages] == [T.ASK_LOOKUP_CODE]
    assert {"event": "slot", "name": "requested_slot", "value": "lookup_code"} in [
        {k: e[k] for k in ("event", "name", "value")} for e in events]


async def test_cancel_by_code_and_phone(svc):
    made = svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    chat = Conversation("cancel_form")
    await chat.say(f"取消{made.code}，手机{PHONE}", "cancel_appointment")
    assert chat.events == {"lookup_code": made.code, "lookup_phone": PHONE, "lookup_outcome": "found",
                           "requested_slot": "cancel_confirmed"}
    assert "确定要取消吗" in chat.text and chat.payloads == ["/affirm", "/deny"]
    await chat.say("确定", "affirm")
    assert chat.events == {"cancel_confirmed": True, "requested_slot": None}
    assert f"已为您取消预约 {made.code}" in chat.text and chat.payloads == ["/book_appointment", "/greet"]
    assert svc.find(made.code, PHONE).status == "cancelled"
    assert all(chat.slots.get(name) is None for name in LOOKUP_SLOTS)
    no_full_phone(chat.replies)


async def test_cancel_with_another_phone_cancels_nothing(svc):
    made = svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    chat = Conversation("cancel_form")
    await chat.say(f"取消{made.code}", "cancel_appointment")
    await chat.say(OTHER_PHONE)
    assert chat.requested is None and "没有找到" in chat.text
    assert chat.payloads == ["/cancel_appointment", "/book_appointment"]
    assert svc.find(made.code, PHONE).status == "booked"


# --- the store ----------------------------------------------------------------------------------

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
    monkeypatch.setattr(stores, "_appointments", None)
    monkeypatch.setattr(stores, "make_appointments",
                        lambda: made.append(1) or AppointmentService(f"sqlite:///{tmp_path / 'x.db'}"))
    assert stores.appointments() is stores.appointments() and made == [1]
    db.dispose_engines()


async def test_a_question_without_the_store_does_not_connect(monkeypatch, dispatcher):
    monkeypatch.setattr(stores, "_appointments", None)
    monkeypatch.setattr(stores, "make_appointments", lambda: pytest.fail("the store was made"))
    tracker = Tracker("t", all_slots(), message("张三"), [], False, None, {"name": "booking_form"}, "booking_form")
    await booking.ActionAskBookingName().run(dispatcher, tracker, {})
    assert [m["text"] for m in dispatcher.messages] == [T.ASK_NAME]
