"""What every flow understands the same way, written once: stop, repeat, restart, skip, a person.

Rasa's conversation-repair patterns (3.7+: cancel, repeat, restart, skip,
human hand-off, …) for Rasa 3.6: each flow asks this module, so "再说一遍"
means the same in the interview and in the booking form.

Stopping is the one repair whose words depend on the flow: "不约了" ends a
booking, "不问了" an interview, while a bare "不用了" is the answer "no" to
a booking's yes/no question. Every flow stops on 算了 and on "不<its verb>了";
the interview also on its wider list (:data:`STOP_INTERVIEW`).
"""
from __future__ import annotations

import re
import unicodedata
from typing import Optional

_PUNCTUATION = re.compile(r"[\s，。,.!！?？~～、…:：;；\"“”'‘’]+")


def plain(text: Optional[str]) -> str:
    """The words alone: full-width folded (NFKC), no spaces or punctuation."""
    return _PUNCTUATION.sub("", unicodedata.normalize("NFKC", text or ""))


RESTART = re.compile(r"重来|重新开始|从头开始|从头来|从新开始|重新来|再来一遍|重新问|重新测|重新判断|全部清空|清空|重置|"
                     r"换个人问?|换一个人|问问别人的|帮别人问|再问一个人|"
                     r"reset|restart", re.I)
# 再说一遍, 请再说一次, 能再讲一遍吗, 重复一下, 没听清, 刚才说什么, 上一条
REPEAT = re.compile(r"再(?:说|讲|问|发|念)(?:一)?(?:遍|次|下)|重复(?:一下|一遍|一次)?|没(?:听|看)清|没看懂刚才|"
                    r"刚才(?:说|问)?的?(?:是)?(?:什么|啥)|你说(?:什么|啥)|说的啥|你刚才说|上一条")
SKIP = re.compile(r"^(?:我|俺|这个|这)?(?:也|真|还|都)?(?:不知道|不清楚|不太清楚|不记得|记不清|记不得|忘了|忘记了|说不好|说不清|"
                  r"不确定|不晓得|不太确定|搞不清|没数|跳过|下一个|下一题|跳过吧|先跳过|略过|pass)(?:了|呢|啊|呀|吧|哦|诶|耶)*"
                  r"(?:跳过|下一个)?(?:吧|了)?$", re.I)
HUMAN = re.compile(r"转人工|人工客服|找人工|真人客服|找个人|人工服务")
STOP_INTERVIEW = re.compile(r"^(?:好吧|那|哎|唉|嗯)?(?:算了吧?|不问了|不问这个了|先不问了|不想问了|别问了|不办了|不想办了|先不办了|"
                            r"不用了|不弄了|不测了|不查了|结束吧?|不聊了|到此为止|先这样吧?|停一下|停止|取消吧?)"
                            r"(?:吧|了|啊|呀|哈|谢谢|谢了|不办了|不问了)*$")


def stop_words(verb: str) -> re.Pattern:
    """A flow's stop: 算了, and 不<verb>了 (不约了, 不预约了, 那还是不约了吧, 我不想预约了, 先不约了)."""
    return re.compile(rf"(?:(?:那|那就|我|就|还是|要不|先|那我)*(?:算了(?:吧)?|不(?:想|要|用)?{verb}了(?:吧|啊)?))+")


STOP_BOOKING = stop_words("(?:预)?约")
# Looking a booking up, cancelling or moving it: 算了, 不查了, 不取消了, 不改了 (and the booking's 不约了).
STOP_LOOKUP = stop_words("(?:查询?|看|取消|改|换|修改|调|(?:预)?约)")


def wants_repeat(text: Optional[str]) -> bool:
    """"再说一遍", "重复一下", "没听清": the last question is wanted again (short, and no number in it)."""
    words = plain(text)
    return 0 < len(words) <= 14 and not re.search(r"\d", words) and bool(REPEAT.search(words))


def wants_restart(text: Optional[str]) -> bool:
    words = plain(text)
    return 0 < len(words) <= 16 and bool(RESTART.search(words))


def wants_to_skip(text: Optional[str]) -> bool:
    return bool(SKIP.match(plain(text)))


def wants_a_person(text: Optional[str]) -> bool:
    return bool(HUMAN.search(plain(text)))
