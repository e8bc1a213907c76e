"""The booking conversation's steps (bot/dialogue/booking/, replies.py), without Rasa.

Against a temporary SQLite store whose clock is fixed on Sunday 2026-11-22
10:00 (Asia/Shanghai), so the first bookable day is Monday 2026-11-23.
``Chat`` plays a form as any adapter would: it runs a turn, applies its
changes, then asks the next step's question (unless the turn's words already
did) or, when no step is left, says the form's end.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any, Callable, Optional

import pytest

from bot.appointments import AppointmentService, db
from bot.dialogue.booking import texts as T
from bot.dialogue.booking import (BOOKING_SLOTS, LOOKUP_SLOTS, BookingTurn, LookupTurn, Message, PastTurn,
                                       failed_in_a_row, wants_repeat, wants_to_stop)
from bot.dialogue.booking.replies import (Button, Reply, booking_end, cancel_end, check_end, explanation, question,
                                      short_station, spelled)

NOW = dt.datetime(2026, 11, 22, 10, 0)
PHONE = "13812345678"
OTHER_PHONE = "13987654321"
MASKED = "138****5678"
CHECKLIST = "□ 本人居民身份证（第七条）"


@pytest.fixture(scope="module")
def template_db(tmp_path_factory):
    """One migrated and seeded database, copied for every test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("store") / "template.db"
    AppointmentService(f"sqlite:///{path}", clock=lambda: NOW)
    db.dispose_engines()
    return path


@pytest.fixture
def svc(template_db, tmp_path):
    path = tmp_path / "juzhu.db"
    path.write_bytes(template_db.read_bytes())
    yield AppointmentService(f"sqlite:///{path}", clock=lambda: NOW)
    db.dispose_engines()


def message(text: str, intent: Optional[str] = "inform", **entities: Any) -> Message:
    """A typed message, or a button's payload such as /inform{"booking_day":"2026-11-23"}."""
    if text.startswith("/"):
        name, _, data = text[1:].partition("{")
        return Message.tapped(name, **(json.loads("{" + data) if data else {}))
    return Message.typed(text, intent, **entities)


class Chat:
    """One form conversation on the domain alone (the adapter's part played by hand)."""

    def __init__(self, svc: AppointmentService, form: str = "booking", *,
                 may_book: Callable[[Any], bool] = lambda slots: True, **slots: Any):
        self.svc, self.form, self.may_book = svc, form, may_book
        self.slots: dict[str, Any] = dict(slots)
        self.requested: Optional[str] = None
        self.active = False
        self.history: list[PastTurn] = []
        self.replies: list[Reply] = []
        self.changes: dict[str, Any] = {}
        self.rejected = False
        self.ended: dict[str, Any] = {}  # the form's values when it ended

    def turn(self, latest: Message, kind: str):
        requested = self.requested if kind == "answer" else None
        failures = failed_in_a_row(self.history, requested) if requested else 0
        if self.form == "booking":
            return BookingTurn(self.svc, self.slots, latest, kind, requested, failures=failures,
                               may_book=self.may_book)
        return LookupTurn(self.svc, self.slots, latest, kind, requested, self.form, failures=failures)

    def say(self, text: str, intent: Optional[str] = "inform", **entities: Any) -> list[Reply]:
        latest = message(text, intent, **entities)
        kind = "answer" if self.active else "activation"
        step = self.turn(latest, kind).run()
        self.rejected = step.reject
        if step.reject:  # another part answers; the form comes back afterwards
            self.history.append(PastTurn(text, self.requested, {}, self.requested))
            self.replies, self.changes = [], {}
            return []
        self.active = True
        self.history.append(PastTurn(text, self.requested, dict(step.changes), step.next_slot))
        self.slots.update(step.changes)
        self.changes = dict(step.changes)
        self.requested = step.next_slot
        replies = list(step.replies)
        if step.next_slot:
            if not step.asked and step.next_slot != "lookup_code":  # the look-up asks for the code itself
                replies.append(question(self.svc, step.next_slot, self.slots))
        else:
            self.active = False
            replies += self.end()
        self.replies = replies
        return replies

    def end(self) -> list[Reply]:
        self.ended = dict(self.slots)
        if self.form == "booking":
            said = booking_end(self.svc, self.slots, checklist=lambda city: CHECKLIST,
                               where=lambda city: f"{city}: where", hotline="12345")
            names = BOOKING_SLOTS
        else:
            said = (check_end if self.form == "check" else cancel_end)(self.svc, self.slots)
            names = LOOKUP_SLOTS
        for name in names:
            self.slots[name] = None
        return said

    @property
    def text(self) -> str:
        return "\n".join(r.text or "" for r in self.replies)

    @property
    def buttons(self) -> list[Button]:
        return [b for r in self.replies for b in r.buttons]

    @property
    def titles(self) -> list[str]:
        return [b.title for b in self.buttons]

    @property
    def choices(self) -> list[tuple[str, dict[str, Any]]]:
        return [(b.intent, dict(b.entities)) for b in self.buttons]

    @property
    def custom(self) -> list[dict[str, Any]]:
        return [r.custom for r in self.replies if r.custom]


def no_full_phone(chat: Chat, *phones: str) -> None:
    dumped = json.dumps([r.__dict__ for r in chat.replies], ensure_ascii=False, default=str)
    for phone in phones or (PHONE, OTHER_PHONE):
        assert phone not in dumped


def up_to_confirmation(svc, *, phone: str = PHONE, time: str = "09:30", **kwargs) -> Chat:
    chat = Chat(svc, city="liaocheng", **kwargs)
    chat.say("我要预约", "book_appointment")
    chat.say('/inform{"booking_station":"lc-dongchangfu"}')
    chat.say('/inform{"booking_day":"2026-11-23"}')
    chat.say(f'/inform{{"booking_time":"{time}"}}')
    chat.say("张三")
    chat.say(phone)
    assert chat.requested == "booking_confirmed"
    return chat


def to_step(svc, step: str) -> Chat:
    """A booking chat at liaocheng's 东昌府 station, asked ``step``."""
    chat = Chat(svc, city="liaocheng")
    answers = ["我要预约", '/inform{"booking_station":"lc-dongchangfu"}', '/inform{"booking_day":"2026-11-23"}',
               '/inform{"booking_time":"09:30"}', "张三", PHONE]
    order = ["booking_station", "booking_day", "booking_time", "booking_name", "booking_phone", "booking_confirmed"]
    for answer in answers[:order.index(step) + 1]:
        chat.say(answer, "book_appointment" if answer == "我要预约" else "inform")
    assert chat.requested == step
    return chat


# --- choosing station, day, time -----------------------------------------------------------

def test_without_a_city_the_city_is_asked_first(svc):
    chat = Chat(svc)
    chat.say("我要预约", "book_appointment")
    assert chat.requested == "city"
    assert chat.choices == [("inform", {"city": "liaocheng"}), ("inform", {"city": "qujing"})]
    chat.say('/inform{"city":"qujing"}')
    assert chat.requested == "booking_station" and chat.slots["city"] == "qujing"
    assert all(entities["booking_station"].startswith("qj-") for _, entities in chat.choices)


def test_stations_of_the_applicants_county_come_first(svc):
    chat = Chat(svc, city="liaocheng", residence_county="茌平区")
    chat.say("我要预约", "book_appointment")
    assert chat.requested == "booking_station"
    assert chat.choices[0] == ("inform", {"booking_station": "lc-chiping"})
    assert len(chat.buttons) == 11  # every station of the city
    assert "茌平区" in chat.text and "振兴路1号" in chat.text
    assert chat.titles[0] == "茌平区 振兴派出所"
    assert chat.buttons[2].fallback == {"booking_station": "#3"}  # its place in the list, for short payloads


def test_a_station_picked_by_its_place_in_the_list(svc):
    chat = Chat(svc, city="liaocheng", residence_county="茌平区")
    chat.say("我要预约", "book_appointment")
    chat.say('/inform{"booking_station":"#1"}')
    assert chat.slots["booking_station"] == "lc-chiping" and chat.requested == "booking_day"


def test_days_with_free_seats_then_times(svc):
    chat = to_step(svc, "booking_day")
    assert chat.titles[0] == "11月23日（周一）"
    assert chat.choices[0] == ("inform", {"booking_day": "2026-11-23"})
    assert "11月28日（周六）" not in chat.titles and "11月29日（周日）" not in chat.titles
    assert len(chat.titles) == 10  # the working days of the next 14 days
    chat.say('/inform{"booking_day":"2026-11-24"}')
    assert chat.requested == "booking_time"
    assert chat.choices[0] == ("inform", {"booking_time": "09:00"})
    assert "13:30" in chat.titles and "12:00" not in chat.titles
    assert chat.choices[-1] == ("inform", {"booking_change": "day"})
    chat.say('/inform{"booking_time":"13:30"}')
    assert chat.requested == "booking_name"
    assert chat.slots["booking_day"] == "2026-11-24" and chat.slots["booking_time"] == "13:30"


def test_free_text_day_and_part_of_day(svc):
    chat = Chat(svc, city="liaocheng")
    chat.say("我要预约", "book_appointment")
    chat.say("东昌府的")
    assert chat.slots["booking_station"] == "lc-dongchangfu"
    chat.say("明天上午", "book_appointment")
    assert chat.slots["booking_day"] == "2026-11-23" and chat.requested == "booking_time"
    assert chat.slots["booking_part"] == "am" and chat.text.startswith("11月23日（周一）上午")
    assert chat.titles[:6] == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    assert "13:30" not in chat.titles
    chat.say("十点半")
    assert chat.slots["booking_time"] == "10:30" and chat.requested == "booking_name"


def test_everything_in_the_first_sentence(svc):
    chat = Chat(svc)
    chat.say("帮我预约东昌府23号下午两点", "book_appointment")
    assert chat.slots["city"] == "liaocheng" and chat.slots["booking_station"] == "lc-dongchangfu"
    assert chat.slots["booking_day"] == "2026-11-23" and chat.slots["booking_time"] == "14:00"
    assert chat.requested == "booking_name"


def test_a_closed_day_is_refused_with_its_reason_and_the_days_again(svc):
    chat = to_step(svc, "booking_day")
    chat.say("周六")
    assert "周六不办公" in chat.text and chat.requested == "booking_day"
    assert chat.choices[0] == ("inform", {"booking_day": "2026-11-23"})
    assert chat.changes == {"booking_day": None}  # an answer not taken


def test_a_day_too_far_or_past(svc):
    chat = to_step(svc, "booking_day")
    chat.say("12月25号")
    assert "不在可预约的范围内" in chat.text and chat.requested == "booking_day"


def test_a_time_that_is_no_slot(svc):
    chat = to_step(svc, "booking_time")
    chat.say("十二点")
    assert "没有 12:00 这个时段" in chat.text and chat.requested == "booking_time"


def test_a_question_in_the_middle_is_rejected(svc):
    chat = to_step(svc, "booking_day")
    chat.say("办证要钱吗", "ask_fee")
    assert chat.rejected and chat.requested == "booking_day"


def test_looking_up_while_booking_is_rejected(svc):
    chat = Chat(svc, city="liaocheng")
    chat.say("我要预约", "book_appointment")
    chat.say("查一下我的预约", "check_appointment")
    assert chat.rejected


def test_a_city_without_a_station(svc):
    for station in svc.stations(city="qujing"):
        with svc.engine.begin() as connection:
            from sqlalchemy import text

            connection.execute(text("DELETE FROM stations WHERE id = :id"), {"id": station.id})
    chat = Chat(svc, city="qujing")
    chat.say("我要预约", "book_appointment")
    assert chat.requested is None and chat.ended["booking_outcome"] == "no_station"
    assert "曲靖市暂时没有可以在线预约的办理点" in chat.text and "qujing: where" in chat.text


# --- name and phone ------------------------------------------------------------------------

def test_name_and_phone_are_validated(svc):
    chat = to_step(svc, "booking_name")
    assert "姓名" in chat.text
    chat.say("一" * 21, "nlu_fallback")
    assert "姓名过长" in chat.text and chat.requested == "booking_name"
    chat.say("我叫 张三 ")
    assert chat.slots["booking_name"] == "张三" and chat.requested == "booking_phone"
    chat.say("12345", "nlu_fallback")
    assert "手机号码无效" in chat.text and chat.requested == "booking_phone"
    assert "请输入预约人的手机号码" in chat.text  # the same question again
    chat.say("我电话138-1234-5678")
    assert chat.slots["booking_phone"] == PHONE and chat.requested == "booking_confirmed"
    assert MASKED in chat.text and "张三" in chat.text and "11月23日（周一） 09:30" in chat.text
    assert chat.choices == [("affirm", {}), ("deny", {}), ("inform", {"booking_change": "party"})]  # 家人同行
    no_full_phone(chat)


def test_name_and_phone_in_one_answer(svc):
    chat = to_step(svc, "booking_name")
    chat.say("张三，13812345678")
    assert chat.slots["booking_name"] == "张三" and chat.slots["booking_phone"] == PHONE
    assert chat.requested == "booking_confirmed"


def test_a_yes_is_no_name_and_a_no_thanks_stops(svc):
    chat = to_step(svc, "booking_name")
    chat.say("好的", "affirm")
    assert chat.slots.get("booking_name") is None and chat.requested == "booking_name"
    chat.say("王五", "deny")  # a name the NLU took for a no is still a name
    assert chat.slots["booking_name"] == "王五" and chat.requested == "booking_phone"
    chat.say("不用了", "deny")
    assert chat.requested is None and chat.ended["booking_outcome"] == "stopped" and "先不预约了" in chat.text


# --- confirmation ----------------------------------------------------------------------------

def test_confirmation_books_and_hands_out_code_checklist_and_ticket(svc):
    chat = up_to_confirmation(svc)
    chat.say("确认", "affirm")
    code = chat.changes["booking_code"]
    assert code and chat.changes["booking_outcome"] == "booked" and chat.requested is None
    made = svc.find(code, PHONE)
    assert made.start == dt.datetime(2026, 11, 23, 9, 30) and made.name == "张三"
    for part in (f"预约码：{code}（{' '.join(code)}）", "聊城市公安局东昌府分局古楼派出所", "东昌中路1号",
                 "0635-0000001", "11月23日（周一） 09:30", CHECKLIST, T.SAMPLE_NOTE, T.BOOKED_FOOTER):
        assert part in chat.text, part
    assert MASKED not in chat.text  # never the phone beside the code (issue 19): 10⁴ guesses from a glance
    no_full_phone(chat)
    [element] = chat.custom
    assert element["code"] == code and element["filename"] == f"juzhu-{code}.ics"
    # What the kiosk prints: the visit and the checklist the chat showed.
    assert element["booking"] == {"code": code, "start": "2026-11-23 09:30", "time": "11月23日（周一） 09:30",
                                  "station": "聊城市公安局东昌府分局古楼派出所",
                                  "address": "聊城市东昌府区东昌中路1号（示例地址）", "station_phone": "0635-0000001"}
    assert element["checklist"] == CHECKLIST
    assert base64.b64decode(element["qr"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    from icalendar import Calendar

    [event] = [c for c in Calendar.from_ical(base64.b64decode(element["ics"])).walk() if c.name == "VEVENT"]
    assert code in str(event["description"]) and "本人居民身份证" in str(event["description"])
    assert event.decoded("dtstart").replace(tzinfo=None) == dt.datetime(2026, 11, 23, 9, 30)


def test_deny_lets_them_change_an_item_or_stop(svc):
    chat = up_to_confirmation(svc)
    chat.say("不对", "deny")
    assert chat.requested == "booking_change"
    assert ("inform", {"booking_change": "time"}) in chat.choices and ("inform", {"booking_change": "stop"}) in chat.choices
    chat.say('/inform{"booking_change":"time"}')
    assert chat.requested == "booking_time" and chat.slots["booking_time"] is None
    chat.say('/inform{"booking_time":"10:00"}')
    assert chat.requested == "booking_confirmed" and "11月23日（周一） 10:00" in chat.text
    chat.say("改成下午三点")
    assert chat.slots["booking_time"] == "15:00" and chat.requested == "booking_confirmed"
    chat.say("后天可以吗", "affirm")  # a new day, not a plain yes: the time is asked again
    assert chat.slots["booking_day"] == "2026-11-24" and chat.requested == "booking_time"
    chat.say('/inform{"booking_time":"15:00"}')
    assert chat.requested == "booking_confirmed" and svc.count_active_by_phone(PHONE) == 0
    chat.say("不对", "deny")
    chat.say('/inform{"booking_change":"stop"}')
    assert chat.requested is None and "先不预约了" in chat.text
    assert svc.count_active_by_phone(PHONE) == 0


@pytest.mark.parametrize("at_summary, typed, intent, asked", [
    (False, "改时间", "reschedule_appointment", "booking_time"),  # the NLU heard a reschedule
    (False, "时间", "inform", "booking_time"),
    (False, "日期不对", "deny", "booking_day"),  # the NLU heard a no: not a stop
    (False, "换个派出所", "inform", "booking_station"),
    (True, "时间不对", "deny", "booking_time"),  # at the summary: not a plain no either
    (True, "手机号写错了", "deny", "booking_phone"),
])
def test_the_item_to_change_can_be_typed(svc, at_summary, typed, intent, asked):
    chat = up_to_confirmation(svc)
    if not at_summary:
        chat.say("不对", "deny")
        assert chat.requested == "booking_change"
    chat.say(typed, intent)
    assert chat.requested == asked and chat.slots[asked] is None and chat.slots["booking_name"] == "张三"
    assert svc.count_active_by_phone(PHONE) == 0


def test_another_station_drops_the_day_and_time(svc):
    chat = up_to_confirmation(svc)
    chat.say("不对", "deny")
    chat.say('/inform{"booking_change":"station"}')
    assert chat.requested == "booking_station" and chat.slots["booking_day"] is None
    chat.say('/inform{"booking_station":"lc-linqing"}')
    assert chat.requested == "booking_day" and chat.slots["booking_name"] == "张三"


def test_a_full_slot_at_confirmation_offers_the_nearest_free_times(svc):
    chat = up_to_confirmation(svc)
    for phone in ("13900000001", "13900000002", "13900000003"):  # others take 09:30 meanwhile
        svc.book("lc-dongchangfu", "2026-11-23 09:30", "别人", phone)
    chat.say("确认", "affirm")
    assert chat.requested == "booking_time" and "刚刚约满" in chat.text
    assert chat.slots["booking_alternatives"] == ["2026-11-23 09:00", "2026-11-23 10:00", "2026-11-23 10:30"]
    assert chat.choices[0] == ("inform", {"booking_day": "2026-11-23", "booking_time": "09:00"})
    chat.say('/inform{"booking_day":"2026-11-23","booking_time":"10:00"}')
    code = chat.changes["booking_code"]  # booked at once: no second confirmation
    assert chat.changes["booking_outcome"] == "booked" and f"预约码：{code}" in chat.text
    assert svc.find(code, PHONE).start == dt.datetime(2026, 11, 23, 10, 0)


def nothing_about(booking_info, chat: Chat) -> None:
    """The replies tell nothing of that booking: no code, time, station or name."""
    dumped = json.dumps([r.__dict__ for r in chat.replies], ensure_ascii=False, default=str)
    for secret in (booking_info.code, f"{booking_info.start:%H:%M}", f"{booking_info.start.month}月{booking_info.start.day}日",
                   booking_info.station_name, booking_info.station_address, booking_info.name, MASKED):
        assert secret not in dumped, secret
    no_full_phone(chat)


def test_a_phone_with_a_booking_learns_only_that_it_has_one(svc):
    existing = svc.book("lc-linqing", "2026-11-25 14:00", "李四", PHONE)
    chat = to_step(svc, "booking_phone")
    chat.say(PHONE)
    assert chat.requested is None and chat.ended["booking_outcome"] == "already_booked"
    assert "已经有一个有效预约" in chat.text and "预约码" in chat.text
    assert [b.intent for b in chat.buttons] == ["check_appointment", "cancel_appointment", "greet"]
    nothing_about(existing, chat)


def test_a_phone_booked_meanwhile_learns_only_that_at_confirmation(svc):
    chat = up_to_confirmation(svc)
    existing = svc.book("lc-linqing", "2026-11-25 14:00", "李四", PHONE)  # another device, same phone
    chat.say("确认", "affirm")
    assert chat.changes["booking_outcome"] == "already_booked" and "已经有一个有效预约" in chat.text
    nothing_about(existing, chat)


# --- the rate limit: a gate asked once per try --------------------------------------------------

def test_the_gate_is_asked_when_the_summary_is_confirmed_only(svc):
    asked = []
    chat = up_to_confirmation(svc, may_book=lambda slots: asked.append(1) or True)
    chat.say("不对", "deny")
    chat.say('/inform{"booking_change":"time"}')
    chat.say('/inform{"booking_time":"10:00"}')
    assert asked == []
    chat.say("确认", "affirm")
    assert asked == [1] and chat.changes["booking_outcome"] == "booked"


def test_a_closed_gate_books_nothing(svc):
    chat = up_to_confirmation(svc, may_book=lambda slots: False)
    chat.say("确认", "affirm")
    assert chat.ended["booking_outcome"] == "rate_limited" and "12345" in chat.text
    assert svc.count_active_by_phone(PHONE) == 0


def test_a_free_time_picked_after_the_slot_filled_up_is_the_same_try(svc):
    asked = []
    chat = up_to_confirmation(svc, may_book=lambda slots: asked.append(1) or len(asked) == 1)
    for phone in ("13900000001", "13900000002", "13900000003"):
        svc.book("lc-dongchangfu", "2026-11-23 09:30", "别人", phone)
    chat.say("确认", "affirm")
    chat.say('/inform{"booking_day":"2026-11-23","booking_time":"10:00"}')
    assert asked == [1] and chat.changes["booking_outcome"] == "booked"


# --- 算了 / 不约了, 再说一遍, a second answer not taken ---------------------------------------------

@pytest.mark.parametrize("text", ["算了", "不约了", "不预约了", "算了不约了", "那还是不约了吧", "我不想预约了。"])
def test_the_stop_words(text):
    assert wants_to_stop(text)


@pytest.mark.parametrize("text", ["不约下午了，上午吧", "算了吗", "约了", "不对", "取消"])
def test_no_stop_words(text):
    assert not wants_to_stop(text)


@pytest.mark.parametrize("step", ["booking_station", "booking_day", "booking_time", "booking_name",
                                  "booking_phone", "booking_confirmed"])
@pytest.mark.parametrize("text, intent", [("算了", "deny"), ("不约了", "inform"), ("不预约了", "nlu_fallback"),
                                          ("算了", "out_of_scope")])
def test_stopping_at_any_step_says_nothing_was_booked_and_offers_to_start_again(svc, step, text, intent):
    chat = to_step(svc, step)
    chat.say(text, intent)
    assert chat.requested is None and chat.ended["booking_outcome"] == "stopped"
    assert chat.text == T.STOPPED and "先不预约了" in chat.text
    assert [(b.title, b.intent) for b in chat.buttons] == [(T.BOOK_AGAIN, "book_appointment"),
                                                           (T.ANYTHING_ELSE, "greet")]
    assert svc.count_active_by_phone(PHONE) == 0


@pytest.mark.parametrize("text", ["再说一遍", "请再说一次", "能再讲一遍吗？", "重复一下", "没听清"])
def test_the_repeat_words(text):
    assert wants_repeat(text)


@pytest.mark.parametrize("text", ["说", "再来一个预约", "13812345678", "张三"])
def test_no_repeat_words(text):
    assert not wants_repeat(text)


@pytest.mark.parametrize("step", ["booking_station", "booking_day", "booking_time", "booking_name",
                                  "booking_phone", "booking_confirmed"])
def test_say_it_again_asks_the_same_question_again(svc, step):
    chat = to_step(svc, step)
    asked = [(r.text, r.buttons) for r in chat.replies if r is chat.replies[-1]]
    chat.say("再说一遍", "out_of_scope")  # whatever the NLU made of it
    assert not chat.rejected and chat.requested == step
    assert [(r.text, r.buttons) for r in chat.replies] == asked  # the question alone, as it was
    assert chat.changes == {step: None}


def test_say_it_again_asks_for_the_code_again(svc):
    svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    chat = Chat(svc, "check")
    chat.say(f"用手机号{PHONE}查预约", "check_appointment")
    assert chat.requested == "lookup_code"
    chat.say("再说一遍", "nlu_fallback")
    assert chat.requested == "lookup_code" and chat.text == T.ASK_LOOKUP_CODE


@pytest.mark.parametrize("step, gibberish, expected, buttons", [
    ("booking_station", "嗯嗯", T.EXPLAIN_STATION, ("booking_station", "booking_change")),
    ("booking_day", "嗯嗯", T.EXPLAIN_DAY, ("booking_day", "booking_change")),
    ("booking_time", "嗯嗯", T.EXPLAIN_TIME, ("booking_time", "booking_change")),
    ("booking_name", "要带什么？", T.EXPLAIN_NAME, ("booking_change",)),
    ("booking_phone", "我的电话", T.EXPLAIN_PHONE, ("booking_change",)),
    ("booking_confirmed", "这个嘛", T.EXPLAIN_CONFIRM, ("booking_change",)),
])
def test_a_second_answer_not_taken_explains_with_buttons_instead_of_a_third_question(
        svc, step, gibberish, expected, buttons):
    chat = to_step(svc, step)
    question_text = chat.replies[-1].text
    chat.say(gibberish, "nlu_fallback")  # the first time: a line, then the question again
    assert chat.requested == step and chat.replies[-1].text == question_text
    assert T.EXPLAIN_STATION not in chat.text
    chat.say(gibberish, "nlu_fallback")  # the second time: what is expected, with buttons, no question
    assert chat.requested == step
    assert [r.text for r in chat.replies] == [expected]
    assert question_text not in chat.text
    assert chat.buttons and all(any(name in b.entities for name in buttons) for b in chat.buttons if b.entities)
    if step in ("booking_name", "booking_phone"):
        assert ("inform", {"booking_change": "stop"}) in chat.choices  # a way out where the answer is typed
    if step == "booking_confirmed":
        assert chat.choices == [("affirm", {}), ("deny", {}), ("inform", {"booking_change": "party"})]
    chat.say(gibberish, "nlu_fallback")  # and again: never the question a third time
    assert [r.text for r in chat.replies] == [expected]


def test_a_refusal_told_twice_comes_with_the_explanation(svc):
    chat = to_step(svc, "booking_phone")
    chat.say("12345")
    assert "手机号码无效" in chat.text and T.ASK_PHONE in chat.text
    chat.say("54321")
    assert [r.text for r in chat.replies][-1] == T.EXPLAIN_PHONE and T.ASK_PHONE not in chat.text
    assert "手机号码无效" in chat.text
    chat.say(PHONE)
    assert chat.requested == "booking_confirmed"


def test_the_city_explained(svc):
    chat = Chat(svc)
    chat.say("我要预约", "book_appointment")
    chat.say("嗯", "nlu_fallback")
    chat.say("嗯", "nlu_fallback")
    assert chat.requested == "city" and chat.text.startswith("目前只能预约聊城市、曲靖市的办理点")
    assert ("inform", {"city": "liaocheng"}) in chat.choices


def test_say_it_again_neither_counts_nor_breaks_the_row(svc):
    chat = to_step(svc, "booking_day")
    chat.say("嗯嗯", "nlu_fallback")
    chat.say("再说一遍", "nlu_fallback")
    assert chat.replies[-1].text.startswith("聊城市公安局东昌府分局古楼派出所，请选择日期")
    chat.say("嗯嗯", "nlu_fallback")
    assert [r.text for r in chat.replies] == [T.EXPLAIN_DAY]


def test_an_answer_taken_or_a_question_between_starts_the_row_again(svc):
    chat = to_step(svc, "booking_day")
    chat.say("嗯嗯", "nlu_fallback")
    chat.say("办证要钱吗", "ask_fee")  # answered elsewhere
    chat.say("嗯嗯", "nlu_fallback")
    assert T.NOT_UNDERSTOOD_DAY in chat.text and T.EXPLAIN_DAY not in chat.text


def test_the_same_day_again_is_no_failed_answer(svc):
    chat = to_step(svc, "booking_time")
    chat.say("23号")  # the day it has: read again, the time asked again
    assert chat.changes == {"booking_day": "2026-11-23"} and chat.requested == "booking_time"
    chat.say("嗯嗯", "nlu_fallback")
    assert T.NOT_UNDERSTOOD_TIME in chat.text


def test_failed_in_a_row():
    no = {"booking_day": None}
    turns = [PastTurn("我要预约", None, {"booking_station": "x"}, "booking_day"),
             PastTurn("嗯", "booking_day", no, "booking_day"),
             PastTurn("再说一遍", "booking_day", no, "booking_day"),
             PastTurn("啊", "booking_day", no, "booking_day")]
    assert failed_in_a_row(turns, "booking_day") == 2
    assert failed_in_a_row(turns, "booking_time") == 0
    assert failed_in_a_row(turns[:1], "booking_day") == 0
    assert failed_in_a_row(turns + [PastTurn("23号", "booking_day", {"booking_day": "2026-11-23"}, "booking_time")],
                           "booking_time") == 0


# --- check and cancel --------------------------------------------------------------------------

def test_check_by_code_and_phone(svc):
    made = svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    chat = Chat(svc, "check")
    chat.say(f"查一下{made.code.lower()}", "check_appointment")
    assert chat.requested == "lookup_phone" and made.code in chat.text
    chat.say(PHONE)
    assert chat.requested is None
    assert "有效" in chat.text and "11月24日（周二） 10:00" in chat.text and MASKED not in chat.text
    assert chat.choices == [("cancel_appointment", {"booking_code": made.code})]
    no_full_phone(chat)


def test_check_by_phone_alone_gives_the_count_and_asks_for_the_code(svc):
    made = svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    chat = Chat(svc, "check")
    chat.say(f"用手机号{PHONE}查预约", "check_appointment")
    assert chat.requested == "lookup_code" and chat.slots.get("lookup_outcome") is None
    assert chat.text.startswith("该号码有1个有效预约，请提供预约码")
    nothing_about(made, chat)
    chat.say("不记得了", "nlu_fallback")  # no code: asked again, still nothing shown
    assert chat.requested == "lookup_code" and "没有看到预约码" in chat.text
    nothing_about(made, chat)
    chat.say(PHONE)  # the same phone again: the code is asked for, never silence
    assert chat.requested == "lookup_code" and chat.text == T.ASK_LOOKUP_CODE
    assert chat.changes == {"lookup_phone": PHONE}
    nothing_about(made, chat)
    chat.say(made.code.lower())
    assert chat.requested is None and "有效" in chat.text
    assert made.code in chat.text and "11月24日（周二） 10:00" in chat.text and MASKED not in chat.text


def test_the_code_not_given_twice_explained(svc):
    svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    chat = Chat(svc, "check")
    chat.say(f"用手机号{PHONE}查预约", "check_appointment")
    chat.say("不记得了", "nlu_fallback")
    chat.say("想不起来", "nlu_fallback")
    assert [r.text for r in chat.replies] == [T.EXPLAIN_LOOKUP_CODE]
    assert chat.choices == [("deny", {})]
    chat.say("先不查了", "deny")
    assert chat.requested is None and chat.text == T.LOOKUP_STOPPED


def test_the_phone_not_given_twice_explained(svc):
    chat = Chat(svc, "check")
    chat.say("查预约", "check_appointment")
    chat.say("嗯", "nlu_fallback")
    assert T.NOT_UNDERSTOOD_PHONE in chat.text and T.ASK_LOOKUP_PHONE in chat.text
    chat.say("嗯", "nlu_fallback")
    assert [r.text for r in chat.replies] == [T.EXPLAIN_LOOKUP_PHONE]


def test_a_wrong_code_after_the_count_reads_like_any_unknown_code(svc):
    made = svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    chat = Chat(svc, "check")
    chat.say("查预约", "check_appointment")
    chat.say(PHONE)
    assert chat.requested == "lookup_code"
    chat.say("ZZZZZZ")
    assert chat.requested is None and chat.text.startswith("没有找到与这个手机号码对应的预约码 ZZZZZZ")
    nothing_about(made, chat)


def test_another_persons_phone_sees_nothing(svc):
    made = svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    chat = Chat(svc, "check")
    chat.say("查预约", "check_appointment")
    chat.say(OTHER_PHONE)
    assert "没有有效的预约" in chat.text and made.code not in chat.text and "10:00" not in chat.text
    chat = Chat(svc, "check")  # with the code but another phone: the same answer as an unknown code
    chat.say(f"{made.code} {OTHER_PHONE}", "check_appointment")
    assert chat.text.startswith(f"没有找到与这个手机号码对应的预约码 {made.code}")
    assert "张三" not in chat.text and "10:00" not in chat.text and "东昌府" not in chat.text
    unknown = Chat(svc, "check")
    unknown.say(f"ZZZZZZ {OTHER_PHONE}", "check_appointment")
    assert unknown.text.replace("ZZZZZZ", made.code) == chat.text


def test_cancel_by_phone_alone_needs_the_code_then_asks_first(svc):
    made = svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    chat = Chat(svc, "cancel")
    chat.say("取消预约", "cancel_appointment")
    assert chat.requested == "lookup_phone" and "预约码" in chat.text
    chat.say(PHONE)
    assert chat.requested == "lookup_code" and chat.text.startswith("该号码有1个有效预约，请提供预约码")
    nothing_about(made, chat)
    chat.say(f"预约码是{made.code}")
    assert chat.requested == "cancel_confirmed" and made.code in chat.text and "确定要取消吗" in chat.text
    assert chat.choices == [("affirm", {}), ("deny", {})]
    chat.say("确定", "affirm")
    assert chat.requested is None and f"已为您取消预约 {made.code}" in chat.text
    assert svc.find(made.code, PHONE).status == "cancelled"
    no_full_phone(chat)


def test_cancel_by_code_and_phone_and_keeping_it(svc):
    made = svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    chat = Chat(svc, "cancel")
    chat.say(f"取消{made.code}，手机{PHONE}", "cancel_appointment")
    assert chat.requested == "cancel_confirmed"
    chat.say("算了不取消了", "deny")
    assert chat.text == T.KEPT and svc.find(made.code, PHONE).status == "booked"


def test_cancel_with_another_phone_cancels_nothing(svc):
    made = svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    chat = Chat(svc, "cancel")
    chat.say(f"取消{made.code}", "cancel_appointment")
    chat.say(OTHER_PHONE)
    assert chat.requested is None and "没有找到" in chat.text
    assert svc.find(made.code, PHONE).status == "booked"


def test_back_from_a_question_the_code_is_asked_again(svc):
    svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    step = LookupTurn(svc, {"lookup_phone": PHONE}, Message.typed("要带什么材料", "ask_materials"), "resume",
                      None, "check").run()
    assert [r.text for r in step.replies] == [T.ASK_LOOKUP_CODE] and step.next_slot == "lookup_code"


# --- small pieces ----------------------------------------------------------------------------------

def test_the_code_is_spelled_out():
    assert spelled("K7M3QX") == "K 7 M 3 Q X"


def test_station_titles_are_short(svc):
    titles = {s.id: short_station(s) for s in svc.stations(city="liaocheng")}
    assert titles["lc-dongchangfu"] == "东昌府区 古楼派出所"
    assert all("公安局" not in t for t in titles.values())


def test_every_step_has_its_explanation(svc):
    slots = {"city": "liaocheng", "booking_station": "lc-dongchangfu", "booking_day": "2026-11-23",
             "booking_time": "09:30", "booking_name": "张三", "booking_phone": PHONE}
    for step in ("city", "booking_station", "booking_day", "booking_time", "booking_name", "booking_phone",
                 "booking_confirmed", "booking_change", "lookup_phone", "lookup_code", "cancel_confirmed"):
        said = explanation(svc, step, slots)
        assert said.text and said.buttons, step
        if step != "cancel_confirmed":  # (its question reads the booking to cancel)
            assert said.text != question(svc, step, {**slots, "lookup_code": None}).text, step


def test_the_domain_needs_no_rasa():
    import subprocess
    import sys

    code = ("import sys; import bot.dialogue.booking, bot.dialogue.booking.replies, bot.parsing.contact; "
            "sys.exit(1 if any(m.startswith(('rasa', 'rasa_sdk', 'actions')) for m in sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize("text, booking", [
    ("我在聊城住 预约", True), ("我在曲靖 预约一下", True), ("预约", True),
    ("查询预约", False), ("我的预约", False), ("预约了吗", False), ("取消预约", False), ("改预约", False),
    ("K7M3QX 13812345678 预约", False),
])
def test_words_that_ask_for_a_new_booking(text, booking):
    from bot.dialogue.booking.turns import wants_new_booking

    assert wants_new_booking(text) is booking


@pytest.mark.parametrize("typed, intent", [("家人同行", "affirm"), ("家人同行", "inform"), ("我和我妈一起去", "affirm")])
def test_coming_along_typed_at_the_summary_is_never_a_yes(svc, typed, intent):
    """The summary's "家人同行" typed as words (the NLU heard a yes): nothing is booked; who comes along is
    asked, or read when the words say it (found typing as a user)."""
    chat = up_to_confirmation(svc)
    chat.say(typed, intent)
    assert svc.count_active_by_phone(PHONE) == 0
    assert chat.requested in ("booking_party", "booking_confirmed")
    if chat.requested == "booking_confirmed":
        assert len(chat.slots["booking_party"]) == 1 and "2人" in chat.text


@pytest.mark.parametrize("form, words", [("cancel", "算了不取消了"), ("check", "不查了"), ("cancel", "算了")])
def test_a_look_up_stops_on_its_own_words(svc, form, words):
    svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    chat = Chat(svc, form=form)
    chat.say(f"{'取消' if form == 'cancel' else '查询'}预约", f"{form}_appointment")
    chat.say(PHONE)
    assert chat.requested == "lookup_code"
    chat.say(words)
    assert chat.requested is None and chat.ended["lookup_outcome"] == "stopped"
    assert svc.count_active_by_phone(PHONE) == 1  # the booking stays
