"""The stores and the rate limiter of this process, made on first use.

``appointments()`` and ``handoffs()`` open ``DATABASE_URL`` (else
var/juzhu.db) once per process; ``limiter()`` is the process's
(``bot.platform.ratelimit``). Tests replace these functions (or the
factory ``make_appointments``). Their calls are synchronous: the adapter
runs a turn off the event loop.
"""
from __future__ import annotations

import threading
from typing import Any, Optional

from bot.platform.ratelimit import RateLimiter, default_limiter

_lock = threading.Lock()
_appointments: Optional[Any] = None
_handoffs: Optional[Any] = None


def make_appointments() -> Any:
    from bot.appointments import AppointmentService

    return AppointmentService()


def appointments() -> Any:
    """The appointment store (``bot.appointments.AppointmentService``)."""
    global _appointments
    with _lock:
        if _appointments is None:
            _appointments = make_appointments()
        return _appointments


def handoffs() -> Any:
    """The hand-off and rating store (``bot.handoff.HandoffService``)."""
    global _handoffs
    with _lock:
        if _handoffs is None:
            from bot.handoff import HandoffService

            _handoffs = HandoffService()
        return _handoffs


def limiter() -> RateLimiter:
    return default_limiter()


class LazyAppointments:
    """The appointment store, made on first use: a reply that needs no store (a stop, a name's
    question) does not connect to the database."""

    def __getattr__(self, name: str) -> Any:
        return getattr(appointments(), name)
