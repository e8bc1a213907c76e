"""Booking, looking up and cancelling a visit at a station.

Three forms, each with a validator that reads every user turn (button
payloads and free text) and requests the next slot itself, like the
interview (``interview.py``):

``booking_form``
    [``city`` when unknown] → ``booking_station`` (the applicant's county
    first) → ``booking_day`` (days with free seats) → ``booking_time`` →
    ``booking_name`` → ``booking_phone`` → ``booking_confirmed`` (summary,
    affirm/deny; deny requests ``booking_change``: which item, or stop).
    On confirmation the validator books; a slot taken meanwhile
    (``slot_full``) puts the nearest free times in ``booking_alternatives``
    and requests ``booking_time`` again, and picking one books at once.
    The form ends with ``booking_outcome`` (booked, already_booked,
    rate_limited, stopped, no_station, error) and ``action_book_appointment``
    tells it: the code, the station, the time, the checklist of the last
    decision and one custom element (QR, ICS, booking) for the channels.
``check_form`` / ``cancel_form``
    ``lookup_phone`` (with ``lookup_code`` when the applicant has it)
    [→ ``lookup_code``] [→ ``cancel_confirmed``]; then
    ``action_check_appointment`` / ``action_cancel_appointment``.

Owners only: a booking is shown or cancelled only with its code and its
phone. A phone alone learns how many active bookings it has, and is asked
for the code; a phone that already has a booking, in the booking form, is
told only that. An unknown code and another phone's code read alike.

Rate limit: a conversation (Rasa sender id) may try to book
``RATE_LIMIT_BOOKINGS`` times (3 an hour) with the shared limiter of
``bot.ratelimit``. A try is counted when the applicant confirms the summary,
not per message; picking one of the nearest free times after the slot
filled up belongs to the same try.

The store (``bot.appointments``) is synchronous: every call runs in the
default thread pool (``in_thread``) so the action server's event loop keeps
serving other conversations. It is made once per process by
``make_store()`` (``DATABASE_URL``, else var/juzhu.db); tests replace the
factory or set ``_store``. Phone numbers are kept in slots only while a form
needs them, are never shown or logged unmasked, and every slot of a form is
cleared when it ends. A store that fails makes every action answer "busy"
(``guard.py``).
"""
from __future__ import annotations

import asyncio
import base64
import datetime as dt
import functools
import logging
import re
import unicodedata
from abc import abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.appointments import AppointmentService, BookingRefused, normalise_phone
from bot.appointments.service import HORIZON_DAYS, BookingInfo, StationInfo, county_key, parse_start
from bot.appointments.validation import clean_name, normalise_code
from bot.masking import mask_phone
from bot.ratelimit import TOO_MANY_BOOKINGS_TEXT, RateLimiter, default_limiter
from bot.rules import render_topic

from . import booking_texts as T
from .answers import city_in_message, personal_materials
from .facts import all_city_ids, city_id_of, city_name, today
from .guard import GuardedAction, GuardedFormValidationAction, busy_text, hotline
from .interview import REQUESTED_SLOT, button, city_buttons, turn_kind
from .understanding import is_payload

logger = logging.getLogger(__name__)
R = TypeVar("R")

BOOKING_FORM = "booking_form"
CHECK_FORM = "check_form"
CANCEL_FORM = "cancel_form"

# Every slot of the booking form; all cleared when it starts and when it ends.
BOOKING_SLOTS = ("booking_station", "booking_day", "booking_time", "booking_part", "booking_name",
                 "booking_phone", "booking_confirmed", "booking_change", "booking_alternatives",
                 "booking_code", "booking_outcome")
LOOKUP_SLOTS = ("lookup_code", "lookup_phone", "cancel_confirmed", "lookup_outcome")
# Intents whose text is read as an answer inside a booking form even when it
# gives nothing; any other intent is left to the rules (a question is
# answered and the form asks again).
ANSWER_INTENTS = {"inform", "affirm", "deny", "nlu_fallback", "book_appointment", "cancel_appointment"}
LOOKUP_ANSWER_INTENTS = {"inform", "affirm", "deny", "nlu_fallback", "check_appointment",
                         "cancel_appointment"}
MAX_PAYLOAD_BYTES = 64  # Telegram's callback_data
CHANGES = {"station": ("booking_station", "booking_day", "booking_time", "booking_part"),
           "day": ("booking_day", "booking_time", "booking_part"),
           "time": ("booking_time", "booking_part"),
           "name": ("booking_name",),
           "phone": ("booking_phone",)}


# --- the store ------------------------------------------------------------------------

def make_store() -> AppointmentService:
    """The appointment store of this process (DATABASE_URL, else var/juzhu.db)."""
    return AppointmentService()


_store: Optional[AppointmentService] = None


def store() -> AppointmentService:
    global _store
    if _store is None:
        _store = make_store()
    return _store


def limiter() -> RateLimiter:
    """The process's rate limiter (``bot.ratelimit``); tests replace this function."""
    return default_limiter()


async def in_thread(function: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """Run a synchronous store call off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(function, *args, **kwargs))


# --- small helpers ----------------------------------------------------------------------

def spelled(code: str) -> str:
    """K7M3QX → 'K 7 M 3 Q X' (read aloud one by one)."""
    return " ".join(code)


def zh_day(day: dt.date) -> str:
    from bot.appointments.stations import WEEKDAYS_ZH

    return f"{day.month}月{day.day}日（{WEEKDAYS_ZH[day.weekday()]}）"


def zh_time(start: dt.datetime) -> str:
    return f"{zh_day(start.date())} {start:%H:%M}"


def short_station(station: StationInfo) -> str:
    """'东昌府区 古楼派出所' for a button: the county and the name after the bureau's."""
    name = station.name
    tail = name.rsplit("局", 1)[-1] if "局" in name[:-1] else name
    if not tail or county_key(station.county) in tail:
        return tail or name
    return f"{station.county} {tail}"


def safe_button(title: str, intent: str, entities: dict[str, Any], fallback: dict[str, Any]) -> dict[str, str]:
    """A button whose payload fits Telegram's 64 bytes (``fallback`` entities otherwise)."""
    made = button(title, intent, entities)
    if len(made["payload"].encode("utf-8")) > MAX_PAYLOAD_BYTES:
        made = button(title, intent, fallback)
    return made


def entity_values(message: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for entity in message.get("entities") or ():
        if entity.get("entity") and entity.get("value") is not None:
            values.setdefault(entity["entity"], entity["value"])
    return values


def intent_of(message: dict[str, Any]) -> Optional[str]:
    return (message.get("intent") or {}).get("name")


_MOBILE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1\d{2}[\s-]?\d{4}[\s-]?\d{4}(?!\d)")
_CODE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z0-9]{6})(?![A-Za-z0-9])")
_NAME_PREFIX = re.compile(r"^(?:我叫|我是|我姓名是|姓名[是:：]?|名字[是:：]?|叫|本人)\s*")
_NOT_NAMES = {"好", "好的", "嗯", "嗯嗯", "是", "是的", "对", "对的", "行", "可以", "没有", "没", "哦", "算了", "取消",
              "谢谢", "确认", "确定", "你好", "您好"}
_NOT_A_NAME = re.compile(r"[0-9?？吗呢吧么啥什预约取消查询办证居住证派出所时间今天明天后天上午下午点号]")


def phone_in(message: dict[str, Any]) -> Optional[str]:
    """The mobile number a message carries (entity or text), as typed; None without one."""
    value = entity_values(message).get("phone")
    if value:
        return str(value)
    text = unicodedata.normalize("NFKC", message.get("text") or "")
    found = _MOBILE.search(text)
    return found.group(0) if found else None


def code_in(message: dict[str, Any]) -> Optional[str]:
    """A booking code in the message (entity or a 6-character token of the code alphabet)."""
    value = entity_values(message).get("booking_code")
    candidates = [str(value)] if value else []
    text = unicodedata.normalize("NFKC", message.get("text") or "")
    if not is_payload(text):
        candidates += _CODE.findall(text)
    for candidate in candidates:
        try:
            code = normalise_code(candidate)
        except BookingRefused:
            continue
        if any(ch.isalpha() for ch in code):  # a bare number is more likely something else
            return code
    return None


def name_in(text: str, intent: Optional[str]) -> Optional[str]:
    """The name given as an answer to the name question, or None."""
    text = unicodedata.normalize("NFKC", text or "").strip().strip("。.!！,，")
    text = _NAME_PREFIX.sub("", text).strip()
    if not text or is_payload(text):
        return None
    if text in _NOT_NAMES or "了" in text or text.startswith("不"):
        return None
    looks_like_one = len(text) <= 8 and not _NOT_A_NAME.search(text)
    if looks_like_one or (intent in ("inform", "nlu_fallback") and not re.search(r"[0-9?？]", text)):
        return text
    return None


_YES_WORDS = re.compile(r"^(?:确认|确定|就这样|没问题|预约吧|约吧|可以)")


def yes_or_no(text: str, intent: Optional[str]) -> Optional[bool]:
    """The answer to a yes/no question: the intent, else the shared parser (确定, 不用了, 好的)."""
    if intent in ("affirm", "deny"):
        return intent == "affirm"
    if is_payload(text):
        return None
    from bot.parsing import parse_yes_no

    plain = unicodedata.normalize("NFKC", text or "").strip()
    if _YES_WORDS.match(plain):
        return True
    return parse_yes_no(plain) if len(plain) <= 6 else None


def checklist_for(decision: Optional[dict[str, Any]], city: str) -> str:
    """The personal checklist of the last decision for that city, else the city's general list."""
    personal = personal_materials(decision) if decision and decision.get("city") == city else None
    if personal:
        return personal
    try:
        return render_topic(city, "materials", today())
    except Exception:  # never leave the confirmation without a line on what to bring
        logger.exception("materials of %s", city)
        return T.NO_CHECKLIST_FALLBACK


def details_text(booking: BookingInfo) -> str:
    return T.DETAILS.format(code=booking.code, spelled=spelled(booking.code), time=zh_time(booking.start),
                            station=booking.station_name, address=booking.station_address,
                            station_phone=booking.station_phone, phone=mask_phone(booking.phone))


def ticket_element(booking: BookingInfo, checklist: str) -> dict[str, Any]:
    """The custom element the kiosk and the Telegram bridge both read."""
    from bot.appointments.tickets import ics_bytes, qr_png

    start = booking.start.strftime("%Y-%m-%d %H:%M")
    return {
        "text": T.BOOKED_SHORT.format(code=booking.code),
        "qr": "data:image/png;base64," + base64.b64encode(qr_png(booking.code)).decode("ascii"),
        "code": booking.code,
        "ics": base64.b64encode(ics_bytes(booking, extra_description=checklist)).decode("ascii"),
        "filename": f"juzhu-{booking.code}.ics",
        "booking": {"code": booking.code, "start": start, "station": booking.station_name},
    }


@dataclass
class Reply:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)


def _say(dispatcher: CollectingDispatcher, replies: list[Reply]) -> None:
    for reply in replies:
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons or None)


# --- the booking form: one turn ---------------------------------------------------------

@dataclass
class Step:
    """What one turn of a form does: slot changes, words said, the next slot."""
    changes: dict[str, Any] = field(default_factory=dict)
    say: list[Reply] = field(default_factory=list)
    next_slot: Optional[str] = None
    reject: bool = False


class BookingTurn:
    """The booking form's logic for one turn, synchronous (it calls the store)."""

    def __init__(self, svc: AppointmentService, slots: dict[str, Any], message: dict[str, Any],
                 kind: str, requested: Optional[str], sender: str):
        self.svc = svc
        self.sender = sender  # the conversation, for the rate limit
        self.before = dict(slots)
        self.s = dict(slots)
        self.message = message
        self.kind = kind
        self.requested = requested
        self.text = (message.get("text") or "").strip()
        self.intent = intent_of(message)
        self.entities = entity_values(message)
        self.say: list[Reply] = []
        self.outcome: Optional[str] = None
        self.took = False  # this turn gave the form something (a value, a choice, or an error to tell)

    # -- helpers --
    def clear(self, *names: str) -> None:
        for name in names:
            self.s[name] = None

    def tell(self, text: str) -> None:
        self.say.append(Reply(text))
        self.took = True

    def station(self) -> Optional[StationInfo]:
        station_id = self.s.get("booking_station")
        if not station_id:
            return None
        try:
            return self.svc.station(station_id)
        except BookingRefused:
            self.clear("booking_station")
            return None

    def city_stations(self) -> list[StationInfo]:
        return self.svc.stations(city=self.s["city"], county=self.s.get("residence_county")) if self.s.get("city") else []

    # -- the turn --
    def run(self) -> Step:
        if self.kind == "activation":
            for name in BOOKING_SLOTS:
                self.s[name] = None
        if self.kind in ("answer", "activation"):
            self.read()
            if self.kind == "answer" and not self.took and self.outcome is None and self.intent not in ANSWER_INTENTS:
                return Step(reject=True)
        self.settle()
        next_slot = self.next_slot()
        if self.kind == "answer" and not self.took and self.outcome is None and next_slot == self.requested:
            self.say.append(Reply(self.hint(next_slot)))
            self.took = True
        changes = {name: self.s[name] for name in self.s if self.s[name] != self.before.get(name)}
        if self.kind == "answer" and not changes and next_slot == self.requested and next_slot:
            changes[next_slot] = None  # a slot event keeps the form from rejecting: it asks again
        return Step(changes=changes, say=self.say, next_slot=next_slot)

    def read(self) -> None:
        """Everything this message says about the booking."""
        payload = is_payload(self.text)
        change = self.entities.get("booking_change")
        stop = (change == "stop" or self.intent == "cancel_appointment"
                or (self.intent == "deny" and self.requested not in ("booking_confirmed",)))
        if stop and self.intent == "deny" and (
                (self.requested == "booking_name" and name_in(self.text, None) is not None)
                or (self.requested == "booking_phone" and phone_in(self.message))):
            stop = False  # a name or a number the NLU took for a "no"
        if self.kind == "answer" and stop:
            self.outcome = "stopped"
            return
        yes = yes_or_no(self.text, self.intent) if self.requested == "booking_confirmed" else None
        if yes is not None and not self.names_a_time(payload):
            if yes:
                self.s["booking_confirmed"] = True
            else:
                self.s["booking_change"] = "menu"
            self.took = True
            return
        if change in CHANGES:
            self.clear(*CHANGES[change], "booking_change", "booking_alternatives")
            self.took = True
            return
        if self.requested == "booking_name":  # the whole answer is the name: no dates read in 李明天
            name = name_in(self.text, self.intent)
            if name is not None:
                try:
                    self.s["booking_name"] = clean_name(name)
                    self.took = True
                except BookingRefused as refusal:
                    self.tell(refusal.reason)
            return
        if self.requested == "booking_phone":
            phone = phone_in(self.message)
            if phone is None and re.search(r"\d{5,}", self.text):
                phone = self.text
            if phone is not None:
                try:
                    self.s["booking_phone"] = normalise_phone(phone)
                    self.took = True
                except BookingRefused as refusal:
                    self.tell(refusal.reason)
            return
        self.read_city(payload)
        self.read_station(payload)
        self.read_when(payload)

    def names_a_time(self, payload: bool) -> bool:
        """The message names a day or a time ("明天可以吗" changes the day, it is no plain yes)."""
        if self.entities.get("booking_day") or self.entities.get("booking_time"):
            return True
        if payload:
            return False
        from bot.parsing.when import parse_when

        return not parse_when(self.text, self.svc.now().date()).empty

    def read_city(self, payload: bool) -> None:
        city = None
        if self.entities.get("city"):
            city = city_id_of(str(self.entities["city"]))
        elif not payload and (self.requested == "city" or self.s.get("city") is None):
            city = city_in_message(self.message)
        if city and city != self.s.get("city"):
            self.s["city"] = city
            self.clear("booking_station", "booking_day", "booking_time", "booking_alternatives")
            self.took = True

    def read_station(self, payload: bool) -> None:
        wanted = self.entities.get("booking_station")
        stations = self.svc.stations(city=self.s.get("city")) if (wanted or self.s.get("city")) else []
        chosen: Optional[StationInfo] = None
        if wanted:
            wanted = str(wanted)
            if wanted.startswith("#") and wanted[1:].isdigit():  # a button's index (a long id)
                listed = self.city_stations()
                index = int(wanted[1:]) - 1
                chosen = listed[index] if 0 <= index < len(listed) else None
            else:
                chosen = next((s for s in stations if s.id == wanted), None)
            if chosen is None:
                self.tell(T.NOT_UNDERSTOOD_STATION)
                return
        elif not payload and self.s.get("city"):
            text = unicodedata.normalize("NFKC", self.text)
            named = [s for s in stations if s.name in text or short_station(s).split()[-1] in text]
            if not named:
                county = self.entities.get("county")
                keys = [county_key(str(county))] if county else []
                keys += [county_key(s.county) for s in stations if county_key(s.county) in text]
                named = [s for s in stations if county_key(s.county) in keys]
            if len(named) == 1 or (named and self.requested == "booking_station"):
                chosen = named[0]
        if chosen is not None and chosen.id != self.s.get("booking_station"):
            if self.s.get("booking_station"):  # another station: its own days and times
                self.clear("booking_day", "booking_time", "booking_alternatives")
            self.s["city"] = chosen.city
            self.s["booking_station"] = chosen.id
            self.took = True
        elif chosen is not None:
            self.took = True

    def read_when(self, payload: bool) -> None:
        day = time = part = None
        if self.entities.get("booking_day"):
            try:
                day = dt.date.fromisoformat(str(self.entities["booking_day"]))
            except ValueError:
                pass
        if self.entities.get("booking_time"):
            try:
                time = dt.time.fromisoformat(str(self.entities["booking_time"]))
            except ValueError:
                pass
        if not payload and self.text:
            from bot.parsing.when import parse_when

            when = parse_when(self.text, self.svc.now().date())
            day, time, part = day or when.day, time or when.time, when.part
            if self.requested == "booking_phone" or phone_in(self.message):
                day = time = part = None  # digits of a phone number are no time
        if day is not None:
            if day.isoformat() != self.s.get("booking_day"):
                self.s["booking_day"] = day.isoformat()
                if time is None:
                    self.clear("booking_time")
                self.s["booking_part"] = part
            self.took = True
        elif part and self.s.get("booking_day") and time is None:
            self.s["booking_part"] = part
            self.clear("booking_time")
            self.took = True
        if time is not None and self.s.get("booking_day"):
            self.s["booking_time"] = time.strftime("%H:%M")
            self.took = True

    def settle(self) -> None:
        """Check the chosen station, day and time against the store; drop what does not hold."""
        station = self.station()
        if station is not None and self.s.get("city") and station.city != self.s["city"]:
            self.clear("booking_station", "booking_day", "booking_time")
            station = None
        if station is not None and self.s.get("booking_day") is None and self.s.get("booking_station") != \
                self.before.get("booking_station"):
            if not self.svc.days_with_free_seats(station.id):
                self.tell(T.STATION_FULL.format(station=station.name, horizon=HORIZON_DAYS))
                self.clear("booking_station")
                return
        if station is None or not self.s.get("booking_day"):
            return
        day = dt.date.fromisoformat(self.s["booking_day"])
        new_station = self.s["booking_station"] != self.before.get("booking_station")
        new_day = new_station or self.s["booking_day"] != self.before.get("booking_day")
        if new_day:
            free = {info.day for info in self.svc.days_with_free_seats(station.id)}
            if day not in free:
                self.tell(self.day_refusal(station, day))
                self.clear("booking_day", "booking_time", "booking_part")
                return
        if self.s.get("booking_time") and (new_day or self.s["booking_time"] != self.before.get("booking_time")):
            wanted = dt.datetime.combine(day, dt.time.fromisoformat(self.s["booking_time"]))
            slot = next((slot for slot in self.svc.slots(station.id, day) if slot.start == wanted), None)
            if slot is None:
                self.tell(T.TIME_NONE.format(day=zh_day(day), time=self.s["booking_time"]))
                self.clear("booking_time")
            elif not slot.bookable:
                self.tell(T.TIME_FULL.format(time=self.s["booking_time"]))
                self.clear("booking_time")

    def day_refusal(self, station: StationInfo, day: dt.date) -> str:
        now = self.svc.now()
        if day < now.date():
            return T.DAY_PAST.format(day=zh_day(day))
        if day > now.date() + dt.timedelta(days=HORIZON_DAYS):
            return T.DAY_TOO_FAR.format(day=zh_day(day), horizon=HORIZON_DAYS)
        reason = self.svc.closed_reason(station.id, day)
        if reason:
            return T.DAY_CLOSED.format(day=zh_day(day), station=station.name, reason=reason)
        return T.DAY_FULL.format(day=zh_day(day))

    def next_slot(self) -> Optional[str]:
        if self.outcome:
            self.s["booking_outcome"] = self.outcome
            return None
        s = self.s
        if not s.get("city"):
            return "city"
        if not s.get("booking_station"):
            if not self.city_stations():
                self.s["booking_outcome"] = "no_station"
                return None
            return "booking_station"
        if not s.get("booking_day"):
            return "booking_day"
        if not s.get("booking_time"):
            return "booking_time"
        if not s.get("booking_name"):
            return "booking_name"
        if not s.get("booking_phone"):
            return "booking_phone"
        if s.get("booking_phone") != self.before.get("booking_phone"):
            if self.svc.count_active_by_phone(s["booking_phone"]):
                self.s["booking_outcome"] = "already_booked"
                return None
        if s.get("booking_change"):
            return "booking_change"
        if not s.get("booking_confirmed"):
            return "booking_confirmed"
        return self.book()

    def book(self) -> Optional[str]:
        # A try is counted when the summary is confirmed (this turn); a free
        # time picked after the slot filled up goes on with the same try.
        confirmed_now = not self.before.get("booking_confirmed")
        if confirmed_now and not limiter().hit("bookings", self.sender).allowed:
            logger.info("booking refused: this conversation's rate limit is reached")
            self.s["booking_outcome"] = "rate_limited"
            return None
        start = parse_start(f"{self.s['booking_day']} {self.s['booking_time']}")
        try:
            booking = self.svc.book(self.s["booking_station"], start, self.s["booking_name"], self.s["booking_phone"])
        except BookingRefused as refusal:
            return self.refused(refusal)
        self.s["booking_code"] = booking.code
        self.s["booking_outcome"] = "booked"
        self.s["booking_alternatives"] = None
        logger.info("booked %s at %s %s (%s)", booking.code, booking.station_id, start, mask_phone(booking.phone))
        return None

    def refused(self, refusal: BookingRefused) -> Optional[str]:
        """A refusal at confirmation: say why and go back to the step that can fix it."""
        logger.info("booking refused: %s (%s)", refusal.code, mask_phone(self.s.get("booking_phone")))
        if refusal.code == "already_booked":
            self.s["booking_outcome"] = "already_booked"
            return None
        if refusal.code == "slot_full":
            alternatives = [slot.start.strftime("%Y-%m-%d %H:%M") for slot in refusal.alternatives]
            self.s["booking_alternatives"] = alternatives or None
            self.clear("booking_time")
            if not alternatives:
                self.say.append(Reply(refusal.reason))
                self.clear("booking_day")
                return "booking_day"
            return "booking_time"
        self.say.append(Reply(refusal.reason))
        if refusal.code in ("closed_day", "past_time", "too_far_ahead"):
            self.clear("booking_day", "booking_time", "booking_part")
            return "booking_day"
        if refusal.code == "outside_hours":
            self.clear("booking_time")
            return "booking_time"
        if refusal.code == "unknown_station":
            self.clear("booking_station", "booking_day", "booking_time")
            return "booking_station"
        if refusal.code == "bad_name":
            self.clear("booking_name", "booking_confirmed")
            return "booking_name"
        if refusal.code == "bad_phone":
            self.clear("booking_phone", "booking_confirmed")
            return "booking_phone"
        self.s["booking_outcome"] = "error"
        return None

    def hint(self, slot: Optional[str]) -> str:
        if slot == "city":
            return T.NOT_UNDERSTOOD_CITY.format(cities="、".join(city_name(c) for c in all_city_ids()))
        return {"booking_station": T.NOT_UNDERSTOOD_STATION, "booking_day": T.NOT_UNDERSTOOD_DAY,
                "booking_time": T.NOT_UNDERSTOOD_TIME, "booking_name": T.NOT_UNDERSTOOD_NAME,
                "booking_phone": T.NOT_UNDERSTOOD_PHONE, "booking_confirmed": T.NOT_UNDERSTOOD_CONFIRM,
                "booking_change": T.NOT_UNDERSTOOD_CHANGE}.get(slot or "", T.NOT_UNDERSTOOD_DAY)


def booking_slots(tracker: Tracker) -> dict[str, Any]:
    slots = {name: tracker.get_slot(name) for name in BOOKING_SLOTS}
    slots["city"] = city_id_of(tracker.get_slot("city"))
    slots["residence_county"] = tracker.get_slot("residence_county")
    return slots


def form_events(step: Step, tracker: Tracker) -> list[EventType]:
    events: list[EventType] = [SlotSet(name, value) for name, value in step.changes.items()
                               if name not in ("residence_county",)]
    if tracker.get_slot("awaiting_city") and "city" in step.changes:
        events += [SlotSet("awaiting_city", False), SlotSet("pending_topic", None)]
    return events + [SlotSet(REQUESTED_SLOT, step.next_slot)]


class ValidateBookingForm(GuardedFormValidationAction):
    """Reads each turn of the booking form and requests the next step; books on confirmation."""

    def name(self) -> str:
        return "validate_booking_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        kind = turn_kind(tracker, BOOKING_FORM)
        requested = tracker.get_slot(REQUESTED_SLOT) if kind == "answer" else None
        message = tracker.latest_message or {}
        svc = await in_thread(store)
        step = await in_thread(BookingTurn(svc, booking_slots(tracker), message, kind, requested,
                                           tracker.sender_id).run)
        if step.reject:
            return []
        _say(dispatcher, step.say)
        return form_events(step, tracker)


# --- the booking form: questions ------------------------------------------------------------

class ActionAskBookingCity(GuardedAction):
    def name(self) -> str:
        return "action_ask_booking_form_city"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=T.ASK_CITY, buttons=city_buttons())
        return []


class ActionAskBookingStation(GuardedAction):
    def name(self) -> str:
        return "action_ask_booking_station"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        city = city_id_of(tracker.get_slot("city"))
        county = tracker.get_slot("residence_county")
        stations = await in_thread(lambda: store().stations(city=city, county=county))
        first = [s for s in stations if county and county_key(s.county) == county_key(county)]
        lines = [T.ASK_STATION_COUNTY.format(county=county) if first else T.ASK_STATION]
        lines += [T.STATION_LINE.format(name=s.name, address=s.address) for s in first]
        if any(s.sample for s in stations):
            lines.append(T.SAMPLE_NOTE)
        buttons = [safe_button(short_station(s), "inform", {"booking_station": s.id}, {"booking_station": f"#{i}"})
                   for i, s in enumerate(stations, start=1)]
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons)
        return []


def day_buttons(svc: AppointmentService, station_id: str) -> list[dict[str, str]]:
    return [button(info.label, "inform", {"booking_day": info.day.isoformat()})
            for info in svc.days_with_free_seats(station_id)]


def change_button(title: str, change: str) -> dict[str, str]:
    return button(title, "inform", {"booking_change": change})


class ActionAskBookingDay(GuardedAction):
    def name(self) -> str:
        return "action_ask_booking_day"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        station_id = tracker.get_slot("booking_station")

        def ask() -> Reply:
            svc = store()
            station = svc.station(station_id)
            buttons = day_buttons(svc, station_id)
            if not buttons:
                return Reply(T.STATION_FULL.format(station=station.name, horizon=HORIZON_DAYS),
                             [change_button(T.CHANGE_TITLES[0][1], "station")])
            return Reply(T.ASK_DAY.format(station=station.name, horizon=HORIZON_DAYS) + T.FREE_TEXT, buttons)

        _say(dispatcher, [await in_thread(ask)])
        return []


class ActionAskBookingTime(GuardedAction):
    def name(self) -> str:
        return "action_ask_booking_time"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        station_id = tracker.get_slot("booking_station")
        day = dt.date.fromisoformat(tracker.get_slot("booking_day"))
        part = tracker.get_slot("booking_part")
        alternatives = tracker.get_slot("booking_alternatives") or []

        def ask() -> Reply:
            svc = store()
            if alternatives:
                buttons = []
                for text in alternatives:
                    start = parse_start(text)
                    title = f"{start:%H:%M}" if start.date() == day else zh_time(start)
                    buttons.append(button(title, "inform", {"booking_day": start.date().isoformat(),
                                                           "booking_time": f"{start:%H:%M}"}))
                return Reply(T.ASK_ALTERNATIVE, buttons + [change_button(T.OTHER_DAY, "day")])
            free = [slot for slot in svc.slots(station_id, day) if slot.bookable]
            if not free:
                return Reply(T.DAY_FULL.format(day=zh_day(day)), day_buttons(svc, station_id))
            text = T.ASK_TIME.format(day=zh_day(day))
            if part in T.PART_NAMES:
                in_part = [slot for slot in free if (slot.start.hour < 12) == (part == "am")]
                if in_part:
                    free, text = in_part, T.ASK_TIME_PART.format(day=zh_day(day), part=T.PART_NAMES[part])
                else:
                    text = T.PART_FULL.format(day=zh_day(day), part=T.PART_NAMES[part])
            buttons = [button(f"{slot.start:%H:%M}", "inform", {"booking_time": f"{slot.start:%H:%M}"})
                       for slot in free]
            return Reply(text, buttons + [change_button(T.OTHER_DAY, "day")])

        _say(dispatcher, [await in_thread(ask)])
        return []


class ActionAskBookingName(GuardedAction):
    def name(self) -> str:
        return "action_ask_booking_name"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=T.ASK_NAME)
        return []


class ActionAskBookingPhone(GuardedAction):
    def name(self) -> str:
        return "action_ask_booking_phone"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=T.ASK_PHONE)
        return []


class ActionAskBookingConfirmed(GuardedAction):
    """The summary read back before booking (the phone masked)."""

    def name(self) -> str:
        return "action_ask_booking_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        station = await in_thread(lambda: store().station(tracker.get_slot("booking_station")))
        start = parse_start(f"{tracker.get_slot('booking_day')} {tracker.get_slot('booking_time')}")
        text = T.SUMMARY.format(station=station.name, address=station.address, time=zh_time(start),
                                name=tracker.get_slot("booking_name"),
                                phone=mask_phone(tracker.get_slot("booking_phone")))
        dispatcher.utter_message(text=text, buttons=[button(T.CONFIRM, "affirm"), button(T.CHANGE, "deny")])
        return []


class ActionAskBookingChange(GuardedAction):
    def name(self) -> str:
        return "action_ask_booking_change"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=T.ASK_CHANGE,
                                 buttons=[change_button(title, change) for change, title in T.CHANGE_TITLES])
        return []


# --- the booking form: the outcome -------------------------------------------------------------

def clear_booking() -> list[EventType]:
    return [SlotSet(name, None) for name in BOOKING_SLOTS]


class ActionBookAppointment(GuardedAction):
    """After booking_form: the confirmation (code, station, time, checklist, ticket) or why not."""

    def name(self) -> str:
        return "action_book_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        outcome = tracker.get_slot("booking_outcome")
        code = tracker.get_slot("booking_code")
        phone = tracker.get_slot("booking_phone")
        if outcome == "booked" and code and phone:
            await self.confirm(dispatcher, tracker, code, phone)
        elif outcome == "already_booked":  # nothing about that booking: the code is asked for
            dispatcher.utter_message(text=T.ALREADY_BOOKED,
                                     buttons=[button(T.CHECK_EXISTING, "check_appointment"),
                                              button(T.CANCEL_EXISTING, "cancel_appointment"),
                                              button(T.ANYTHING_ELSE, "greet")])
        elif outcome == "rate_limited":
            dispatcher.utter_message(text=TOO_MANY_BOOKINGS_TEXT.format(hotline=hotline()))
        elif outcome == "no_station":
            city = city_id_of(tracker.get_slot("city"))
            lines = [T.NO_STATION_IN_CITY.format(city=city_name(city) if city else "")]
            if city:
                lines.append(render_topic(city, "where", today()))
            dispatcher.utter_message(text="\n".join(lines))
        elif outcome == "error":
            dispatcher.utter_message(text=busy_text())
        else:
            dispatcher.utter_message(text=T.STOPPED, buttons=[button(T.BOOK_AGAIN, "book_appointment"),
                                                              button(T.ANYTHING_ELSE, "greet")])
        return clear_booking()

    async def confirm(self, dispatcher: CollectingDispatcher, tracker: Tracker, code: str, phone: str) -> None:
        booking = await in_thread(lambda: store().find(code, phone))
        station = await in_thread(lambda: store().station(booking.station_id))
        checklist = checklist_for(tracker.get_slot("decision"), station.city)
        lines = [T.BOOKED.format(code=booking.code, spelled=spelled(booking.code), time=zh_time(booking.start),
                                 station=booking.station_name, address=booking.station_address,
                                 station_phone=booking.station_phone, phone=mask_phone(booking.phone))]
        if station.sample:
            lines.append(T.SAMPLE_NOTE)
        lines += [checklist, T.BOOKED_FOOTER]
        dispatcher.utter_message(text="\n".join(lines))
        element = await in_thread(ticket_element, booking, checklist)
        dispatcher.utter_message(json_message=element)


# --- check and cancel --------------------------------------------------------------------------

class LookupTurn:
    """check_form / cancel_form for one turn: code and phone, the lookup, the confirmation."""

    def __init__(self, svc: AppointmentService, slots: dict[str, Any], message: dict[str, Any],
                 kind: str, requested: Optional[str], purpose: str):
        self.svc, self.message, self.kind, self.requested, self.purpose = svc, message, kind, requested, purpose
        self.before = dict(slots)
        self.s = dict(slots)
        self.intent = intent_of(message)
        self.say: list[Reply] = []
        self.took = False
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
        if self.kind == "answer" and not self.took and next_slot == self.requested and next_slot:
            self.say.append(Reply(NOT_UNDERSTOOD_LOOKUP[next_slot]))
        elif next_slot == "lookup_code" and not self.code_asked:
            self.say.append(Reply(T.ASK_LOOKUP_CODE))  # the domain has no ask action for it: asked here
        changes = {name: self.s[name] for name in self.s if self.s[name] != self.before.get(name)}
        if self.kind == "answer" and not changes and next_slot:
            changes[next_slot] = None
        return Step(changes=changes, say=self.say, next_slot=next_slot)

    def read(self) -> None:
        yes = yes_or_no(self.message.get("text") or "", self.intent) if self.requested == "cancel_confirmed" else None
        if yes is not None:
            self.s["cancel_confirmed"] = yes
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
        if phone is None and self.requested == "lookup_phone" and re.search(r"\d{5,}", self.message.get("text") or ""):
            phone = self.message.get("text")
        if phone is not None:
            try:
                self.s["lookup_phone"] = normalise_phone(phone)
                self.s["lookup_outcome"] = None
            except BookingRefused as refusal:
                self.say.append(Reply(refusal.reason))
            self.took = True

    def next_slot(self) -> Optional[str]:
        s = self.s
        if s.get("lookup_outcome") in ("stopped", "not_found"):
            return None
        if not s.get("lookup_phone"):
            return "lookup_phone"
        if s.get("lookup_phone") != self.before.get("lookup_phone") or s.get("lookup_code") != self.before.get("lookup_code"):
            self.look_up()
            if s.get("lookup_outcome") == "not_found":
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
            except BookingRefused:  # unknown code and wrong phone read alike: nothing to learn
                s["lookup_outcome"] = "not_found"
                return
            s["lookup_outcome"] = "found"
            s["lookup_code"] = booking.code
            return
        count = self.svc.count_active_by_phone(s["lookup_phone"])
        if not count:
            s["lookup_outcome"] = "not_found"
            return
        s["lookup_outcome"] = None
        self.say.append(Reply(T.ACTIVE_COUNT.format(count=count)))  # and the form waits for the code
        self.code_asked = True


NOT_UNDERSTOOD_LOOKUP = {"lookup_phone": T.NOT_UNDERSTOOD_PHONE, "lookup_code": T.NOT_UNDERSTOOD_CODE,
                         "cancel_confirmed": T.NOT_UNDERSTOOD_CANCEL}


def lookup_slots(tracker: Tracker) -> dict[str, Any]:
    return {name: tracker.get_slot(name) for name in LOOKUP_SLOTS}


class _ValidateLookupForm(GuardedFormValidationAction):
    """Shared by validate_check_form and validate_cancel_form (abstract: no name of its own)."""
    form = ""
    purpose = ""

    @abstractmethod
    def name(self) -> str:
        """validate_<form>"""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        kind = turn_kind(tracker, self.form)
        requested = tracker.get_slot(REQUESTED_SLOT) if kind == "answer" else None
        svc = await in_thread(store)
        step = await in_thread(LookupTurn(svc, lookup_slots(tracker), tracker.latest_message or {}, kind,
                                          requested, self.purpose).run)
        if step.reject:
            return []
        _say(dispatcher, step.say)
        return [SlotSet(name, value) for name, value in step.changes.items()] + [SlotSet(REQUESTED_SLOT, step.next_slot)]


class ValidateCheckForm(_ValidateLookupForm):
    form, purpose = CHECK_FORM, "check"

    def name(self) -> str:
        return "validate_check_form"


class ValidateCancelForm(_ValidateLookupForm):
    form, purpose = CANCEL_FORM, "cancel"

    def name(self) -> str:
        return "validate_cancel_form"


class ActionAskLookupPhone(GuardedAction):
    def name(self) -> str:
        return "action_ask_lookup_phone"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        code = tracker.get_slot("lookup_code")
        dispatcher.utter_message(text=T.ASK_LOOKUP_PHONE_FOR_CODE.format(code=code) if code else T.ASK_LOOKUP_PHONE)
        return []


class ActionAskCancelConfirmed(GuardedAction):
    def name(self) -> str:
        return "action_ask_cancel_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        code, phone = tracker.get_slot("lookup_code"), tracker.get_slot("lookup_phone")
        booking = await in_thread(lambda: store().find(code, phone))
        dispatcher.utter_message(text=T.ASK_CANCEL.format(details=details_text(booking)),
                                 buttons=[button(T.CANCEL_YES, "affirm"), button(T.CANCEL_NO, "deny")])
        return []


def clear_lookup() -> list[EventType]:
    return [SlotSet(name, None) for name in LOOKUP_SLOTS]


def not_found_text(code: Optional[str]) -> str:
    return T.NOT_FOUND_BY_CODE.format(code=code) if code else T.NOT_FOUND_BY_PHONE


class ActionCheckAppointment(GuardedAction):
    """After check_form: the booking of that code and phone (phone masked), or that there is none."""

    def name(self) -> str:
        return "action_check_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        outcome = tracker.get_slot("lookup_outcome")
        code, phone = tracker.get_slot("lookup_code"), tracker.get_slot("lookup_phone")
        if outcome == "found" and code and phone:
            booking = await in_thread(lambda: store().find(code, phone))
            status = T.STATUS_NAMES.get(booking.status, booking.status)
            buttons = [button(T.CANCEL_THAT, "cancel_appointment", {"booking_code": booking.code})] \
                if booking.status == "booked" else []
            dispatcher.utter_message(text=T.FOUND_ONE.format(status=status, details=details_text(booking)),
                                     buttons=buttons or None)
        elif outcome == "not_found":
            dispatcher.utter_message(text=not_found_text(code),
                                     buttons=[button(T.LOOK_AGAIN, "check_appointment"),
                                              button(T.BOOK_AGAIN, "book_appointment")])
        else:
            dispatcher.utter_message(text=T.LOOKUP_STOPPED)
        return clear_lookup()


class ActionCancelAppointment(GuardedAction):
    """After cancel_form: cancels on confirmation (code + phone), or keeps the booking."""

    def name(self) -> str:
        return "action_cancel_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        outcome = tracker.get_slot("lookup_outcome")
        code, phone = tracker.get_slot("lookup_code"), tracker.get_slot("lookup_phone")
        confirmed = tracker.get_slot("cancel_confirmed")
        if outcome == "found" and code and phone and confirmed:
            try:
                booking = await in_thread(lambda: store().cancel(code, phone))
            except BookingRefused as refusal:
                dispatcher.utter_message(text=refusal.reason, buttons=[button(T.LOOK_AGAIN, "check_appointment")])
            else:
                logger.info("cancelled %s (%s)", booking.code, mask_phone(phone))
                dispatcher.utter_message(
                    text=T.CANCELLED.format(code=booking.code, time=zh_time(booking.start),
                                            station=booking.station_name),
                    buttons=[button(T.BOOK_AGAIN, "book_appointment"), button(T.ANYTHING_ELSE, "greet")])
        elif outcome == "found" and confirmed is False:
            dispatcher.utter_message(text=T.KEPT)
        elif outcome == "not_found":
            dispatcher.utter_message(text=not_found_text(code),
                                     buttons=[button(T.CANCEL_AGAIN, "cancel_appointment"),
                                              button(T.BOOK_AGAIN, "book_appointment")])
        else:
            dispatcher.utter_message(text=T.LOOKUP_STOPPED)
        return clear_lookup()
