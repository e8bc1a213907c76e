"""The web front as one aiohttp application.

Routes (all same-origin, no build step: plain HTML pages under ``templates/``,
CSS/JS under ``static/``):

``GET /``                       the service-hall kiosk (touch-screen chat)
``POST /api/chat``              the kiosk's proxy to Rasa's REST channel
``GET /static/...``             the kiosk's and the console's CSS/JS (no data)
``GET /staff``                  the staff console (login form without a session)
``POST /staff/login``           token -> HttpOnly session cookie
``POST /staff/logout``          ends the session (server-side) and drops the cookie
``GET /staff/api/meta``         cities, counties, answer labels for the script aid
``POST /staff/api/assess``      facts -> decision, the sentences to read, the next question
``POST /staff/api/extract``     a caller's words -> facts (bot.parsing)
``GET /staff/api/stations``     the stations
``GET /staff/api/bookings``     a station's bookings for a day (JSON)
``GET /staff/api/bookings.csv`` the same as CSV
``POST /staff/api/bookings/{code}/attendance``  mark attended / no_show

Staff access: nothing under ``/staff`` answers without ``STAFF_TOKEN`` set on
the server (403). With it set, a request is a staff request when it carries
``Authorization: Bearer <token>`` or the session cookie that ``/staff/login``
sets after the token was typed (HttpOnly, SameSite=Strict, expiring, signed
with a secret of its own, never the token: see :mod:`.sessions`). Anything
else gets the login form or 401. Guessing is limited per client address:
after 5 wrong tokens in 15 minutes (``staff_login`` in bot/platform/ratelimit.py),
by the login form or a Bearer header, that address gets 429 for every token
attempt, the right one included, until the window has passed; a session
cookie already issued keeps working.

Honest failures: whenever Rasa cannot answer (down, timing out after
``RASA_TIMEOUT_S``, HTTP 5xx, or an empty reply list, which is what Rasa 3.6
sends when the action server is down) the kiosk gets the busy text
(:func:`bot.channels.texts.busy_text`, 系统繁忙 + the hotline) with
``"busy": true``, never an empty list. The one exception is the kiosk's
``/restart`` on a reset, which Rasa answers with nothing by design: 204.

Rate limits (bot/platform/ratelimit.py, rule ``messages``, 20/minute): ``/api/chat``
counts every message per sender and per client address. Over either limit
the answer is 429 with ``Retry-After`` and ``{"messages": [{"text": <polite
Chinese text>}], "busy": false, "limited": true}``, which the kiosk shows.

Client address: ``request.remote``, the peer of the TCP connection. Behind
the hall's reverse proxy (which terminates TLS) that is the proxy itself, so
every visitor would share one address: set ``WEB_TRUST_PROXY=1`` and the
last address of ``X-Forwarded-For`` is used instead — the one the hall's
proxy added, whether it appends (nginx ``$proxy_add_x_forwarded_for``) or
sets the header (``$remote_addr``); what a client wrote there itself comes
before it and is ignored — and ``X-Forwarded-Proto: https`` marks the staff
cookie ``Secure``. Only with such a proxy in front: anyone who can reach the
web front directly could put any address there.
"""
from __future__ import annotations

import asyncio
import csv
import datetime as dt
import hmac
import html
import io
import json
import logging
import math
import re
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional

from aiohttp import web

from bot.platform import clock
from bot.platform.ratelimit import Decision, RateLimiter, default_limiter
from bot.rules import assess_dict, city_ids, labels, load_city, question_for, render_decision
from bot.rules.facts import FactsError
from bot.platform.secrets import staff_cookie_secret

from .. import DEFAULT_RASA_TIMEOUT_S
from ..rasa_client import RasaClient, RasaUnavailable
from ..texts import DEFAULT_HOTLINE, busy_text, too_many_messages_text
from . import handoffs as handoff_routes
from ..bodies import BodyRefused, json_object, refuse_encoded
from .bookings import BookingsUnavailable, StaffBookings, default_bookings
from .clients import LIMITER, TRUST_PROXY, client_address, retry_after
from .sessions import STAFF_SESSION_SECONDS, Revocations, StaffSessions

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"  # CSS/JS only: public, no data
TEMPLATES_DIR = Path(__file__).parent / "templates"  # the pages, served by the routes (staff ones behind the token)
DEFAULT_IDLE_SECONDS = 120
STAFF_COOKIE = "juzhu_staff"
KIOSK_SENDER_PREFIX = "kiosk-"
RESTART = "/restart"
SENDER_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_MESSAGE_CHARS = 1000
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

RASA_URL: web.AppKey[str] = web.AppKey("rasa_url", str)
STAFF_TOKEN: web.AppKey[Optional[str]] = web.AppKey("staff_token", object)  # type: ignore[arg-type]
HOTLINE: web.AppKey[str] = web.AppKey("hotline", str)
IDLE_SECONDS: web.AppKey[float] = web.AppKey("idle_seconds", float)
RASA_TIMEOUT: web.AppKey[float] = web.AppKey("rasa_timeout", float)
RASA: web.AppKey[RasaClient] = web.AppKey("rasa", RasaClient)
BOOKINGS: web.AppKey[Callable[[], StaffBookings]] = web.AppKey("bookings", object)  # type: ignore[arg-type]
SESSIONS: web.AppKey[Optional[StaffSessions]] = web.AppKey("sessions", object)  # type: ignore[arg-type]
RELAY_TOKEN: web.AppKey[Optional[str]] = web.AppKey("relay_token", object)  # type: ignore[arg-type]

STAFF_DISABLED_TEXT = ("员工页面未启用：服务器没有设置 STAFF_TOKEN。"
                       " Staff pages are disabled: STAFF_TOKEN is not set on the server.")
STAFF_LOGIN_TEXT = "请输入员工口令。 Staff token required."
STAFF_WRONG_TEXT = "口令不正确，请重新输入。 Wrong staff token."
STAFF_LOCKED_TEXT = ("口令错误次数过多，请{minutes}分钟后再试。"
                     " Too many wrong staff tokens from this address; try again in {minutes} minutes.")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
}


class ApiError(Exception):
    """An API refusal: HTTP status and a message (Chinese and/or English) as JSON."""

    def __init__(self, status: int, message: str, **extra: Any):
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


def create_app(rasa_url: str = "http://127.0.0.1:5005", staff_token: Optional[str] = None, *,
               bookings: Optional[Callable[[], StaffBookings]] = None,
               hotline: str = DEFAULT_HOTLINE, idle_seconds: float = DEFAULT_IDLE_SECONDS,
               rasa_timeout: float = DEFAULT_RASA_TIMEOUT_S, limiter: Optional[RateLimiter] = None,
               trust_proxy: bool = False, cookie_secret: Optional[str] = None,
               handoffs: Optional[Callable[[], Any]] = None, relay_token: Optional[str] = None,
               revocations: Optional[Callable[[], Revocations]] = None,
               wechat: Optional[Any] = None) -> web.Application:
    """The kiosk + staff web application.

    ``staff_token`` None or empty: every staff page and API is refused (403).
    ``bookings`` returns the staff view of the appointments store; by default
    :class:`bot.appointments.AppointmentService` on ``DATABASE_URL``, opened
    on first use. ``idle_seconds``: the kiosk's idle reset (``?idle=N`` in
    the kiosk's URL overrides it, for tests). ``limiter``: the rate limiter
    (default the process's :func:`bot.platform.ratelimit.default_limiter`).
    ``trust_proxy``: take the client address from ``X-Forwarded-For`` (see
    the module's docstring). ``cookie_secret``: what staff cookies are signed
    with; by default :func:`bot.platform.secrets.staff_cookie_secret` (read when a
    staff token is set). ``handoffs``: the hand-off store's factory (default
    :class:`bot.handoff.HandoffService` on ``DATABASE_URL``; routes in :mod:`.handoffs`).
    ``wechat``: :class:`bot.channels.wechat.WechatSettings` to serve ``/wechat`` (CONTRACT §8).
    ``revocations``: where logged-out staff sessions are kept (default the
    deployment's database, :class:`.sessions.Revocations`). ``relay_token``: proves to Rasa's gate that the client address sent with
    each message is this web front's (default the deployment's Rasa token).
    """
    # auto_decompress off: a compressed body is refused, never inflated (see bot/channels/bodies.py).
    app = web.Application(middlewares=[_errors_middleware, _staff_middleware],
                          client_max_size=64 * 1024, handler_args={"auto_decompress": False})
    app.on_response_prepare.append(_headers_on_every_response)
    app[RASA_URL] = rasa_url.rstrip("/")
    app[STAFF_TOKEN] = staff_token or None
    app[HOTLINE] = hotline
    app[IDLE_SECONDS] = float(idle_seconds)
    app[RASA_TIMEOUT] = float(rasa_timeout)
    app[BOOKINGS] = bookings or default_bookings()
    app[LIMITER] = limiter or default_limiter()
    app[TRUST_PROXY] = bool(trust_proxy)
    app[RELAY_TOKEN] = relay_token
    app[SESSIONS] = StaffSessions(cookie_secret or staff_cookie_secret(), staff_token,
                                  revocations=revocations) if staff_token else None
    app.cleanup_ctx.append(_rasa_client)

    app.router.add_get("/", kiosk_page)
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_post("/api/chat", chat)
    app.router.add_static("/static/", STATIC_DIR, append_version=False)

    app.router.add_get("/staff", staff_page)
    app.router.add_get("/staff/", staff_page)
    app.router.add_post("/staff/login", staff_login)
    app.router.add_post("/staff/logout", staff_logout)
    app.router.add_get("/staff/api/meta", staff_meta)
    app.router.add_post("/staff/api/assess", staff_assess)
    app.router.add_post("/staff/api/extract", staff_extract)
    app.router.add_post("/staff/api/endorsement", staff_endorsement)  # issue 12: the 签注 due date
    app.router.add_get("/staff/api/stations", staff_stations)
    app.router.add_get("/staff/api/bookings", staff_bookings)
    app.router.add_get("/staff/api/bookings.csv", staff_bookings_csv)
    app.router.add_post("/staff/api/bookings/{code}/attendance", staff_attendance)
    handoff_routes.setup(app, handoffs)
    if wechat is not None:  # CONTRACT §8: only with WECHAT_TOKEN set (bot/channels/wechat.py)
        from .. import wechat as wechat_channel

        wechat_channel.setup(app, wechat_channel.WechatChannel(
            wechat, rasa=lambda: app[RASA], limiter=app[LIMITER], hotline=hotline,
            handoffs=lambda: handoff_routes.store_of(app)))
    return app


async def _rasa_client(app: web.Application):
    app[RASA] = RasaClient(app[RASA_URL], timeout=app[RASA_TIMEOUT], relay_token=app[RELAY_TOKEN])
    try:
        yield
    finally:
        await app[RASA].close()


@web.middleware
async def _errors_middleware(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
    try:
        if request.body_exists:
            refuse_encoded(request)
        response = await handler(request)
    except ApiError as error:
        response = _json_error(error.status, error.message, **error.extra)
    except BodyRefused as refused:
        response = _json_error(refused.status, refused.message)
    except web.HTTPException as error:
        if error.status >= 400 and request.path.startswith(("/api/", "/staff/api/")):
            response = _json_error(error.status, error.reason)
        else:
            raise
    except Exception:  # a bug: logged (masked), answered without a traceback
        log.exception("web front: %s %s failed", request.method, request.path)
        response = _json_error(500, "internal error") if request.path.startswith(("/api/", "/staff/api/")) \
            else _html("<!doctype html><meta charset=utf-8><title>500</title><p>系统繁忙，请稍后再试。", 500)
    return response


async def _headers_on_every_response(request: web.Request, response: web.StreamResponse) -> None:
    """The security headers on every response, the middleware's, the handlers' and aiohttp's own."""
    _add_headers(request, response)


def _add_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    # Nothing a person typed or was told stays in a shared browser's cache.
    response.headers.setdefault("Cache-Control", "no-cache" if request.path.startswith("/static/") else "no-store")


def _page(name: str, **values: str) -> str:
    text = (TEMPLATES_DIR / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", html.escape(value, quote=True))
    return text


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda value: json.dumps(value, ensure_ascii=False))


def _json_error(status: int, message: str, **extra: Any) -> web.Response:
    return _json({"error": message, **extra}, status=status)


def _secure_request(request: web.Request) -> bool:
    if request.app[TRUST_PROXY] and request.headers.get("X-Forwarded-Proto", "").strip().lower() == "https":
        return True
    return request.secure


# --- kiosk ---------------------------------------------------------------------

async def kiosk_page(request: web.Request) -> web.Response:
    app = request.app
    idle = app[IDLE_SECONDS]
    # The busy text travels in the page, for when the web front itself cannot be reached.
    server_now = clock.local_now(clock.env_clock()).replace(tzinfo=clock.TZ)  # JUZHU_NOW in tests
    return _html(_page("kiosk.html", IDLE_SECONDS=f"{idle:g}", HOTLINE=app[HOTLINE],
                       BUSY_TEXT=busy_text(app[HOTLINE]), VERDICTS=_kiosk_verdicts(), COUNTIES=_kiosk_counties(),
                       SERVER_NOW=str(int(server_now.timestamp() * 1000))))


def _kiosk_verdicts() -> str:
    """The verdict labels the kiosk puts on a card drawn from a reply's ``custom`` decision."""
    return json.dumps(labels.VERDICT, ensure_ascii=False)


def _kiosk_counties() -> str:
    """Each city's counties in the order of its regulations' data (the kiosk's station picker)."""
    return json.dumps({city_id: {"name": load_city(city_id).name,
                                 "counties": [county.name for county in load_city(city_id).counties]}
                       for city_id in city_ids()}, ensure_ascii=False)


async def favicon(request: web.Request) -> web.Response:
    return web.Response(status=204)


def _clean_reply(item: Any) -> Optional[dict[str, Any]]:
    """One Rasa message reduced to what the kiosk shows (recipient id dropped)."""
    if not isinstance(item, dict):
        return None
    out: dict[str, Any] = {}
    if isinstance(item.get("text"), str) and item["text"].strip():
        out["text"] = item["text"]
    buttons = item.get("buttons")
    if isinstance(buttons, list):
        out_buttons = [
            {"title": str(b.get("title") or b.get("payload")), "payload": str(b.get("payload") or b.get("title"))}
            for b in buttons if isinstance(b, dict) and (b.get("payload") or b.get("title"))
        ]
        if out_buttons:
            out["buttons"] = out_buttons
    image = item.get("image")
    # The kiosk's Content-Security-Policy shows data: URLs and same-origin images only.
    if isinstance(image, str) and (image.startswith("data:image/") or re.match(r"^/[^/\\]", image)):
        out["image"] = image
    if isinstance(item.get("custom"), (dict, list)):
        out["custom"] = item["custom"]
    return out or None


async def chat(request: web.Request) -> web.Response:
    """Relay one kiosk message to Rasa's REST channel; the Chinese busy text whenever Rasa cannot answer."""
    app = request.app
    body = await json_object(request, "a JSON object {sender, message}")
    sender, message = body.get("sender"), body.get("message")
    if not isinstance(sender, str) or not SENDER_RE.match(sender):
        return _json_error(400, "sender: 8-64 characters of A-Z a-z 0-9 _ -")
    if not isinstance(message, str) or not message.strip() or len(message) > MAX_MESSAGE_CHARS:
        return _json_error(400, f"message: non-empty text of at most {MAX_MESSAGE_CHARS} characters")

    # Per address as well as per sender: a sender id is the client's own choice.
    for kind, key in (("address", client_address(request)), ("sender", sender)):
        decision = app[LIMITER].hit("messages", "web", kind, key)
        if not decision.allowed:
            log.info("kiosk: a %s is over the message rate limit; refused for %d s", kind, decision.retry_after_s)
            response = _json({"messages": [{"text": too_many_messages_text(app[HOTLINE])}], "busy": False,
                              "limited": True}, status=429)
            response.headers.update(retry_after(decision))
            return response

    message = message.strip()
    # While a person has the conversation, the assistant does not answer over them.
    held = await handoff_routes.held_for_staff(app, KIOSK_SENDER_PREFIX + sender, message)
    if isinstance(held, str):
        message = held  # the hand-off withdrawn: the question that came with it is answered
    elif held is not None:
        return held
    try:
        # The kiosk's address is the client the booking and hand-off limits count per.
        replies = await app[RASA].send(KIOSK_SENDER_PREFIX + sender, message, client=client_address(request))
    except RasaUnavailable as error:
        log.warning("kiosk: Rasa unavailable at %s: %s", app[RASA_URL], error)
        return _busy(app)
    messages = [m for m in (_clean_reply(item) for item in replies) if m]
    if not messages:
        if message == RESTART:  # a reset: Rasa has nothing to say, and the kiosk shows nothing
            return web.Response(status=204)
        # What Rasa 3.6 answers when the action server is down (it logs the failure, sends []).
        log.warning("kiosk: Rasa at %s answered nothing; is the action server down?", app[RASA_URL])
        return _busy(app)
    return _json({"messages": messages, "busy": False})


def _busy(app: web.Application) -> web.Response:
    return _json({"messages": [{"text": busy_text(app[HOTLINE])}], "busy": True})


# --- staff access ----------------------------------------------------------------

def _same_token(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode(), token.encode())


def _token_lockout(limiter: RateLimiter, address: str) -> Decision:
    """Whether ``address`` may try a staff token now; the look itself is not a failure."""
    return limiter.peek("staff_login", "web", address)


def _count_failed_token(request: web.Request) -> None:
    request.app[LIMITER].hit("staff_login", "web", client_address(request))


def _locked_out(request: web.Request, decision: Decision, api: bool) -> web.Response:
    message = STAFF_LOCKED_TEXT.format(minutes=max(1, math.ceil(decision.retry_after_s / 60)))
    log.warning("staff: token attempts refused for an address after repeated failures (%d s left)",
                decision.retry_after_s)
    if api:
        response = _json_error(429, message)
    else:
        response = _html(_page("staff-login.html", MESSAGE=message, ERROR_CLASS="error"), status=429)
    response.headers.update(retry_after(decision))
    return response


def _bearer(request: web.Request) -> Optional[str]:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


def _is_staff_path(path: str) -> bool:
    return path == "/staff" or path.startswith("/staff/")


@web.middleware
async def _staff_middleware(request: web.Request, handler):
    if not _is_staff_path(request.path):
        return await handler(request)
    api = request.path.startswith("/staff/api/")
    token = request.app[STAFF_TOKEN]
    if not token:
        if api:
            return _json_error(403, STAFF_DISABLED_TEXT)
        return _html(_page("staff-refused.html", MESSAGE=STAFF_DISABLED_TEXT), status=403)
    if request.path in ("/staff/login", "/staff/logout"):
        return await handler(request)
    given = _bearer(request)
    if given is not None:  # a token guess like the login form's, under the same lockout
        lockout = _token_lockout(request.app[LIMITER], client_address(request))
        if not lockout.allowed:
            return _locked_out(request, lockout, api=True)
        authorised = _same_token(given, token)
        if not authorised:
            _count_failed_token(request)
    else:
        sessions = request.app[SESSIONS]
        cookie = request.cookies.get(STAFF_COOKIE)
        authorised = sessions is not None and bool(cookie) and await asyncio.to_thread(sessions.valid, cookie)
    if not authorised:
        if api:
            response = _json_error(401, STAFF_LOGIN_TEXT)
            response.headers["WWW-Authenticate"] = 'Bearer realm="juzhu staff"'
            return response
        return _html(_page("staff-login.html", MESSAGE=STAFF_LOGIN_TEXT, ERROR_CLASS=""), status=401)
    if request.method == "POST" and api and request.content_type != "application/json":
        # Cookie-authenticated state changes only as JSON (no cross-site form posts).
        return _json_error(415, "expected Content-Type: application/json")
    return await handler(request)


async def staff_login(request: web.Request) -> web.Response:
    app = request.app
    token = app[STAFF_TOKEN]
    lockout = _token_lockout(app[LIMITER], client_address(request))
    if not lockout.allowed:  # even the right token: the address has used up its guesses
        return _locked_out(request, lockout, api=False)
    form = await request.post()
    given = str(form.get("token", "")).strip()
    if not given or not _same_token(given, token):
        _count_failed_token(request)
        await asyncio.sleep(0.3)  # slows guessing a little; compare_digest keeps timing flat
        return _html(_page("staff-login.html", MESSAGE=STAFF_WRONG_TEXT, ERROR_CLASS="error"), status=401)
    redirect = web.HTTPSeeOther("/staff")
    redirect.set_cookie(STAFF_COOKIE, app[SESSIONS].issue(), max_age=STAFF_SESSION_SECONDS, path="/staff",
                        httponly=True, samesite="Strict", secure=_secure_request(request))
    raise redirect


async def staff_logout(request: web.Request) -> web.Response:
    """Ends the session on the server too: a copy of the cookie is worthless afterwards."""
    sessions, cookie = request.app[SESSIONS], request.cookies.get(STAFF_COOKIE)
    if sessions is not None and cookie:
        await asyncio.to_thread(sessions.revoke, cookie)
    redirect = web.HTTPSeeOther("/staff")
    redirect.del_cookie(STAFF_COOKIE, path="/staff")
    raise redirect


async def staff_page(request: web.Request) -> web.Response:
    return _html(_page("staff.html"))


# --- staff: hotline script aid ---------------------------------------------------

def _choices(fact: str) -> list[dict[str, Any]]:
    return [{"value": value, "label": label} for value, label in labels.CHOICES.get(fact, ())]


async def staff_meta(request: web.Request) -> web.Response:
    cities = []
    for city_id in city_ids():
        city = load_city(city_id)
        cities.append({
            "id": city.id, "name": city.name, "province": city.province,
            "counties": [county.name for county in city.counties],
            "registration": city["registration"]["name"],
            "questions": {fact: question_for(fact, city.id) for fact in labels.QUESTION},
        })
    return _json({
        "cities": cities,
        "choices": {fact: _choices(fact) for fact in labels.CHOICES},
        "nationality": [{"value": k, "label": v} for k, v in labels.NATIONALITY.items()],
        "verdicts": labels.VERDICT,
        "today": clock.today().isoformat(),
    })


async def _json_body(request: web.Request) -> dict[str, Any]:
    return await json_object(request)


def _as_of(facts: dict[str, Any]) -> Optional[dt.date]:
    if isinstance(facts.get("as_of"), str) and DATE_RE.match(facts["as_of"]):
        try:
            return dt.date.fromisoformat(facts["as_of"])
        except ValueError:
            return None
    return None


def _parse_texts(facts: dict[str, Any], texts: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Fields the operator typed in words (一年多, 八个月, 东昌府) -> values, read by the
    interview driver exactly as the chat reads the same answer to the same question."""
    parsed: dict[str, Any] = {}
    problems: dict[str, str] = {}
    if not texts:
        return parsed, problems
    from bot.interview import Interview
    from bot.parsing import NotUnderstood

    driver = Interview(as_of=_as_of(facts))
    for fact, text in texts.items():
        if not isinstance(fact, str) or not isinstance(text, str) or not text.strip():
            continue
        if fact not in labels.QUESTION:
            problems[fact] = "not a fact the script aid asks for"
            continue
        try:
            parsed[fact] = driver.read_answer(fact, text, facts.get("city"))
        except NotUnderstood as error:
            problems[fact] = str(error)
    return parsed, problems


def _merge(facts: dict[str, Any], fact: str, value: Any) -> None:
    if "." in fact:
        group, key = fact.split(".", 1)
        target = dict(facts.get(group) or {})
        if isinstance(value, dict):
            target.update({k: v for k, v in value.items() if v})
        else:
            target[key] = value
        facts[group] = target
    else:
        facts[fact] = value


def _out(out: Any) -> dict[str, Any]:
    return out.as_dict()


async def _staff_turn(body: dict[str, Any]) -> web.Response:
    """One turn of the interview, as the chat has it: ``{"state", "message"}`` -> the
    driver's reply (``state`` to send back with the next message; ``message`` the
    caller's words or a choice's payload; no message: the first question)."""
    from bot.interview import Interview, Message, State

    state_data = body.get("state")
    if state_data is not None and not isinstance(state_data, dict):
        return _json_error(400, "state: expected the object of the previous reply", field="state")
    message = body.get("message")
    if message is not None and (not isinstance(message, str) or len(message) > MAX_MESSAGE_CHARS):
        return _json_error(400, f"message: text of at most {MAX_MESSAGE_CHARS} characters", field="message")
    as_of = None
    if isinstance(body.get("as_of"), str):
        as_of = _as_of({"as_of": body["as_of"]})
        if as_of is None:
            return _json_error(400, "as_of: expected YYYY-MM-DD", field="as_of")
    driver = Interview(as_of=as_of)
    try:
        state = State.from_dict(state_data)
    except (TypeError, ValueError, AttributeError):
        return _json_error(400, "state: expected the object of the previous reply", field="state")
    city = body.get("city") if isinstance(body.get("city"), str) else None
    if message is None or not message.strip():
        reply = driver.start(state, city=city)
    else:
        reply = driver.handle(state, Message.parse(message))
    from bot.rules.render import card_summary

    decision = reply.decision
    next_question = None
    question = next((out for out in reversed(reply.messages) if out.role == "question"), None)
    if question is not None:
        next_question = {"fact": question.fact, "question": question.text, "choices": _choices(question.fact or ""),
                         "buttons": [{"title": c.title, "payload": c.payload()} for c in question.choices]}
    return _json({
        "state": reply.state.to_dict(),
        "messages": [_out(out) for out in reply.messages],
        "cases": reply.cases,
        "ended": reply.ended,
        "decision": decision,
        "verdict_label": labels.VERDICT[decision["verdict"]] if decision else None,
        "text": render_decision(decision) if decision else None,
        "brief": card_summary(decision) if decision else None,
        "next": next_question,
    })


async def staff_endorsement(request: web.Request) -> web.Response:
    """``{"city", "last"}`` (``last``: YYYY-MM-DD, or words such as "去年5月") -> when the
    next 签注 is due under the city's article, and the note to print for the caller."""
    from bot.parsing.when import parse_past_day
    from bot.rules.engine import endorsement_dates
    from bot.rules.render import render_endorsement_due

    body = await _json_body(request)
    city = body.get("city")
    if city not in city_ids():
        return _json_error(400, f"city: one of {', '.join(city_ids())}", field="city")
    today = clock.today()
    raw = str(body.get("last") or "").strip()
    try:
        last, month_only = dt.date.fromisoformat(raw), False
    except ValueError:
        last, month_only = parse_past_day(raw, today), not re.search(r"[日号]", raw)
    if last is None or last > today:
        return _json_error(400, "last: a past date YYYY-MM-DD, or words such as 去年5月", field="last")
    dates = endorsement_dates(load_city(city), last, today)
    return _json({"city": city, "last": last.isoformat(), "deadline": dates["deadline"].isoformat(),
                  "year_ends": dates["year_ends"].isoformat(), "status": dates["status"],
                  "article": dates["article"], "note": render_endorsement_due(city, last, today, month_only=month_only)})


async def staff_assess(request: web.Request) -> web.Response:
    """Facts (and words to parse) -> decision, the sentences to read, the next question.

    With ``{"state", "message"}`` instead: one turn of the same interview the
    chat and ``juzhu interview`` run (bot.interview), for a caller's answers
    taken one by one.
    """
    body = await _json_body(request)
    if "message" in body or "state" in body:
        return await _staff_turn(body)
    facts = body.get("facts", body)
    if not isinstance(facts, dict):
        return _json_error(400, "facts: expected a JSON object", field="facts")
    facts = dict(facts)
    texts = body.get("texts") if isinstance(body.get("texts"), dict) else {}
    try:
        parsed, problems = _parse_texts(facts, texts)
    except ImportError:
        parsed, problems = {}, {fact: "bot.parsing is not available" for fact in texts}
    for fact, value in parsed.items():
        _merge(facts, fact, value)
    try:
        decision = assess_dict(facts)
    except FactsError as error:
        return _json_error(400, str(error), field=error.field, parsed=parsed, problems=problems)
    next_question = None
    if decision["verdict"] == "undetermined" and decision["missing"]:
        fact = decision["missing"][0]
        next_question = {"fact": fact, "question": question_for(fact, decision["city"]), "choices": _choices(fact)}
    from bot.rules.render import card_summary

    return _json({
        "decision": decision,
        "verdict_label": labels.VERDICT[decision["verdict"]],
        "text": render_decision(decision),
        # The first screen of the script aid: what the operator says now (the renderer's words):
        # why (one sentence), the caveats, and where / how long only for someone who will apply.
        "brief": card_summary(decision),
        "next": next_question,
        "parsed": parsed,
        "problems": problems,
    })


async def staff_extract(request: web.Request) -> web.Response:
    """A caller's words -> the facts found in them, read as the chat reads them (bot.interview)."""
    body = await _json_body(request)
    text, city = body.get("text"), body.get("city")
    if not isinstance(text, str) or not text.strip() or len(text) > 2000:
        return _json_error(400, "text: expected the caller's words (at most 2000 characters)", field="text")
    if city is not None and city not in city_ids():
        return _json_error(400, f"city: unknown city {city!r}; accepted: " + ", ".join(city_ids()), field="city")
    try:
        from bot.interview import Interview
    except ImportError:
        return _json_error(503, "bot.parsing is not available")
    facts = Interview().read_facts(text, city)
    return _json({"facts": facts})


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
    return _json({"stations": await _bookings_call(request, "stations")})


async def staff_bookings(request: web.Request) -> web.Response:
    station, date = _query_day(request)
    return _json(await _bookings_call(request, "day", station, date))


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
    body = await _json_body(request)
    status = body.get("status")
    if status not in ("attended", "no_show"):
        return _json_error(400, "status: accepted: attended, no_show", field="status")
    booking = await _bookings_call(request, "mark", request.match_info["code"], status)
    return _json({"booking": booking})
