"""The assistant's own words outside the interview and the booking: prompts, button titles, hand-off.

Nothing here says what the law is; that is bot.rules' job. The interview's
own words are in bot/dialogue/eligibility/texts.py (the same for every channel).
"""
from __future__ import annotations

import os

ASK_CITY_FOR_TOPIC = "请问您在哪个城市办理？各地的规定不一样。"
CITY_NOT_SERVED = "抱歉，目前我只能解答{cities}的居住证问题，请选择其中一个城市。"

# The personal checklist from an earlier decision.

# Low confidence: what we think the applicant may mean.
CLARIFY = "抱歉，我没有完全明白。您是想问下面哪一项？也可以换个说法再问一次。"
# A third "嗯" or "好的" with no question open: not "还有什么可以帮您？" a third time.
WHAT_I_CAN_DO = ("我可以帮您：查能不能办居住证、要带哪些材料、预约到派出所办理。"
                 "直接说您的情况就行，比如“我在聊城租房住了一年，户口在河南”。也可以转人工。")
TOPIC_TITLES = {
    "ask_eligibility": "我能办居住证吗",
    "ask_materials": "要带什么材料",
    "ask_processing_time": "多久能办好",
    "ask_fee": "要不要钱",
    "ask_where": "在哪里办",
    "ask_proxy": "能不能代办",
    "ask_endorsement": "签注",
    "ask_replacement": "补领、换领",
    "ask_address_change": "搬家了怎么办",
    "ask_benefits": "持证有什么用",
    "ask_hukou": "落户",
    "ask_registration": "居住登记",
    "book_appointment": "预约办理",
    "cancel_appointment": "取消预约",
    "check_appointment": "查询预约",
    "request_human": "转人工",
}

# Hand-off to a person.
HANDOFF_STATIONS = "需要人工帮助的话，可以打电话或直接去{city}的公安派出所咨询："
HANDOFF_STATION_LINE = "· {name}（{county}）：{phone}，{address}"
HANDOFF_SAMPLE = "（以上办理点为示例数据，电话和地址请以当地公安机关公布的为准。）"
HANDOFF_HOTLINE = "也可以拨打当地政务服务便民热线12345咨询。"
HANDOFF_GENERAL = ("需要人工帮助的话，请拨打居住地公安派出所的电话，或在工作时间直接到派出所窗口咨询；"
                   "不知道派出所电话的，可以拨打当地政务服务便民热线12345查询。")
HANDOFF_MORE = "您也可以继续问我，我会尽量回答。"

# The store (or anything else an action needs) failed: said instead of an answer.
BUSY = "系统繁忙，请稍后再试。您也可以拨打{hotline}政务服务便民热线咨询。"
DEFAULT_HOTLINE = "12345"  # the 政务服务便民热线 every city in the project has


def hotline() -> str:
    """The number given when the assistant cannot help: ``$HOTLINE``, default 12345."""
    return os.environ.get("HOTLINE", "").strip() or DEFAULT_HOTLINE


def busy_text() -> str:
    return BUSY.format(hotline=hotline())
