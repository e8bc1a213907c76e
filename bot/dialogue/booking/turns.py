"""What every step of booking, look-up and rescheduling shares.

The message, the step, the values, and the words every step understands.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

from bot.appointments.service import HORIZON_DAYS, AppointmentService
from bot.parsing import contact
from bot.platform.dates import day_text

from .. import repair
from ..message import Message
from ..repair import wants_repeat
from . import texts as T
from .replies import Reply
from bot.rules.policy import city_id_of

logger = logging.getLogger(__name__)

# Every value of the booking form; all cleared when it starts and when it ends.
BOOKING_SLOTS = ("booking_station", "booking_day", "booking_time", "booking_part", "booking_name",
                 "booking_phone", "booking_confirmed", "booking_change", "booking_alternatives",
                 "booking_code", "booking_outcome", "booking_party")
LOOKUP_SLOTS = ("lookup_code", "lookup_phone", "cancel_confirmed", "lookup_outcome")
# Intents whose text is read as an answer inside a booking form even when it
# gives nothing; any other intent is left to the caller (a question is
# answered elsewhere and the form asks again).
ANSWER_INTENTS = {"inform", "affirm", "deny", "nlu_fallback", "book_appointment", "cancel_appointment"}
LOOKUP_ANSWER_INTENTS = {"inform", "affirm", "deny", "nlu_fallback", "check_appointment",
                         "cancel_appointment"}
# "booking_party": the family members who come along (bot.parsing.family:
# relation, age, study, mobility_impaired), None or [] for the booker alone;
# the visit takes 1 + len(members) seats.
# What a change asked for in the menu clears.
CHANGES = {"station": ("booking_station", "booking_day", "booking_time", "booking_part"),
           "day": ("booking_day", "booking_time", "booking_part"),
           "time": ("booking_time", "booking_part"),
           "name": ("booking_name",),
           "phone": ("booking_phone",)}
# Why a form runs: the user's message started it, answers its question, or
# it comes back after another action answered the message.
KINDS = ("activation", "answer", "resume")


@dataclass
class Step:
    """What one turn of a form does: changed values, words said, the next value to ask for.

    ``reject``: the message is no answer to the form (a question, say): the
    caller leaves it to others and the form asks again afterwards.
    """
    changes: dict[str, Any] = field(default_factory=dict)
    replies: list[Reply] = field(default_factory=list)
    next_slot: Optional[str] = None
    reject: bool = False

    @property
    def asked(self) -> bool:
        """The replies already ask for ``next_slot`` (an explanation with buttons): no question after them."""
        return self.next_slot is not None and any(reply.buttons for reply in self.replies)


@dataclass(frozen=True)
class PastTurn:
    """An earlier user turn of the conversation, as the adapter recorded it.

    ``asked``: the step asked when the message came; ``set``: the values the
    turn set; ``asked_next``: the step asked after it.
    """
    text: str
    asked: Optional[str]
    set: Mapping[str, Any]
    asked_next: Optional[str]


# --- words every step understands ---------------------------------------------------------



# Words that say someone comes along ("孩子要带什么" is a question about a child, not a party).
COMING_ALONG = re.compile(r"一起|同行|一块|带上?(?:我|孩子|老人|家人)|我和|和我|跟我|我跟|全家|一家|陪|就我|自己去|一个人去")


# What to change in the summary, typed ("改时间", "日期不对", "换个派出所", "手机号写错了"):
# the menu's items by their words. Checked only when the summary or the menu is the question.
_CHANGE_ITEMS = (("station", r"办理点|派出所|地点|网点|地方"), ("day", r"日期|日子|哪天|哪一天|星期|周几"),
                 ("time", r"时间|钟点|几点|时段"), ("name", r"姓名|名字"), ("phone", r"手机号?|电话|号码"))
_CHANGE_CUE = re.compile(r"改|换|修改|更改|重选|重新|不对|错|不是|另选|其他|别的")


def typed_change(text: Optional[str], menu: bool) -> Optional[str]:
    """The item a typed message asks to change (see ``_CHANGE_ITEMS``); under the menu
    (``menu``) the item's word alone is enough ("时间"), under the summary it needs a cue."""
    plain = repair.plain(text)
    if not plain or len(plain) > 12 or not (menu or _CHANGE_CUE.search(plain)):
        return None
    named = [item for item, words in _CHANGE_ITEMS if re.search(words, plain)]
    return named[0] if len(named) == 1 else None


_BOOK = re.compile(r"预约|约个|约一下|挂个号|挂号")
_LOOK_UP = re.compile(r"查|看看|看下|看一下|我的预约|约的|约好|预约了|预约过|已经|取消|改|换|码|\d{4}|[A-Za-z]")


def wants_new_booking(text: Optional[str]) -> bool:
    """"我在聊城住 预约": a booking asked for, with nothing of a look-up (查, 我的预约, a code,
    a phone, 取消, 改…): the NLU sometimes files such words under the look-up."""
    plain = repair.plain(text)
    return bool(_BOOK.search(plain)) and not _LOOK_UP.search(plain)


def wants_to_stop(text: Optional[str]) -> bool:
    """"算了", "不约了", "不预约了" (and the words around them): the booking is not wanted any more."""
    return bool(repair.STOP_BOOKING.fullmatch(repair.plain(text)))


def wants_to_stop_lookup(text: Optional[str]) -> bool:
    """"算了", "不查了", "算了不取消了", "不改了": the look-up, cancelling or moving is not wanted any more."""
    return bool(repair.STOP_LOOKUP.fullmatch(repair.plain(text)))


def failed_in_a_row(turns: Sequence[PastTurn], slot: Optional[str]) -> int:
    """How many of the latest turns (newest last) were answers to ``slot`` it did not take.

    Such a turn set nothing but ``{slot: None}`` and ``slot`` was asked
    before and after it. A "再说一遍" between them neither counts nor breaks
    the row; anything else (an answer taken, another question) ends it.
    """
    count = 0
    for turn in reversed(turns):
        if slot is None or turn.asked != slot or turn.asked_next != slot:
            break
        if wants_repeat(turn.text):
            continue
        if dict(turn.set) != {slot: None}:
            break
        count += 1
    return count


def yes_or_no(text: str, intent: Optional[str], payload: bool) -> Optional[bool]:
    """The answer to a yes/no question: the intent, else the shared parser (确定, 不用了, 好的)."""
    if intent in ("affirm", "deny"):
        return intent == "affirm"
    if payload:
        return None
    from bot.parsing import parse_yes_no

    plain = unicodedata.normalize("NFKC", text or "").strip()
    if _YES_WORDS.match(plain):
        return True
    return parse_yes_no(plain) if len(plain) <= 6 else None


_YES_WORDS = re.compile(r"^(?:确认|确定|就这样|没问题|预约吧|约吧|可以)")


def phone_in(message: Message) -> Optional[str]:
    """The mobile number a message carries (entity or text), as typed; None without one."""
    value = message.entities.get("phone")
    if value:
        return str(value)
    return None if message.button else contact.find_phone(message.text)


def code_in(message: Message) -> Optional[str]:
    """A booking code in the message (entity, or in the text: bot.parsing.contact), canonical."""
    value = message.entities.get("booking_code")
    if value:
        code = contact.normalise_code(value)
        if code and any(ch.isalpha() for ch in code):  # a bare number is more likely something else
            return code
    return None if message.button else contact.read_code(message.text)




def city_in_text(text: str) -> Optional[str]:
    """The city where the applicant lives named in free text (the shared parser tells it from the 户口's)."""
    if not text.strip():
        return None
    try:
        from bot.platform.clock import today
        from bot.parsing import extract_facts

        return city_id_of(extract_facts(text, None, today()).get("city"))
    except Exception:  # the parser must never silence the answer
        logger.exception("extract_facts failed on a booking answer")
        return None


def day_refusal(svc: AppointmentService, station_id: str, station_name: str, day: dt.date) -> str:
    """Why ``day`` cannot be had at the station: past, beyond the horizon, closed, or full."""
    now = svc.now()
    if day < now.date():
        return T.DAY_PAST.format(day=day_text(day))
    if day > now.date() + dt.timedelta(days=HORIZON_DAYS):
        return T.DAY_TOO_FAR.format(day=day_text(day), horizon=HORIZON_DAYS)
    reason = svc.closed_reason(station_id, day)
    if reason:
        return T.DAY_CLOSED.format(day=day_text(day), station=station_name, reason=reason)
    return T.DAY_FULL.format(day=day_text(day))
