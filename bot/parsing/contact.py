"""Contact details as people type them: a mobile number, a booking code, a name.

The one place that knows what these look like in a Chinese sentence; the
booking conversation (``bot.dialogue.booking``) and the appointment
store's validation (``bot.appointments.validation``) both read them here.

    read_phone("我电话138 1234 5678")         -> "13812345678"
    read_phone("手机是+86 13812345678")        -> "13812345678"
    read_code("预约码k7m3qx")                   -> "K7M3QX"
    read_name("我叫张三")                       -> "张三"
    read_contact("张三，13812345678")          -> Contact(phone="13812345678", name="张三")
    read_contact("不是这个号码").denied         -> frozenset({"phone"})

A number or a code said to be wrong ("不是13812345678，是13987654321") is
skipped: the reader gives the one that is meant, or nothing. Mainland China
mobile numbers only (11 digits, starting with 1); the last word on whether a
number exists is the ``phonenumbers`` library's.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Optional

# --- phone numbers ---------------------------------------------------------------

# A mobile number in a sentence: 13812345678, 138 1234 5678, 138-1234-5678,
# +86 138…, 0086 138…, 86-138….
_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[\s-]?)?1\d{2}[\s-]?\d{4}[\s-]?\d{4}(?!\d)")
# Five digits or more: meant as a number, to be refused with a reason if it is no mobile.
_DIGIT_RUN = re.compile(r"\d{5,}")
_SEPARATORS = re.compile(r"[\s\-\.()（）]+")
# A negator right before a number or a code: "不是13812345678", "不是 K7M3QX".
_NEGATED_BEFORE = re.compile(r"(?:不是|并非|而不是|不要|别用|不用)\s*[:：]?\s*$")


def normalise_phone(raw: Any) -> Optional[str]:
    """A whole string that is a mainland China mobile number -> its 11 digits, else None.

    Accepts ``13812345678``, ``+86 138 1234 5678``, ``138-1234-5678``,
    ``0086 13812345678`` and full-width digits.
    """
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if not text or len(text) > 32:
        return None
    compact = _SEPARATORS.sub("", text)
    if compact.startswith("0086"):
        compact = "+86" + compact[4:]
    if not re.fullmatch(r"\+?\d{5,20}", compact):
        return None
    import phonenumbers

    try:
        number = phonenumbers.parse(compact, "CN")
    except phonenumbers.NumberParseException:
        return None
    national = str(number.national_number)
    if (number.country_code != 86 or len(national) != 11 or not national.startswith("1")
            or not phonenumbers.is_valid_number(number)
            or phonenumbers.number_type(number) not in (
                phonenumbers.PhoneNumberType.MOBILE,
                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)):
        return None
    return national


def _plain(text: Any) -> str:
    return unicodedata.normalize("NFKC", text if isinstance(text, str) else "")


def _negated(text: str, start: int) -> bool:
    return bool(_NEGATED_BEFORE.search(text[max(0, start - 6):start]))


def find_phone(text: Any) -> Optional[str]:
    """The mobile number a sentence carries, as typed ("138 1234 5678"); None without one.

    A number said to be wrong ("不是13812345678") is skipped. The number may
    still be invalid (``normalise_phone`` tells).
    """
    plain = _plain(text)
    for found in _MOBILE.finditer(plain):
        if not _negated(plain, found.start()):
            return found.group(0)
    return None


def read_phone(text: Any) -> Optional[str]:
    """The mobile number of a sentence as 11 digits, or None (none, invalid, or said to be wrong)."""
    return normalise_phone(find_phone(text))


def has_digit_run(text: Any) -> bool:
    """Five digits or more: an attempt at a number even when it is no mobile number ("12345")."""
    return bool(_DIGIT_RUN.search(_plain(text)))


# --- booking codes ----------------------------------------------------------------

# Easy to read aloud: no 0/O, 1/I/L. The store makes its codes from these.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
# Six letters and digits standing alone (预约码k7m3qx, K7M3QX 138…), or 3+3 with a dash (K7M-3QX).
_CODE_TOKEN = re.compile(r"(?<![A-Za-z0-9])([A-Za-z0-9]{6}|[A-Za-z0-9]{3}-[A-Za-z0-9]{3})(?![A-Za-z0-9])")


def normalise_code(raw: Any) -> Optional[str]:
    """A code as typed (any case, blanks or dashes inside) -> its canonical form, else None."""
    text = unicodedata.normalize("NFKC", str(raw or ""))
    text = re.sub(r"[\s\-]+", "", text).upper()
    if len(text) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in text):
        return None
    return text


def read_code(text: Any) -> Optional[str]:
    """The booking code a sentence carries, canonical ("k7m3qx" -> "K7M3QX"), or None.

    Only tokens with a letter: six digits alone are more likely part of
    something else. A code said to be wrong ("不是K7M3QX") is skipped.
    """
    plain = _plain(text)
    for found in _CODE_TOKEN.finditer(plain):
        code = normalise_code(found.group(1))
        if code and any(ch.isalpha() for ch in code) and not _negated(plain, found.start()):
            return code
    return None


# --- names ------------------------------------------------------------------------

# The words before a name given as an answer.
_NAME_PREFIX = re.compile(r"^(?:我叫|我是|我姓名是|姓名[是为:：]?|名字[是叫:：]?|叫|本人)\s*")
# The words that introduce a name anywhere in a sentence (not 我是…: 我是河北人).
_NAME_CUE = re.compile(r"(?:我叫|姓名[是为:：]?|名字[是叫:：]?)\s*([\u4e00-\u9fff·]{2,4}|[A-Za-z][A-Za-z .'-]{1,30}[A-Za-z])")
# Short answers that are no names.
_NOT_NAMES = {"好", "好的", "嗯", "嗯嗯", "是", "是的", "对", "对的", "行", "可以", "没有", "没", "哦", "算了", "取消",
              "谢谢", "确认", "确定", "你好", "您好"}
# Characters no name of a short answer has (questions, dates, the booking's own words).
_NOT_A_NAME = re.compile(r"[0-9?？吗呢吧么啥什预约取消查询办证居住证派出所时间今天明天后天上午下午点号]")
# What follows 我叫 in a question, not a name: 我叫什么名字, 我叫不出来.
_NOT_NAME_STARTS = ("什么", "啥", "不")
_NAME_MAX_LOOSE = 8
_AROUND = "。.!！,，、;；:：~～ "
# A name and a number side by side: "张三，13812345678", "13812345678 张三".
_NAME_THEN_NUMBER = re.compile(r"^([\u4e00-\u9fff·]{2,4})\s*[,，、;；:：\s]\s*(.+)$")
_NUMBER_THEN_NAME = re.compile(r"^(.+?)\s*[,，、;；:：\s]\s*([\u4e00-\u9fff·]{2,4})$")


def _without_phone(text: str) -> str:
    """The text with its mobile number (and the separators around it) taken out."""
    found = _MOBILE.search(text)
    if not found:
        return text
    return (text[:found.start()].rstrip(_AROUND + "电话手机号码是") + " " + text[found.end():].lstrip(_AROUND)).strip()


def read_name(text: Any, *, asked: bool = False, loose: bool = False) -> Optional[str]:
    """The name a message gives, or None.

    ``asked``: the message answers "请输入姓名": the whole answer is the name
    once its cue (我叫, 姓名是, 本人) and a mobile number beside it are taken
    out ("张三，13812345678"); short answers that are no names (好的, 算了,
    不用了, 明天上午) are not taken. ``loose`` also takes a longer answer
    without digits or a question mark (a foreign name the NLU read as an
    answer). Not asked, only a name after 我叫/姓名/名字 is read.
    """
    plain = _plain(text).strip()
    if not asked:
        found = _NAME_CUE.search(plain)
        name = found.group(1).strip() if found else None
        return None if name is None or name.startswith(_NOT_NAME_STARTS) else name
    plain = _without_phone(plain).strip().strip(_AROUND)
    plain = _NAME_PREFIX.sub("", plain).strip()
    if not plain or plain.startswith("/"):
        return None
    if plain in _NOT_NAMES or "了" in plain or plain.startswith("不"):
        return None
    looks_like_one = len(plain) <= _NAME_MAX_LOOSE and not _NOT_A_NAME.search(plain)
    if looks_like_one or (loose and not re.search(r"[0-9?？]", plain)):
        return plain
    return None


# --- all three --------------------------------------------------------------------

# "This number / code / name is wrong": 不是这个号码, 号码不对, 手机号写错了, 预约码不对, 名字错了.
_ITEMS = {"phone": "(?:手机号码|手机号|号码|电话号码|电话|手机)", "code": "(?:预约码|验证码)",
          "name": "(?:姓名|名字)"}
_WRONG_AFTER = r"(?:写|填|输|打|记|说)?(?:错了|错|不对|有误)"


def _denied_items(plain: str) -> frozenset[str]:
    denied = set()
    for item, word in _ITEMS.items():
        before = rf"(?:不是|并非|不对的?)(?:这个|那个|这|那|刚才的?|上面的?|我的?)?(?:的)?{word}"
        after = rf"{word}(?:也|还|都)?{_WRONG_AFTER}"
        if re.search(before, plain) or re.search(after, plain):
            denied.add(item)
    return frozenset(denied)


@dataclass(frozen=True)
class Contact:
    """What a message says about the applicant's contact details.

    ``phone``: 11 digits; ``code``: a booking code, canonical; ``name``; each
    None when the message does not give it. ``denied``: the items the message
    says are wrong ("不是这个号码" -> {"phone"}), whether or not it gives
    another.
    """

    phone: Optional[str] = None
    code: Optional[str] = None
    name: Optional[str] = None
    denied: frozenset = frozenset()


def _name_beside_number(plain: str) -> Optional[str]:
    for pattern, group in ((_NAME_THEN_NUMBER, 1), (_NUMBER_THEN_NAME, 2)):
        found = pattern.match(plain)
        if found and (read_phone(found.group(3 - group)) or read_code(found.group(3 - group))):
            name = found.group(group)
            return read_name(name, asked=True)
    return None


def read_contact(text: Any, *, name_asked: bool = False) -> Contact:
    """The phone, the code and the name a message gives, and what it says is wrong."""
    plain = _plain(text).strip()
    if plain.startswith("/"):  # a button's payload: its values are the NLU's entities
        return Contact()
    phone, code = read_phone(plain), read_code(plain)
    if name_asked:
        name = read_name(plain, asked=True)
    else:
        name = read_name(plain) or _name_beside_number(plain)
    return Contact(phone=phone, code=code, name=name, denied=_denied_items(plain))
