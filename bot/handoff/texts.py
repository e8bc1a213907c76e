"""What the applicant is told about a hand-off and the rating (Chinese), in one place."""
from __future__ import annotations

import re

# 好差评: five levels, 5 best. The buttons show them in this order.
LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}

LEAD = {
    "asked": "好的，已为您转人工服务。",
    "not_understood": "抱歉，我没能理解您的意思，已为您转人工服务。",
    "cannot_decide": "您的情况规定里没有写明，需要工作人员判断，已为您转人工服务。",
}
CASE = "案件编号：{case_no}。您刚才说的情况工作人员都能看到，不用重复。"
ON_DUTY = "请稍候，工作人员马上回复您。"
OFF_DUTY = ("现在没有工作人员在线。工作人员上班时间（{hours}）会在这里回复您；"
            "着急的话，可以拨打{hotline}政务服务便民热线，报上案件编号。")
ALREADY_OPEN = "您的问题已转给工作人员（案件编号：{case_no}），请稍候。"
WAITING = "您的消息已转给工作人员（案件编号：{case_no}），请稍候。"
CLOSED = "工作人员已结束本次人工服务（案件编号：{case_no}），智能助手继续为您服务。"
STAFF_PREFIX = "工作人员："

WITHDRAWN = "好的，已取消人工服务（案件编号：{case_no}）。还有什么可以帮您？"
WITHDRAWN_NOTE = "申请人取消了人工服务。"

RATING_QUESTION = "请您对本次服务做个评价（点一下即可，不评价也没关系）："
RATING_THANKS = "谢谢您的评价！"
# The next typed message is taken as the comment, whatever its first word (bot/rasa_ext/turn_policy.py).
RATING_COMMENT_INVITE = "如果还有意见或建议，可以直接写下来，我们会转给工作人员。"
RATING_ALREADY = "您已经评价过了，谢谢！"
COMMENT_THANKS = "谢谢，您的意见已记录。"


# On a kiosk, a shared public screen, no one may be promised an answer here later (issue 20).
KIOSK_OFF_DUTY = ("现在没有工作人员在线。请拨打{hotline}热线，报上案件编号；也可以打印人工服务单带走，"
                  "工作时间（{hours}）来电或到窗口时出示。")
SLIP_LINES = ("案件编号：{case_no}", "热线：{hotline}", "工作人员上班时间：{hours}",
              "来电或到窗口时请报上案件编号，工作人员能看到您在这里说过的情况。")


def opened_text(reason: str, case_no: str, on_duty: bool, *, hours: str, hotline: str,
                kiosk: bool = False) -> str:
    lead = LEAD.get(reason, LEAD["asked"])
    if on_duty:
        after = ON_DUTY
    else:
        after = (KIOSK_OFF_DUTY if kiosk else OFF_DUTY).format(hours=hours, hotline=hotline)
    return lead + CASE.format(case_no=case_no) + after


def opened_message(reason: str, case: dict, on_duty: bool, *, new: bool, hours: str, hotline: str,
                   kiosk: bool) -> dict:
    """The message that tells the applicant a hand-off is open: ``text``, ``buttons`` and
    ``custom.handoff`` ({case_no, status, on_duty}, and on a kiosk with nobody on duty the
    ``slip`` to print)."""
    if new:
        text = opened_text(reason, case["case_no"], on_duty, hours=hours, hotline=hotline, kiosk=kiosk)
    else:
        text = ALREADY_OPEN.format(case_no=case["case_no"])
    handoff = {"case_no": case["case_no"], "status": case["status"], "on_duty": on_duty}
    message: dict = {"text": text, "custom": {"handoff": handoff}}
    if kiosk and not on_duty:  # a slip to print and take away; the conversation goes on
        handoff["slip"] = slip(case["case_no"], hours=hours, hotline=hotline)
        message["buttons"] = [{"title": "问其他问题", "payload": "/greet"}]
    return message


def slip(case_no: str, *, hours: str, hotline: str) -> dict[str, str]:
    """The kiosk's printed hand-off slip (nobody on duty): the case number to call or come back with."""
    return {"title": "人工服务单", "case_no": case_no,
            "text": "\n".join(line.format(case_no=case_no, hours=hours, hotline=hotline) for line in SLIP_LINES)}


def next_step_buttons() -> list[dict[str, str]]:
    """After a rating or a comment: always a tappable way on (issue 20: a kiosk left with none)."""
    return [{"title": "问其他问题", "payload": "/greet"}, {"title": "预约办理", "payload": "/book_appointment"},
            {"title": "重新开始", "payload": "/start_over"}]


def rating_buttons() -> list[dict[str, str]]:
    """The five buttons; payloads stay short ASCII (Telegram's 64-byte callback_data)."""
    return [{"title": title, "payload": f'/rate{{"rating":{level}}}'} for level, title in LEVELS.items()]


# Words people type for a level, most specific first ("非常不满意" before "满意").
_LEVEL_WORDS = (
    (1, ("非常不满意", "很不满意", "特别不满意", "太差", "很差", "差评", "一星")),
    (2, ("不满意", "不太满意", "不大满意", "不是很满意", "不怎么满意", "不怎么样", "二星", "两星")),
    (3, ("基本满意", "一般", "还行", "凑合", "还可以", "三星")),
    (5, ("非常满意", "很满意", "特别满意", "十分满意", "非常好", "好评", "五星")),
    (4, ("满意", "挺好", "不错", "四星")),
)


def level_in(text: str) -> tuple[int, str] | None:
    """(level, the rest of the text as a comment) for a typed rating ("不满意，排队太久"); None without one."""
    if not isinstance(text, str):
        return None
    for level, words in _LEVEL_WORDS:
        for word in words:
            at = text.find(word)
            if at >= 0:
                rest = (text[:at] + text[at + len(word):]).strip(" ，,。.！!、；;：:")
                return level, rest
    return None


def comment_of(text: str) -> str:
    """A typed comment without its lead word ("意见：…", "建议…")."""
    text = (text or "").strip()
    for lead in ("我的意见是", "我的建议是", "意见", "建议", "反馈"):
        if text.startswith(lead):
            text = text[len(lead):]
            break
    return text.strip(" ，,。：:；;")


# "算了不用人工了", "不找工作人员了，我就问要带什么": the applicant takes the request for a person back.
_WITHDRAWAL = re.compile(
    r"^\s*(?:算了|好了|没事了?|那)?[，,、\s]*"
    r"(?:不用|不要|不需要|不找|不必|取消)(?:转|找|再找)?(?:人工|工作人员|真人|客服|人工服务)(?:服务)?(?:了|啦)?"
    r"[，,。.!！\s]*")


def withdrawal_rest(text: str) -> str | None:
    """What comes after the applicant takes back a hand-off request ("" when nothing does);
    None when the message is no such withdrawal."""
    if not isinstance(text, str):
        return None
    found = _WITHDRAWAL.match(text)
    if not found:
        return None
    return text[found.end():].strip()
