"""Shared helpers: text normalisation, numerals, the quiet jionlp import."""
from __future__ import annotations

import contextlib
import io
import re
import unicodedata
from functools import lru_cache
from typing import Optional

# Chinese numeral characters cn2an understands, plus ASCII digits.
NUM = "[0-9零〇一二两三四五六七八九十百]"
HAN = "[\u4e00-\u9fff]"

# Whitespace between two Chinese words separates them ("户口河南 住了两年");
# anywhere else it is noise ("8 个月", " 东昌府 ").
_HAN_GAP = re.compile(rf"(?<={HAN})\s+(?={HAN})")


def normalise(text: object) -> str:
    """NFKC (full-width digits and commas become ASCII), lower case, spaces dealt with."""
    if not isinstance(text, str):
        return ""
    text = unicodedata.normalize("NFKC", text).lower().strip()
    text = _HAN_GAP.sub(",", text)
    return re.sub(r"\s+", "", text)


def without_denials(text: str) -> str:
    """Drop "不是X" up to the next comma or 是, so "不是租的，是买的" reads as 买的."""
    return re.sub(r"不是[^,;.。；!?！？是]*", "", text)


def to_int(numeral: str) -> Optional[int]:
    """"35", "三十五", "两" -> int; None when cn2an cannot read it."""
    import cn2an

    try:
        value = cn2an.cn2an(numeral, "smart")
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return int(value) if float(value).is_integer() else None


def digits(text: str) -> str:
    """Chinese numerals in ``text`` written as digits ("一年零三个月" -> "1年3个月")."""
    import cn2an

    try:
        return cn2an.transform(text, "cn2an")
    except Exception:  # cn2an raises bare ValueErrors and worse on odd input
        return text


@lru_cache(maxsize=None)
def jionlp():
    """jionlp, imported on first use: its import prints a banner on stdout,
    and the CLI's stdout carries JSON."""
    with contextlib.redirect_stdout(io.StringIO()):
        import jionlp as module
    return module
