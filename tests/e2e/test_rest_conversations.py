"""Five applicants talk to the running assistant over Rasa's REST channel.

Each gets the right verdict, the right checklist and the article numbers,
in Chinese, without a dead end (every message gets a reply; the verdict
offers the next steps as buttons). An eligible applicant books a visit from
"我要预约" to a booking code with the checklist, then cancels it (the action
server books into a temporary store, see conftest.py).
"""
from __future__ import annotations


def converse(chat, lines: list[str]) -> list[dict]:
    replies: list[dict] = []
    for line in lines:
        replies += chat(line)
    return replies


def verdict_of(replies: list[dict]) -> dict:
    found = [r for r in replies if (r.get("text") or "").startswith("结论：")]
    assert found, "no verdict in: " + " | ".join((r.get("text") or "")[:40] for r in replies)
    return found[-1]


def payloads(reply: dict) -> list[str]:
    return [b["payload"] for b in reply.get("buttons") or []]


def test_liaocheng_renter_with_a_labour_contract(chat):
    replies = converse(chat, ["我在聊城租房住了八个月，在厂里上班，签了劳动合同，能办居住证吗", "户口在河北", "登记了八个月"])
    verdict = verdict_of(replies)
    text = verdict["text"]
    assert text.startswith("结论：可以申领居住证。")
    for item in ("本人居民身份证（第七条）", "房屋租赁合同", "劳动合同", "第五条", "第二条", "第八条", "免费"):
        assert item in text
    assert "证件照" not in text  # 聊城 does not ask for photos
    assert payloads(verdict)[:2] == ["/book_appointment", "/ask_benefits"]
    # The checklist comes back when asked for later.
    materials = chat("那我要带什么材料")
    assert any("□ 本人居民身份证（第七条）" in (r.get("text") or "") for r in materials)


def test_qujing_student(chat):
    replies = converse(chat, ["我在曲靖上大学，想办居住证", "户口在四川", "来了一年了"])
    text = verdict_of(replies)["text"]
    assert text.startswith("结论：可以申领居住证。")
    for item in ("本人证件照2张（第十二条）", "就读证明", "第十一条", "第十三条"):
        assert item in text


def test_local_in_liaocheng_exempt_districts(chat):
    replies = converse(chat, ["我想问问能不能办居住证", "聊城", "户口在东昌府区，现在住在茌平区"])
    verdict = verdict_of(replies)
    assert verdict["text"].startswith("结论：不需要办理居住证。")
    assert "第二条" in verdict["text"] and "□" not in verdict["text"]
    assert "/book_appointment" not in payloads(verdict)


def test_newcomer_of_three_months(chat):
    replies = converse(chat, ["能办居住证吗", "聊城", "户口在河南", "刚来三个月，租的房子", "没办过"])
    text = verdict_of(replies)["text"]
    assert text.startswith("结论：暂时还不能申领居住证，预计")
    assert "第五条" in text and "居住登记" in text
    assert "房屋租赁合同" in text


def test_foreigner(chat):
    replies = chat("我是外国人，在聊城工作，能办居住证吗")
    text = verdict_of(replies)["text"]
    assert text.startswith("结论：不适用本地居住证办法。")
    assert "第十七条" in text and "住房" not in text


def test_a_question_in_the_middle_then_a_correction(chat):
    replies = converse(chat, ["能办居住证吗", "聊城", "户口在河北"])
    asked = replies[-1]["text"]
    fee = chat("办证要钱吗")
    assert any("第四条" in (r.get("text") or "") for r in fee)
    assert fee[-1]["text"] == asked  # the interview resumes with the same question
    replies = converse(chat, ["住了五个月", "不对，是九个月"])
    replies += converse(chat, ["租房", "登记了八个月"])
    text = verdict_of(replies)["text"]
    assert "居住9个月" in text and text.startswith("结论：可以申领居住证")


def test_every_topic_cites_its_article(chat):
    first = chat("曲靖办居住证要多久")
    assert any("第十三条" in (r.get("text") or "") for r in first)
    for question, article in (("签注怎么办", "第十四条"), ("居住证丢了怎么补", "第十五条")):
        assert any(article in (r.get("text") or "") for r in chat(question)), question


def test_no_dead_ends(chat):
    for text in ("转人工", "你是机器人吗", "今天天气怎么样", "嗯", "你好", "我要预约", "谢谢", "再见"):
        replies = chat(text)
        # Every element says something, or is the structured payload beside a text (转人工: the case number).
        assert replies[0].get("text") and all(r.get("text") or r.get("custom") for r in replies), text


def test_restart_forgets_the_conversation(chat):
    assert chat("曲靖办居住证要钱吗")[0]["text"].startswith("曲靖市办理居住证免费")
    chat("/restart", reply_expected=False)
    replies = chat("办居住证要钱吗")
    assert [b["payload"] for b in replies[-1]["buttons"]] == ['/inform{"city":"liaocheng"}', '/inform{"city":"qujing"}']
    assert chat("/inform{\"city\":\"liaocheng\"}")[0]["text"].startswith("聊城市办理居住证免费")


def test_buttons_alone_reach_a_verdict(chat):
    replies = converse(chat, ["/ask_eligibility", '/inform{"city":"liaocheng"}', '/inform{"province":"other"}',
                              '/inform{"duration":12}', '/inform{"duration":12}', '/inform{"housing":"rented"}'])
    assert verdict_of(replies)["text"].startswith("结论：可以申领居住证。")


# --- appointments ------------------------------------------------------------------------

def _all_payloads(replies: list[dict]) -> list[str]:
    return [p for reply in replies for p in payloads(reply)]


def _texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def test_eligible_applicant_books_a_visit_then_cancels_it(chat):
    import base64
    import random
    import re

    phone = "139" + "".join(random.choice("0123456789") for _ in range(8))  # a fresh number per run
    masked = phone[:3] + "****" + phone[-4:]
    replies = converse(chat, ["我在聊城租房住了八个月，在厂里上班，签了劳动合同，能办居住证吗", "户口在河北", "登记了八个月"])
    assert verdict_of(replies)["text"].startswith("结论：可以申领居住证。")

    stations = chat("我要预约")
    choices = _all_payloads(stations)
    assert choices and all(p.startswith('/inform{"booking_station":"lc-') for p in choices)
    days = _all_payloads(chat(choices[0]))
    assert days and days[0].startswith('/inform{"booking_day":"')
    times = [p for p in _all_payloads(chat(days[0])) if "booking_time" in p]
    assert times
    assert "姓名" in _texts(chat(times[0]))
    assert "手机号码" in _texts(chat("张三"))
    summary = chat(phone)
    assert masked in _texts(summary) and "确认预约吗" in _texts(summary)
    assert _all_payloads(summary)[:2] == ["/affirm", "/deny"]

    confirmation = chat("/affirm")
    text = _texts(confirmation)
    code = re.search(r"预约码：([2-9A-HJKMNP-Z]{6})", text).group(1)
    for part in ("聊城", "地址：", "电话：", "□ 本人居民身份证（第七条）", "房屋租赁合同", "劳动合同"):
        assert part in text, part
    assert phone not in str(confirmation) and masked not in str(confirmation)  # never beside the code
    [ticket] = [r["custom"] for r in confirmation if r.get("custom")]
    assert ticket["code"] == code and ticket["booking"]["code"] == code
    assert base64.b64decode(ticket["qr"].split(",", 1)[1])[:4] == b"\x89PNG"
    assert base64.b64decode(ticket["ics"]).startswith(b"BEGIN:VCALENDAR")

    asked = _texts(chat("取消预约"))
    assert "手机号码" in asked
    # A phone alone learns only that it has a booking, nothing about it.
    counted = _texts(chat(phone))
    assert "该号码有1个有效预约" in counted and code not in counted and "聊城" not in counted
    confirm = chat(code)
    assert code in _texts(confirm) and "确定要取消吗" in _texts(confirm)
    done = chat("/affirm")
    assert f"已为您取消预约 {code}" in _texts(done)
    assert "没有有效的预约" in _texts(converse(chat, ["查一下我的预约", phone]))


def test_hm_hm_hm_is_not_asked_the_same_question_a_third_time(chat):
    """Someone who only says "嗯", "嗯嗯", "哦": "还有什么可以帮您？" at most twice, then what the assistant
    can do, with a person among the buttons (never the same question a third time)."""
    from bot.dialogue.texts import WHAT_I_CAN_DO

    said = [[r.get("text") for r in chat(line)] for line in ("嗯", "嗯嗯")]
    assert said[0] == said[1] == ["好的。还有什么可以帮您？"]
    third = chat("哦")
    assert [r.get("text") for r in third] == [WHAT_I_CAN_DO] and "/request_human" in payloads(third[0])
    assert [r.get("text") for r in chat("好的")] == ["好的。还有什么可以帮您？"]  # something else came between


def test_a_booking_asked_for_with_a_city_is_not_taken_for_a_look_up(chat):
    """"我在聊城住 预约": the NLU hears a look-up; the words ask for a booking, so the booking starts
    (聊城's stations), not "请发送预约码和手机号" (found typing as a user)."""
    stations = chat("我在聊城住 预约")
    assert any(p.startswith('/inform{"booking_station":"lc-') for r in stations for p in payloads(r)), stations
    assert not any("预约码" in (r.get("text") or "") for r in stations)
