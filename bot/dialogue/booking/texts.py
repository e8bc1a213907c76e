"""The booking conversation's own words (prompts, button titles, replies).

Used by ``dialogue`` (the steps of booking, looking up and cancelling a
visit). Nothing here is law; reasons for a refusal come from the appointment
store (``BookingRefused.reason``), checklists from ``bot.rules`` through the
caller.
"""
from __future__ import annotations

# --- the booking form: questions -------------------------------------------------
ASK_CITY = "您要在哪个城市办理？"
ASK_STATION = "请选择办理点："
ASK_STATION_COUNTY = "请选择办理点（{county}的排在前面）："
STATION_LINE = "· {name}：{address}"
SAMPLE_NOTE = "（办理点为示例数据，地址和电话请以当地公安机关公布的为准。）"
ASK_DAY = "{station}，请选择日期（可约{horizon}天内，按钮中都是还有空位的日子）："
ASK_TIME = "{day}，请选择时间："
ASK_TIME_PART = "{day}{part}，请选择时间："
PART_NAMES = {"am": "上午", "pm": "下午"}
PART_FULL = "{day}{part}已经约满了，下面是当天其他还有空位的时间："
ASK_ALTERNATIVE = "这个时段刚刚约满了。离它最近的空闲时间有下面这些，点一个就直接为您预约："
OTHER_DAY = "选其他日期"
ASK_NAME = "请输入预约人的姓名（与身份证一致）："
ASK_PHONE = "请输入预约人的手机号码（查询和取消预约时要用）："
SUMMARY = ("请核对预约信息：\n"
           "办理点：{station}\n地址：{address}\n时间：{time}\n姓名：{name}\n手机：{phone}\n"
           "{party}确认预约吗？")
PARTY_LINE = "人数：{seats}人（您和{members}，占{seats}个名额）\n"
PARTY_ALONE = "人数：1人（家人一起办理的，点“家人同行”）\n"
RELATION_NAMES = {"spouse": "配偶", "child": "孩子", "parent": "父母", "other": "家人"}
ADD_FAMILY = "家人同行"
ASK_PARTY = "一共几个人一起办理（包括您自己，最多5人）？也可以直接说，例如“我和两个孩子”“带我妈一起”。"
PARTY_BUTTONS = (("就我一人", 1), ("2人", 2), ("3人", 3), ("4人", 4), ("5人", 5))
NOT_UNDERSTOOD_PARTY = "没听明白几个人。请点人数，或者说“我和两个孩子”。"
EXPLAIN_PARTY = "请点下面的人数（包括您自己）；一个预约最多5人，每人占一个名额。"
TIME_TOO_FEW = "{time} 剩下的名额不够{seats}个人，请选择其他时间。"
CONFIRM = "确认预约"
CHANGE = "修改或不约了"
ASK_CHANGE = "要修改哪一项？"
CHANGE_TITLES = (("station", "办理点"), ("day", "日期"), ("time", "时间"), ("name", "姓名"),
                 ("phone", "手机号"), ("stop", "不约了"))
FREE_TEXT = "也可以直接打字，例如“明天上午”“23号九点半”。"

# --- the booking form: answers it did not take ----------------------------------
NOT_UNDERSTOOD_CITY = "抱歉，目前只能预约{cities}的办理点，请选择城市。"
NOT_UNDERSTOOD_STATION = "抱歉，没有找到这个办理点，请点选下面的办理点。"
NOT_UNDERSTOOD_DAY = "抱歉，没听明白是哪一天。请点选日期，或者直接说“明天”“23号”“下周一”。"
NOT_UNDERSTOOD_TIME = "抱歉，没听明白是几点。请点选时间，或者直接说“九点半”“下午两点”。"
NOT_UNDERSTOOD_NAME = "请直接输入姓名，例如：张三。"
NOT_UNDERSTOOD_CONFIRM = "请点“确认预约”，或者点“修改或不约了”。"
NOT_UNDERSTOOD_CHANGE = "请点选要修改的一项；不想预约了就点“不约了”。"
DAY_FULL = "{day}已经约满了，请选择其他日期。"
DAY_TOO_FAR = "{day}不在可预约的范围内（只能预约今天起{horizon}天内），请选择其他日期。"
DAY_PAST = "{day}已经过去了，请选择其他日期。"
DAY_CLOSED = "{day}{station}不办公（{reason}），请选择其他日期。"
TIME_FULL = "{time} 已经约满了，请选择其他时间。"
TIME_NONE = "{day}没有 {time} 这个时段，请点选下面的时间。"
STATION_FULL = "{station}{horizon}天内已经约满了，请选择其他办理点。"
STOP = "不约了"

# --- the booking form: a second answer it did not take -------------------------
# What the step expects, said once instead of the same question a third time;
# the buttons follow.
EXPLAIN_CITY = "目前只能预约{cities}的办理点。请点下面的城市；不想预约了，点“不约了”。"
EXPLAIN_STATION = "还是没找到这个办理点。请点下面的一个办理点，也可以打出它所在的区县名。"
EXPLAIN_DAY = ("还是没听明白是哪一天。请点下面还有空位的日期，"
               "或者打“明天”“23号”“下周一”这样的日子。")
EXPLAIN_TIME = "还是没听明白是几点。请点下面还有空位的时间，或者打“九点半”“下午两点”这样的时间。"
EXPLAIN_NAME = ("这里要填预约人的姓名，和身份证上的一样，直接打字就行，例如：张三。"
                "不想预约了，点“不约了”。")
EXPLAIN_PHONE = ("这里要填预约人的手机号码：11位数字，以1开头，例如 13812345678。"
                 "查询和取消预约时要用它。不想预约了，点“不约了”。")
EXPLAIN_CONFIRM = "信息都对就点“确认预约”；要改某一项或不约了，点“修改或不约了”。"
EXPLAIN_CHANGE = "请点下面要修改的一项；不想预约了，点“不约了”。"
NO_STATION_IN_CITY = "{city}暂时没有可以在线预约的办理点。"

# --- the booking form: outcomes ----------------------------------------------------
BOOKED = ("预约成功！\n"
          "预约码：{code}（{spelled}），办理时请出示。\n"
          "时间：{time}\n办理点：{station}\n地址：{address}\n电话：{station_phone}")
BOOKED_PARTY = "人数：{seats}人，一个预约码全家一起办理。每个人要带的材料："
BOOKED_SHORT = "预约码 {code}：请保存这张二维码，或把日历文件加入手机日历。"
# The phone is never shown beside the code (issue 19): the person typed it and knows it.
BOOKED_FOOTER = "如需取消或查询，请说“取消预约”或“查询预约”，并提供预约码和预约时填写的手机号码。"
NO_CHECKLIST_FALLBACK = "办理时请带上本人身份证。"
# Nothing about the existing booking: whoever typed the phone may not own it.
ALREADY_BOOKED = ("这个手机号码已经有一个有效预约（每个号码同时只能有一个）。"
                  "如需查询或取消原预约，请点下面的按钮，并提供预约码和手机号码。")
CHECK_EXISTING = "查询原预约"
CANCEL_EXISTING = "取消原预约"
CANCEL_THAT = "取消这个预约"
STOPPED = "好的，这次先不预约了。以后想预约，说“预约”就可以重新开始。"
BOOK_AGAIN = "重新预约"
ANYTHING_ELSE = "问其他问题"

# --- check and cancel ----------------------------------------------------------------
ASK_LOOKUP_PHONE = "请发送预约码和预约时填写的手机号码，例如：K7M3QX 13812345678。"
ASK_LOOKUP_PHONE_FOR_CODE = "请发送预约码 {code} 预约时填写的手机号码，用来核对。"
NOT_UNDERSTOOD_PHONE = "没有看到手机号码。请发送11位手机号码，例如 13812345678。"
# A phone alone: how many, and nothing else (no code, time or station).
ACTIVE_COUNT = "该号码有{count}个有效预约，请提供预约码（预约成功时给您的6位字母和数字，例如 K7M3QX）。"
ASK_LOOKUP_CODE = "请提供预约码（预约成功时给您的6位字母和数字，例如 K7M3QX）。"
NOT_UNDERSTOOD_CODE = ("没有看到预约码。请发送预约成功时给您的6位预约码，例如 K7M3QX。"
                       "忘了预约码的话，请带本人身份证到办理点窗口查询。")
DETAILS = ("预约码：{code}（{spelled}）\n时间：{time}\n办理点：{station}\n地址：{address}\n"
           "电话：{station_phone}")
STATUS_NAMES = {"booked": "有效", "cancelled": "已取消", "attended": "已办理", "no_show": "未到场"}
FOUND_ONE = "找到您的预约（{status}）：\n{details}"
NOT_FOUND_BY_CODE = "没有找到与这个手机号码对应的预约码 {code}。请核对预约码和手机号码。"
NOT_FOUND_BY_PHONE = "这个手机号码目前没有有效的预约。"
ASK_CANCEL = "找到您的预约：\n{details}\n确定要取消吗？"
CANCEL_YES = "确定取消"
NOT_UNDERSTOOD_CANCEL = "请点“确定取消”，或者点“不取消”。"
CANCEL_NO = "不取消"
CANCELLED = "已为您取消预约 {code}（{time}，{station}）。需要时可以重新预约。"
KEPT = "好的，预约保留，请按时前往。"
LOOKUP_STOPPED = "好的。还有什么可以帮您？"
LOOK_AGAIN = "重新查询"
CANCEL_AGAIN = "重新取消"
NOT_NOW = "算了"
# A second answer it did not take.
EXPLAIN_LOOKUP_PHONE = ("这里要填预约时留的手机号码：11位数字，例如 13812345678；"
                        "有预约码的话一起发，例如：K7M3QX 13812345678。")
EXPLAIN_LOOKUP_CODE = ("预约码是预约成功时给您的6位字母和数字，例如 K7M3QX。"
                       "忘了预约码的话，请带本人身份证到办理点窗口查询。")
EXPLAIN_CANCEL = "要取消这个预约就点“确定取消”，要保留就点“不取消”。"

# --- reschedule (same code, another time) ---------------------------------------------
RESCHEDULE_FOUND = "找到您的预约：\n{details}"
ASK_RESCHEDULE_DAY = "要改到哪一天？（可约{horizon}天内，按钮中都是还有空位的日子）"
ASK_RESCHEDULE_CONFIRMED = "把预约{code}从{old}改到{new}（{station}），确认改约吗？原来的时间会释放。"
RESCHEDULE_YES = "确认改约"
RESCHEDULE_NO = "不改了"
RESCHEDULED = "改约成功，预约码不变：\n{details}\n原来的时间已经释放。"
RESCHEDULE_STOPPED = "好的，原预约保持不变。还有什么可以帮您？"
