"""Booking a visit, looking it up, cancelling and rescheduling it, one turn at a time.

No Rasa here: a conversation's turn (``bot.dialogue.visits``) hands over the
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

from .booking import BookingTurn  # noqa: F401
from .lookup import RESCHEDULE_SLOTS, LookupTurn, RescheduleTurn  # noqa: F401
from .turns import (BOOKING_SLOTS, LOOKUP_SLOTS, Message, PastTurn, Step, failed_in_a_row, wants_repeat,  # noqa: F401
                    wants_to_stop)
