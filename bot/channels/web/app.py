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

import logging
from typing import Any, Awaitable, Callable, Optional

from aiohttp import web

from bot.platform.ratelimit import RateLimiter, default_limiter
from bot.platform.secrets import staff_cookie_secret

from .. import DEFAULT_RASA_TIMEOUT_S
from ..rasa_client import RasaClient
from ..texts import DEFAULT_HOTLINE
from . import handoffs as handoff_routes
from ..bodies import BodyRefused, refuse_encoded
from .bookings import StaffBookings, default_bookings
from .clients import LIMITER, TRUST_PROXY
from .sessions import Revocations, StaffSessions

from .kiosk import chat, favicon, kiosk_page
from .responses import (ApiError, BOOKINGS, DEFAULT_IDLE_SECONDS, HOTLINE, IDLE_SECONDS, RASA, RASA_TIMEOUT, RASA_URL,
                        RELAY_TOKEN, SECURITY_HEADERS, SESSIONS, STAFF_TOKEN, STATIC_DIR, html_response, json_error)
from .script_aid import staff_assess, staff_endorsement, staff_extract, staff_meta
from .staff import staff_middleware, staff_login, staff_logout, staff_page
from .staff_bookings import staff_attendance, staff_bookings, staff_bookings_csv, staff_stations

log = logging.getLogger(__name__)



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
    deployment's database, :class:`.sessions.Revocations`). ``relay_token``:
    proves to Rasa's gate that the client address sent with each message is
    this web front's (default the deployment's Rasa token).
    """
    # auto_decompress off: a compressed body is refused, never inflated (see bot/channels/bodies.py).
    app = web.Application(middlewares=[_errors_middleware, staff_middleware],
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
        response = json_error(error.status, error.message, **error.extra)
    except BodyRefused as refused:
        response = json_error(refused.status, refused.message)
    except web.HTTPException as error:
        if error.status >= 400 and request.path.startswith(("/api/", "/staff/api/")):
            response = json_error(error.status, error.reason)
        else:
            raise
    except Exception:  # a bug: logged (masked), answered without a traceback
        log.exception("web front: %s %s failed", request.method, request.path)
        response = json_error(500, "internal error") if request.path.startswith(("/api/", "/staff/api/")) \
            else html_response("<!doctype html><meta charset=utf-8><title>500</title><p>系统繁忙，请稍后再试。", 500)
    return response


async def _headers_on_every_response(request: web.Request, response: web.StreamResponse) -> None:
    """The security headers on every response, the middleware's, the handlers' and aiohttp's own."""
    _add_headers(request, response)


def _add_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    # Nothing a person typed or was told stays in a shared browser's cache.
    response.headers.setdefault("Cache-Control", "no-cache" if request.path.startswith("/static/") else "no-store")
