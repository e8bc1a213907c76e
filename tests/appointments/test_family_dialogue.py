"""The booking conversation for a family, and rescheduling by code and phone (no Rasa).

Same store and clock as test_dialogue.py: Sunday 2026-11-22 10:00; 东昌府 has 3 seats a slot.
"""
from __future__ import annotations

import datetime as dt

import pytest

from bot.dialogue.booking import texts as T
from bot.dialogue.booking import RESCHEDULE_SLOTS, RescheduleTurn
from bot.dialogue.booking.replies import question, reschedule_end
from bot.parsing.family import read_party

from .test_dialogue import CHECKLIST, MASKED, PHONE, Chat, no_full_phone, svc, template_db  # noqa: F401

STATION = "lc-dongchangfu"


def test_family_words_are_read():
    assert read_party("我和两个孩子一起去，一个8岁一个12岁，都在上学") == [
        {"relation": "child", "age": 8, "study": True}, {"relation": "child", "age": 12, "study": True}]
    assert read_party("带我妈一起，她65岁了，腿脚不好") == [
        {"relation": "parent", "age": 65, "mobility_impaired": True}]
    assert read_party("我和老婆还有儿子") == [{"relation": "child"}, {"relation": "spouse"}]
    assert read_party("就我自己去") == []
    assert read_party("明天上午九点") is None


def test_a_family_said_in_the_first_sentence_takes_as_many_seats(svc):
    svc.book(STATION, dt.datetime(2026, 11, 23, 9, 0), "李四", "13900000001")  # 2 seats left at 09:00
    chat = Chat(svc, city="liaocheng")
    chat.say("我想预约，我和两个孩子一起去", "book_appointment")
    assert chat.slots["booking_party"] == [{"relation": "child"}, {"relation": "child"}]
    chat.say(f'/inform{{"booking_station":"{STATION}"}}')
    chat.say('/inform{"booking_day":"2026-11-23"}')
    assert "09:00" not in chat.titles and "09:30" in chat.titles  # only times with room for three
    chat.say("9点")  # typed anyway: refused, with the reason
    assert T.TIME_TOO_FEW.format(time="09:00", seats=3) in chat.text and chat.requested == "booking_time"
    chat.say('/inform{"booking_time":"09:30"}')
    chat.say("王芳")
    chat.say(PHONE)
    assert chat.requested == "booking_confirmed" and "人数：3人（您和孩子2人，占3个名额）" in chat.text
    chat.say("确认", "affirm")
    booking = svc.find(chat.ended["booking_code"], PHONE)
    assert booking.party == 3 and [m.relation for m in booking.members] == ["child", "child"]
    assert "人数：3人，一个预约码全家一起办理" in chat.text and CHECKLIST in chat.text
    assert [slot.remaining for slot in svc.slots(STATION, dt.date(2026, 11, 23))][:2] == [2, 0]
    no_full_phone(chat)


def test_family_added_by_button_at_the_summary(svc):
    chat = Chat(svc, city="liaocheng")
    for answer in ("我要预约", f'/inform{{"booking_station":"{STATION}"}}', '/inform{"booking_day":"2026-11-23"}',
                   '/inform{"booking_time":"10:00"}', "张三", PHONE):
        chat.say(answer, "book_appointment" if answer == "我要预约" else "inform")
    assert T.ADD_FAMILY in chat.titles and "人数：1人" in chat.text
    chat.say('/inform{"booking_change":"party"}')
    assert chat.requested == "booking_party" and chat.titles[:3] == ["就我一人", "2人", "3人"]
    chat.say("带我妈一起")
    assert chat.requested == "booking_confirmed" and "人数：2人（您和父母，占2个名额）" in chat.text
    chat.say("确认", "affirm")
    assert svc.find(chat.ended["booking_code"], PHONE).party == 2


class RescheduleChat(Chat):
    def __init__(self, svc, **slots):
        super().__init__(svc, "reschedule", **slots)

    def turn(self, latest, kind):
        requested = self.requested if kind == "answer" else None
        return RescheduleTurn(self.svc, self.slots, latest, kind, requested)

    def end(self):
        self.ended = dict(self.slots)
        said = reschedule_end(self.svc, self.slots, checklist=lambda city: CHECKLIST)
        for name in RESCHEDULE_SLOTS:
            self.slots[name] = None
        return said


def test_reschedule_by_code_and_phone_keeps_the_code(svc):
    booking = svc.book(STATION, dt.datetime(2026, 11, 23, 9, 0), "张三", PHONE, party=2)
    chat = RescheduleChat(svc)
    chat.say("我想改到周五下午", "reschedule_appointment")
    assert chat.slots["reschedule_day"] == "2026-11-27" and chat.slots["reschedule_part"] == "pm"
    assert chat.requested == "lookup_phone"
    chat.say(f"{booking.code.lower()} {PHONE}")
    assert chat.requested == "reschedule_time" and chat.titles and all(t >= "12:00" for t in chat.titles)
    chat.say("两点半")
    # Said back, and nothing moved until confirmed (issue 20).
    assert chat.requested == "reschedule_confirmed" and "11月27日" in chat.text and "确认改约吗" in chat.text
    assert svc.find(booking.code, PHONE).start == booking.start
    chat.say("确认", "affirm")
    moved = svc.find(booking.code, PHONE)
    assert moved.start == dt.datetime(2026, 11, 27, 14, 30) and moved.party == 2
    assert "改约成功，预约码不变" in chat.text and booking.code in chat.text and MASKED not in chat.text
    assert chat.custom and chat.custom[0]["booking"]["start"] == "2026-11-27 14:30"
    slots = {s.start: s.remaining for s in svc.slots(STATION, dt.date(2026, 11, 23))}
    assert slots[dt.datetime(2026, 11, 23, 9, 0)] == 3  # the old seats are free again
    no_full_phone(chat)


def test_reschedule_refusals_are_told_and_the_day_asked_again(svc):
    booking = svc.book(STATION, dt.datetime(2026, 11, 23, 9, 0), "张三", PHONE)
    chat = RescheduleChat(svc)
    chat.say("换个时间", "reschedule_appointment")
    chat.say(f"{booking.code} {PHONE}")
    assert chat.requested == "reschedule_day" and booking.code in chat.text
    chat.say("周六")  # 2026-11-28: the station does not open on Saturdays
    assert "不办公" in chat.text and chat.requested == "reschedule_day"
    chat.say("下周一晚上八点")  # out of hours
    assert chat.requested in ("reschedule_time", "reschedule_day") and svc.find(booking.code, PHONE).start == booking.start
    chat.say("算了")
    assert T.RESCHEDULE_STOPPED in chat.text and svc.find(booking.code, PHONE).start == booking.start


def test_reschedule_with_another_phone_learns_nothing(svc):
    booking = svc.book(STATION, dt.datetime(2026, 11, 23, 9, 0), "张三", PHONE)
    chat = RescheduleChat(svc)
    chat.say(f"预约码{booking.code}改到周三上午，手机13900000009", "reschedule_appointment")
    assert chat.requested is None and "张三" not in chat.text and "09:00" not in chat.text
    assert svc.find(booking.code, PHONE).start == booking.start


def test_a_question_about_a_child_is_no_party(svc):
    chat = Chat(svc, city="liaocheng")
    chat.say("我要预约", "book_appointment")
    chat.say("孩子办居住证要带什么材料", "ask_materials")
    assert chat.rejected and not chat.slots.get("booking_party")  # answered elsewhere, the form asks again


# --- issue 20 (1): the day it moves to, said back before anything moves ------------------------

@pytest.mark.parametrize("said", ["周三有事去不了，改到周五上午九点", "周三去不了了 改到周五上午9点",
                                  "我约的周三，想换到周五上午九点", "周三有事 能不能挪到周五早上九点"])
def test_a_reschedule_that_names_two_days_takes_the_day_it_moves_to(svc, said):
    booking = svc.book(STATION, dt.datetime(2026, 11, 25, 9, 0), "张三", PHONE)  # a Wednesday
    chat = RescheduleChat(svc)
    chat.say(said, "reschedule_appointment")
    chat.say(f"{booking.code} {PHONE}")
    assert chat.slots["reschedule_day"] == "2026-11-27" and chat.slots["reschedule_time"] == "09:00"
    assert chat.requested == "reschedule_confirmed" and "11月27日（周五） 09:00" in chat.text
    assert svc.find(booking.code, PHONE).start == booking.start  # nothing moved yet
    chat.say("确认", "affirm")
    assert svc.find(booking.code, PHONE).start == dt.datetime(2026, 11, 27, 9, 0)


def test_at_the_confirmation_a_new_time_is_said_back_again_and_no_keeps_the_booking(svc):
    booking = svc.book(STATION, dt.datetime(2026, 11, 25, 9, 0), "张三", PHONE)
    chat = RescheduleChat(svc)
    chat.say("改到周五上午九点", "reschedule_appointment")
    chat.say(f"{booking.code} {PHONE}")
    assert chat.requested == "reschedule_confirmed"
    chat.say("不对，改到周四下午两点")
    assert chat.requested == "reschedule_confirmed" and "11月26日（周四） 14:00" in chat.text
    chat.say("算了不改了", "deny")
    assert svc.find(booking.code, PHONE).start == booking.start
    assert T.RESCHEDULE_STOPPED in chat.text
