"""Looking a booking up, cancelling and rescheduling it, one turn at a time (see the package's docstring)."""
from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, Mapping, Optional

from bot.platform.masking import mask_phone
from bot.parsing import contact

from ..repair import wants_repeat

from . import texts as T
from bot.platform.dates import day_text

from .replies import Reply, details_text, explanation, not_understood
from bot.appointments.service import AppointmentService
from bot.appointments.validation import BookingRefused, normalise_phone

from .turns import (LOOKUP_ANSWER_INTENTS, LOOKUP_SLOTS, Message, Step, code_in, day_refusal, phone_in,
                    wants_to_stop_lookup, yes_or_no)

logger = logging.getLogger(__name__)


# --- check and cancel ----------------------------------------------------------------------------

class LookupTurn:
    """check_form / cancel_form for one turn: code and phone, the lookup, the confirmation.

    ``purpose``: "check" or "cancel"; the other arguments as for :class:`BookingTurn`.
    """

    def __init__(self, svc: AppointmentService, slots: Mapping[str, Any], message: Message, kind: str,
                 requested: Optional[str] = None, purpose: str = "check", *, failures: int = 0):
        self.svc, self.message, self.kind, self.requested, self.purpose = svc, message, kind, requested, purpose
        self.failures = failures
        self.before = dict(slots)
        self.s = dict(slots)
        self.intent = message.intent
        self.replies: list[Reply] = []
        self.took = False
        self.repeat = False
        self.touched: set[str] = set()
        self.code_asked = False  # this turn's words already ask for the code

    def run(self) -> Step:
        if self.kind == "activation":
            for name in LOOKUP_SLOTS:
                self.s[name] = None
        if self.kind in ("answer", "activation"):
            self.read()
            if self.kind == "answer" and not self.took and self.intent not in LOOKUP_ANSWER_INTENTS:
                return Step(reject=True)
        next_slot = self.next_slot()
        changes = {name: self.s[name] for name in self.s if self.s[name] != self.before.get(name)}
        not_taken = (self.kind == "answer" and not changes and not self.touched and not self.repeat
                     and next_slot == self.requested and next_slot is not None)
        if not_taken and self.failures >= 1:
            self.replies.append(explanation(self.svc, next_slot, self.s))
        elif self.kind == "answer" and not self.took and next_slot == self.requested and next_slot:
            self.replies.append(Reply(not_understood(next_slot)))
        elif next_slot == "lookup_code" and not self.code_asked:
            self.replies.append(Reply(T.ASK_LOOKUP_CODE))  # no question of its own in the domain: asked here
        if self.kind == "answer" and not changes and next_slot:
            changes = {name: self.s[name] for name in sorted(self.touched)} or {next_slot: None}
        return Step(changes=changes, replies=self.replies, next_slot=next_slot)

    def read(self) -> None:
        text = self.message.text or ""
        if self.kind == "answer" and not self.message.button and wants_repeat(text):
            self.repeat = self.took = True
            return
        yes = yes_or_no(text, self.intent, self.message.button) if self.requested == "cancel_confirmed" else None
        if yes is not None:
            self.s["cancel_confirmed"] = yes
            self.took = True
            return
        if self.kind == "answer" and not self.message.button and wants_to_stop_lookup(text):
            self.s["lookup_outcome"] = "stopped"  # "算了不取消了": the booking stays as it is
            self.took = True
            return
        code = code_in(self.message)
        phone = phone_in(self.message)
        if self.kind == "answer" and self.intent == "deny" and not (code or phone):
            self.s["lookup_outcome"] = "stopped"
            self.took = True
            return
        if code and code != self.s.get("lookup_code"):
            self.s["lookup_code"] = code
            self.took = True
        if (phone is None and self.requested == "lookup_phone" and not self.message.button
                and contact.has_digit_run(text)):
            phone = text  # digits meant as a number: refused with the reason
        if phone is not None:
            try:
                self.s["lookup_phone"] = normalise_phone(phone)
                self.s["lookup_outcome"] = None
                if self.s["lookup_phone"] == self.before.get("lookup_phone"):
                    self.touched.add("lookup_phone")
            except BookingRefused as refusal:
                self.replies.append(Reply(refusal.reason))
            self.took = True

    def next_slot(self) -> Optional[str]:
        s = self.s
        if s.get("lookup_outcome") in ("stopped", "not_found", "locked"):
            return None
        if not s.get("lookup_phone"):
            return "lookup_phone"
        if s.get("lookup_phone") != self.before.get("lookup_phone") or s.get("lookup_code") != self.before.get("lookup_code"):
            self.look_up()
            if s.get("lookup_outcome") in ("not_found", "locked"):
                return None
        if s.get("lookup_outcome") != "found":
            return "lookup_code"
        if self.purpose == "cancel" and s.get("cancel_confirmed") is None:
            return "cancel_confirmed"
        return None

    def look_up(self) -> None:
        """By code and phone; a phone alone learns only how many active bookings it has."""
        s = self.s
        if s.get("lookup_code"):
            try:
                booking = self.svc.find(s["lookup_code"], s["lookup_phone"])
            except BookingRefused as refusal:  # unknown code and wrong phone read alike: nothing to learn
                s["lookup_outcome"] = "locked" if refusal.code == "code_locked" else "not_found"
                return
            s["lookup_outcome"] = "found"
            s["lookup_code"] = booking.code
            return
        count = self.svc.count_active_by_phone(s["lookup_phone"])
        if not count:
            s["lookup_outcome"] = "not_found"
            return
        s["lookup_outcome"] = None
        self.replies.append(Reply(T.ACTIVE_COUNT.format(count=count)))  # and the form waits for the code
        self.code_asked = True


# --- reschedule: code and phone, then the new day and time --------------------------------------

RESCHEDULE_SLOTS = LOOKUP_SLOTS + ("reschedule_day", "reschedule_time", "reschedule_part", "reschedule_confirmed",
                                   "reschedule_outcome")
# Where a message names the day it moves *to* ("周三有事去不了，改到周五上午九点"): what follows is the new time.
_MOVED_TO = re.compile(r"(?:改到|改成|改为|改在|换到|换成|挪到|调到|推到|推迟到|提前到|延到)")
RESCHEDULE_ANSWER_INTENTS = LOOKUP_ANSWER_INTENTS | {"reschedule_appointment"}


class RescheduleTurn(LookupTurn):
    """reschedule_form for one turn: "改到周五下午", "换个时间".

    The booking is found by code and phone (as for check and cancel), then
    the new day (``reschedule_day``) and time (``reschedule_time``) are
    asked, the day and the time said in any message kept (the first one
    often says both; of two days, the one after 改到/换到/挪到… is the new
    one). When both are known the new day and time are said back and 确认 is
    asked (``reschedule_confirmed``) before anything moves; a new day or time
    said then is taken and asked again, 不改了 keeps the booking. Confirmed,
    it moves the booking, keeping its code, with the store's refusals (full,
    closed, past, out of hours): the reason is said and the day or time
    asked again. Ends with
    ``reschedule_outcome``: rescheduled, or ``lookup_outcome`` not_found /
    stopped.
    """

    def __init__(self, svc: AppointmentService, slots: Mapping[str, Any], message: Message, kind: str,
                 requested: Optional[str] = None, *, failures: int = 0):
        super().__init__(svc, slots, message, kind, requested, "reschedule", failures=failures)

    def run(self) -> Step:
        if self.kind == "activation":
            for name in RESCHEDULE_SLOTS:
                self.s[name] = None
        if self.kind in ("answer", "activation"):
            if self.kind == "answer" and not self.message.button and wants_to_stop_lookup(self.message.text):
                self.s["lookup_outcome"] = "stopped"
                return Step(changes={"lookup_outcome": "stopped"}, next_slot=None)
            self.read_confirmation()
            if not self.took:
                self.read()
                self.read_when()
            if self.kind == "answer" and not self.took and self.intent not in RESCHEDULE_ANSWER_INTENTS:
                return Step(reject=True)
        next_slot = self.next_slot()
        changes = {name: self.s[name] for name in self.s if self.s[name] != self.before.get(name)}
        if self.kind == "answer" and not self.took and next_slot == self.requested and next_slot:
            if self.failures >= 1 and next_slot in ("lookup_phone", "lookup_code"):
                self.replies.append(explanation(self.svc, next_slot, self.s))
            elif next_slot in ("lookup_phone", "lookup_code"):
                self.replies.append(Reply(not_understood(next_slot)))
            else:
                self.replies.append(Reply(not_understood(
                    {"reschedule_day": "booking_day", "reschedule_confirmed": "booking_confirmed"}.get(
                        next_slot, "booking_time"))))
        elif next_slot == "lookup_code" and not self.code_asked:
            self.replies.append(Reply(T.ASK_LOOKUP_CODE))
        if self.kind == "answer" and not changes and next_slot:
            changes = {name: self.s[name] for name in sorted(self.touched)} or {next_slot: None}
        return Step(changes=changes, replies=self.replies, next_slot=next_slot)

    def read_confirmation(self) -> None:
        """确认 / 不改了, to the new day and time said back; a new day or time is read by read_when."""
        if self.requested != "reschedule_confirmed":
            return
        yes = yes_or_no(self.message.text or "", self.intent, self.message.button)
        if yes is True:
            self.s["reschedule_confirmed"] = True
            self.took = True
        elif yes is False and not self.names_a_time():
            self.s["lookup_outcome"] = "stopped"
            self.took = True

    def names_a_time(self) -> bool:
        before = dict(self.s)
        self.read_when()
        named = any(self.s.get(k) != before.get(k) for k in ("reschedule_day", "reschedule_time", "reschedule_part"))
        self.s.update(before)
        self.took = False
        return named

    def read_when(self) -> None:
        day = time = part = None
        if self.message.entities.get("booking_day"):
            try:
                day = dt.date.fromisoformat(str(self.message.entities["booking_day"]))
            except ValueError:
                pass
        if self.message.entities.get("booking_time"):
            try:
                time = dt.time.fromisoformat(str(self.message.entities["booking_time"]))
            except ValueError:
                pass
        # The phone and the code said with it are no day or time.
        text = re.sub(r"[0-9０-９]{7,}|(?<![A-Za-z0-9])[A-Za-z0-9]{6}(?![A-Za-z0-9])", " ", self.message.text or "")
        moved = list(_MOVED_TO.finditer(text))
        if moved:  # the day it moves from, said before, is not the new day
            text = text[moved[-1].end():]
        if not self.message.button and text.strip():
            from bot.parsing.when import parse_when

            when = parse_when(text, self.svc.now().date())
            day, time, part = day or when.day, time or when.time, when.part
        if day is not None or time is not None or part:
            self.s["reschedule_confirmed"] = None  # a new day or time is said back and confirmed again
        if day is not None:
            self.s["reschedule_day"] = day.isoformat()
            self.s["reschedule_part"] = part
            if time is None:
                self.s["reschedule_time"] = None
            self.took = True
        elif part and time is None:
            self.s["reschedule_part"] = part
            self.s["reschedule_time"] = None
            self.took = True
        if time is not None:
            self.s["reschedule_time"] = time.strftime("%H:%M")
            self.took = True

    def next_slot(self) -> Optional[str]:
        asked = super().next_slot()
        s = self.s
        if asked is not None or s.get("lookup_outcome") != "found":
            return asked
        booking = self.svc.find(s["lookup_code"], s["lookup_phone"])
        if booking.status != "booked":
            self.replies.append(Reply(self.svc_refusal(booking)))
            s["lookup_outcome"] = "stopped"
            return None
        if self.before.get("lookup_outcome") != "found":  # found this turn: which booking is moved
            self.replies.append(Reply(T.RESCHEDULE_FOUND.format(details=details_text(booking))))
        if not s.get("reschedule_day"):
            return "reschedule_day"
        day = dt.date.fromisoformat(s["reschedule_day"])
        if not s.get("reschedule_time"):
            free = {info.day for info in self.svc.days_with_free_seats(booking.station_id, booking.party)}
            if day not in free:
                self.replies.append(Reply(day_refusal(self.svc, booking.station_id, booking.station_name, day)))
                s["reschedule_day"] = s["reschedule_part"] = None
                return "reschedule_day"
            return "reschedule_time"
        start = dt.datetime.combine(day, dt.time.fromisoformat(s["reschedule_time"]))
        offered = {slot.start: slot for slot in self.svc.slots(booking.station_id, day)}
        slot = offered.get(start)
        if slot is None or not slot.bookable or slot.remaining < booking.party or start == booking.start:
            # Not a time that can be had: said before asking to confirm it.
            self.replies.append(Reply(T.TIME_NONE.format(day=day_text(day), time=s["reschedule_time"])
                                      if slot is None or not slot.bookable or start == booking.start
                                      else T.TIME_FULL.format(time=s["reschedule_time"])))
            s["reschedule_time"] = s["reschedule_confirmed"] = None
            return "reschedule_time"
        if not s.get("reschedule_confirmed"):
            return "reschedule_confirmed"  # said back and confirmed before anything moves
        try:
            self.svc.reschedule(s["lookup_code"], s["lookup_phone"], start)
        except BookingRefused as refusal:
            logger.info("reschedule refused: %s (%s)", refusal.code, mask_phone(s.get("lookup_phone")))
            self.replies.append(Reply(refusal.reason))
            s["reschedule_time"] = s["reschedule_confirmed"] = None
            if refusal.code in ("closed_day", "past_time", "too_far_ahead"):
                s["reschedule_day"] = s["reschedule_part"] = None
                return "reschedule_day"
            if refusal.code == "not_active":
                s["lookup_outcome"] = "stopped"
                return None
            return "reschedule_time"
        s["reschedule_outcome"] = "rescheduled"
        return None

    @staticmethod
    def svc_refusal(booking: Any) -> str:
        return {"cancelled": "这个预约已经取消了，不能改约，可以重新预约。", "attended": "这个预约已经办理完毕。",
                "no_show": "这个预约的时间已过，不能改约，请重新预约。"}.get(booking.status, "这个预约已失效。")
