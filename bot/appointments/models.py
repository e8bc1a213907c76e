"""Tables of the appointment store (SQLAlchemy 1.4, 2.0-style API).

Times are naive wall-clock times in Asia/Shanghai (China has one time zone
and no daylight saving, so they are unambiguous).

Capacity: ``slot_counts`` holds one row per (station, slot start) that has
ever been booked, with the number of seats taken. A booking increments it
with one conditional ``UPDATE ... SET booked = booked + 1 WHERE booked <
capacity`` and goes on only when that changed a row (see service.py).
"""
from __future__ import annotations

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey,
                        Index, Integer, String, text)
from sqlalchemy.orm import declarative_base

Base = declarative_base()

STATUSES = ("booked", "cancelled", "attended", "no_show")
ACTIVE = "booked"
# What a booking's name becomes when retention removes it (its phone becomes NULL).
ANONYMISED_NAME = "（已清除）"
# One booking is one visit for up to PARTY_MAX applicants: the booker and up
# to PARTY_MAX - 1 family members; it takes as many seats as applicants.
PARTY_MAX = 5
RELATIONS = ("spouse", "child", "parent", "other")


class Station(Base):
    __tablename__ = "stations"

    id = Column(String(40), primary_key=True)  # short ASCII, e.g. lc-dongchangfu
    name = Column(String(100), nullable=False)
    city = Column(String(20), nullable=False, index=True)  # city id: liaocheng, qujing
    county = Column(String(40), nullable=False)  # canonical Chinese name
    address = Column(String(200), nullable=False)
    phone = Column(String(40), nullable=False)
    # Weekly opening hours, e.g. "mon-fri 09:00-12:00,13:30-17:00; sat 09:00-12:00".
    hours = Column(String(300), nullable=False)
    slot_minutes = Column(Integer, nullable=False, default=30)
    seats_per_slot = Column(Integer, nullable=False, default=3)
    sample = Column(Boolean, nullable=False, default=False)
    created_at = Column(DateTime, nullable=False)
    changed_at = Column(DateTime, nullable=False)

    __table_args__ = (
        CheckConstraint("slot_minutes > 0", name="ck_stations_slot_minutes"),
        CheckConstraint("seats_per_slot > 0", name="ck_stations_seats"),
    )


class ClosedDay(Base):
    """A day a station (or every station, ``station_id`` NULL) is closed.

    Public holidays come from the ``chinesecalendar`` library at run time
    (see public_holidays.py); rows here are one-off closures and holidays the
    library does not know yet.
    """

    __tablename__ = "closed_days"

    id = Column(Integer, primary_key=True, autoincrement=True)
    station_id = Column(String(40), ForeignKey("stations.id", ondelete="CASCADE"), nullable=True)
    day = Column(Date, nullable=False, index=True)
    reason = Column(String(100), nullable=False)


class SlotCount(Base):
    __tablename__ = "slot_counts"

    station_id = Column(String(40), ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True)
    start = Column(DateTime, primary_key=True)
    booked = Column(Integer, nullable=False, default=0)

    __table_args__ = (CheckConstraint("booked >= 0", name="ck_slot_counts_booked"),)


class Booking(Base):
    __tablename__ = "bookings"

    id = Column(Integer, primary_key=True, autoincrement=True)
    code = Column(String(6), nullable=False, unique=True)
    station_id = Column(String(40), ForeignKey("stations.id"), nullable=False)
    start = Column(DateTime, nullable=False)
    name = Column(String(20), nullable=False)  # ANONYMISED_NAME once anonymised
    phone = Column(String(11), nullable=True)  # 11 digits, normalised; NULL once anonymised
    status = Column(String(10), nullable=False, default=ACTIVE)
    # Applicants of this visit (the booker included) = seats taken in the slot.
    party = Column(Integer, nullable=False, server_default=text("1"))
    created_at = Column(DateTime, nullable=False)
    changed_at = Column(DateTime, nullable=False)

    __table_args__ = (
        CheckConstraint(f"party BETWEEN 1 AND {PARTY_MAX}", name="ck_bookings_party"),
        CheckConstraint("status IN ('booked', 'cancelled', 'attended', 'no_show')",
                        name="ck_bookings_status"),
        Index("ix_bookings_station_start", "station_id", "start"),
        Index("ix_bookings_phone", "phone"),
        # At most one active booking per phone number, enforced by the database
        # (anonymised bookings have no phone: NULLs never collide).
        Index("uq_bookings_active_phone", "phone", unique=True,
              sqlite_where=text("status = 'booked'"),
              postgresql_where=text("status = 'booked'")),
    )


class BookingMember(Base):
    """A family member who comes with the booker (the booker is the booking
    itself). The name is optional and personal data: retention sets it to
    NULL together with the booking's name and phone."""

    __tablename__ = "booking_members"

    id = Column(Integer, primary_key=True, autoincrement=True)
    booking_id = Column(Integer, ForeignKey("bookings.id", ondelete="CASCADE"), nullable=False, index=True)
    position = Column(Integer, nullable=False)  # 2 … PARTY_MAX (1 is the booker)
    relation = Column(String(10), nullable=False)  # one of RELATIONS
    name = Column(String(20), nullable=True)

    __table_args__ = (
        CheckConstraint("relation IN ('spouse', 'child', 'parent', 'other')",
                        name="ck_booking_members_relation"),
    )


class TelegramBooking(Base):
    """A Telegram chat that booked a visit: reminded the day before (bot/channels/telegram/reminders.py).

    Only the code, the chat id, when it was seen and the visit start a
    reminder went out for; forgotten once the booking is cancelled or past.
    """

    __tablename__ = "telegram_bookings"

    code = Column(String(16), primary_key=True)
    chat_id = Column(BigInteger, nullable=False)
    seen_at = Column(DateTime, nullable=False)
    reminded_for = Column(DateTime, nullable=True)


class EndorsementReminder(Base):
    """A Telegram chat that asked to be reminded of the yearly 签注 (bot/reminders.py).

    Only the chat id, the city and the due date are kept (plus which of the
    two reminders went out); the row is deleted after the due date, on
    "不用提醒了", or when the chat blocks the bot.
    """

    __tablename__ = "endorsement_reminders"

    chat_id = Column(BigInteger, primary_key=True, autoincrement=False)
    city = Column(String(20), nullable=False)
    due = Column(Date, nullable=False, index=True)
    # 0 nothing sent yet, 1 the "window opens" reminder sent, 2 the week-before one too.
    sent = Column(Integer, nullable=False, default=0, server_default=text("0"))
