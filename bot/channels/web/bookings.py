"""The staff console's view of the appointments store.

A thin adapter over :class:`bot.appointments.AppointmentService` (the store's
own rules; no SQL here) that speaks plain dicts, shows phone numbers in full
(this is the staff's own view) and turns the store's refusals into
``LookupError`` (unknown station or code) and ``ValueError`` (refused), each
carrying the store's Chinese reason.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any, Callable, Optional

log = logging.getLogger(__name__)

NOT_FOUND_CODES = ("unknown_station", "unknown_code", "bad_code")


class BookingsUnavailable(Exception):
    """The store cannot be opened (database down, bad DATABASE_URL...)."""


class StaffBookings:
    def __init__(self, service: Any):
        self.service = service

    def _call(self, work: Callable[[], Any]) -> Any:
        from bot.appointments import BookingRefused

        try:
            return work()
        except BookingRefused as refused:
            if refused.code in NOT_FOUND_CODES:
                raise LookupError(refused.reason) from None
            raise ValueError(refused.reason) from None

    def stations(self) -> list[dict[str, Any]]:
        return [
            {key: value for key, value in station.to_dict().items() if key != "hours"}
            for station in self._call(self.service.stations)
        ]

    def day(self, station_id: str, day: dt.date) -> dict[str, Any]:
        station = self._call(lambda: self.service.station(station_id))
        bookings = self._call(lambda: self.service.day_bookings(station_id, day))
        return {
            "station": {key: value for key, value in station.to_dict().items() if key != "hours"},
            "date": day.isoformat(),
            # Attendance is marked from the booking's day on, by the store's own clock.
            "markable": day <= self.service.now().date(),
            "bookings": [booking.to_dict(full_phone=True) for booking in bookings],
        }

    def mark(self, code: str, status: str) -> dict[str, Any]:
        return self._call(lambda: self.service.mark(code, status)).to_dict(full_phone=True)


def default_bookings(url: Optional[str] = None) -> Callable[[], StaffBookings]:
    """A factory opening the store (``DATABASE_URL``) on first use, once."""
    lock = threading.Lock()
    opened: list[StaffBookings] = []

    def get() -> StaffBookings:
        with lock:
            if not opened:
                try:
                    from bot.appointments import AppointmentService

                    opened.append(StaffBookings(AppointmentService(url)))
                except Exception as error:  # the page says "unavailable"; the log says why
                    log.warning("cannot open the appointments store: %s: %s", type(error).__name__, error)
                    raise BookingsUnavailable(str(error)) from error
            return opened[0]

    return get
