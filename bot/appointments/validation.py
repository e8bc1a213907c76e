"""Values an applicant types: phone numbers, names, booking codes.

Every refusal is a :class:`BookingRefused` with a stable ASCII ``code`` and a
Chinese ``reason`` that can be shown to the applicant as it is.
"""
from __future__ import annotations

import re
import secrets
import unicodedata
from typing import Any, Optional

from bot.parsing import contact


class BookingRefused(Exception):
    """A booking request the rules refuse.

    ``code`` is stable ASCII for programs (``slot_full``, ``closed_day``,
    ``past_time``, ``too_far_ahead``, ``outside_hours``, ``unknown_code``,
    ``already_booked``, ``bad_phone``, ``bad_name``, ``unknown_station``,
    ``bad_code``, ``not_active``, ``too_early``); ``reason`` is the Chinese
    sentence for the applicant. ``alternatives`` (for ``slot_full``) lists
    the nearest free slots.

    A refusal never describes a booking the caller has not proved to own
    (code and phone): an unknown code and a code with another phone are the
    same ``unknown_code``, and ``already_booked`` says nothing about the
    existing booking.
    """

    def __init__(self, code: str, reason: str, *, alternatives: Optional[list] = None):
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.alternatives = list(alternatives or [])

    def __repr__(self) -> str:
        return f"BookingRefused({self.code!r}, {self.reason!r})"


# --- phone numbers -----------------------------------------------------------

def normalise_phone(raw: Any) -> str:
    """A mainland China mobile number as 11 digits, or ``BookingRefused('bad_phone')``.

    Accepts ``13812345678``, ``+86 138 1234 5678``, ``138-1234-5678``,
    ``0086 13812345678`` and full-width digits (read by ``bot.parsing.contact``).
    """
    national = contact.normalise_phone(raw)
    if national is None:
        raise BookingRefused("bad_phone", "手机号码无效：请填写11位中国大陆手机号码，例如 13812345678。")
    return national


# --- names -------------------------------------------------------------------

NAME_MAX = 20


def clean_name(raw: Any) -> str:
    """The applicant's name trimmed (inner runs of blanks made one), 1–20 characters."""
    if raw is None:
        raise BookingRefused("bad_name", "请填写姓名。")
    text = unicodedata.normalize("NFC", str(raw)).strip()
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise BookingRefused("bad_name", "姓名中含有无法识别的字符，请重新填写。")
    text = re.sub(r"\s+", " ", text)
    if not text:
        raise BookingRefused("bad_name", "请填写姓名。")
    if len(text) > NAME_MAX:
        raise BookingRefused("bad_name", f"姓名过长：最多{NAME_MAX}个字。")
    return text


# --- booking codes -------------------------------------------------------------

# Easy to read aloud: no 0/O, 1/I/L (what a code looks like: bot.parsing.contact).
CODE_ALPHABET = contact.CODE_ALPHABET
CODE_LENGTH = contact.CODE_LENGTH


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: Any) -> str:
    """A code as typed (any case, blanks or dashes inside) → its canonical form."""
    code = contact.normalise_code(raw)
    if code is None:
        raise BookingRefused(
            "bad_code", f"预约码格式不对：预约码是{CODE_LENGTH}位字母和数字（不含0、O、1、I、L）。")
    return code
