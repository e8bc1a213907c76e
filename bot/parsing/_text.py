"""Shared helpers: text normalisation, numerals, the quiet jionlp import."""
from __future__ import annotations

import re
from typing import Optional

from .libraries import jionlp  # noqa: F401  (the readers take it from here)

# Chinese numeral characters cn2an understands, plus ASCII digits.
NUM = "[0-9零〇一二两三四五六七八九十百]"
HAN = "[\u4e00-\u9fff]"

def normalise(text: object) -> str:
    """The words as a careful typist writes them (``spoken.written``): simplified
    characters, half-width digits, lower case, fillers and spaces as commas,
    run-on clauses cut where a new statement starts."""
    if not isinstance(text, str):
        return ""
    from .spoken import written

    return written(text)


def to_int(numeral: str) -> Optional[int]:
    """"35", "三十五", "两" -> int; None when cn2an cannot read it."""
    import cn2an

    try:
        value = cn2an.cn2an(numeral, "smart")
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return int(value) if float(value).is_integer() else None


# Words with a numeral character that are not numbers: cn2an would write
# 一直 as 1直 and the words around them (一直没办) would be lost.
_NOT_NUMBERS = ("五险一金", "三险一金", "五险", "三险", "一金", "老大", "老二", "老三", "老四", "老五", "老六", "老幺",
                "一直", "一共", "一起", "一下", "一般", "一样", "一定", "一些", "统一", "唯一", "一边", "一切",
                "一会", "一家", "万一", "一向", "一旦", "一律", "一再", "一心", "一贯", "一口气", "一点儿", "一块儿",
                "一概", "一味", "一面", "一同", "一道", "不一", "之一", "第一", "一手")
_NOT_NUMBER = re.compile("|".join(_NOT_NUMBERS))
_PLACEHOLDER = 0xE000  # private use: one character per protected word


def digits(text: str) -> str:
    """Chinese numerals in ``text`` written as digits ("一年零三个月" -> "1年3个月");
    words such as 一直 and 一起 are left alone."""
    import warnings

    import cn2an

    kept: list[str] = []

    def protect(match: re.Match) -> str:
        kept.append(match.group())
        return chr(_PLACEHOLDER + len(kept) - 1)

    protected = _NOT_NUMBER.sub(protect, text)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            written = cn2an.transform(protected, "cn2an")
    except Exception:  # cn2an raises bare ValueErrors and worse on odd input
        return text
    return re.sub("[\ue000-\uf8ff]", lambda m: kept[ord(m.group()) - _PLACEHOLDER]
                  if ord(m.group()) - _PLACEHOLDER < len(kept) else m.group(), written)


