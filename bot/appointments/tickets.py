"""What an applicant takes away from a booking: a calendar file and a QR code.

    ics_bytes(booking)   → text/calendar (one VEVENT, Asia/Shanghai times,
                           the station's address as LOCATION)
    qr_png(booking.code) → image/png of the booking code

The materials checklist is not composed here (it comes from the rules);
pass it as ``extra_description`` to put it into the calendar entry.
"""
from __future__ import annotations

import datetime as dt
import io
from typing import Optional

import qrcode
import qrcode.constants
from icalendar import Alarm, Calendar, Event

from bot.platform.clock import TZ
from .results import BookingInfo

PRODID = "-//juzhu//居住证预约//ZH"


def ics_bytes(booking: BookingInfo, *, extra_description: Optional[str] = None,
              stamp: Optional[dt.datetime] = None) -> bytes:
    """An iCalendar file with one event for ``booking``."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")

    event = Event()
    event.add("uid", f"{booking.code}@juzhu")
    event.add("dtstamp", (stamp or booking.changed_at).replace(tzinfo=TZ))
    event.add("dtstart", booking.start.replace(tzinfo=TZ))
    event.add("dtend", booking.end.replace(tzinfo=TZ))
    event.add("summary", f"居住证办理预约：{booking.station_name}")
    event.add("location", booking.station_address)
    lines = [
        f"预约码：{booking.code}",
        f"办理点：{booking.station_name}",
        f"地址：{booking.station_address}",
        f"电话：{booking.station_phone}",
        *([f"人数：{booking.party}人（一次预约，全家同一时段办理）"] if booking.party > 1 else []),
        "请携带本人身份证，凭预约码办理。",
    ]
    if extra_description:
        lines.append(extra_description.strip())
    event.add("description", "\n".join(lines))
    if booking.status == "cancelled":
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"居住证办理预约 {booking.start:%H:%M}")
    alarm.add("trigger", dt.timedelta(hours=-2))
    event.add_component(alarm)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def qr_png(code: str, *, box_size: int = 8, border: int = 4) -> bytes:
    """A PNG of a QR code holding the booking code (nothing else)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M,
                       box_size=box_size, border=border)
    qr.add_data(code)
    qr.make(fit=True)
    image = qr.make_image()
    buffer = io.BytesIO()
    image.save(buffer)  # PNG: the default kind of qrcode's image factories
    return buffer.getvalue()
