"""Masking of personal data: phone numbers, 公民身份号码 and names.

One module used by every place that stores or logs what people typed: the
tracker store (bot/conversations.py), the log record factory installed by
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
# Only these cues: "我是…" and "本人…" start ordinary answers (我是河北人, 本人居民身份证).
_NAME_CUE = re.compile(r"(我叫|姓名[是为:：]?\s*|名字[是叫:：]?\s*)([\u4e00-\u9fff·]{2,4})")
# Long digit runs jionlp may not classify (a number typed with odd spacing):
# any 11 digits that look like a mainland mobile, any 17 digits + check digit.
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])")
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
    text = re.sub(r"\s", "", str(number or ""))
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
    for start, end, masked in sorted(spans):
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
    if any(ch.isdigit() for ch in text):
        for match in _ID_NUMBER.finditer(text):
            spans.append((match.start(), match.end(), mask_id_number(match.group(0))))
        for match in _MOBILE.finditer(text):
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

    return _NAME_CUE.sub(cue, text)


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
    sees every record before any of them.
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
    _installed = factory
