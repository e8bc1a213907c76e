"""What the Telegram bridge says of its own, its constants, and the sender id of a chat."""
from __future__ import annotations

import logging


# What a reminder knows of a booking, and where it is looked up: shared with WeChat.


log = logging.getLogger("juzhu.telegram")


# --- texts -------------------------------------------------------------------------
START_TEXT = (
    "您好！我是居住证办理助手（居助）。\n"
    "我可以帮您：\n"
    "• 判断您现在能不能办居住证、还差什么条件；\n"
    "• 列出需要携带的材料；\n"
    "• 告诉您去哪里办、要多久、收不收费；\n"
    "• 预约派出所办理时间，并在前一天提醒您。\n\n"
    "直接用文字告诉我您的情况就行，例如“我在聊城租房住了八个月，能办居住证吗？”。\n"
    "输入 /help 查看帮助，输入 /reset 重新开始。"
)
HELP_TEXT = (
    "我能做的事：\n"
    "• 办证条件：“我能办居住证吗？”\n"
    "• 所需材料：“办居住证要带什么？”\n"
    "• 办理地点、时间和费用：“在哪里办？”“要多久？”“收费吗？”\n"
    "• 代办、签注、补领换领、住址变更、落户和居住登记等问题\n"
    "• 预约办理：“我要预约”；取消或查询预约：“取消预约”“查询预约”\n"
    "• 预约成功后，我会在前一天提醒您\n"
    "• 签注提醒：“去年5月办的居住证，什么时候签注？”，到期前提醒您；“不用提醒了”取消\n\n"
    "命令：/start 介绍  /help 帮助  /reset 清除本次对话、重新开始\n"
    "遇到按钮时点一下即可作答，也可以直接打字。"
)
RESET_TEXT = "好的，已清除本次对话，我们重新开始吧。请问有什么可以帮您？"
NOT_TEXT = "目前我只能读懂文字消息，请用文字描述您的问题。"
UNKNOWN_COMMAND_TEXT = "没有这个命令。输入 /help 查看我能做什么，或直接用文字提问。"
EXPIRED_BUTTON_TEXT = "这个按钮已经失效了，请重新输入您的问题。"
BUTTONS_ONLY_TEXT = "请选择："
CHOSEN_TEXT = "您选择了：{title}"

CALLBACK_DATA_MAX_BYTES = 64
MAPPED_PREFIX = "p:"
SENDER_PREFIX = "tg-"
RESTART = "/restart"


def sender_id(chat_id: int) -> str:
    """The chat's Rasa conversation id: not guessable from the chat id (a keyed hash), stable across restarts."""
    from bot.platform.secrets import keyed_hash

    return f"{SENDER_PREFIX}{keyed_hash('telegram', str(chat_id))[:24]}"
