"""Township names: whether two names are the same place, and whether one is a street or a town.

Street (街道) or town (镇/乡) decides 聊城's same-district exemption; the suffix
is the only thing the name tells.
"""
from __future__ import annotations

from typing import Optional

import cn2an

STREET_SUFFIXES = ("街道办事处", "街道")
TOWN_SUFFIXES = ("镇", "乡")
TOWNSHIP_SUFFIXES = ("民族乡", "街道办事处", "街道", "镇", "乡")


def township_key(name: str) -> str:
    name = name.strip()
    for suffix in TOWNSHIP_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def township_kind(name: str) -> Optional[str]:
    name = name.strip()
    if name.endswith(STREET_SUFFIXES):
        return "street"
    if name.endswith(TOWN_SUFFIXES):
        return "town"
    return None


def article_number(article: str) -> int:
    """The article's number (第十八条 -> 18), to order citations as the regulation does."""
    try:
        return int(cn2an.cn2an(article.strip("第条"), "smart"))
    except (ValueError, KeyError):
        return 10_000
