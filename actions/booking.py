"""Booking, looking up and cancelling a visit: the Rasa adapter.

The conversation's steps are ``bot.dialogue.booking`` (what a turn
reads, checks, books, and which step comes next) and its words
``bot.dialogue.booking.replies``; both run without Rasa. Here: the tracker in
(slots, the latest message's text, intent and entities, why the form runs,
the history of failed answers), a call into them, ``SlotSet`` events and
messages out.

Three forms, each with a validator that reads every user turn and requests
the next slot itself (like ``interview.py``): ``booking_form`` (closed by
``action_book_appointment``), ``check_form`` and ``cancel_form`` (closed by
``action_check_appointment`` / ``action_cancel_appointment``); an ask action
per step asks its question, unless the validator's words this turn already
did (an explanation with buttons, after a second answer not taken).

Owners only (a booking is shown or cancelled with its code and its phone; a
phone alone learns only how many active bookings it has) and the words are
the dialogue's. Here:

- the rate limits (``bot.platform.ratelimit``), asked by the dialogue when the
  summary is confirmed: per conversation, per phone, and per client address
  and station-day (the client the REST gate puts in the message's
  metadata: :func:`may_book`);
- the store: synchronous, every call runs in the default thread pool
  (``in_thread``) so the action server's event loop keeps serving other
  conversations. It is made once per process by ``make_store()``
  (``DATABASE_URL``, else var/juzhu.db); tests replace the factory or set
  ``_store``;
- what the rules say: the checklist of the confirmation and where to apply
  when a city has no station (``bot.rules``, through ``answers.py``);
- failures: every action derives from ``guard.py``'s bases, so a store that
  fails (or a bug) makes it answer "busy".

Phone numbers are kept in slots only while a form needs them, are never shown
or logged unmasked (``bot.platform.masking``), and every slot of a form is cleared when
it ends.
"""
from __future__ import annotations

import asyncio
import functools
import logging
from abc import abstractmethod
from typing import Any, Callable, Iterable, Optional, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.appointments import AppointmentService
from bot.dialogue.booking import replies as R
from bot.dialogue.booking.limits import may_book
from bot.dialogue.checklists import checklist_for, family_checklist
from bot.dialogue.booking import (BOOKING_SLOTS, LOOKUP_SLOTS, RESCHEDULE_SLOTS, BookingTurn, LookupTurn,
                                       Message, PastTurn, RescheduleTurn, Step, failed_in_a_row)
from bot.platform.ratelimit import RateLimiter, default_limiter
from bot.rules import render_topic
from bot.rules.policy import city_id_of

from bot.platform.clock import today

from .facts import facts_from_slots, tracker_slots
from .guard import REQUESTED_SLOT, GuardedAction, GuardedFormValidationAction, busy_text, hotline
from .interview import button, turn_kind
from .understanding import client_of

logger = logging.getLogger(__name__)
Result = TypeVar("Result")

BOOKING_FORM = "booking_form"
CHECK_FORM = "check_form"
CANCEL_FORM = "cancel_form"
RESCHEDULE_FORM = "reschedule_form"
MAX_PAYLOAD_BYTES = 64  # Telegram's callback_data
HISTORY_TURNS = 12  # user turns read back for the failed answers in a row


# --- the store, the limiter ---------------------------------------------------------------

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
    """The process's rate limiter (``bot.platform.ratelimit``); tests replace this function."""
    return default_limiter()


class _LazyStore:
    """The store, made on first use: a reply that needs no store (a stop, a name's question)
    does not connect to the database."""

    def __getattr__(self, name: str) -> Any:
        return getattr(store(), name)


async def in_thread(function: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
    """Run a synchronous store call off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(function, *args, **kwargs))


# --- tracker in ------------------------------------------------------------------------------

def message_of(tracker: Tracker) -> Message:
    """The latest user message: text, intent, entities (a button's payload or typed)."""
    latest = tracker.latest_message or {}
    text = (latest.get("text") or "").strip()
    entities: dict[str, Any] = {}
    for entity in latest.get("entities") or ():
        if entity.get("entity") and entity.get("value") is not None:
            entities.setdefault(entity["entity"], entity["value"])
    return Message(text=text, intent=(latest.get("intent") or {}).get("name"), entities=entities,
                   payload=text.startswith("/"))


def booking_slots(tracker: Tracker) -> dict[str, Any]:
    slots = {name: tracker.get_slot(name) for name in BOOKING_SLOTS}
    slots["city"] = city_id_of(tracker.get_slot("city"))
    slots["residence_county"] = tracker.get_slot("residence_county")
    return slots


def lookup_slots(tracker: Tracker) -> dict[str, Any]:
    return {name: tracker.get_slot(name) for name in LOOKUP_SLOTS}


def past_turns(events: Iterable[dict[str, Any]]) -> list[PastTurn]:
    """The user turns before the latest message: the step asked, the slots set, the step asked next."""
    turns: list[PastTurn] = []
    requested: Optional[str] = None
    current: Optional[dict[str, Any]] = None
    for event in events:
        kind = event.get("event")
        if kind == "user":
            if current is not None:
                turns.append(PastTurn(current["text"], current["asked"], current["set"], requested))
            current = {"text": event.get("text") or "", "asked": requested, "set": {}}
        elif kind == "slot" and event.get("name") == REQUESTED_SLOT:
            requested = event.get("value")
        elif kind == "slot" and current is not None:
            current["set"][event.get("name")] = event.get("value")
        elif kind in ("restart", "session_started"):
            turns, requested, current = [], None, None
    return turns[-HISTORY_TURNS:]  # the latest user turn (``current``) is the one being read


def failures(tracker: Tracker, requested: Optional[str]) -> int:
    return failed_in_a_row(past_turns(tracker.events), requested)


def asked_already(tracker: Tracker) -> bool:
    """The validator's words this turn carry buttons (``Step.asked``): they asked already.

    Rasa hands an ask action the events of this turn after the form's own
    ActionExecuted, the validator's messages among them."""
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind in ("user", "action"):
            return False
        if kind == "bot" and (event.get("data") or {}).get("buttons"):
            return True
    return False


# --- messages and events out ---------------------------------------------------------------

def rasa_button(made: R.Button) -> dict[str, str]:
    """A dialogue button as a Rasa button; shorter entities when the payload would not fit Telegram's 64 bytes."""
    rendered = button(made.title, made.intent, dict(made.entities))
    if made.fallback is not None and len(rendered["payload"].encode("utf-8")) > MAX_PAYLOAD_BYTES:
        rendered = button(made.title, made.intent, dict(made.fallback))
    return rendered


def say(dispatcher: CollectingDispatcher, replies: Iterable[R.Reply]) -> None:
    for reply in replies:
        if reply.custom is not None:
            dispatcher.utter_message(json_message=reply.custom)
        else:
            dispatcher.utter_message(text=reply.text, buttons=[rasa_button(b) for b in reply.buttons] or None)


def step_events(step: Step, tracker: Tracker) -> list[EventType]:
    events: list[EventType] = [SlotSet(name, value) for name, value in step.changes.items()
                               if name not in ("residence_county",)]
    if tracker.get_slot("awaiting_city") and "city" in step.changes:
        events += [SlotSet("awaiting_city", False), SlotSet("pending_topic", None)]
    return events + [SlotSet(REQUESTED_SLOT, step.next_slot)]


def clear_booking() -> list[EventType]:
    return [SlotSet(name, None) for name in BOOKING_SLOTS]


def clear_lookup() -> list[EventType]:
    return [SlotSet(name, None) for name in LOOKUP_SLOTS]


# --- the booking form ------------------------------------------------------------------------

class ValidateBookingForm(GuardedFormValidationAction):
    """Reads each turn of the booking form and requests the next step; books on confirmation."""

    def name(self) -> str:
        return "validate_booking_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        kind = turn_kind(tracker, BOOKING_FORM)
        requested = tracker.get_slot(REQUESTED_SLOT) if kind == "answer" else None
        sender = tracker.sender_id
        svc = await in_thread(store)
        turn = BookingTurn(svc, booking_slots(tracker), message_of(tracker), kind, requested,
                           failures=failures(tracker, requested) if requested else 0,
                           may_book=lambda slots: may_book(limiter(), sender, client_of(tracker), slots))
        step = await in_thread(turn.run)
        if step.reject:
            return []
        say(dispatcher, step.replies)
        return step_events(step, tracker)


class _AskStep(GuardedAction):
    """Asks one step's question (``replies.question``), unless the validator just did."""
    slot = ""

    @abstractmethod
    def name(self) -> str:
        """action_ask_<slot>"""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        if asked_already(tracker):
            return []
        slots = {**booking_slots(tracker), **lookup_slots(tracker)}
        reply = await in_thread(R.question, _LazyStore(), self.slot, slots)
        say(dispatcher, [reply])
        return []


def _ask(slot: str, action: str = "", base: type = _AskStep) -> type:
    """The ask action of one step (Rasa calls it ``action_ask_<slot>``)."""
    name = action or f"action_ask_{slot}"
    return type("ActionAsk_" + slot, (base,), {"slot": slot, "name": lambda self: name, "__doc__": f"{name}."})


ActionAskBookingCity = _ask("city", "action_ask_booking_form_city")
ActionAskBookingStation = _ask("booking_station")
ActionAskBookingDay = _ask("booking_day")
ActionAskBookingTime = _ask("booking_time")
ActionAskBookingName = _ask("booking_name")
ActionAskBookingPhone = _ask("booking_phone")
ActionAskBookingConfirmed = _ask("booking_confirmed")  # the summary read back before booking (phone masked)
ActionAskBookingParty = _ask("booking_party")  # how many come along (after "家人同行")
ActionAskBookingChange = _ask("booking_change")


class ActionBookAppointment(GuardedAction):
    """After booking_form: the confirmation (code, station, time, checklist, ticket) or why not."""

    def name(self) -> str:
        return "action_book_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("booking_outcome") == "error":
            dispatcher.utter_message(text=busy_text())
            return clear_booking()
        slots = booking_slots(tracker)
        decision = tracker.get_slot("decision")
        replies = await in_thread(lambda: R.booking_end(
            _LazyStore(), slots, checklist=lambda city: family_checklist(
                facts_from_slots(tracker_slots(tracker)), tracker.get_slot("booking_party") or [], city, decision,
                today()),
            where=lambda city: render_topic(city, "where", today()), hotline=hotline()))
        say(dispatcher, replies)
        if tracker.get_slot("booking_outcome") == "booked":
            from .handoff import ask_rating

            return clear_booking() + ask_rating(dispatcher, tracker, "booking")
        return clear_booking()


# --- check and cancel --------------------------------------------------------------------------

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
        turn = LookupTurn(svc, lookup_slots(tracker), message_of(tracker), kind, requested, self.purpose,
                          failures=failures(tracker, requested) if requested else 0)
        step = await in_thread(turn.run)
        if step.reject:
            return []
        say(dispatcher, step.replies)
        return [SlotSet(name, value) for name, value in step.changes.items()] + [SlotSet(REQUESTED_SLOT, step.next_slot)]


class ValidateCheckForm(_ValidateLookupForm):
    form, purpose = CHECK_FORM, "check"

    def name(self) -> str:
        return "validate_check_form"


class ValidateCancelForm(_ValidateLookupForm):
    form, purpose = CANCEL_FORM, "cancel"

    def name(self) -> str:
        return "validate_cancel_form"


ActionAskLookupPhone = _ask("lookup_phone")
ActionAskCancelConfirmed = _ask("cancel_confirmed")


class ActionCheckAppointment(GuardedAction):
    """After check_form: the booking of that code and phone (phone masked), or that there is none."""

    def name(self) -> str:
        return "action_check_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        slots = lookup_slots(tracker)
        say(dispatcher, await in_thread(lambda: R.check_end(_LazyStore(), slots)))
        return clear_lookup()


class ActionCancelAppointment(GuardedAction):
    """After cancel_form: cancels on confirmation (code + phone), or keeps the booking."""

    def name(self) -> str:
        return "action_cancel_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        slots = lookup_slots(tracker)
        say(dispatcher, await in_thread(lambda: R.cancel_end(_LazyStore(), slots)))
        return clear_lookup()


# --- reschedule -----------------------------------------------------------------------------------

def reschedule_slots(tracker: Tracker) -> dict[str, Any]:
    return {name: tracker.get_slot(name) for name in RESCHEDULE_SLOTS}


def clear_reschedule() -> list[EventType]:
    return [SlotSet(name, None) for name in RESCHEDULE_SLOTS]


class ValidateRescheduleForm(GuardedFormValidationAction):
    """"改到周五下午", "换个时间": code and phone, then the new day and time; moves the booking (same code)."""

    def name(self) -> str:
        return "validate_reschedule_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        kind = turn_kind(tracker, RESCHEDULE_FORM)
        requested = tracker.get_slot(REQUESTED_SLOT) if kind == "answer" else None
        svc = await in_thread(store)
        turn = RescheduleTurn(svc, reschedule_slots(tracker), message_of(tracker), kind, requested,
                              failures=failures(tracker, requested) if requested else 0)
        step = await in_thread(turn.run)
        if step.reject:
            return []
        say(dispatcher, step.replies)
        return [SlotSet(name, value) for name, value in step.changes.items()] + [SlotSet(REQUESTED_SLOT, step.next_slot)]


class _AskRescheduleStep(_AskStep):
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        if asked_already(tracker):
            return []
        say(dispatcher, [await in_thread(R.question, _LazyStore(), self.slot, reschedule_slots(tracker))])
        return []


ActionAskRescheduleDay = _ask("reschedule_day", base=_AskRescheduleStep)
ActionAskRescheduleTime = _ask("reschedule_time", base=_AskRescheduleStep)
ActionAskRescheduleConfirmed = _ask("reschedule_confirmed", base=_AskRescheduleStep)  # the new time said back


class ActionRescheduleAppointment(GuardedAction):
    """After reschedule_form: the booking at its new time (same code) with a new ticket, or why not."""

    def name(self) -> str:
        return "action_reschedule_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        slots = reschedule_slots(tracker)
        decision = tracker.get_slot("decision")
        say(dispatcher, await in_thread(lambda: R.reschedule_end(
            _LazyStore(), slots, checklist=lambda city: checklist_for(decision, city, today()))))
        return clear_reschedule()
