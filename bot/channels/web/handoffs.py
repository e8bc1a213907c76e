"""Hand-offs and ratings on the web front (issue 11): the staff's queue and
feedback view, the kiosk's side of a hand-off.

Routes (registered by :func:`setup`; staff ones behind the staff token like
every ``/staff/api`` route: Bearer token or the console's session cookie):

``GET /staff/api/handoffs``                open, taken and recently closed hand-offs, newest
                                           first, each with the renderer's text of its case;
                                           asking marks staff as on duty (see bot.handoff)
``POST /staff/api/handoffs/{id}/take``     a staff member takes one
``POST /staff/api/handoffs/{id}/reply``    ``{"text"}`` into that conversation
``POST /staff/api/handoffs/{id}/close``    gives the conversation back to the assistant
``GET /staff/api/feedback?days=30``        ratings: counts per level, shares, comments
``GET /staff/api/feedback.csv?days=30``    the ratings one per line
``POST /api/handoff/poll``                 ``{"sender"}``: the kiosk's poll; staff messages of
                                           that kiosk session only (its random sender id is
                                           the session's secret, as for ``/api/chat``)

While a hand-off is open, a kiosk's message is kept for staff at Rasa's gate
(bot/handoff/hold.py), as every channel's is; /api/chat passes the case on.
"""
from __future__ import annotations

import asyncio
import csv
import io
import logging
import re
import threading
from typing import Any, Callable, Optional

from aiohttp import web

from ..bodies import json_object
from .clients import LIMITER, client_address, retry_after
from .responses import json_error, json_response

log = logging.getLogger(__name__)

HandoffFactory = Callable[[], Any]
HANDOFFS: web.AppKey[HandoffFactory] = web.AppKey("handoffs", object)  # type: ignore[arg-type]
SENDER_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
KIOSK_PREFIX = "kiosk-"
MAX_DAYS = 366
UNAVAILABLE = "人工服务暂不可用，请稍后再试。 The hand-off store is unavailable."


def default_handoffs(url: Optional[str] = None) -> HandoffFactory:
    """A factory opening :class:`bot.handoff.HandoffService` (``DATABASE_URL``) on first use, once."""
    lock = threading.Lock()
    opened: list[Any] = []

    def get() -> Any:
        with lock:
            if not opened:
                from bot.handoff import HandoffService

                opened.append(HandoffService(url))
            return opened[0]

    return get


def setup(app: web.Application, handoffs: Optional[HandoffFactory] = None) -> None:
    app[HANDOFFS] = handoffs or default_handoffs()
    app.router.add_get("/staff/api/handoffs", staff_handoffs)
    app.router.add_post("/staff/api/handoffs/{id}/take", staff_take)
    app.router.add_post("/staff/api/handoffs/{id}/reply", staff_reply)
    app.router.add_post("/staff/api/handoffs/{id}/close", staff_close)
    app.router.add_get("/staff/api/feedback", staff_feedback)
    app.router.add_get("/staff/api/feedback.csv", staff_feedback_csv)
    app.router.add_post("/api/handoff/poll", kiosk_poll)


def store_of(app: web.Application) -> Any:
    """The hand-off store (opened on first use), for the other channels the web front serves."""
    return app[HANDOFFS]()


async def _call(app: web.Application, method: str, *args: Any, **kwargs: Any) -> Any:
    """One call of the (synchronous) store in a worker thread."""
    def work() -> Any:
        return getattr(app[HANDOFFS](), method)(*args, **kwargs)

    return await asyncio.get_running_loop().run_in_executor(None, work)


async def _staff_call(request: web.Request, method: str, *args: Any, **kwargs: Any) -> Any:
    from bot.handoff import HandoffError

    try:
        return await _call(request.app, method, *args, **kwargs)
    except HandoffError as error:
        raise _Refused(error.status, str(error)) from None
    except _Refused:
        raise
    except Exception as error:  # database down: the console says so, the log says why
        log.warning("hand-off store unavailable: %s: %s", type(error).__name__, error)
        raise _Refused(503, UNAVAILABLE) from None


class _Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _refusals(handler):
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except _Refused as refused:
            return json_error(refused.status, refused.message)
    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


def case_text(case: dict[str, Any]) -> Optional[str]:
    """The case as a hotline operator reads it: the renderer's Chinese, with articles.
    The decision stored with the hand-off, else the engine's decision on the facts."""
    from bot.rules import assess_dict, render_decision

    decision = case.get("decision")
    try:
        if not decision and case.get("facts", {}).get("city"):
            decision = assess_dict(case["facts"])
        return render_decision(decision) if decision else None
    except Exception as error:  # old or partial facts: the facts are still shown
        log.info("hand-off %s: no decision text (%s)", case.get("id"), type(error).__name__)
        return None


FACT_LABELS = {
    "city": "城市", "nationality": "身份", "hukou.city": "户口所在市", "hukou.county": "户口所在县区",
    "hukou.township": "户口所在乡镇街道", "hukou.province": "户口所在省", "residence.county": "现住县区",
    "residence.township": "现住乡镇街道", "lived_months": "在现住处居住", "registered_months": "居住登记",
    "supplementary_proof_months": "可提供证明", "housing": "住房", "employment": "工作", "study": "在读",
    "age": "年龄", "disabled": "残疾人", "mobility_impaired": "行动不便", "by_proxy": "代办", "as_of": "咨询日期",
}
MONTH_FACTS = ("lived_months", "registered_months", "supplementary_proof_months")


def fact_lines(facts: dict[str, Any]) -> list[list[str]]:
    """The facts as [label, value] lines in Chinese, for the console."""
    from bot.rules import labels, load_city

    flat: dict[str, Any] = {}
    for key, value in (facts or {}).items():
        if isinstance(value, dict):
            flat.update({f"{key}.{sub}": v for sub, v in value.items()})
        else:
            flat[key] = value
    lines = []
    for key, value in flat.items():
        if value is None and key != "registered_months":
            continue
        shown: Any = value
        if key == "city":
            try:
                shown = load_city(value).name
            except Exception:
                shown = value
        elif key == "nationality":
            shown = labels.NATIONALITY.get(value, value)
        elif key in MONTH_FACTS:
            shown = "没办过" if value is None else f"{value}个月"
        elif key == "age":
            shown = f"{value}岁"
        elif isinstance(value, bool):
            shown = "是" if value else "不是"
        elif key in labels.CHOICES:
            shown = dict(labels.CHOICES[key]).get(value, value)
        lines.append([FACT_LABELS.get(key, key), str(shown)])
    return lines


def _for_staff(case: dict[str, Any]) -> dict[str, Any]:
    out = dict(case)
    out["text"] = case_text(case)
    out["fact_lines"] = fact_lines(case.get("facts") or {})
    out.pop("decision", None)
    if case.get("decision"):
        out["missing"] = case["decision"].get("missing") or []
    return out


def _handoff_id(request: web.Request) -> int:
    text = request.match_info["id"]
    if not text.isdigit() or len(text) > 12:
        raise _Refused(404, f"no hand-off {text!r}")
    return int(text)


@_refusals
async def staff_handoffs(request: web.Request) -> web.Response:
    await _staff_call(request, "staff_seen")
    cases = await _staff_call(request, "queue")
    return json_response({"handoffs": [_for_staff(case) for case in cases]})


@_refusals
async def staff_take(request: web.Request) -> web.Response:
    return json_response({"handoff": _for_staff(await _staff_call(request, "take", _handoff_id(request)))})


@_refusals
async def staff_reply(request: web.Request) -> web.Response:
    handoff_id = _handoff_id(request)
    body = await json_object(request, "a JSON object {text}")
    return json_response({"handoff": _for_staff(await _staff_call(request, "reply", handoff_id, body.get("text")))})


@_refusals
async def staff_close(request: web.Request) -> web.Response:
    return json_response({"handoff": _for_staff(await _staff_call(request, "close", _handoff_id(request)))})


def _days(request: web.Request) -> int:
    text = request.query.get("days", "30").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
        raise _Refused(400, f"days: a whole number 1-{MAX_DAYS}")
    return int(text)


@_refusals
async def staff_feedback(request: web.Request) -> web.Response:
    from bot.handoff.stats import conversation_counts

    days = _days(request)
    counts = await asyncio.get_running_loop().run_in_executor(None, conversation_counts, days)
    return json_response(await _staff_call(request, "feedback", days, conversations=counts))


CSV_COLUMNS = (("created", "时间"), ("level", "评分"), ("label", "评价"), ("city", "城市"), ("topic", "事项"),
               ("verdict", "结论"), ("channel", "渠道"), ("comment", "意见"))


def _csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):  # a spreadsheet would run it as a formula
        text = "'" + text
    return text


@_refusals
async def staff_feedback_csv(request: web.Request) -> web.Response:
    days = _days(request)
    rows = await _staff_call(request, "ratings", days)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([title for _, title in CSV_COLUMNS])
    for row in rows:
        writer.writerow([_csv_cell(row.get(key)) for key, _ in CSV_COLUMNS])
    return web.Response(body=("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv",
                        charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="feedback-{days}d.csv"'})


async def kiosk_poll(request: web.Request) -> web.Response:
    """Staff messages for one kiosk session, each handed out once; and whether a person has it."""
    body = await json_object(request, "a JSON object {sender}")
    sender = body.get("sender")
    if not isinstance(sender, str) or not SENDER_RE.match(sender):
        return json_error(400, "sender: 8-64 characters of A-Z a-z 0-9 _ -")
    # A poll every 2.5 s is 24 a minute; beyond 60 per session or address it is no kiosk.
    for kind, key in (("address", client_address(request)), ("sender", sender)):
        decision = request.app[LIMITER].hit("handoff_poll", kind, key)
        if not decision.allowed:
            response = json_error(429, "too many polls; slow down")
            response.headers.update(retry_after(decision))
            return response
    sender = KIOSK_PREFIX + sender
    try:
        messages = await _call(request.app, "outbox", sender=sender)
        active = await _call(request.app, "active_for", sender)
        on_duty = bool(active) and await _call(request.app, "staff_on_duty")
    except Exception as error:
        log.warning("kiosk poll: hand-off store unavailable: %s", type(error).__name__)
        return json_response({"messages": [], "handoff": None})
    return json_response({
        "messages": [{key: item[key] for key in ("text", "buttons") if key in item} for item in messages],
        # on_duty: someone may answer here, so the kiosk holds off its idle reset (issue 20).
        "handoff": {"case_no": active["case_no"], "status": active["status"], "on_duty": on_duty}
        if active else None,
    })
