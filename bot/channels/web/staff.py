"""Staff access: the token, the signed session cookie, login and logout, the console page."""
from __future__ import annotations

import asyncio
import hmac
import logging
import math
from typing import Optional

from aiohttp import web

from bot.platform.ratelimit import Decision, RateLimiter

from .clients import LIMITER, client_address, retry_after
from .sessions import STAFF_SESSION_SECONDS

from .responses import (SESSIONS, STAFF_COOKIE, STAFF_DISABLED_TEXT, STAFF_LOCKED_TEXT, STAFF_LOGIN_TEXT, STAFF_TOKEN,
                        STAFF_WRONG_TEXT, secure_request, html_response, json_error, page)

log = logging.getLogger(__name__)


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
        response = json_error(429, message)
    else:
        response = html_response(page("staff-login.html", MESSAGE=message, ERROR_CLASS="error"), status=429)
    response.headers.update(retry_after(decision))
    return response


def _bearer(request: web.Request) -> Optional[str]:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


def _is_staff_path(path: str) -> bool:
    return path == "/staff" or path.startswith("/staff/")


@web.middleware
async def staff_middleware(request: web.Request, handler):
    if not _is_staff_path(request.path):
        return await handler(request)
    api = request.path.startswith("/staff/api/")
    token = request.app[STAFF_TOKEN]
    if not token:
        if api:
            return json_error(403, STAFF_DISABLED_TEXT)
        return html_response(page("staff-refused.html", MESSAGE=STAFF_DISABLED_TEXT), status=403)
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
            response = json_error(401, STAFF_LOGIN_TEXT)
            response.headers["WWW-Authenticate"] = 'Bearer realm="juzhu staff"'
            return response
        return html_response(page("staff-login.html", MESSAGE=STAFF_LOGIN_TEXT, ERROR_CLASS=""), status=401)
    if request.method == "POST" and api and request.content_type != "application/json":
        # Cookie-authenticated state changes only as JSON (no cross-site form posts).
        return json_error(415, "expected Content-Type: application/json")
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
        return html_response(page("staff-login.html", MESSAGE=STAFF_WRONG_TEXT, ERROR_CLASS="error"), status=401)
    redirect = web.HTTPSeeOther("/staff")
    redirect.set_cookie(STAFF_COOKIE, app[SESSIONS].issue(), max_age=STAFF_SESSION_SECONDS, path="/staff",
                        httponly=True, samesite="Strict", secure=secure_request(request))
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
    return html_response(page("staff.html"))
