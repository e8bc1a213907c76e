"""The staff console's bookings: stations, a day's bookings (JSON and CSV), attendance."""
from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import logging
import re
from typing import Any

from aiohttp import web


from .bookings import BookingsUnavailable

from .responses import ApiError, BOOKINGS, DATE_RE, json_error, json_response
from .script_aid import json_body

log = logging.getLogger(__name__)


# --- staff: bookings -------------------------------------------------------------

def _query_day(request: web.Request) -> tuple[str, dt.date]:
    station = request.query.get("station", "").strip()
    day = request.query.get("date", "").strip()
    if not station or len(station) > 40:
        raise ApiError(400, "station: required (a station id)", field="station")
    try:
        if not DATE_RE.match(day):
            raise ValueError
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise ApiError(400, "date: expected YYYY-MM-DD", field="date") from None
    return station, date


async def _bookings_call(request: web.Request, method: str, *args: Any) -> Any:
    """One call of the (synchronous) store in a worker thread; its refusals as API errors."""
    def work() -> Any:
        return getattr(request.app[BOOKINGS](), method)(*args)

    try:
        return await asyncio.get_running_loop().run_in_executor(None, work)
    except BookingsUnavailable:
        raise ApiError(503, "预约系统暂不可用，请稍后再试。 The bookings store is unavailable.") from None
    except LookupError as error:
        raise ApiError(404, str(error)) from None
    except ValueError as error:
        raise ApiError(409, str(error)) from None


async def staff_stations(request: web.Request) -> web.Response:
    return json_response({"stations": await _bookings_call(request, "stations")})


async def staff_bookings(request: web.Request) -> web.Response:
    station, date = _query_day(request)
    return json_response(await _bookings_call(request, "day", station, date))


CSV_COLUMNS = (("start", "时间"), ("code", "预约码"), ("name", "姓名"), ("phone", "手机号"),
               ("status", "状态"), ("station_name", "办理点"))
STATUS_LABELS = {"booked": "已预约", "attended": "到场", "no_show": "未到", "cancelled": "已取消"}


def _csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A cell a spreadsheet would run as a formula is quoted as text.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text


async def staff_bookings_csv(request: web.Request) -> web.Response:
    station, date = _query_day(request)
    day = await _bookings_call(request, "day", station, date)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([title for _, title in CSV_COLUMNS])
    for booking in day["bookings"]:
        row = dict(booking, station_name=day["station"]["name"],
                   status=STATUS_LABELS.get(booking.get("status"), booking.get("status")))
        writer.writerow([_csv_cell(row.get(key)) for key, _ in CSV_COLUMNS])
    filename = f"bookings-{re.sub(r'[^A-Za-z0-9_-]', '_', station)}-{date.isoformat()}.csv"
    return web.Response(
        body=("\ufeff" + buffer.getvalue()).encode("utf-8"),  # BOM: Excel opens UTF-8 Chinese correctly
        content_type="text/csv", charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def staff_attendance(request: web.Request) -> web.Response:
    body = await json_body(request)
    status = body.get("status")
    if status not in ("attended", "no_show"):
        return json_error(400, "status: accepted: attended, no_show", field="status")
    booking = await _bookings_call(request, "mark", request.match_info["code"], status)
    return json_response({"booking": booking})
