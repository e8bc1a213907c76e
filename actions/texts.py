"""The assistant's own words: prompts, button titles, hints.

Nothing here says what the law is; that is bot.rules' job. Kept in one place
so a wording is changed once.
"""
from __future__ import annotations

ASK_CITY = "您现在住在哪个城市？目前我能解答{cities}的居住证问题。"
ASK_CITY_FOR_TOPIC = "请问您在哪个城市办理？各地的规定不一样。"
ASK_HUKOU_CITY_IN_PROVINCE = "您的户口在{province}哪个市？"
CITY_NOT_SERVED = "抱歉，目前我只能解答{cities}的居住证问题，请选择其中一个城市。"
NOT_UNDERSTOOD = "抱歉，我没听明白您的回答。"
FREE_TEXT_HINT = "也可以直接打字回答。"
MONTHS_HINT = "请直接说时间，例如：八个月、一年多、去年三月来的。"
CORRECTED = "好的，已按您说的更正。"
EVERY_CITY = "您还没告诉我城市，下面是各地的规定："

# Buttons offered under the hukou question.
HUKOU_LOCAL = "户口在{city}"
HUKOU_OTHER_CITY = "本省其他城市"
HUKOU_OTHER_PROVINCE = "外省户口"
# What those buttons stand for in the facts (free text place names).
HUKOU_OTHER_CITY_VALUE = "省内其他城市"
HUKOU_OTHER_PROVINCE_VALUE = "外省"
NEVER_REGISTERED = "没办过"
# Durations offered as buttons (months); free text gives any other value.
DURATIONS = (("3个月", 3), ("半年", 6), ("一年", 12), ("两年以上", 24))
JUST_ARRIVED = "刚来"
NONE_PROOF = "没有这类证明"
YES, NO = "是", "不是"

# After the verdict.
NEXT_BOOK = "预约办理"
NEXT_BENEFITS = "持证有什么用"
NEXT_OTHER = "问其他问题"
NEXT_STEP = "接下来您可以预约到派出所办理，或者了解持证后的权益。"

# The personal checklist from an earlier decision.
MY_MATERIALS = "根据您刚才说的情况，{city}办理居住证需要带："

# Low confidence: what we think the applicant may mean.
CLARIFY = "抱歉，我没有完全明白。您是想问下面哪一项？也可以换个说法再问一次。"
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
