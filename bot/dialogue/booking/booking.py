"""The booking form, one turn at a time (see the package's docstring)."""
from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from typing import Any, Callable, Mapping, Optional

from bot.platform.masking import mask_phone
from bot.parsing import contact

from .. import repair
from ..repair import wants_repeat

from . import texts as T
from bot.platform.dates import day_text

from .replies import Reply, explanation, not_understood, short_station
from bot.appointments.results import StationInfo, county_key, parse_start
from bot.appointments.service import HORIZON_DAYS, AppointmentService
from bot.appointments.validation import BookingRefused, clean_name, normalise_phone
from bot.rules.policy import city_id_of

from .turns import (ANSWER_INTENTS, BOOKING_SLOTS, CHANGES, COMING_ALONG, Message, Step, city_in_text, day_refusal,
                    phone_in, typed_change, wants_to_stop, yes_or_no)

logger = logging.getLogger(__name__)


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
        elif not self.message.button and self.text and (
                self.requested == "booking_party" or COMING_ALONG.search(self.text)):
            from bot.parsing.family import read_party

            members = read_party(self.text)
            if members is None and self.requested == "booking_party":
                match = re.fullmatch(r"(?:一共|总共|共)?([1-5一二两三四五])(?:个人|个|人|位)?", repair.plain(self.text))
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
        payload = self.message.button
        if self.kind == "answer" and not payload:
            if wants_to_stop(self.text):
                self.outcome = "stopped"
                return
            if wants_repeat(self.text):
                self.repeat = self.took = True
                return
        change = self.entities.get("booking_change")
        if change is None and not payload and self.requested in ("booking_confirmed", "booking_change"):
            # "改时间", "日期不对": whatever the NLU made of it (a reschedule, a no), the item to change.
            change = typed_change(self.text, menu=self.requested == "booking_change")
        stop = change == "stop" or (change is None and (
            self.intent == "cancel_appointment"
            or (self.intent == "deny" and self.requested not in ("booking_confirmed",))))
        if stop and self.intent == "deny" and (
                (self.requested == "booking_name" and self.name() is not None)
                or (self.requested == "booking_phone" and phone_in(self.message))):
            stop = False  # a name or a number the NLU took for a "no"
        if self.kind == "answer" and stop:
            self.outcome = "stopped"
            return
        if self.requested == "booking_confirmed" and not payload and change is None and COMING_ALONG.search(self.text):
            # "家人同行", "我和我妈一起去" typed at the summary: who comes along, never a yes (the NLU may
            # hear one); how many is asked when the words do not say.
            self.read_party()
            if not self.took:
                self.s["booking_change"] = "party"
                self.took = True
            return
        yes = yes_or_no(self.text, self.intent, payload) if self.requested == "booking_confirmed" else None
        if change in CHANGES:
            yes = None  # "时间不对" is not a plain no: the time is asked again
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
        if self.message.button:
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
        if phone is None and not self.message.button and contact.has_digit_run(self.text):
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
            city = city_in_text(self.text)
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
                self.tell(day_refusal(self.svc, station.id, station.name, day))
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
