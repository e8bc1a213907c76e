"""Booking, looking up, cancelling and moving a visit (bot/dialogue/visits.py).

Four forms, each with a validator that reads every user turn and requests
the next value itself, an ask action per step (silent when the validator's
words this turn already asked) and a closing action.
"""
from __future__ import annotations

import functools

from bot.dialogue import visits

from .adapter import CoreFormValidation, core


def _ask(slot: str, action: str = "") -> type:
    """The ask action of one step (Rasa calls it ``action_ask_<slot>``)."""
    return core(action or f"action_ask_{slot}", functools.partial(visits.ask, slot=slot), f"Asks {slot}.")


ValidateBookingForm = core("validate_booking_form", visits.booking_turn, base=CoreFormValidation)
ActionAskBookingCity = _ask("city", "action_ask_booking_form_city")
ActionAskBookingStation = _ask("booking_station")
ActionAskBookingDay = _ask("booking_day")
ActionAskBookingTime = _ask("booking_time")
ActionAskBookingName = _ask("booking_name")
ActionAskBookingPhone = _ask("booking_phone")
ActionAskBookingConfirmed = _ask("booking_confirmed")  # the summary read back before booking (phone masked)
ActionAskBookingParty = _ask("booking_party")  # how many come along (after "家人同行")
ActionAskBookingChange = _ask("booking_change")
ActionBookAppointment = core("action_book_appointment", visits.book)

ValidateCheckForm = core("validate_check_form", functools.partial(visits.lookup_turn, form=visits.CHECK_FORM),
                         "check_form: code and phone, then the booking.", base=CoreFormValidation)
ValidateCancelForm = core("validate_cancel_form", functools.partial(visits.lookup_turn, form=visits.CANCEL_FORM),
                          "cancel_form: code and phone, then the confirmation.", base=CoreFormValidation)
ActionAskLookupPhone = _ask("lookup_phone")
ActionAskCancelConfirmed = _ask("cancel_confirmed")
ActionCheckAppointment = core("action_check_appointment", visits.check)
ActionCancelAppointment = core("action_cancel_appointment", visits.cancel)

ValidateRescheduleForm = core("validate_reschedule_form", visits.reschedule_turn, base=CoreFormValidation)
ActionAskRescheduleDay = _ask("reschedule_day")
ActionAskRescheduleTime = _ask("reschedule_time")
ActionAskRescheduleConfirmed = _ask("reschedule_confirmed")  # the new time said back
ActionRescheduleAppointment = core("action_reschedule_appointment", visits.reschedule)
