"""What the booking conversation says: questions, explanations, confirmations, tickets.

Plain data (:class:`Reply`, :class:`Button`) that any channel adapter turns
into messages (``bot.dialogue.visits`` for a conversation); the words are in
``texts``. Functions that need the store take it as their first argument and
are synchronous: call them off an event loop.

    question(svc, "booking_day", slots)      # the question of a step, with its buttons
    explanation(svc, "booking_day", slots)   # what a step expects, after a second answer it did not take
    booking_end(svc, slots, checklist=..., where=..., hotline=...)   # after the booking form
    check_end(svc, slots) / cancel_end(svc, slots)                   # after a look-up / a cancellation

A button is an intent with entities, as a button payload carries them
(``/inform{"booking_day":"2026-11-23"}``); ``fallback`` gives shorter
entities for a channel whose payloads are short (Telegram: 64 bytes).
"""
from __future__ import annotations

import base64
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional

from bot.platform.dates import day_text, moment_text
from bot.platform.masking import mask_phone
from bot.platform.ratelimit import TOO_MANY_BOOKINGS_TEXT

from . import texts as T
from bot.appointments.guesses import CODE_LOCKED_TEXT
from bot.appointments.results import BookingInfo, StationInfo, county_key, parse_start
from bot.appointments.service import HORIZON_DAYS, AppointmentService
from bot.appointments.validation import BookingRefused

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Button:
    title: str
    intent: str
    entities: Mapping[str, Any] = field(default_factory=dict)
    fallback: Optional[Mapping[str, Any]] = None  # shorter entities, for short payloads


@dataclass
class Reply:
    """One message: text and buttons, or a structured element (``custom``: the ticket)."""
    text: Optional[str] = None
    buttons: list[Button] = field(default_factory=list)
    custom: Optional[dict[str, Any]] = None


# --- small helpers --------------------------------------------------------------

def spelled(code: str) -> str:
    """K7M3QX → 'K 7 M 3 Q X' (read aloud one by one)."""
    return " ".join(code)


def short_station(station: StationInfo) -> str:
    """'东昌府区 古楼派出所' for a button: the county and the name after the bureau's."""
    name = station.name
    tail = name.rsplit("局", 1)[-1] if "局" in name[:-1] else name
    if not tail or county_key(station.county) in tail:
        return tail or name
    return f"{station.county} {tail}"


def city_ids() -> list[str]:
    from bot.rules import city_ids as ids

    return ids()


def city_name(city_id: str) -> str:
    from bot.rules import load_city

    return load_city(city_id).name


def change_button(title: str, change: str) -> Button:
    return Button(title, "inform", {"booking_change": change})


STOP_BUTTON = change_button(T.STOP, "stop")


def city_buttons() -> list[Button]:
    return [Button(city_name(city), "inform", {"city": city}) for city in city_ids()]


def day_buttons(svc: AppointmentService, station_id: str, seats: int = 1) -> list[Button]:
    return [Button(info.label, "inform", {"booking_day": info.day.isoformat()})
            for info in svc.days_with_free_seats(station_id, seats)]


def seats_of(slots: Mapping[str, Any]) -> int:
    """Seats the booking takes: the booker and the family members (``booking_party``)."""
    return 1 + len(slots.get("booking_party") or ())


def party_line(slots: Mapping[str, Any]) -> str:
    members = slots.get("booking_party") or ()
    if not members:
        return T.PARTY_ALONE
    names = []
    for relation in ("spouse", "child", "parent", "other"):
        count = sum(1 for m in members if m.get("relation") == relation)
        if count:
            names.append(T.RELATION_NAMES[relation] + (f"{count}人" if count > 1 else ""))
    return T.PARTY_LINE.format(seats=len(members) + 1, members="、".join(names))


def details_text(booking: BookingInfo) -> str:
    return T.DETAILS.format(code=booking.code, spelled=spelled(booking.code), time=moment_text(booking.start),
                            station=booking.station_name, address=booking.station_address,
                            station_phone=booking.station_phone)


def locked_text() -> str:
    """A code locked after too many failed tries of it (the store's words)."""
    return CODE_LOCKED_TEXT


def not_found_text(code: Optional[str]) -> str:
    return T.NOT_FOUND_BY_CODE.format(code=code) if code else T.NOT_FOUND_BY_PHONE


# --- questions -------------------------------------------------------------------

def question(svc: AppointmentService, slot: str, slots: Mapping[str, Any]) -> Reply:
    """The question of a step of the three forms, with its buttons.

    ``slots``: the forms' values (``city``, ``residence_county``,
    ``booking_*``, ``lookup_*``). ``svc`` is read for stations, days, times,
    the summary and the booking to cancel.
    """
    asks = _QUESTIONS.get(slot)
    if asks is None:
        raise ValueError(f"no question for {slot!r}")
    return asks(svc, slots)


def _ask_city(svc: AppointmentService, slots: Mapping[str, Any]) -> Reply:
    return Reply(T.ASK_CITY, city_buttons())


def _ask_station(svc: AppointmentService, slots: Mapping[str, Any]) -> Reply:
    county = slots.get("residence_county")
    stations = svc.stations(city=slots.get("city"), county=county)
    first = [s for s in stations if county and county_key(s.county) == county_key(county)]
    lines = [T.ASK_STATION_COUNTY.format(county=county) if first else T.ASK_STATION]
    lines += [T.STATION_LINE.format(name=s.name, address=s.address) for s in first]
    if any(s.sample for s in stations):
        lines.append(T.SAMPLE_NOTE)
    return Reply("\n".join(lines), _station_buttons(stations))


def _station_buttons(stations: list[StationInfo]) -> list[Button]:
    # A long id is sent as its place in the list ("#3"), read back by the booking turn.
    return [Button(short_station(s), "inform", {"booking_station": s.id}, {"booking_station": f"#{i}"})
            for i, s in enumerate(stations, start=1)]


def _ask_day(svc: AppointmentService, slots: Mapping[str, Any]) -> Reply:
    station_id = slots["booking_station"]
    station = svc.station(station_id)
    buttons = day_buttons(svc, station_id, seats_of(slots))
    if not buttons:
        return Reply(T.STATION_FULL.format(station=station.name, horizon=HORIZON_DAYS),
                     [change_button(T.CHANGE_TITLES[0][1], "station")])
    return Reply(T.ASK_DAY.format(station=station.name, horizon=HORIZON_DAYS) + T.FREE_TEXT, buttons)


def _ask_time(svc: AppointmentService, slots: Mapping[str, Any]) -> Reply:
    station_id = slots["booking_station"]
    day = dt.date.fromisoformat(slots["booking_day"])
    part = slots.get("booking_part")
    alternatives = slots.get("booking_alternatives") or []
    if alternatives:
        buttons = []
        for text in alternatives:
            start = parse_start(text)
            title = f"{start:%H:%M}" if start.date() == day else moment_text(start)
            buttons.append(Button(title, "inform", {"booking_day": start.date().isoformat(),
                                                    "booking_time": f"{start:%H:%M}"}))
        return Reply(T.ASK_ALTERNATIVE, buttons + [change_button(T.OTHER_DAY, "day")])
    free = [slot for slot in svc.slots(station_id, day) if slot.bookable and slot.remaining >= seats_of(slots)]
    if not free:
        return Reply(T.DAY_FULL.format(day=day_text(day)), day_buttons(svc, station_id, seats_of(slots)))
    text = T.ASK_TIME.format(day=day_text(day))
    if part in T.PART_NAMES:
        in_part = [slot for slot in free if (slot.start.hour < 12) == (part == "am")]
        if in_part:
            free, text = in_part, T.ASK_TIME_PART.format(day=day_text(day), part=T.PART_NAMES[part])
        else:
            text = T.PART_FULL.format(day=day_text(day), part=T.PART_NAMES[part])
    buttons = [Button(f"{slot.start:%H:%M}", "inform", {"booking_time": f"{slot.start:%H:%M}"}) for slot in free]
    return Reply(text, buttons + [change_button(T.OTHER_DAY, "day")])


def _ask_confirmed(svc: AppointmentService, slots: Mapping[str, Any]) -> Reply:
    """The summary read back before booking (the phone masked)."""
    station = svc.station(slots["booking_station"])
    start = parse_start(f"{slots['booking_day']} {slots['booking_time']}")
    text = T.SUMMARY.format(station=station.name, address=station.address, time=moment_text(start),
                            name=slots.get("booking_name"), phone=mask_phone(slots.get("booking_phone")),
                            party=party_line(slots))
    return Reply(text, [Button(T.CONFIRM, "affirm"), Button(T.CHANGE, "deny"),
                        Button(T.ADD_FAMILY, "inform", {"booking_change": "party"})])


def _ask_party(svc: AppointmentService, slots: Mapping[str, Any]) -> Reply:
    return Reply(T.ASK_PARTY, [Button(title, "inform", {"booking_party": count}) for title, count in T.PARTY_BUTTONS])


def _ask_change(svc: AppointmentService, slots: Mapping[str, Any]) -> Reply:
    return Reply(T.ASK_CHANGE, [change_button(title, change) for change, title in T.CHANGE_TITLES])


def _ask_lookup_phone(svc: AppointmentService, slots: Mapping[str, Any]) -> Reply:
    code = slots.get("lookup_code")
    return Reply(T.ASK_LOOKUP_PHONE_FOR_CODE.format(code=code) if code else T.ASK_LOOKUP_PHONE)


def _ask_cancel(svc: AppointmentService, slots: Mapping[str, Any]) -> Reply:
    booking = svc.find(slots["lookup_code"], slots["lookup_phone"])
    return Reply(T.ASK_CANCEL.format(details=details_text(booking)),
                 [Button(T.CANCEL_YES, "affirm"), Button(T.CANCEL_NO, "deny")])


def _booking_being_moved(svc: AppointmentService, slots: Mapping[str, Any]) -> BookingInfo:
    return svc.find(slots["lookup_code"], slots["lookup_phone"])


def _ask_reschedule_day(svc: AppointmentService, slots: Mapping[str, Any]) -> Reply:
    booking = _booking_being_moved(svc, slots)
    buttons = [Button(info.label, "inform", {"booking_day": info.day.isoformat()})
               for info in svc.days_with_free_seats(booking.station_id, booking.party)]
    text = T.ASK_RESCHEDULE_DAY.format(horizon=HORIZON_DAYS)
    return Reply(text + T.FREE_TEXT, buttons)


def _ask_reschedule_time(svc: AppointmentService, slots: Mapping[str, Any]) -> Reply:
    booking = _booking_being_moved(svc, slots)
    day = dt.date.fromisoformat(slots["reschedule_day"])
    free = [slot for slot in svc.slots(booking.station_id, day)
            if slot.bookable and slot.remaining >= booking.party and slot.start != booking.start]
    part = slots.get("reschedule_part")
    text = T.ASK_TIME.format(day=day_text(day))
    if part in T.PART_NAMES:
        in_part = [slot for slot in free if (slot.start.hour < 12) == (part == "am")]
        if in_part:
            free, text = in_part, T.ASK_TIME_PART.format(day=day_text(day), part=T.PART_NAMES[part])
        else:
            text = T.PART_FULL.format(day=day_text(day), part=T.PART_NAMES[part])
    return Reply(text, [Button(f"{slot.start:%H:%M}", "inform", {"booking_time": f"{slot.start:%H:%M}"})
                        for slot in free])


def _ask_reschedule_confirmed(svc: AppointmentService, slots: Mapping[str, Any]) -> Reply:
    """The new day and time said back before anything moves (issue 20: a wrong day was taken, unasked)."""
    booking = _booking_being_moved(svc, slots)
    new = dt.datetime.combine(dt.date.fromisoformat(slots["reschedule_day"]),
                              dt.time.fromisoformat(slots["reschedule_time"]))
    text = T.ASK_RESCHEDULE_CONFIRMED.format(code=booking.code, old=moment_text(booking.start), new=moment_text(new),
                                             station=booking.station_name)
    return Reply(text, [Button(T.RESCHEDULE_YES, "affirm"), Button(T.RESCHEDULE_NO, "deny")])


_QUESTIONS: dict[str, Callable[[AppointmentService, Mapping[str, Any]], Reply]] = {
    "city": _ask_city,
    "booking_station": _ask_station,
    "booking_day": _ask_day,
    "booking_time": _ask_time,
    "booking_name": lambda svc, slots: Reply(T.ASK_NAME),
    "booking_phone": lambda svc, slots: Reply(T.ASK_PHONE),
    "booking_confirmed": _ask_confirmed,
    "booking_change": _ask_change,
    "booking_party": _ask_party,
    "reschedule_day": _ask_reschedule_day,
    "reschedule_time": _ask_reschedule_time,
    "reschedule_confirmed": _ask_reschedule_confirmed,
    "lookup_phone": _ask_lookup_phone,
    "lookup_code": lambda svc, slots: Reply(T.ASK_LOOKUP_CODE),
    "cancel_confirmed": _ask_cancel,
}


# --- answers a step did not take -------------------------------------------------------

def not_understood(slot: Optional[str]) -> str:
    """The first time a step's answer is not taken: one line before the question comes again."""
    if slot == "city":
        return T.NOT_UNDERSTOOD_CITY.format(cities="、".join(city_name(c) for c in city_ids()))
    return {"booking_station": T.NOT_UNDERSTOOD_STATION, "booking_day": T.NOT_UNDERSTOOD_DAY,
            "booking_time": T.NOT_UNDERSTOOD_TIME, "booking_name": T.NOT_UNDERSTOOD_NAME,
            "booking_phone": T.NOT_UNDERSTOOD_PHONE, "booking_confirmed": T.NOT_UNDERSTOOD_CONFIRM,
            "booking_change": T.NOT_UNDERSTOOD_CHANGE, "lookup_phone": T.NOT_UNDERSTOOD_PHONE,
            "booking_party": T.NOT_UNDERSTOOD_PARTY,
            "lookup_code": T.NOT_UNDERSTOOD_CODE, "cancel_confirmed": T.NOT_UNDERSTOOD_CANCEL,
            }.get(slot or "", T.NOT_UNDERSTOOD_DAY)


_EXPLANATIONS = {"booking_station": T.EXPLAIN_STATION, "booking_day": T.EXPLAIN_DAY, "booking_time": T.EXPLAIN_TIME,
                 "booking_name": T.EXPLAIN_NAME, "booking_phone": T.EXPLAIN_PHONE,
                 "booking_confirmed": T.EXPLAIN_CONFIRM, "booking_change": T.EXPLAIN_CHANGE,
                 "booking_party": T.EXPLAIN_PARTY,
                 "lookup_phone": T.EXPLAIN_LOOKUP_PHONE, "lookup_code": T.EXPLAIN_LOOKUP_CODE,
                 "cancel_confirmed": T.EXPLAIN_CANCEL}
_LOOKUP_STEPS = ("lookup_phone", "lookup_code")


def explanation(svc: AppointmentService, slot: str, slots: Mapping[str, Any]) -> Reply:
    """A second answer in a row the step did not take: what it expects, and buttons.

    Said instead of the step's question (never the same question a third
    time): the buttons are the question's own choices, and a way out (不约了,
    算了) where the answer has to be typed.
    """
    if slot == "city":
        text = T.EXPLAIN_CITY.format(cities="、".join(city_name(c) for c in city_ids()))
    else:
        text = _EXPLANATIONS[slot]
    if slot in _LOOKUP_STEPS:
        return Reply(text, [Button(T.NOT_NOW, "deny")])
    if slot == "cancel_confirmed":
        return Reply(text, [Button(T.CANCEL_YES, "affirm"), Button(T.CANCEL_NO, "deny")])
    buttons = list(question(svc, slot, slots).buttons)
    if slot in ("booking_confirmed",):
        return Reply(text, buttons)
    if STOP_BUTTON not in buttons:
        buttons.append(STOP_BUTTON)
    return Reply(text, buttons)


# --- after the booking form ---------------------------------------------------------------

def ticket_element(booking: BookingInfo, checklist: str) -> dict[str, Any]:
    """The structured element the kiosk and the Telegram bridge both read (QR, ICS, booking)."""
    from bot.appointments.tickets import ics_bytes, qr_png

    start = booking.start.strftime("%Y-%m-%d %H:%M")
    return {
        "text": T.BOOKED_SHORT.format(code=booking.code),
        "qr": "data:image/png;base64," + base64.b64encode(qr_png(booking.code)).decode("ascii"),
        "code": booking.code,
        "ics": base64.b64encode(ics_bytes(booking, extra_description=checklist)).decode("ascii"),
        "filename": f"juzhu-{booking.code}.ics",
        # What a printed ticket carries (the kiosk's printout): the visit, and the checklist the chat showed.
        "booking": {"code": booking.code, "start": start, "time": moment_text(booking.start),
                    "station": booking.station_name, "address": booking.station_address,
                    "station_phone": booking.station_phone},
        "checklist": checklist,
    }


def confirmation(booking: BookingInfo, station: StationInfo, checklist: str) -> list[Reply]:
    """The booking's confirmation (code, time, station, masked phone, checklist) and its ticket."""
    lines = [T.BOOKED.format(code=booking.code, spelled=spelled(booking.code), time=moment_text(booking.start),
                             station=booking.station_name, address=booking.station_address,
                             station_phone=booking.station_phone)]
    if station.sample:
        lines.append(T.SAMPLE_NOTE)
    if booking.party > 1:
        lines.append(T.BOOKED_PARTY.format(seats=booking.party))
    lines += [checklist, T.BOOKED_FOOTER]
    return [Reply("\n".join(lines)), Reply(custom=ticket_element(booking, checklist))]


def booking_end(svc: AppointmentService, slots: Mapping[str, Any], *, checklist: Callable[[str], str],
                where: Callable[[str], str], hotline: str) -> list[Reply]:
    """What the booking form's outcome (``booking_outcome``) says; ``error`` is the caller's (busy).

    The caller gives what the rules say: ``checklist(city)`` (the personal
    checklist of the last decision, else the city's), ``where(city)`` (where
    to apply, when the city has no station to book).
    """
    outcome, code, phone = slots.get("booking_outcome"), slots.get("booking_code"), slots.get("booking_phone")
    if outcome == "booked" and code and phone:
        booking = svc.find(code, phone)
        station = svc.station(booking.station_id)
        return confirmation(booking, station, checklist(station.city))
    if outcome == "already_booked":  # nothing about that booking: the code is asked for
        return [Reply(T.ALREADY_BOOKED, [Button(T.CHECK_EXISTING, "check_appointment"),
                                         Button(T.CANCEL_EXISTING, "cancel_appointment"),
                                         Button(T.ANYTHING_ELSE, "greet")])]
    if outcome == "rate_limited":
        return [Reply(TOO_MANY_BOOKINGS_TEXT.format(hotline=hotline))]
    if outcome == "no_station":
        city = slots.get("city")
        lines = [T.NO_STATION_IN_CITY.format(city=city_name(city) if city else "")]
        if city:
            lines.append(where(city))
        return [Reply("\n".join(lines))]
    return [Reply(T.STOPPED, [Button(T.BOOK_AGAIN, "book_appointment"), Button(T.ANYTHING_ELSE, "greet")])]


# --- after a look-up or a cancellation ----------------------------------------------------------

def check_end(svc: AppointmentService, slots: Mapping[str, Any]) -> list[Reply]:
    """After check_form: the booking of that code and phone (phone masked), or that there is none."""
    outcome, code, phone = slots.get("lookup_outcome"), slots.get("lookup_code"), slots.get("lookup_phone")
    if outcome == "found" and code and phone:
        booking = svc.find(code, phone)
        status = T.STATUS_NAMES.get(booking.status, booking.status)
        buttons = [Button(T.CANCEL_THAT, "cancel_appointment", {"booking_code": booking.code})] \
            if booking.status == "booked" else []
        return [Reply(T.FOUND_ONE.format(status=status, details=details_text(booking)), buttons)]
    if outcome == "locked":
        return [Reply(locked_text(), [Button(T.ANYTHING_ELSE, "greet")])]
    if outcome == "not_found":
        return [Reply(not_found_text(code), [Button(T.LOOK_AGAIN, "check_appointment"),
                                             Button(T.BOOK_AGAIN, "book_appointment")])]
    return [Reply(T.LOOKUP_STOPPED)]


def cancel_end(svc: AppointmentService, slots: Mapping[str, Any]) -> list[Reply]:
    """After cancel_form: cancels on confirmation (code + phone), or keeps the booking."""
    outcome, code, phone = slots.get("lookup_outcome"), slots.get("lookup_code"), slots.get("lookup_phone")
    confirmed = slots.get("cancel_confirmed")
    if outcome == "found" and code and phone and confirmed:
        try:
            booking = svc.cancel(code, phone)
        except BookingRefused as refusal:
            return [Reply(refusal.reason, [Button(T.LOOK_AGAIN, "check_appointment")])]
        logger.info("cancelled %s (%s)", booking.code, mask_phone(phone))
        return [Reply(T.CANCELLED.format(code=booking.code, time=moment_text(booking.start), station=booking.station_name),
                      [Button(T.BOOK_AGAIN, "book_appointment"), Button(T.ANYTHING_ELSE, "greet")])]
    if outcome == "found" and confirmed is False:
        return [Reply(T.KEPT)]
    if outcome == "locked":
        return [Reply(locked_text(), [Button(T.ANYTHING_ELSE, "greet")])]
    if outcome == "not_found":
        return [Reply(not_found_text(code), [Button(T.CANCEL_AGAIN, "cancel_appointment"),
                                             Button(T.BOOK_AGAIN, "book_appointment")])]
    return [Reply(T.LOOKUP_STOPPED)]


def reschedule_end(svc: AppointmentService, slots: Mapping[str, Any], *, checklist: Callable[[str], str]) -> list[Reply]:
    """After reschedule_form: the moved booking (same code, new time) with a new ticket, or why not."""
    if slots.get("reschedule_outcome") == "rescheduled":
        booking = svc.find(slots["lookup_code"], slots["lookup_phone"])
        station = svc.station(booking.station_id)
        text = T.RESCHEDULED.format(details=details_text(booking))
        return [Reply(text), Reply(custom=ticket_element(booking, checklist(station.city)))]
    if slots.get("lookup_outcome") == "locked":
        return [Reply(locked_text(), [Button(T.ANYTHING_ELSE, "greet")])]
    if slots.get("lookup_outcome") == "not_found":
        return [Reply(not_found_text(slots.get("lookup_code")),
                      [Button(T.LOOK_AGAIN, "reschedule_appointment"), Button(T.ANYTHING_ELSE, "greet")])]
    return [Reply(T.RESCHEDULE_STOPPED)]
