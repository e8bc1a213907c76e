"""The steps of booking, looking up and cancelling a visit, one turn at a time.

No Rasa here: a channel adapter (``actions/booking.py``) hands over the
form's values (``slots``), the latest message (:class:`Message`: text,
intent, entities) and why the form runs (``kind``); a turn returns a
:class:`Step`: the values that changed, the words to say (``replies``) and
the next value to ask for. The store is called synchronously: run a turn off
an event loop.

``BookingTurn`` (the booking form)
    [``city`` when unknown] → ``booking_station`` (the applicant's county
    first) → ``booking_day`` (days with free seats) → ``booking_time`` →
    ``booking_name`` → ``booking_phone`` → ``booking_confirmed`` (summary,
    yes/no; no asks ``booking_change``: which item, or stop). On
    confirmation it books; a slot taken meanwhile (``slot_full``) puts the
    nearest free times in ``booking_alternatives`` and asks
    ``booking_time`` again, and picking one books at once. The form ends
    with ``booking_outcome``: booked, already_booked, rate_limited,
    stopped, no_station, error (see ``replies.booking_end``).
``LookupTurn`` (check_form / cancel_form)
    ``lookup_phone`` (with ``lookup_code`` when the applicant has it)
    [→ ``lookup_code``] [→ ``cancel_confirmed``], ending with
    ``lookup_outcome``: found, not_found, locked (too many failed tries of the code), stopped.

Every step also understands (whatever the NLU made of the message):

- "算了", "不约了", "不预约了": the booking stops (``stopped``: the
  applicant is told nothing was booked and offered to start again);
- "再说一遍": the step's question is asked again;
- a second answer in a row that the step does not take: what the step
  expects, with buttons (``replies.explanation``), instead of the same
  question a third time. The adapter counts the earlier ones from its
  history (:func:`failed_in_a_row`, over :class:`PastTurn` records): an
  answer not taken leaves exactly ``{step: None}`` among the values it set.

Owners only: a booking is shown or cancelled only with its code and its
phone. A phone alone learns how many active bookings it has, and is asked
for the code; a phone that already has a booking, in the booking form, is
told only that. An unknown code and another phone's code read alike.

Rate limit: ``may_book(slots)`` is asked once per try, when the applicant
confirms the summary (not per message); picking one of the nearest free
times after the slot filled up belongs to the same try. Phone numbers are
logged masked (``bot.platform.masking``).
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Sequence

from bot.platform.masking import mask_phone
from bot.parsing import contact

from . import texts as T
from bot.platform.dates import day_text

from .replies import Reply, details_text, explanation, not_understood, short_station
from .results import StationInfo, county_key, parse_start
from .service import HORIZON_DAYS, AppointmentService
from .validation import BookingRefused, clean_name, normalise_phone
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


@dataclass(frozen=True)
class Message:
    """The latest user message: its text, the NLU's intent and entities.

    ``payload``: the text is a button's payload (``/inform{...}``), whose
    values are in ``entities``; its text is not read.
    """
    text: str = ""
    intent: Optional[str] = None
    entities: Mapping[str, Any] = field(default_factory=dict)
    payload: bool = False

    @classmethod
    def typed(cls, text: str, intent: Optional[str] = "inform", **entities: Any) -> "Message":
        """A typed message (tests, the command line)."""
        return cls(text=text, intent=intent, entities=entities, payload=False)

    @classmethod
    def button(cls, intent: str, **entities: Any) -> "Message":
        """A button's payload, as a channel sends it back."""
        import json

        text = f"/{intent}" + (json.dumps(entities, ensure_ascii=False, separators=(",", ":")) if entities else "")
        return cls(text=text, intent=intent, entities=entities, payload=True)


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

_FILLER = re.compile(r"[\s,，.。!！~～、…]+")
# 算了, 不约了, 不预约了, 算了不约了, 那还是不约了吧, 我不想预约了, 先不约了
_STOP = re.compile(r"(?:(?:那|那就|我|就|还是|要不|先|那我)*(?:算了(?:吧)?|不(?:想|要|用)?(?:预)?约了(?:吧|啊)?))+")
# 再说一遍, 请再说一次, 能再讲一遍吗, 重复一下, 没听清, 刚才说什么
_REPEAT = re.compile(r"再(?:说|讲|问|发|念)(?:一)?(?:遍|次|下)|重复(?:一下|一遍|一次)?|没(?:听|看)清|刚才(?:说|问)(?:的是)?(?:什么|啥)"
                     r"|你说(?:什么|啥)")


# Words that say someone comes along ("孩子要带什么" is a question about a child, not a party).
_COMING_ALONG = re.compile(r"一起|同行|一块|带上?(?:我|孩子|老人|家人)|我和|和我|跟我|我跟|全家|一家|陪|就我|自己去|一个人去")


def _plain(text: Optional[str]) -> str:
    return _FILLER.sub("", unicodedata.normalize("NFKC", text or ""))


def wants_to_stop(text: Optional[str]) -> bool:
    """"算了", "不约了", "不预约了" (and the words around them): the booking is not wanted any more."""
    return bool(_STOP.fullmatch(_plain(text)))


def wants_repeat(text: Optional[str]) -> bool:
    """"再说一遍", "重复一下", "没听清": the question is wanted again."""
    plain = _plain(text)
    return 0 < len(plain) <= 12 and not re.search(r"\d", plain) and bool(_REPEAT.search(plain))


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
    return None if message.payload else contact.find_phone(message.text)


def code_in(message: Message) -> Optional[str]:
    """A booking code in the message (entity, or in the text: bot.parsing.contact), canonical."""
    value = message.entities.get("booking_code")
    if value:
        code = contact.normalise_code(value)
        if code and any(ch.isalpha() for ch in code):  # a bare number is more likely something else
            return code
    return None if message.payload else contact.read_code(message.text)




def _city_in_text(text: str) -> Optional[str]:
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


# --- the booking form --------------------------------------------------------------------------

class BookingTurn:
    """The booking form's logic for one turn, synchronous (it calls the store).

    ``slots``: the form's values (:data:`BOOKING_SLOTS`) with ``city`` (an
    id) and ``residence_county``. ``requested``: the step asked, for an
    answer. ``failures``: the answers in a row to that step it did not take
    before this one (:func:`failed_in_a_row`). ``may_book``: asked with the
    form's values (station, day, phone) when the summary is confirmed, False
    when a rate limit is reached.
    """

    def __init__(self, svc: AppointmentService, slots: Mapping[str, Any], message: Message, kind: str,
                 requested: Optional[str] = None, *, failures: int = 0,
                 may_book: Callable[[Mapping[str, Any]], bool] = lambda slots: True):
        self.svc = svc
        self.before = dict(slots)
        self.s = dict(slots)
        self.message = message
        self.kind = kind
        self.requested = requested
        self.failures = failures
        self.may_book = may_book
        self.text = (message.text or "").strip()
        self.intent = message.intent
        self.entities = message.entities
        self.replies: list[Reply] = []
        self.outcome: Optional[str] = None
        self.took = False  # this turn gave the form something (a value, a choice, or an error to tell)
        self.repeat = False  # "再说一遍"
        self.touched: set[str] = set()  # values read again, unchanged

    # -- helpers --
    def clear(self, *names: str) -> None:
        for name in names:
            self.s[name] = None

    def tell(self, text: str) -> None:
        self.replies.append(Reply(text))
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

    def seats(self) -> int:
        return 1 + len(self.s.get("booking_party") or ())

    def read_party(self) -> None:
        """"我和两个孩子一起去", "带我妈一起", or a button's number of people."""
        members = None
        given = self.entities.get("booking_party")
        if given is not None and str(given).strip().isdigit():
            members = [{"relation": "other"} for _ in range(max(0, min(int(str(given).strip()), 5) - 1))]
        elif not self.message.payload and self.text and (
                self.requested == "booking_party" or _COMING_ALONG.search(self.text)):
            from bot.parsing.family import read_party

            members = read_party(self.text)
            if members is None and self.requested == "booking_party":
                match = re.fullmatch(r"(?:一共|总共|共)?([1-5一二两三四五])(?:个人|个|人|位)?", _plain(self.text))
                if match:
                    from bot.parsing._text import to_int

                    count = int(match.group(1)) if match.group(1).isdigit() else to_int(match.group(1))
                    members = [{"relation": "other"} for _ in range((count or 1) - 1)]
        if members is None:
            return
        if members != (self.s.get("booking_party") or []):
            self.s["booking_party"] = members or None
        else:
            self.touched.add("booking_party")
        if self.s.get("booking_change") == "party":
            self.s["booking_change"] = None
        self.took = True

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
        changes = {name: self.s[name] for name in self.s if self.s[name] != self.before.get(name)}
        again = self.kind == "answer" and next_slot == self.requested and next_slot is not None
        not_taken = False
        if again and not changes:
            # A value event keeps the form from rejecting: the values read again, or
            # the step left empty (an answer not taken, or "再说一遍"); it asks again.
            if self.touched:
                changes = {name: self.s[name] for name in sorted(self.touched)}
            else:
                changes[next_slot] = None
                not_taken = not self.repeat
        if not_taken and self.failures >= 1:
            # The second time in a row: what the step expects, with buttons, instead of the question.
            self.replies.append(explanation(self.svc, next_slot, self.s))
        elif again and not self.took and self.outcome is None:
            self.replies.append(Reply(not_understood(next_slot)))  # and the question comes again
        return Step(changes=changes, replies=self.replies, next_slot=next_slot)

    def read(self) -> None:
        """Everything this message says about the booking."""
        payload = self.message.payload
        if self.kind == "answer" and not payload:
            if wants_to_stop(self.text):
                self.outcome = "stopped"
                return
            if wants_repeat(self.text):
                self.repeat = self.took = True
                return
        change = self.entities.get("booking_change")
        stop = (change == "stop" or self.intent == "cancel_appointment"
                or (self.intent == "deny" and self.requested not in ("booking_confirmed",)))
        if stop and self.intent == "deny" and (
                (self.requested == "booking_name" and self.name() is not None)
                or (self.requested == "booking_phone" and phone_in(self.message))):
            stop = False  # a name or a number the NLU took for a "no"
        if self.kind == "answer" and stop:
            self.outcome = "stopped"
            return
        yes = yes_or_no(self.text, self.intent, payload) if self.requested == "booking_confirmed" else None
        if yes is not None and not self.names_a_time(payload):
            if yes:
                self.s["booking_confirmed"] = True
            else:
                self.s["booking_change"] = "menu"
            self.took = True
            return
        if change == "party":  # "家人同行": how many come is asked
            self.s["booking_change"] = "party"
            self.took = True
            return
        if change in CHANGES:
            self.clear(*CHANGES[change], "booking_change", "booking_alternatives")
            self.took = True
            return
        self.read_party()
        if self.requested == "booking_party":
            return
        if self.requested == "booking_name":  # the whole answer is the name: no dates read in 李明天
            self.read_name()
            return
        if self.requested == "booking_phone":
            self.read_phone()
            return
        self.read_city(payload)
        self.read_station(payload)
        self.read_when(payload)

    def name(self, loose: bool = False) -> Optional[str]:
        if self.message.payload:
            return None
        return contact.read_name(self.text, asked=True, loose=loose)

    def read_name(self) -> None:
        name = self.name(loose=self.intent in ("inform", "nlu_fallback"))
        if name is None:
            return
        try:
            self.s["booking_name"] = clean_name(name)
            self.took = True
        except BookingRefused as refusal:
            self.tell(refusal.reason)
            return
        phone = contact.read_phone(self.text)  # "张三，13812345678": the phone with it
        if phone and not self.s.get("booking_phone"):
            self.s["booking_phone"] = phone

    def read_phone(self) -> None:
        phone = phone_in(self.message)
        if phone is None and not self.message.payload and contact.has_digit_run(self.text):
            phone = self.text  # digits meant as a number: refused with the reason
        if phone is None:
            return
        try:
            self.s["booking_phone"] = normalise_phone(phone)
            self.took = True
        except BookingRefused as refusal:
            self.tell(refusal.reason)

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
            city = _city_in_text(self.text)
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
            self.touched.add("booking_station")

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
            else:
                self.touched.add("booking_day")
            self.took = True
        elif part and self.s.get("booking_day") and time is None:
            self.s["booking_part"] = part
            self.clear("booking_time")
            self.took = True
        if time is not None and self.s.get("booking_day"):
            if self.s.get("booking_time") == time.strftime("%H:%M"):
                self.touched.add("booking_time")
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
            if not self.svc.days_with_free_seats(station.id, self.seats()):
                self.tell(T.STATION_FULL.format(station=station.name, horizon=HORIZON_DAYS))
                self.clear("booking_station")
                return
        if station is None or not self.s.get("booking_day"):
            return
        day = dt.date.fromisoformat(self.s["booking_day"])
        new_station = self.s["booking_station"] != self.before.get("booking_station")
        new_party = (self.s.get("booking_party") or []) != (self.before.get("booking_party") or [])
        new_day = new_station or new_party or self.s["booking_day"] != self.before.get("booking_day")
        if new_day:
            free = {info.day for info in self.svc.days_with_free_seats(station.id, self.seats())}
            if day not in free:
                self.tell(self.day_refusal(station, day))
                self.clear("booking_day", "booking_time", "booking_part")
                return
        if self.s.get("booking_time") and (new_day or self.s["booking_time"] != self.before.get("booking_time")):
            wanted = dt.datetime.combine(day, dt.time.fromisoformat(self.s["booking_time"]))
            slot = next((slot for slot in self.svc.slots(station.id, day) if slot.start == wanted), None)
            if slot is None:
                self.tell(T.TIME_NONE.format(day=day_text(day), time=self.s["booking_time"]))
                self.clear("booking_time")
            elif not slot.bookable or slot.remaining < self.seats():
                self.tell(T.TIME_FULL.format(time=self.s["booking_time"]) if self.seats() == 1 else
                          T.TIME_TOO_FEW.format(time=self.s["booking_time"], seats=self.seats()))
                self.clear("booking_time")

    def day_refusal(self, station: StationInfo, day: dt.date) -> str:
        now = self.svc.now()
        if day < now.date():
            return T.DAY_PAST.format(day=day_text(day))
        if day > now.date() + dt.timedelta(days=HORIZON_DAYS):
            return T.DAY_TOO_FAR.format(day=day_text(day), horizon=HORIZON_DAYS)
        reason = self.svc.closed_reason(station.id, day)
        if reason:
            return T.DAY_CLOSED.format(day=day_text(day), station=station.name, reason=reason)
        return T.DAY_FULL.format(day=day_text(day))

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
        if s.get("booking_change") == "party":
            return "booking_party"
        if s.get("booking_change"):
            return "booking_change"
        if not s.get("booking_confirmed"):
            return "booking_confirmed"
        return self.book()

    def book(self) -> Optional[str]:
        # A try is counted when the summary is confirmed (this turn); a free
        # time picked after the slot filled up goes on with the same try.
        confirmed_now = not self.before.get("booking_confirmed")
        if confirmed_now and not self.may_book(self.s):
            logger.info("booking refused: this conversation's rate limit is reached")
            self.s["booking_outcome"] = "rate_limited"
            return None
        start = parse_start(f"{self.s['booking_day']} {self.s['booking_time']}")
        try:
            members = [(m.get("relation", "other"), None) for m in self.s.get("booking_party") or ()]
            booking = self.svc.book(self.s["booking_station"], start, self.s["booking_name"], self.s["booking_phone"],
                                    party=self.seats(), members=members)
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
                self.replies.append(Reply(refusal.reason))
                self.clear("booking_day")
                return "booking_day"
            return "booking_time"
        self.replies.append(Reply(refusal.reason))
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
        if self.kind == "answer" and not self.message.payload and wants_repeat(text):
            self.repeat = self.took = True
            return
        yes = yes_or_no(text, self.intent, self.message.payload) if self.requested == "cancel_confirmed" else None
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
        if (phone is None and self.requested == "lookup_phone" and not self.message.payload
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
            if self.kind == "answer" and not self.message.payload and wants_to_stop(self.message.text):
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
        yes = yes_or_no(self.message.text or "", self.intent, self.message.payload)
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
        if not self.message.payload and text.strip():
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
                self.replies.append(Reply(self.day_refusal(booking, day)))
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

    def day_refusal(self, booking: Any, day: dt.date) -> str:
        now = self.svc.now()
        if day < now.date():
            return T.DAY_PAST.format(day=day_text(day))
        if day > now.date() + dt.timedelta(days=HORIZON_DAYS):
            return T.DAY_TOO_FAR.format(day=day_text(day), horizon=HORIZON_DAYS)
        reason = self.svc.closed_reason(booking.station_id, day)
        if reason:
            return T.DAY_CLOSED.format(day=day_text(day), station=booking.station_name, reason=reason)
        return T.DAY_FULL.format(day=day_text(day))


__all__ = ["RESCHEDULE_SLOTS", "RescheduleTurn", "ANSWER_INTENTS", "BOOKING_SLOTS", "BookingTurn", "CHANGES", "KINDS", "LOOKUP_ANSWER_INTENTS",
           "LOOKUP_SLOTS", "LookupTurn", "Message", "PastTurn", "Step", "code_in", "failed_in_a_row",
           "phone_in", "wants_repeat", "wants_to_stop", "yes_or_no"]
