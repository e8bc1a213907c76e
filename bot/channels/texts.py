"""What every channel says when it cannot pass a message on: one text each, for the kiosk and Telegram.

A person must never be left without an answer nor be told they were not
understood when in truth the assistant is down: whenever Rasa cannot answer
(down, timing out, HTTP 5xx, or an empty reply list, which is what Rasa 3.6
sends when the action server is down), every channel shows :func:`busy_text`.
The kiosk's page carries the same text for when the web front itself is
unreachable (``data-busy-text``), so there is one wording everywhere.
"""
from __future__ import annotations

from bot.platform.ratelimit import TOO_MANY_MESSAGES_TEXT

from bot.dialogue.texts import DEFAULT_HOTLINE  # the 政务服务便民热线; HOTLINE overrides it

# Telegram answers private chats only: in a group the conversation (and the
# personal data a booking needs) would be read by everyone in it.
PRIVATE_ONLY_TEXT = "请私聊使用本助手：点开我的头像，发送消息即可。"


def busy_text(hotline: str = DEFAULT_HOTLINE) -> str:
    """Rasa could not answer: say so plainly and name the hotline, never a raw error."""
    return (f"系统繁忙，请稍后再试。您也可以拨打{hotline}政务服务便民热线咨询，"
            "或到办事窗口找工作人员帮助。")


def too_many_messages_text(hotline: str = DEFAULT_HOTLINE) -> str:
    """A sender or address over the message rate limit (bot/platform/ratelimit.py's wording)."""
    return TOO_MANY_MESSAGES_TEXT.format(hotline=hotline)
