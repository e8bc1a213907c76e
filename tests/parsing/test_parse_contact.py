"""Contact details as people type them (bot/parsing/contact.py): phone, booking code, name."""
from __future__ import annotations

import pytest

from bot.parsing import Contact, normalise_code, normalise_phone, read_code, read_contact, read_name, read_phone
from bot.parsing.contact import find_phone, has_digit_run

PHONE = "13812345678"


@pytest.mark.parametrize("text", [
    "13812345678",
    "我电话138 1234 5678",
    "手机是+86 13812345678",
    "手机号：138-1234-5678",
    "电话 0086 13812345678，谢谢",
    "我的号码是１３８１２３４５６７８",  # full-width digits
    "预约码K7M3QX 手机13812345678",
    "不是13987654321，是13812345678",  # the denied one is skipped
])
def test_a_mobile_number_in_a_sentence(text):
    assert read_phone(text) == PHONE


@pytest.mark.parametrize("text", [
    "不是这个号码",
    "12345",
    "我电话打不通",
    "不是13812345678",
    "身份证号370102199003071234",  # 18 digits are no phone
    "1381234567",  # ten digits
    "",
])
def test_no_mobile_number(text):
    assert read_phone(text) is None


def test_a_number_that_is_no_mobile_is_found_but_not_read():
    assert find_phone("我电话120 0000 0000") == "120 0000 0000"  # shaped like one, not a real mobile
    assert read_phone("我电话120 0000 0000") is None
    assert has_digit_run("我电话12345") and not has_digit_run("我住了8个月")


@pytest.mark.parametrize("raw, expected", [
    ("13812345678", PHONE), ("+86 138 1234 5678", PHONE), ("0086 13812345678", PHONE),
    ("138-1234-5678", PHONE), ("(138)12345678", PHONE), ("12345", None), ("0635-8888888", None),
    ("+1 650 253 0000", None), (None, None), ("一三八", None),
])
def test_normalise_phone_takes_a_whole_number(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("text, code", [
    ("预约码k7m3qx", "K7M3QX"),
    ("K7M3QX", "K7M3QX"),
    ("我的预约码是 K7M-3QX", "K7M3QX"),
    ("查一下k7m3qx，手机13812345678", "K7M3QX"),
    ("取消ＫＳ７ＭＱＸ", "KS7MQX"),  # full-width letters
])
def test_a_booking_code_in_a_sentence(text, code):
    assert read_code(text) == code


@pytest.mark.parametrize("text", [
    "123456",  # digits alone: more likely something else
    "K0M1QX",  # 0 and 1 are not in the alphabet
    "不是K7M3QX",
    "hello world",  # letters outside the alphabet
    "我要查询预约",
    "13812345678",
])
def test_no_booking_code(text):
    assert read_code(text) is None


def test_normalise_code():
    assert normalise_code(" k7m-3qx ") == "K7M3QX"
    assert normalise_code("K7M3Q") is None and normalise_code(None) is None


@pytest.mark.parametrize("text, name", [
    ("我叫张三", "张三"),
    ("姓名：李四", "李四"),
    ("名字是王小明", "王小明"),
    ("你好，我叫欧阳娜娜，想预约", "欧阳娜娜"),
])
def test_a_name_after_its_cue(text, name):
    assert read_name(text) == name


@pytest.mark.parametrize("text", ["我是河北人", "我叫什么名字", "张三", "好的"])
def test_no_name_without_a_cue(text):
    assert read_name(text) is None


@pytest.mark.parametrize("text, name", [
    ("张三", "张三"),
    ("我叫 张三 ", "张三"),
    ("本人李四。", "李四"),
    ("张三，13812345678", "张三"),
    ("张三 电话13812345678", "张三"),
])
def test_the_answer_to_the_name_question(text, name):
    assert read_name(text, asked=True) == name


@pytest.mark.parametrize("text", ["好的", "算了", "不用了", "明天上午", "13812345678", "要带什么材料？", "/affirm"])
def test_answers_to_the_name_question_that_are_no_names(text):
    assert read_name(text, asked=True) is None


def test_a_long_name_only_when_loose():
    assert read_name("Maria Garcia Lopez", asked=True) is None
    assert read_name("Maria Garcia Lopez", asked=True, loose=True) == "Maria Garcia Lopez"


def test_name_and_phone_side_by_side():
    assert read_contact("张三，13812345678") == Contact(phone=PHONE, name="张三")
    assert read_contact("13812345678 张三") == Contact(phone=PHONE, name="张三")
    assert read_contact("K7M3QX 13812345678") == Contact(phone=PHONE, code="K7M3QX")


@pytest.mark.parametrize("text, denied", [
    ("不是这个号码", {"phone"}),
    ("手机号写错了", {"phone"}),
    ("电话号码不对", {"phone"}),
    ("预约码不对", {"code"}),
    ("名字写错了", {"name"}),
    ("这个号码是对的", set()),
])
def test_what_a_message_says_is_wrong(text, denied):
    assert read_contact(text).denied == denied


def test_a_denied_number_and_the_right_one():
    found = read_contact("不是这个号码，是13987654321")
    assert found.denied == {"phone"} and found.phone == "13987654321"
    assert read_contact("不是这个号码").phone is None


def test_a_button_payload_is_not_read():
    assert read_contact('/inform{"phone":"13812345678"}') == Contact()
