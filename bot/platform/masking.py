"""Masking of personal data: phone numbers, 公民身份号码 and names.

One module used by every place that stores or logs what people typed: the
tracker store (bot/platform/conversations.py), the log record factory installed by
every process (:func:`install_log_masking`), the appointments store's
messages, hand-off summaries. 聊城 第十六条 asks that personal information
learned in this work be kept confidential.

Numbers are found by jionlp (mobile and landline numbers, ID numbers with
their check digit); names are masked when the caller knows them (a slot
value) or when a cue introduces them ("我叫…", "姓名…").
"""
from __future__ import annotations

import logging
import re
import traceback
from functools import lru_cache
from typing import Any, Iterable, Optional

MASK = "*"
# A name after the words people use to give it: 我叫张三, 姓名：李四, 名字是王小明.
_NAME_CUE = re.compile(r"(我叫|姓名[是为:：]?\s*|名字[是叫:：]?\s*)([\u4e00-\u9fff·]{2,4})")
# Cues after which a name is said only sometimes (我是河北人, 我妈在聊城): a name is
# masked there only when it starts with a common family name and is no place.
_KIN = ("父亲", "母亲", "爸爸", "妈妈", "老爸", "老妈", "爸", "妈", "儿子", "女儿", "闺女", "老公", "老婆",
        "丈夫", "妻子", "爱人", "媳妇", "哥哥", "姐姐", "弟弟", "妹妹", "爷爷", "奶奶", "外公", "外婆",
        "姥姥", "姥爷", "孩子", "小孩", "公公", "婆婆", "岳父", "岳母", "孙子", "孙女", "侄子", "外甥")
_SOFT_CUE = re.compile("(我是|本人|我姓|姓|(?:" + "|".join(sorted(_KIN, key=len, reverse=True))
                       + r")(?:的名字|名字)?(?:叫做|名叫|叫|是|[，,、:：\s])?\s*)")
# The commonest family names (about nine in ten people), compound ones first.
_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "夏侯", "皇甫", "尉迟", "公孙", "慕容", "长孙",
                      "令狐", "司徒", "宇文", "端木", "独孤")
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌"
    "毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦"
    "麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩"
    "明佘池乐匡钮鞠丰蔺伏")
# Characters that end a given name: what follows a name in a sentence (verbs,
# particles, punctuation), and what makes the word a place (区, 县, 人 …).
_NOT_IN_NAME = frozenset("想问要在是的了办来去说和跟也都就还给从到对把被让请吗呢吧啊呀嘛哦喔今年岁个有没不已已经"
                         "现住租买上下班打工作做读念刚才又再先一二三四五六七八九十两几多少这那哪什么怎样")
_PLACE_ENDS = frozenset("人省市县区镇乡村州路街巷屯盟旗湾岛山江河湖海城")
# Two-character words that begin like a family name and are no name: places (江西, 高唐, 马龙 …)
# and what people say they are (学生, 党员, 外地 …).
_NOT_NAME_STARTS = frozenset((
    "江西", "江苏", "江北", "黄石", "黄冈", "安徽", "安阳", "吉林", "甘肃", "宁夏", "宁波", "广东", "广西",
    "云南", "贵州", "福建", "青海", "高唐", "高新", "马龙", "陆良", "罗平", "宣威", "富源", "会泽", "师宗",
    "冠县", "阳谷", "东阿", "东昌", "临清", "沙河", "石家", "唐山", "邢台", "邯郸", "常州", "温州", "金华",
    "曲靖", "聊城", "曲阜", "武汉", "长沙", "长春", "南京", "南宁", "南昌", "汕头", "乐山", "宜宾", "昆明",
    "外地", "本地", "本市", "农村", "党员", "个体", "学生", "老师", "司机", "包头", "周口", "商丘", "许昌",
    "焦作", "鲁西", "齐鲁"))
# Long digit runs jionlp may not classify (a number typed with odd spacing):
# any 11 digits that look like a mainland mobile, any 17 digits + check digit,
# with a space or a dash anywhere between them.
_MOBILE = re.compile(r"(?<![0-9A-Za-z])(?:\+?86[\s-]?)?1[3-9](?:[\s-]?\d){9}(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d(?:[\s-]?\d){16}[\s-]?[0-9Xx](?![0-9A-Za-z])")
# Digits as people write them, one character for one: Chinese numerals (幺 for
# 1 when reading a number aloud), financial numerals, full-width digits. The
# text keeps its length, so what is found in the copy is masked in the text.
_AS_DIGITS = str.maketrans({**{c: "0" for c in "零〇○洞"}, **{c: "1" for c in "一幺壹"},
                            **{c: "2" for c in "二两贰"}, "三": "3", "叁": "3", "四": "4", "肆": "4",
                            "五": "5", "伍": "5", "六": "6", "陆": "6", "七": "7", "柒": "7", "拐": "7",
                            "八": "8", "捌": "8", "九": "9", "玖": "9", "勾": "9", "Ｘ": "X", "ｘ": "x",
                            **{chr(0xFF10 + i): str(i) for i in range(10)}})
# Words after 我叫 that are no name.
_NOT_NAMES = ("什么", "啥", "不出", "不上")


@lru_cache(maxsize=1)
def _jionlp() -> Any:
    import jionlp  # heavy: imported on first use only

    return jionlp


def mask_phone(phone: Any) -> str:
    """``13812345678`` → ``138****5678``; any other number masked but its last 2 digits."""
    if phone is None:
        return ""
    digits = re.sub(r"\D", "", str(phone))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) <= 2:
        return MASK * len(digits)
    return MASK * (len(digits) - 2) + digits[-2:]


def mask_id_number(number: Any) -> str:
    """``370102199003071234`` → ``370***********1234`` (region and birth date hidden)."""
    text = re.sub(r"[\s-]", "", str(number or ""))
    if len(text) <= 7:
        return MASK * len(text)
    return text[:3] + MASK * (len(text) - 7) + text[-4:]


def mask_name(name: Any) -> str:
    """``张三`` → ``张*``, ``欧阳小明`` → ``欧***``: the family name stays, for the counter."""
    text = str(name or "").strip()
    if not text:
        return ""
    return text[0] + MASK * max(1, len(text) - 1)


def _replace_spans(text: str, spans: list[tuple[int, int, str]]) -> str:
    out, at = [], 0
    for start, end, masked in sorted(spans, key=lambda span: (span[0], -span[1])):  # the longer finding wins
        if start < at:  # overlapping findings (jionlp reports some twice)
            continue
        out.append(text[at:start])
        out.append(masked)
        at = end
    out.append(text[at:])
    return "".join(out)


def mask_text(text: Any, names: Iterable[str] = (), *, landlines: bool = True) -> Any:
    """``text`` with every phone number, ID number and name masked; non-strings unchanged.

    ``names``: names known to be in the conversation (e.g. a booking's name
    slot), masked wherever they occur. ``landlines`` False leaves fixed-line
    numbers (a station's ``0635-8321234``) alone: for values the assistant
    itself wrote and reads back, where only a person's mobile or ID number
    could have slipped in.
    """
    if not isinstance(text, str) or not text:
        return text
    spans: list[tuple[int, int, str]] = []
    digits = text.translate(_AS_DIGITS)
    if sum(ch.isdigit() for ch in digits) >= 11:
        for match in _ID_NUMBER.finditer(digits):
            spans.append((match.start(), match.end(), mask_id_number(match.group(0))))
        for match in _MOBILE.finditer(digits):
            spans.append((match.start(), match.end(), mask_phone(match.group(0))))
    if landlines and sum(ch.isdigit() for ch in text) >= 7:
        jio = _jionlp()
        for found in jio.extract_id_card(text, detail=True):
            start, end = found["offset"]
            spans.append((start, end, mask_id_number(found["text"])))
        for found in jio.extract_phone_number(text, detail=True):
            start, end = found["offset"]
            raw = found["text"]
            lead = len(raw) - len(raw.lstrip())
            spans.append((start + lead, end, mask_phone(raw)))
    text = _replace_spans(text, spans)
    for name in sorted({n.strip() for n in names if isinstance(n, str) and len(n.strip()) >= 2}, key=len,
                       reverse=True):
        if MASK not in name:
            text = text.replace(name, mask_name(name))

    def cue(match: re.Match) -> str:
        name = match.group(2)
        if any(name.startswith(word) for word in _NOT_NAMES):
            return match.group(0)
        return match.group(1) + mask_name(name)

    return _mask_soft_names(_NAME_CUE.sub(cue, text))


def _mask_soft_names(text: str) -> str:
    """Names after 我是, 本人, 姓 and kin words (帮我父亲张德明), when what follows reads as a name."""
    spans = []
    for match in _SOFT_CUE.finditer(text):
        length = _name_after(text, match.end())
        if length:
            name = text[match.end():match.end() + length]
            spans.append((match.end(), match.end() + length, mask_name(name)))
    return _replace_spans(text, spans) if spans else text


def _name_after(text: str, at: int) -> int:
    """The length of a name starting at ``text[at]`` (0 when none): a common family name, then
    one or two characters that can be a given name, and no place."""
    surname = next((c for c in _COMPOUND_SURNAMES if text.startswith(c, at)), None) or \
        (text[at] if at < len(text) and text[at] in _SURNAMES else None)
    if surname is None or text[at:at + 2] in _NOT_NAME_STARTS:
        return 0
    end = at + len(surname)
    while end < len(text) and end - at - len(surname) < 2 and _hanzi(text[end]) and text[end] not in _NOT_IN_NAME:
        end += 1
    if end == at + len(surname):
        return 0
    if end < len(text) and text[end] in _PLACE_ENDS or text[end - 1] in _PLACE_ENDS:
        return 0
    return end - at


def _hanzi(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def mask_value(value: Any, names: Iterable[str] = (), *, landlines: bool = True) -> Any:
    """Strings, lists and dicts (e.g. a parse result) with every string in them masked."""
    names = tuple(names)
    if isinstance(value, str):
        return mask_text(value, names, landlines=landlines)
    if isinstance(value, list):
        return [mask_value(item, names, landlines=landlines) for item in value]
    if isinstance(value, tuple):
        return tuple(mask_value(item, names, landlines=landlines) for item in value)
    if isinstance(value, dict):
        return {key: mask_value(item, names, landlines=landlines) for key, item in value.items()}
    return value


_installed: Optional[Any] = None


def install_log_masking() -> None:
    """Mask every log record of this process, whatever logger or handler it goes to.

    A record factory rather than a handler filter: Rasa, Sanic and the
    Telegram library add their own handlers after start-up, and a factory
    sees every record before any of them. Warnings are routed through logging.
    """
    global _installed
    if _installed is not None:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken %-format: leave it to the handler to report
            return record
        record.msg, record.args = mask_text(message), ()
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = mask_text("".join(traceback.format_exception(*record.exc_info)).rstrip())
        return record

    logging.setLogRecordFactory(factory)
    # Python warnings (Rasa's UserWarnings quote whole "/intent{...}" payloads)
    # become records of the "py.warnings" logger, masked like every other line.
    logging.captureWarnings(True)
    _installed = factory
