"""The assistant's own words in the interview: prompts, acknowledgements, hints.

Nothing here says what the law is (that is ``bot.rules.render``'s job: the
questions, the reasons why a question matters, the verdict, the topic
answers). Kept in one place so a wording is changed once, for the chat, the
hotline terminal and the staff page alike.
"""
from __future__ import annotations

# --- the city --------------------------------------------------------------------
ASK_CITY = "您现在住在哪个城市？目前我能解答{cities}的居住证问题。"
ASK_CITY_FOR_TOPIC = "请问您在哪个城市办理？各地的规定不一样。"
CITY_NOT_SERVED = "抱歉，目前我只能解答{cities}的居住证问题，请选择其中一个城市。"
CITY_GIVE_UP = ("抱歉，目前我只能解答{cities}的居住证问题。其他城市的居住证请咨询当地公安派出所，"
                "或拨打当地政务服务便民热线12345。")
CITY_CHANGED = "好的，改为按{city}的规定来看。"
EVERY_CITY = "您还没告诉我城市，下面是各地的规定："

# --- who applies -----------------------------------------------------------------
ASK_WHO = "是给您本人办，还是帮别人（比如孩子、老人）办？"
WHO_SELF, WHO_CHILD, WHO_ELDERLY, WHO_OTHER = "本人办理", "给孩子办", "给老人办", "帮其他人办"

ASK_HUKOU_CITY_IN_PROVINCE = "您的户口在{province}哪个市？"
AGE_MINOR, AGE_ADULT, AGE_ELDERLY = "不满{age}岁", "{low}到{high}岁", "{age}岁以上"

# --- what the assistant understood (read-back before a verdict, CONTRACT §2) ----------
READBACK = "先核对一下，我理解的是：\n{lines}\n对吗？"
READBACK_YES = "对"
READBACK_NO = "有不对的，我改一下"
READBACK_WHICH = "请直接告诉我哪一项不对，说对的就行，比如“登记是三个月”“户口在莘县”。"
READBACK_CHANGED = "好的，已更正：{what}。"
READBACK_HINT = "请回答“对”，或者直接说哪一项不对。"
READBACK_RESTART = "重新开始"

# --- people who already hold a permit ----------------------------------------------
HOLDER_CHECK_NEW_CITY = "看看在{city}能不能办"

# --- answers ---------------------------------------------------------------------
CORRECTED = "好的，已按您说的更正。"
APPROXIMATE = "（“{words}”按{value}算，如果不准请直接告诉我。）"
VAGUE_LONG_NOTE = "“{words}”"
NOT_UNDERSTOOD = "抱歉，我没听明白您的回答。"
HUKOU_OTHER_CITY_VALUE = "省内其他城市"
HUKOU_OTHER_PROVINCE_VALUE = "外省"

# Buttons offered under the 户口 question.
HUKOU_LOCAL = "户口在{city}"
HUKOU_OTHER_CITY = "本省其他城市"
HUKOU_OTHER_PROVINCE = "外省户口"
NEVER_REGISTERED = "没办过"
DURATIONS = (("3个月", 3), ("半年", 6), ("一年", 12), ("两年以上", 24))
# After two failed answers to a duration: ranges rather than exact months.
DURATION_RANGES = (("不到3个月", 1), ("3个月到半年", 3), ("半年到一年", 6), ("一年到两年", 12), ("两年以上", 24))
JUST_ARRIVED = "刚来"
# "不知道" to a duration: how to estimate it, before skipping.
ESTIMATE_HELP = {
    "lived_months": "没关系，说个大概就行，比如“半年多”“快两年了”。想想是哪年哪月搬来的，或者看看租房合同上的日期。也可以点一个范围：",
    "registered_months": "没关系，居住登记（暂住登记）凭证上有登记日期；记不清就说个大概，比如“一年左右”。没办过就点“没办过”：",
    "supplementary_proof_months": "没关系，看看营业执照、社保或个税缴纳记录、租房合同上最早的日期，说个大概就行，或点一个范围：",
}
NONE_PROOF = "没有这类证明"
YES, NO = "是", "不是"

# --- repair ------------------------------------------------------------------------
# The third time: never the same question again (RasaHQ/financial-demo's pattern).
EXPLAIN = "我换个问法：{why}"
PICK_ONE = "请点选最接近的一项；不清楚的话可以跳过，先看其他条件。"
SKIP = "不清楚，跳过"
SKIPPED = "好的，这个先跳过。"
SKIPPED_AFTER_TRIES = "这个问题先跳过，稍后可以到派出所当面确认。"
SKIPPED_ALL = "有几项您还不清楚，我先按已知的情况告诉您，其余的请到派出所当面确认。"
HUMAN = "转人工"
REPEAT_NOTHING = "我们还没开始呢。您可以直接说您的情况，比如“我在聊城租房住了一年，能办居住证吗”。"
RESTARTED = "好的，刚才说的都不算了，我们从头开始。"
STOPPED = "好的，不问了。还有什么可以帮您？"
GO_ON = "我们接着来：{question}"
STILL_ASKING = "我们正在判断您能不能办，先请回答："

# Small talk in the middle of the interview: a short answer, then the question again.
CHITCHAT = "我是居住证助手，闲聊不太在行。我能帮您判断能不能办居住证、列材料清单、解答费用和办理地点，还能预约。"
GREET = "您好！"
THANK = "不客气！"
BOT = "我是智能助手，不是真人；需要人工请说“转人工”。"

# Office hours: not in the regulations; from the station list when the caller has it.
HOURS_FROM_STATIONS = "{city}各办理点的办公时间（示例数据，以当地公布为准）："
HOURS_LINE = "· {name}：{hours}"
HOURS_UNKNOWN = "派出所的办公时间各地不一样，一般是工作日上班时间；预约时能看到每个办理点的时间，也可以先打电话问。"

# --- after the verdict, and elsewhere ----------------------------------------------
NEXT_BOOK = "预约办理"
NEXT_BENEFITS = "持证有什么用"
NEXT_OTHER = "问其他问题"
CHECK_PERSONAL = "帮我核对个人清单"
MY_MATERIALS_OFFER = "想要一份按您情况列的清单，点“帮我核对个人清单”，我问几个简单问题。"
