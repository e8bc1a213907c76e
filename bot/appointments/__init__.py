"""Appointments: stations, slots and bookings (no eligibility logic here).

    from bot.appointments import AppointmentService, BookingRefused
    svc = AppointmentService()          # DATABASE_URL, or var/juzhu.db
    svc.book("lc-dongchangfu", "2026-11-23 09:00", "张三", "13812345678")

Modules: models (tables), db (URL, engines, ensure_schema), service (the
rules of booking), stations (hours, CSV, seed), tickets (ICS, QR PNG),
validation (phones, names, codes, BookingRefused), cli (juzhu commands),
dialogue (the steps of booking, looking up and cancelling a visit, without
Rasa), replies and texts (what those steps say).
Masking of phones and names for logs and replies: bot.platform.masking.
"""
from .results import BookingInfo, DayInfo, SlotInfo, StationInfo
from .service import AppointmentService
from .validation import BookingRefused, normalise_phone

__all__ = ["AppointmentService", "BookingInfo", "BookingRefused", "DayInfo", "SlotInfo",
           "StationInfo", "normalise_phone"]
