"""Repair written once (issue 18): the interview and the booking form understand the same words alike."""
from __future__ import annotations

import pytest

from bot.dialogue import repair
from bot.dialogue.booking import wants_repeat as booking_repeat, wants_to_stop as booking_stop
from bot.dialogue.eligibility.reading import Message, command

REPEATS = ["再说一遍", "请再说一次", "能再讲一遍吗", "重复一下", "没听清", "刚才说什么", "你说啥", "上一条", "说的啥",
           "再说一遍？", "没看懂刚才"]


@pytest.mark.parametrize("text", REPEATS)
def test_a_repeat_is_a_repeat_in_every_flow(text):
    assert command(Message.parse(text)) == "repeat"
    assert booking_repeat(text)


@pytest.mark.parametrize("text", ["住了12个月再说", "再说吧我想想先预约明天上午九点半的号"])
def test_a_long_answer_or_one_with_a_number_is_no_repeat(text):
    assert not repair.wants_repeat(text)


@pytest.mark.parametrize("text", ["算了", "算了吧", "那还是不约了吧", "我不想预约了", "先不约了", "算了不约了"])
def test_the_booking_stops_on_its_own_words(text):
    assert booking_stop(text)


@pytest.mark.parametrize("text", ["不用了", "不用", "不要"])
def test_no_is_an_answer_in_the_booking_form_not_a_stop(text):
    assert not booking_stop(text)


@pytest.mark.parametrize("text", ["算了", "不问了", "不办了", "不用了"])
def test_the_interview_stops_on_its_wider_words(text):
    assert command(Message.parse(text)) == "stop"


@pytest.mark.parametrize("text", ["重新开始", "从头来", "换个人问"])
def test_restart_is_one_vocabulary(text):
    assert repair.wants_restart(text) and command(Message.parse(text)) == "restart"


def test_a_person_is_asked_for_the_same_way():
    assert repair.wants_a_person("转人工") and repair.wants_a_person("我要人工服务")
    assert not repair.wants_a_person("我是工人")
