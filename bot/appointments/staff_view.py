"""What staff and retention do with bookings: mark attendance, a station's day, anonymise old ones.

A part of :class:`.service.AppointmentService` (its base class), kept apart
from the booking transaction; it uses the service's sessions and helpers.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Optional

from sqlalchemy import or_, select, update

from bot.platform.clock import to_local_naive

from .models import (ANONYMISED_NAME, Booking, BookingMember)

from .results import (BookingInfo, fmt)
from .validation import BookingRefused, normalise_code

log = logging.getLogger("bot.appointments.service")

STAFF_STATUSES = ("attended", "no_show")


class StaffView:
    # staff ----------------------------------------------------------------------------------
    def mark(self, code: str, status: str) -> BookingInfo:
        """Staff: mark a booking ``attended`` or ``no_show`` (either can be
        corrected to the other). Refusals: unknown_code, not_active (cancelled),
        too_early (before the booking's day)."""
        if status not in STAFF_STATUSES:
            raise ValueError(f"status must be one of {', '.join(STAFF_STATUSES)}")
        code = normalise_code(code)
        now = self.now()
        with self._write() as session, session.begin():
            row = session.execute(select(Booking).where(Booking.code == code)).scalar_one_or_none()
            if row is None:
                raise BookingRefused("unknown_code", f"没有找到预约码 {code}。")
            if row.status == "cancelled":
                raise self._refuse_inactive(row)
            if now.date() < row.start.date():
                raise BookingRefused("too_early", "预约日期还没到，不能标记到场情况。")
            session.execute(update(Booking)
                            .where(Booking.id == row.id, Booking.status != "cancelled")
                            .values(status=status, changed_at=now)
                            .execution_options(synchronize_session=False))
        with self._read() as session:
            row = session.execute(select(Booking).where(Booking.code == code)).scalar_one()
            booking = self._booking_info(session, row)
        log.info("marked %s %s", code, status)
        return booking

    def day_bookings(self, station_id: str, day: dt.date, *, include_cancelled: bool = True) -> list[BookingInfo]:
        """Staff view: the bookings of ``station_id`` on ``day``, by time."""
        self.station(station_id)
        begin = dt.datetime.combine(day, dt.time.min)
        with self._read() as session:
            query = (select(Booking)
                     .where(Booking.station_id == station_id, Booking.start >= begin,
                            Booking.start < begin + dt.timedelta(days=1))
                     .order_by(Booking.start, Booking.created_at, Booking.id))
            if not include_cancelled:
                query = query.where(Booking.status != "cancelled")
            return [self._booking_info(session, row) for row in session.execute(query).scalars()]

    # retention ----------------------------------------------------------------------------
    def anonymise_bookings(self, older_than_days: int, now: Optional[dt.datetime] = None) -> int:
        """Remove the name and phone of every booking whose slot started more
        than ``older_than_days`` days before ``now`` (default: the service's
        clock, Shanghai time), cancelled ones included. Code, station, start
        and status stay, for statistics. Returns how many were anonymised;
        running it again changes nothing.

        One UPDATE in one short transaction: safe while the servers run.
        """
        if older_than_days < 0:
            raise ValueError("older_than_days must be >= 0")
        now = to_local_naive(now) if now is not None else self.now()
        cutoff = now - dt.timedelta(days=older_than_days)
        with self._write() as session, session.begin():
            # Family members' names go with their booking's name and phone.
            session.execute(
                update(BookingMember)
                .where(BookingMember.name.is_not(None),
                       BookingMember.booking_id.in_(select(Booking.id).where(Booking.start < cutoff)))
                .values(name=None)
                .execution_options(synchronize_session=False))
            changed = session.execute(
                update(Booking)
                .where(Booking.start < cutoff,
                       or_(Booking.phone.is_not(None), Booking.name != ANONYMISED_NAME))
                .values(name=ANONYMISED_NAME, phone=None)
                .execution_options(synchronize_session=False)).rowcount
        log.info("anonymised %d bookings that started before %s", changed, fmt(cutoff))
        return changed
