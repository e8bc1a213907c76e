"""Booking, looking up, cancelling and moving a visit, on a conversation.

The steps are ``bot.dialogue.booking`` (what a turn reads, checks, books,
and which step comes next) and its words ``bot.dialogue.booking.replies``.
Here: the conversation in (its values, the latest message, why the form
runs, the failed answers in a row from its history), a turn, the values it
changed, the words, and the next value to ask for.

Four forms, each read by its validator turn, which asks for the next value
itself: ``booking_form`` (closed by :func:`book`), ``check_form`` and
``cancel_form`` (closed by :func:`check` / :func:`cancel`) and
``reschedule_form`` (:func:`reschedule`). :func:`ask` asks a step's
question, unless the validator's words this turn already did (an
explanation with buttons, after a second answer not taken).

Owners only (a booking is shown or cancelled with its code and its phone; a
phone alone learns only how many active bookings it has), and the words are
the booking package's. Here too: the rate limits (``limits.may_book``, asked
when the summary is confirmed: per conversation, phone, client address and
station-day), and what the rules say (the checklist of the confirmation,
where to apply when a city has no station). The store is synchronous: the
adapter runs these turns off its event loop. Phone numbers are kept only
while a form needs them and every value of a form is cleared when it ends.
"""
from __future__ import annotations

from typing import Any, Iterable, Optional

from bot.platform.clock import today
from bot.rules import render_topic
from bot.rules.policy import city_id_of

from . import memory, rating, stores
from .booking import (BOOKING_SLOTS, LOOKUP_SLOTS, RESCHEDULE_SLOTS, BookingTurn, LookupTurn, RescheduleTurn, Step,
                      failed_in_a_row)
from .booking.turns import wants_new_booking
from .booking import replies as R
from .booking.limits import may_book
from .checklists import checklist_for, family_checklist
from .conversation import REQUESTED, Conversation, past_turns
from .outcome import END_FORM, Outcome, button, run
from .texts import busy_text, hotline

BOOKING_FORM, CHECK_FORM, CANCEL_FORM, RESCHEDULE_FORM = "booking_form", "check_form", "cancel_form", "reschedule_form"
MAX_PAYLOAD_BYTES = 64  # Telegram's callback_data


def _button(made: R.Button) -> dict[str, str]:
    """A step's button; shorter entities when the payload would not fit Telegram's 64 bytes."""
    rendered = button(made.title, made.intent, dict(made.entities))
    if made.fallback is not None and len(rendered["payload"].encode("utf-8")) > MAX_PAYLOAD_BYTES:
        rendered = button(made.title, made.intent, dict(made.fallback))
    return rendered


def said(replies: Iterable[R.Reply]) -> list[dict[str, Any]]:
    return [{"custom": reply.custom} if reply.custom is not None else
            {"text": reply.text, "buttons": [_button(b) for b in reply.buttons]} for reply in replies]


def booking_values(conversation: Conversation) -> dict[str, Any]:
    values = {name: conversation.slot(name) for name in BOOKING_SLOTS}
    values["city"] = city_id_of(conversation.slot("city"))
    values["residence_county"] = conversation.slot("residence_county")
    return values


def lookup_values(conversation: Conversation) -> dict[str, Any]:
    return {name: conversation.slot(name) for name in LOOKUP_SLOTS}


def reschedule_values(conversation: Conversation) -> dict[str, Any]:
    return {name: conversation.slot(name) for name in RESCHEDULE_SLOTS}


def _asked(conversation: Conversation, form: str) -> tuple[str, Optional[str], int]:
    """Why the form runs, the step it asked (for an answer) and that step's failed answers in a row."""
    kind = conversation.turn_kind(form)
    requested = conversation.slot(REQUESTED) if kind == "answer" else None
    failures = failed_in_a_row(past_turns(conversation.events), requested) if requested else 0
    return kind, requested, failures


def _stepped(step: Step, skip: tuple[str, ...] = (), also: Optional[dict[str, Any]] = None) -> Outcome:
    """The step's words and changed values (``also`` after them), then the next value asked for."""
    if step.reject:
        return Outcome()
    out = Outcome(said(step.replies), {name: value for name, value in step.changes.items() if name not in skip})
    return out.set(**(also or {})).set(**{REQUESTED: step.next_slot})


def booking_turn(conversation: Conversation) -> Outcome:
    """One message of the booking form; books on confirmation."""
    kind, requested, failures = _asked(conversation, BOOKING_FORM)
    limits, sender, client = stores.limiter(), conversation.sender, conversation.client
    step = BookingTurn(stores.appointments(), booking_values(conversation), conversation.message(entities=True), kind,
                       requested, failures=failures,
                       may_book=lambda values: may_book(limits, sender, client, values)).run()
    answered = conversation.slot("awaiting_city") and "city" in step.changes  # a question waited for the city
    return _stepped(step, skip=("residence_county",),
                    also={"awaiting_city": False, "pending_topic": None} if answered else None)


def lookup_turn(conversation: Conversation, form: str) -> Outcome:
    """One message of check_form or cancel_form: code and phone, the look-up, the confirmation.
    A look-up started by words that ask for a new booking ("我在聊城住 预约") books instead."""
    kind, requested, failures = _asked(conversation, form)
    if kind == "activation" and form == CHECK_FORM and not conversation.message().button \
            and wants_new_booking(conversation.text):
        return Outcome(values={REQUESTED: None}).next(END_FORM, run(BOOKING_FORM))
    purpose = "cancel" if form == CANCEL_FORM else "check"
    return _stepped(LookupTurn(stores.appointments(), lookup_values(conversation), conversation.message(entities=True),
                               kind, requested, purpose, failures=failures).run())


def reschedule_turn(conversation: Conversation) -> Outcome:
    """"改到周五下午", "换个时间": code and phone, then the new day and time; moves the booking (same code)."""
    kind, requested, failures = _asked(conversation, RESCHEDULE_FORM)
    return _stepped(RescheduleTurn(stores.appointments(), reschedule_values(conversation),
                                   conversation.message(entities=True), kind, requested, failures=failures).run())


def ask(conversation: Conversation, slot: str) -> Outcome:
    """A step's question, unless the validator's words this turn asked already."""
    if conversation.asked_already():
        return Outcome()
    values = reschedule_values(conversation) if slot.startswith("reschedule_") else \
        {**booking_values(conversation), **lookup_values(conversation)}
    return Outcome(said([R.question(stores.LazyAppointments(), slot, values)]))


def _cleared(names: Iterable[str]) -> dict[str, Any]:
    return {name: None for name in names}


def book(conversation: Conversation) -> Outcome:
    """After booking_form: the confirmation (code, station, time, checklist, ticket) or why not."""
    if conversation.slot("booking_outcome") == "error":
        return Outcome(values=_cleared(BOOKING_SLOTS)).say(busy_text())
    decision = conversation.slot("decision")
    facts = memory.facts_from_slots(memory.fact_values(conversation))
    party = conversation.slot("booking_party") or []
    out = Outcome(said(R.booking_end(
        stores.LazyAppointments(), booking_values(conversation),
        checklist=lambda city: family_checklist(facts, party, city, decision, today()),
        where=lambda city: render_topic(city, "where", today()), hotline=hotline())), _cleared(BOOKING_SLOTS))
    return out + rating.ask_after(conversation, "booking") if conversation.slot("booking_outcome") == "booked" else out


def check(conversation: Conversation) -> Outcome:
    """After check_form: the booking of that code and phone (phone masked), or that there is none."""
    return Outcome(said(R.check_end(stores.LazyAppointments(), lookup_values(conversation))), _cleared(LOOKUP_SLOTS))


def cancel(conversation: Conversation) -> Outcome:
    """After cancel_form: cancels on confirmation (code + phone), or keeps the booking."""
    return Outcome(said(R.cancel_end(stores.LazyAppointments(), lookup_values(conversation))), _cleared(LOOKUP_SLOTS))


def reschedule(conversation: Conversation) -> Outcome:
    """After reschedule_form: the booking at its new time (same code) with a new ticket, or why not."""
    decision = conversation.slot("decision")
    return Outcome(said(R.reschedule_end(stores.LazyAppointments(), reschedule_values(conversation),
                                         checklist=lambda city: checklist_for(decision, city, today()))),
                   _cleared(RESCHEDULE_SLOTS))
