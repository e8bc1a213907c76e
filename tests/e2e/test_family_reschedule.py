"""Issue 12 against the running assistant (REST channel, real Rasa and action server):
a parent books one visit for herself and two children and gets three checklists;
a booking is moved to another time by code and phone, keeping its code; a holder
is told when the next 签注 is due."""
from __future__ import annotations

import random
import re



def _all_payloads(replies: list[dict]) -> list[str]:
    return [b["payload"] for reply in replies for b in reply.get("buttons") or []]


def _texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def fresh_phone() -> str:
    return "139" + "".join(random.choice("0123456789") for _ in range(8))


def book(chat, first_message: str, phone: str, *, family: str = "", time_index: int = 0) -> tuple[str, list[dict]]:
    """From the first message to the confirmation (``family``: said when the station is asked);
    returns (code, confirmation replies)."""
    offered = _all_payloads(chat(first_message))
    if family:
        offered = _all_payloads(chat(family))
    if any("booking_station" in p for p in offered):  # a county with one station is chosen at once
        assert all(p.startswith('/inform{"booking_station":"qj-') for p in offered), offered
        offered = _all_payloads(chat(offered[0]))
    days = [p for p in offered if "booking_day" in p]
    times = [p for p in _all_payloads(chat(days[0])) if "booking_time" in p]
    assert "姓名" in _texts(chat(times[time_index]))
    assert "手机号码" in _texts(chat("王芳"))
    summary = chat(phone)
    assert "确认预约吗" in _texts(summary)
    confirmation = chat("对，确认")
    code = re.search(r"预约码：([2-9A-HJKMNP-Z]{6})", _texts(confirmation)).group(1)
    return code, confirmation


def test_a_mother_books_one_visit_for_herself_and_two_children(chat):
    phone = fresh_phone()
    code, confirmation = book(chat, "我住曲靖麒麟区，想预约办居住证", phone,
                              family="我和两个孩子一起去，一个8岁一个12岁，都在上学")
    text = _texts(confirmation)
    assert "人数：3人" in text
    sections = re.split(r"(?=【)", text)
    me = next(s for s in sections if s.startswith("【您本人】"))
    eight = next(s for s in sections if s.startswith("【孩子1（8岁）】"))
    twelve = next(s for s in sections if s.startswith("【孩子2（12岁）】"))
    for section in (me, eight, twelve):
        assert "□ 本人居民身份证（第十二条）" in section and "（第十二条）" in section
    for child in (eight, twelve):
        assert "就读证明" in child  # at school
        assert "委托人、代办人的合法有效身份证件" in child  # the parent applies for the child
        assert "监护人或近亲属" in child  # and shows she may
    assert "委托人、代办人" not in me
    [ticket] = [r["custom"] for r in confirmation if r.get("custom")]  # one QR and ICS for the visit
    assert ticket["code"] == code
    assert phone not in str(confirmation)


def test_a_booking_is_moved_by_code_and_phone_and_keeps_its_code(chat):
    phone = fresh_phone()
    code, _ = book(chat, "我在曲靖，帮我预约一下", phone)
    asked = _texts(chat("预约的时间有事去不了，能改到周五下午吗"))
    assert "手机号码" in asked
    found = chat(f"预约码 {code.lower()}，手机 {phone}")
    assert code in _texts(found)
    times = [p for p in _all_payloads(found) if "booking_time" in p]
    assert times and all(int(re.search(r'"(\d\d):', p).group(1)) >= 12 for p in times)  # 下午
    asked = _texts(chat(times[0]))  # said back first; nothing moves until confirmed (issue 20)
    assert "确认改约吗" in asked and "11月27日" in asked and "改约成功" not in asked
    moved = chat("/affirm")
    text = _texts(moved)
    assert "改约成功，预约码不变" in text and code in text and "11月27日" in text  # Friday after 2026-11-22
    assert phone not in str(moved)
    # Looking it up again: the same code, the new time.
    chat("查询预约")
    looked = _texts(chat(f"{code} {phone}"))
    assert "11月27日" in looked


def test_the_next_endorsement_is_due_under_the_city_article(chat):
    replies = chat("我在曲靖，居住证是今年5月办的，什么时候要签注")
    text = _texts(replies)
    # 2026-05-01 + 1 year, 30 days before: 2027-04-01 (曲靖 第十四条); the day not said: the 1st
    assert "2027年4月1日" in text and "第十四条" in text and "按当月1日算" in text
    note = [r["custom"]["endorsement"] for r in replies if (r.get("custom") or {}).get("endorsement")]
    assert note and note[0]["deadline"] == "2027-04-01" and "2027年4月1日" in note[0]["note"]


def test_reminder_words_off_telegram(chat):
    # A kiosk conversation: no reminder is stored anywhere; the words are understood all the same.
    assert "不提醒" in _texts(chat("不用提醒了"))
    assert "什么时候办的" in _texts(chat("到时候提醒我去签注"))


def test_one_sentence_with_the_family_and_a_booking_request_books_for_three(chat):
    """A fact-heavy sentence ending in 帮我预约 starts the booking (not the eligibility interview),
    and the family it names is on the booking; the children's age and school are theirs, not the mother's."""
    first = chat("我和两个孩子一起去，一个8岁一个12岁，都在上学，帮我预约")
    assert "城市" in _texts(first) and not any("by_proxy" in p for p in _all_payloads(first))
    offered = _all_payloads(chat("曲靖"))
    offered = _all_payloads(chat("麒麟区")) if not any("booking_day" in p for p in offered) else offered
    days = [p for p in offered if "booking_day" in p]
    times = [p for p in _all_payloads(chat(days[0])) if "booking_time" in p]
    chat(times[0])
    chat("王芳")
    summary = _texts(chat(fresh_phone()))
    assert "人数：3人" in summary
    confirmation = _texts(chat("对，确认"))
    me = next(s for s in re.split(r"(?=【)", confirmation) if s.startswith("【您本人】"))
    assert "就读证明" not in me and "代办人" not in me
