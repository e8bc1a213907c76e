"""The web front's responses: pages, JSON, API refusals, and the constants every route shares."""
from __future__ import annotations

import html
import json
import logging
import re
from pathlib import Path
from typing import Any, Callable, Optional

from aiohttp import web


from ..rasa_client import RasaClient
from .bookings import StaffBookings
from .clients import TRUST_PROXY
from .sessions import StaffSessions

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

RASA_URL: web.AppKey[str] = web.AppKey("rasa_url", str)
STAFF_TOKEN: web.AppKey[Optional[str]] = web.AppKey("staff_token", object)  # type: ignore[arg-type]
HOTLINE: web.AppKey[str] = web.AppKey("hotline", str)
IDLE_SECONDS: web.AppKey[float] = web.AppKey("idle_seconds", float)
RASA_TIMEOUT: web.AppKey[float] = web.AppKey("rasa_timeout", float)
RASA: web.AppKey[RasaClient] = web.AppKey("rasa", RasaClient)
BOOKINGS: web.AppKey[Callable[[], StaffBookings]] = web.AppKey("bookings", object)  # type: ignore[arg-type]
SESSIONS: web.AppKey[Optional[StaffSessions]] = web.AppKey("sessions", object)  # type: ignore[arg-type]
RELAY_TOKEN: web.AppKey[Optional[str]] = web.AppKey("relay_token", object)  # type: ignore[arg-type]


class ApiError(Exception):
    """An API refusal: HTTP status and a message (Chinese and/or English) as JSON."""

    def __init__(self, status: int, message: str, **extra: Any):
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


def page(name: str, **values: str) -> str:
    text = (TEMPLATES_DIR / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", html.escape(value, quote=True))
    return text


def html_response(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda value: json.dumps(value, ensure_ascii=False))


def json_error(status: int, message: str, **extra: Any) -> web.Response:
    return json_response({"error": message, **extra}, status=status)


def secure_request(request: web.Request) -> bool:
    if request.app[TRUST_PROXY] and request.headers.get("X-Forwarded-Proto", "").strip().lower() == "https":
        return True
    return request.secure
