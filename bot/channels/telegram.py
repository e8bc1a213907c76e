"""The Telegram bridge: Telegram chats <-> Rasa's REST channel (long polling).

Every text message of a chat is posted to ``RASA_URL/webhooks/rest/webhook``
as ``{"sender": sender_id(chat id), "message": text}``; every element of Rasa's
answer becomes a Telegram message:

========================================  ============================================
Rasa element                              Telegram
========================================  ============================================
``{"text": T}``                           ``sendMessage`` (split above 4096 chars)
``{"text": T, "buttons": [...]}``         ``sendMessage`` with an inline keyboard; a tap
                                          sends the button's ``payload`` to Rasa as the
                                          message, answers the callback query and
                                          echoes "您选择了：<title>". Payloads longer
                                          than 64 bytes (Telegram's ``callback_data``
                                          limit; a Chinese character is 3 bytes) travel
                                          as a short id ``p:<n>`` kept in memory per
                                          chat. A button with ``url`` opens the URL.
``{"image": URL}``                        ``sendPhoto`` by URL
``{"image": "data:image/png;base64,…"}``  ``sendPhoto`` with the decoded bytes uploaded
``{"attachment": URL}``                   ``sendDocument`` by URL
``{"custom": {...}}``                     see below; other custom keys are ignored
========================================  ============================================

Custom elements this bridge understands (keys may be combined in one element):

- ``{"custom": {"ics": B64, "filename": "juzhu.ics", "caption": "…"}}`` — a
  calendar file, sent with ``sendDocument``. ``B64`` is the file in base64
  (a ``data:text/calendar;base64,…`` URL or the raw ``BEGIN:VCALENDAR`` text
  work too). ``filename`` defaults to ``juzhu.ics``; ``caption`` is optional.
- ``{"custom": {"document": B64_OR_URL, "filename": "…", "caption": "…"}}`` —
  any other file, the same way (``http(s)://`` URLs are passed to Telegram).
- ``{"custom": {"booking": {"code": "K7Q2M9", "start": "2026-11-24 09:30",
  "station": "…"}}}`` — sent by the booking action when a booking is made.
  Nothing is shown for it: the bridge records ``code -> chat id`` so it can
  remind that chat the day before the visit (only ``code`` is required and
  only code and chat id are stored).
- The kiosk's keys work here too, so one element can serve both fronts:
  ``text`` (and ``buttons``) when the element has no top-level ones,
  ``qr`` / ``image`` (a photo, captioned "预约码：<code>" when ``code`` is
  given, else with ``caption``), and ``code`` — a valid booking code there
  counts as a booking for the reminders, like ``booking.code``. E.g.
  ``{"custom": {"text": "预约成功…", "qr": "data:image/png;base64,…",
  "code": "K7Q2M9", "ics": B64, "filename": "juzhu.ics"}}``. When the photo
  took ``caption``, the document goes without one.

Commands: ``/start`` greets and explains, ``/help`` lists what the bot can
do, ``/reset`` forgets the conversation (``/restart`` is sent to Rasa for the
chat's sender and the chat's mapped button ids are dropped).

Honest failures: whenever Rasa cannot answer the chat gets the busy text
(:func:`bot.channels.texts.busy_text`, the kiosk's words: 系统繁忙 + the
hotline ``HOTLINE``), never silence and no traceback: Rasa down or timing
out (``RASA_TIMEOUT_S``, default 30 s), HTTP 4xx/5xx, or an empty reply list
(what Rasa 3.6 sends when the action server is down; only ``/restart`` is
answered with nothing by design). A message is retried only when it was
never sent: connection refused or connect timeout (``httpx.ConnectError``,
``httpx.ConnectTimeout``), a couple of times with a short backoff. Once sent
it is never sent again (read timeout, dropped connection, 5xx): Rasa may
have run it, and running a booking step twice could book twice.

Private chats only: in a group everyone would read the conversation and the
name and phone a booking asks for. Messages and button taps from groups,
supergroups and channels are not relayed; a group gets one short note
(:data:`bot.channels.texts.PRIVATE_ONLY_TEXT`, once per group while the
bridge runs).

Rate limit: every update of a chat (messages, taps, commands) counts under
the ``messages`` rule of bot/ratelimit.py (20/minute) per chat. Over it the
update is dropped, not relayed, and the chat is told so once per window
(:func:`bot.channels.texts.too_many_messages_text`), not once per message.

Logs: ``juzhu telegram`` masks every log record (bot/masking.py); the bridge
itself never logs what a chat wrote, nor chat ids, at INFO or above.

Reminders: a periodic job (every ``TELEGRAM_REMINDER_INTERVAL`` seconds,
default 300, and once at start-up) reads the known ``code -> chat id`` pairs
from a small SQLite file (``TELEGRAM_STATE_PATH``, default
``var/telegram.sqlite3``), looks each booking up in the appointments store,
and on the day before an active booking (between 08:00 and 21:00 Shanghai
time) sends "明天 HH:MM 您预约了 <station>…" with the code, once: the start
it reminded for is written to the file, so a restart neither loses nor
repeats reminders. Cancelled and past bookings are forgotten. The job runs
on PTB's JobQueue (which works with the APScheduler 3.9 that Rasa 3.6 pins,
even though PTB's ``job-queue`` extra asks for a newer one); without a job
queue the same job runs as a plain asyncio task.

The bot token never reaches the logs: :func:`install_token_redaction`
redacts it from every log record, and the loggers that print request URLs
(``httpx``, ``httpcore``, ``telegram``) are set to WARNING.
"""
from __future__ import annotations

import asyncio
import html
import base64
import binascii
import collections
import contextlib
import datetime as dt
import itertools
import logging
import os
import sqlite3
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterable, Optional

import httpx
from telegram import (BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update)
from telegram.constants import ChatType, MessageLimit
from telegram.error import Forbidden, TelegramError
from telegram.ext import (Application, ApplicationHandlerStop, CallbackQueryHandler, CommandHandler,
                          ContextTypes, MessageHandler, TypeHandler, filters)

from bot.private_files import private_file
from bot.ratelimit import RateLimiter, default_limiter
# What a reminder knows of a booking, and where it is looked up: shared with WeChat.
from bot.reminders import BookingInfo, BookingLookup, Clock, appointments_lookup

from . import DEFAULT_RASA_TIMEOUT_S, rasa_timeout_s, relay_headers
from .texts import DEFAULT_HOTLINE, PRIVATE_ONLY_TEXT, busy_text, too_many_messages_text

log = logging.getLogger("juzhu.telegram")

# --- texts -------------------------------------------------------------------------
START_TEXT = (
    "您好！我是居住证办理助手（居助）。\n"
    "我可以帮您：\n"
    "• 判断您现在能不能办居住证、还差什么条件；\n"
    "• 列出需要携带的材料；\n"
    "• 告诉您去哪里办、要多久、收不收费；\n"
    "• 预约派出所办理时间，并在前一天提醒您。\n\n"
    "直接用文字告诉我您的情况就行，例如“我在聊城租房住了八个月，能办居住证吗？”。\n"
    "输入 /help 查看帮助，输入 /reset 重新开始。"
)
HELP_TEXT = (
    "我能做的事：\n"
    "• 办证条件：“我能办居住证吗？”\n"
    "• 所需材料：“办居住证要带什么？”\n"
    "• 办理地点、时间和费用：“在哪里办？”“要多久？”“收费吗？”\n"
    "• 代办、签注、补领换领、住址变更、落户和居住登记等问题\n"
    "• 预约办理：“我要预约”；取消或查询预约：“取消预约”“查询预约”\n"
    "• 预约成功后，我会在前一天提醒您\n"
    "• 签注提醒：“去年5月办的居住证，什么时候签注？”，到期前提醒您；“不用提醒了”取消\n\n"
    "命令：/start 介绍  /help 帮助  /reset 清除本次对话、重新开始\n"
    "遇到按钮时点一下即可作答，也可以直接打字。"
)
RESET_TEXT = "好的，已清除本次对话，我们重新开始吧。请问有什么可以帮您？"
NOT_TEXT = "目前我只能读懂文字消息，请用文字描述您的问题。"
UNKNOWN_COMMAND_TEXT = "没有这个命令。输入 /help 查看我能做什么，或直接用文字提问。"
EXPIRED_BUTTON_TEXT = "这个按钮已经失效了，请重新输入您的问题。"
BUTTONS_ONLY_TEXT = "请选择："
CHOSEN_TEXT = "您选择了：{title}"

CALLBACK_DATA_MAX_BYTES = 64
MAPPED_PREFIX = "p:"
SENDER_PREFIX = "tg-"
RESTART = "/restart"


def sender_id(chat_id: int) -> str:
    """The chat's Rasa conversation id: not guessable from the chat id (a keyed hash), stable across restarts."""
    from bot.secrets import keyed_hash

    return f"{SENDER_PREFIX}{keyed_hash('telegram', str(chat_id))[:24]}"


# --- settings ------------------------------------------------------------------------

class SettingsError(Exception):
    """A setting the bridge cannot run with: one clear English line."""


def bot_api_base(base_url: str) -> str:
    """``TELEGRAM_API_BASE_URL`` as python-telegram-bot wants it, ending in ``/bot`` (the token follows).

    The Bot API's own documentation names servers as ``http://host:8081`` (issue 20):
    without ``/bot`` every call went to the wrong path and the bridge hung silently."""
    base = base_url.strip().rstrip("/")
    if "{token}" in base or base.endswith("/bot"):
        return base
    return base + "/bot"


def _base_file_url(base_url: str) -> Optional[str]:
    """``http://host:8081/bot`` -> ``http://host:8081/file/bot`` (also with ``{token}``)."""
    index = base_url.rfind("/bot")
    if index < 0:
        return None
    return base_url[:index] + "/file" + base_url[index:]


@dataclass
class Settings:
    token: str
    rasa_url: str = "http://127.0.0.1:5005"
    api_base_url: Optional[str] = None
    api_base_file_url: Optional[str] = None
    state_path: Path = Path("var") / "telegram.sqlite3"
    reminder_interval: float = 300.0
    # Reminders go out the day before, between these Shanghai wall-clock hours.
    reminder_hours: tuple[int, int] = (8, 21)
    rasa_timeout: float = DEFAULT_RASA_TIMEOUT_S
    # Retries of a message that never reached Rasa (connection refused, connect timeout) only.
    rasa_retries: int = 2
    rasa_backoff: float = 0.5
    hotline: str = DEFAULT_HOTLINE

    @classmethod
    def from_env(cls, env: Optional[dict[str, str]] = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
        if not token:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and "
                "export TELEGRAM_BOT_TOKEN=<its token>")
        if any(ch.isspace() for ch in token):
            raise SettingsError("TELEGRAM_BOT_TOKEN contains blanks: paste the token exactly as @BotFather gave it")
        settings = cls(token=token)
        settings.rasa_url = (env.get("RASA_URL") or settings.rasa_url).strip().rstrip("/")
        if not settings.rasa_url.startswith(("http://", "https://")):
            raise SettingsError(f"RASA_URL must start with http:// or https://, got {settings.rasa_url!r}")
        base = env.get("TELEGRAM_API_BASE_URL", "").strip()
        if base:
            if not base.startswith(("http://", "https://")):
                raise SettingsError(
                    "TELEGRAM_API_BASE_URL must start with http:// or https://, "
                    "e.g. http://127.0.0.1:8081/bot")
            settings.api_base_url = base = bot_api_base(base)
            settings.api_base_file_url = (env.get("TELEGRAM_API_BASE_FILE_URL", "").strip()
                                          or _base_file_url(base))
        try:
            settings.rasa_timeout = rasa_timeout_s(env)
        except ValueError as error:
            raise SettingsError(str(error)) from None
        settings.hotline = (env.get("HOTLINE") or "").strip() or DEFAULT_HOTLINE
        if env.get("TELEGRAM_STATE_PATH", "").strip():
            settings.state_path = Path(env["TELEGRAM_STATE_PATH"].strip())
        if env.get("TELEGRAM_REMINDER_INTERVAL", "").strip():
            try:
                settings.reminder_interval = float(env["TELEGRAM_REMINDER_INTERVAL"])
                if settings.reminder_interval <= 0:
                    raise ValueError
            except ValueError:
                raise SettingsError("TELEGRAM_REMINDER_INTERVAL must be a positive number of seconds") from None
        return settings


# --- the token never in the logs ---------------------------------------------------

REDACTED = "[REDACTED]"


class TokenRedactingFilter(logging.Filter):
    """Replaces the bot token (and its secret half) in a record's message,
    exception text and stack text. Returns True: records are never dropped."""

    def __init__(self, *secrets: str):
        super().__init__()
        found: list[str] = []
        for secret in secrets:
            if not secret:
                continue
            found.append(secret)
            _, _, secret_half = secret.partition(":")
            if len(secret_half) >= 8:
                found.append(secret_half)
        # Longest first, so the whole token is replaced before its half.
        self.secrets = sorted(set(found), key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error report
            return True
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


NOISY_LOGGERS = ("httpx", "httpcore", "telegram", "apscheduler")


def compact_library_error(record: logging.LogRecord) -> None:
    """A python-telegram-bot / httpx record with a traceback becomes one line
    (the exception's type and message appended): network trouble is an
    operator's message, not a stack dump."""
    if record.exc_info and record.name.startswith(("telegram", "httpx", "httpcore")):
        error = record.exc_info[1]
        try:
            message = record.getMessage()
        except Exception:
            return
        if error is not None:
            message = f"{message} ({type(error).__name__}: {error})"
        record.msg, record.args, record.exc_info, record.exc_text = message, None, None, None


class TokenRedaction:
    """Installed redaction: :meth:`remove` undoes it (tests install and remove)."""

    def __init__(self, token_filter: TokenRedactingFilter, *, compact: bool = False):
        self.filter = token_filter
        self._previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = self._previous(*args, **kwargs)
            if compact:
                compact_library_error(record)
            self.filter.filter(record)
            return record

        self._factory = factory
        logging.setLogRecordFactory(factory)

    def remove(self) -> None:
        if logging.getLogRecordFactory() is self._factory:
            logging.setLogRecordFactory(self._previous)
        else:  # someone wrapped ours: keep the chain, make ours a no-op
            self.filter.secrets = []


def install_token_redaction(token: str, *, quiet: bool = True, compact: bool = False) -> TokenRedaction:
    """Redact ``token`` from every log record made from now on, whatever its
    logger or handler (the filter runs in the record factory, so child
    loggers and handlers added later, like pytest's caplog, are covered);
    with ``quiet``, set the loggers that print request URLs to WARNING; with
    ``compact``, library errors are logged in one line, without traceback."""
    if quiet:
        for name in NOISY_LOGGERS:
            logger = logging.getLogger(name)
            if logger.level < logging.WARNING:
                logger.setLevel(logging.WARNING)
    return TokenRedaction(TokenRedactingFilter(token), compact=compact)


# --- Rasa ------------------------------------------------------------------------------

class RasaUnavailable(Exception):
    """Rasa did not answer usefully (after the retries a never-sent message gets)."""


# The request never left: retrying cannot make Rasa run a message twice.
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout)


class RasaClient:
    """Posts to Rasa's REST channel; retries only what never reached it."""

    def __init__(self, base_url: str, *, timeout: float = DEFAULT_RASA_TIMEOUT_S, retries: int = 2,
                 backoff: float = 0.5, relay_token: Optional[str] = None):
        self.url = base_url.rstrip("/") + "/webhooks/rest/webhook"
        self.relay_token = relay_token  # default: the deployment's Rasa token, read on first send
        self.retries = max(0, retries)
        self.backoff = backoff
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)))

    async def close(self) -> None:
        await self._client.aclose()

    async def send(self, sender: str, message: str) -> list[dict[str, Any]]:
        """Rasa's replies to ``message``; :class:`RasaUnavailable` when there are none to be had.

        Sent at most once: a request that may have reached Rasa (read
        timeout, connection dropped, any HTTP status) is never repeated,
        since Rasa may have acted on it (a booking step run twice books
        twice). Only connection failures before sending are retried.
        """
        problem = "no attempt"
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self.backoff * (2 ** (attempt - 1)))
            try:
                # The chat is the client the booking and hand-off limits count per (rest_gate.py).
                response = await self._client.post(self.url, json={"sender": sender, "message": message},
                                                   headers=relay_headers(sender, self.relay_token))
            except NOT_SENT_ERRORS as error:
                problem = f"{type(error).__name__}: {error}"
                log.warning("Rasa unreachable (attempt %d of %d): %s", attempt + 1, self.retries + 1, problem)
                continue
            except httpx.HTTPError as error:  # sent, perhaps acted on: not repeated
                raise RasaUnavailable(f"no answer from Rasa: {type(error).__name__}: {error}") from None
            if response.status_code >= 400:
                raise RasaUnavailable(f"Rasa answered HTTP {response.status_code}")
            try:
                replies = response.json()
            except ValueError:
                raise RasaUnavailable("Rasa answered something that is not JSON") from None
            if not isinstance(replies, list):
                raise RasaUnavailable("Rasa answered JSON that is not a list")
            return [reply for reply in replies if isinstance(reply, dict)]
        raise RasaUnavailable(f"no connection to Rasa in {self.retries + 1} attempts; last: {problem}")


# --- button payloads over 64 bytes --------------------------------------------------

class CallbackPayloads:
    """Maps payloads too long for ``callback_data`` to short ids, per chat.

    Ids come from one counter and are never reused, so a stale keyboard can
    never send another payload than the one it showed. Each chat keeps its
    ``per_chat`` newest mappings (a tap on an older one is "expired")."""

    def __init__(self, per_chat: int = 256):
        self.per_chat = per_chat
        self._tables: dict[int, collections.OrderedDict[str, str]] = {}
        self._counter = itertools.count(1)

    @staticmethod
    def fits(payload: str) -> bool:
        return (len(payload.encode("utf-8")) <= CALLBACK_DATA_MAX_BYTES
                and not payload.startswith(MAPPED_PREFIX))

    def encode(self, chat_id: int, payload: str) -> str:
        if self.fits(payload):
            return payload
        table = self._tables.setdefault(chat_id, collections.OrderedDict())
        for key, known in table.items():
            if known == payload:
                table.move_to_end(key)
                return key
        key = f"{MAPPED_PREFIX}{next(self._counter)}"
        table[key] = payload
        while len(table) > self.per_chat:
            table.popitem(last=False)
        return key

    def decode(self, chat_id: int, data: str) -> Optional[str]:
        """The payload behind ``data``; None for an expired or unknown id."""
        if not data.startswith(MAPPED_PREFIX):
            return data
        return self._tables.get(chat_id, {}).get(data)

    def forget(self, chat_id: int) -> None:
        self._tables.pop(chat_id, None)


# --- reminders: which chat booked which code ---------------------------------------

class ReminderState:
    """A small SQLite file: booking code -> chat id, and the visit start a
    reminder was sent for. No names, no phone numbers."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(str(self.path), timeout=10)
        connection.execute(
            "CREATE TABLE IF NOT EXISTS telegram_bookings ("
            " code TEXT PRIMARY KEY,"
            " chat_id INTEGER NOT NULL,"
            " seen_at TEXT NOT NULL,"
            " reminded_for TEXT)")
        return connection

    def open(self) -> None:
        private_file(self.path)  # chat ids of bookings: 0600 in a 0700 var/
        with contextlib.closing(self._connect()) as connection:
            connection.commit()

    def remember(self, code: str, chat_id: int, seen_at: dt.datetime) -> None:
        with contextlib.closing(self._connect()) as connection, connection:
            connection.execute(
                "INSERT INTO telegram_bookings (code, chat_id, seen_at) VALUES (?, ?, ?) "
                "ON CONFLICT(code) DO UPDATE SET chat_id = excluded.chat_id",
                (code, chat_id, seen_at.isoformat(sep=" ")))

    def known(self) -> list[tuple[str, int, Optional[str]]]:
        with contextlib.closing(self._connect()) as connection:
            return [tuple(row) for row in connection.execute(
                "SELECT code, chat_id, reminded_for FROM telegram_bookings ORDER BY seen_at, code")]

    def mark_reminded(self, code: str, start: dt.datetime) -> None:
        with contextlib.closing(self._connect()) as connection, connection:
            connection.execute("UPDATE telegram_bookings SET reminded_for = ? WHERE code = ?",
                               (start.isoformat(sep=" "), code))

    def forget(self, code: str) -> None:
        with contextlib.closing(self._connect()) as connection, connection:
            connection.execute("DELETE FROM telegram_bookings WHERE code = ?", (code,))


def default_clock() -> dt.datetime:
    """Now, naive Shanghai wall-clock time (``JUZHU_NOW`` fixes it)."""
    from bot.clock import env_clock, local_now

    return local_now(env_clock())


def reminder_text(booking: BookingInfo) -> str:
    text = (f"温馨提醒：明天（{booking.start.month}月{booking.start.day}日）{booking.start:%H:%M} "
            f"您预约了{booking.station}办理居住证，预约码 {booking.code}。")
    if booking.address:
        text += f"\n地址：{booking.address}"
    text += "\n请带好身份证和相关材料按时前往。如需取消，请回复“取消预约”。"
    return text


# --- the bridge --------------------------------------------------------------------------

def _decode_base64(data: str) -> bytes:
    data = data.strip()
    if data.startswith("data:"):
        header, _, data = data.partition(",")
        if ";base64" not in header:
            from urllib.parse import unquote_to_bytes

            return unquote_to_bytes(data)
    return base64.b64decode("".join(data.split()), validate=True)


def _booking_code(value: Any) -> Optional[str]:
    """A booking code in its canonical form, or None when ``value`` is not one."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        from bot.appointments.validation import BookingRefused, normalise_code
    except ImportError:  # pragma: no cover - the store is part of the project
        return value.strip().upper()
    try:
        return normalise_code(value)
    except BookingRefused:
        return None


def readback_cards(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the assistant understood (custom.readback, sent by Rasa as an element of its own
    after the text and buttons) as one card: a bold title, one line per fact, the buttons."""
    out: list[dict[str, Any]] = []
    for reply in replies:
        custom = reply.get("custom") if isinstance(reply.get("custom"), dict) else {}
        readback = custom.get("readback") if isinstance(custom.get("readback"), dict) else None
        lines = readback.get("lines") if readback else None
        if isinstance(lines, list) and not reply.get("text") and out and out[-1].get("text") \
                and not out[-1].get("custom"):
            rows = []
            for line in lines:
                label, _, value = str(line).partition("：")
                rows.append(f"• {html.escape(label)}：<b>{html.escape(value)}</b>")
            card = "<b>请核对，我理解的是：</b>\n" + "\n".join(rows) + "\n对吗？"
            out[-1] = {**out[-1], "custom": custom, "html": card}
            continue
        out.append(reply)
    return out


def _split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at line ends when possible."""
    pieces: list[str] = []
    text = text.strip("\n")
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut].rstrip("\n"))
        text = text[cut:].lstrip("\n")
    pieces.append(text)
    return [piece for piece in pieces if piece.strip()]


# How many groups the bridge remembers having told to chat privately (the note goes once per group).
PRIVATE_NOTES_KEPT = 10_000


@dataclass
class TelegramBridge:
    settings: Settings
    lookup: BookingLookup = appointments_lookup
    clock: Clock = default_clock
    payloads: CallbackPayloads = field(default_factory=CallbackPayloads)
    limiter: Optional[RateLimiter] = None  # default: the process's bot.ratelimit.default_limiter()
    handoff_store: Optional[Callable[[], Any]] = None  # default: bot.handoff.HandoffService on DATABASE_URL

    def __post_init__(self) -> None:
        if self.limiter is None:
            self.limiter = default_limiter()
        self.rasa: Optional[RasaClient] = None
        # chat id -> time.monotonic() until which the chat has been told it is over the rate limit
        self._limited_until: dict[int, float] = {}
        self._told_private: "collections.OrderedDict[int, None]" = collections.OrderedDict()
        self.state = ReminderState(self.settings.state_path)
        self._chat_locks: "weakref.WeakValueDictionary[int, asyncio.Lock]" = weakref.WeakValueDictionary()
        self._reminder_lock = asyncio.Lock()
        self._reminder_task: Optional[asyncio.Task] = None
        self._use_job_queue = True
        from .telegram_handoffs import TelegramHandoffs  # staff replies and held messages (issue 11)

        self.handoffs = TelegramHandoffs(self.handoff_store)
        self._handoff_task: Optional[asyncio.Task] = None
        self._endorsements: Any = None  # bot.reminders.EndorsementReminders, made on first use

    def endorsements(self) -> Any:
        """The yearly 签注 reminders (bot/reminders.py) on the appointments database."""
        if self._endorsements is None:
            from bot.reminders import EndorsementReminders

            self._endorsements = EndorsementReminders()
        return self._endorsements

    # -- wiring --

    def build_application(self, *, job_queue: bool = True) -> Application:
        builder = (Application.builder().token(self.settings.token)
                   .concurrent_updates(True)
                   .post_init(self.post_init).post_shutdown(self.post_shutdown))
        if self.settings.api_base_url:
            builder = builder.base_url(self.settings.api_base_url)
            if self.settings.api_base_file_url:
                builder = builder.base_file_url(self.settings.api_base_file_url)
        self._use_job_queue = job_queue
        if not job_queue:
            builder = builder.job_queue(None)
        app = builder.build()
        app.bot_data["juzhu_bridge"] = self
        # Before every other handler: private chats only, and the per-chat rate limit.
        app.add_handler(TypeHandler(Update, self.gate), group=-1)
        new = filters.UpdateType.MESSAGE  # edited messages are not sent again
        app.add_handler(CommandHandler("start", self.on_start, filters=new))
        app.add_handler(CommandHandler("help", self.on_help, filters=new))
        app.add_handler(CommandHandler("reset", self.on_reset, filters=new))
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_handler(MessageHandler(new & filters.COMMAND, self.on_unknown_command))
        app.add_handler(MessageHandler(new & filters.TEXT & ~filters.COMMAND, self.on_text))
        app.add_handler(MessageHandler(new & ~filters.StatusUpdate.ALL, self.on_other))
        app.add_error_handler(self.on_error)
        return app

    async def post_init(self, app: Application) -> None:
        s = self.settings
        self.rasa = RasaClient(s.rasa_url, timeout=s.rasa_timeout, retries=s.rasa_retries, backoff=s.rasa_backoff)
        await asyncio.to_thread(self.state.open)
        try:
            await app.bot.set_my_commands([
                BotCommand("start", "介绍"), BotCommand("help", "我能做什么"),
                BotCommand("reset", "清除对话，重新开始")])
        except TelegramError as error:
            log.warning("could not set the command menu: %s", error)
        if self._use_job_queue and app.job_queue is not None:
            app.job_queue.run_repeating(self._reminder_job, interval=s.reminder_interval, first=0,
                                        name="juzhu-reminders")
            log.info("reminders: every %.0f s on the JobQueue", s.reminder_interval)
        else:
            self._reminder_task = asyncio.get_running_loop().create_task(self._reminder_loop(app))
            log.info("reminders: every %.0f s on an asyncio task", s.reminder_interval)

        self._handoff_task = asyncio.get_running_loop().create_task(
            self.handoffs.loop(lambda chat_id, reply: self.deliver(app.bot, chat_id, [reply])))

    async def post_shutdown(self, app: Application) -> None:
        if self._handoff_task is not None:
            self._handoff_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._handoff_task
            self._handoff_task = None
        if self._reminder_task is not None:
            self._reminder_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reminder_task
            self._reminder_task = None
        if self.rasa is not None:
            await self.rasa.close()
            self.rasa = None

    def _chat_lock(self, chat_id: int) -> asyncio.Lock:
        lock = self._chat_locks.get(chat_id)
        if lock is None:
            lock = asyncio.Lock()
            self._chat_locks[chat_id] = lock
        return lock

    @property
    def busy_text(self) -> str:
        return busy_text(self.settings.hotline)

    # -- the gate: who may talk to the bridge, how often --

    async def gate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs before the handlers; raises ``ApplicationHandlerStop`` for an update that
        must go no further: one from a group or channel, or one over the chat's rate limit."""
        chat = update.effective_chat
        if chat is None:
            return
        if chat.type != ChatType.PRIVATE:
            await self._not_private(update, context.bot, chat)
            raise ApplicationHandlerStop
        decision = self.limiter.hit("messages", "telegram", str(chat.id))
        if not decision.allowed:
            await self._over_limit(update, context.bot, chat.id, decision.retry_after_s)
            raise ApplicationHandlerStop

    @staticmethod
    async def _answer_quietly(update: Update) -> None:
        """Stops the spinner of a button tap that is dropped."""
        if update.callback_query is not None:
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer()

    async def _not_private(self, update: Update, bot: Any, chat: Any) -> None:
        await self._answer_quietly(update)
        if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP) or chat.id in self._told_private:
            return  # a channel gets nothing; a group its one note
        self._told_private[chat.id] = None
        while len(self._told_private) > PRIVATE_NOTES_KEPT:
            self._told_private.popitem(last=False)
        log.info("a group wrote to the bot; not relayed, the group was asked to chat privately")
        with contextlib.suppress(TelegramError):
            await bot.send_message(chat.id, PRIVATE_ONLY_TEXT)

    async def _over_limit(self, update: Update, bot: Any, chat_id: int, retry_after_s: int) -> None:
        await self._answer_quietly(update)
        now = time.monotonic()
        if now < self._limited_until.get(chat_id, 0.0):
            return  # told already in this window: the rest of the flood is dropped silently
        for known, until in list(self._limited_until.items()):  # forget windows that are over
            if until <= now:
                del self._limited_until[known]
        self._limited_until[chat_id] = now + max(1, retry_after_s)
        log.info("a chat is over the message rate limit; not relayed for %d s", retry_after_s)
        with contextlib.suppress(TelegramError):
            await bot.send_message(chat_id, too_many_messages_text(self.settings.hotline))

    # -- handlers --

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await context.bot.send_message(update.effective_chat.id, START_TEXT)

    async def on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await context.bot.send_message(update.effective_chat.id, HELP_TEXT)

    async def on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await context.bot.send_message(update.effective_chat.id, UNKNOWN_COMMAND_TEXT)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat is not None and update.effective_message is not None:
            await context.bot.send_message(update.effective_chat.id, NOT_TEXT)

    async def on_reset(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = update.effective_chat.id
        async with self._chat_lock(chat_id):
            self.payloads.forget(chat_id)
            await self.handoffs.abandon(sender_id(chat_id))
            try:
                replies = await self._rasa().send(sender_id(chat_id), "/restart")
            except RasaUnavailable as error:
                log.warning("reset for a chat failed: %s", error)
                await context.bot.send_message(chat_id, self.busy_text)
                return
            await context.bot.send_message(chat_id, RESET_TEXT)
            await self.deliver(context.bot, chat_id, replies)

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = update.effective_chat.id
        async with self._chat_lock(chat_id):
            await self.relay(context.bot, chat_id, update.effective_message.text)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        chat_id = query.message.chat.id if query.message else query.from_user.id
        data = query.data or ""
        payload = self.payloads.decode(chat_id, data)
        try:
            await query.answer()
        except TelegramError as error:  # too old to answer: the tap still counts
            log.info("could not answer a callback query: %s", error)
        if payload is None:
            await context.bot.send_message(chat_id, EXPIRED_BUTTON_TEXT)
            return
        title = self._button_title(query, data)
        async with self._chat_lock(chat_id):
            if title:
                await context.bot.send_message(chat_id, CHOSEN_TEXT.format(title=title))
            await self.relay(context.bot, chat_id, payload)

    @staticmethod
    def _button_title(query: Any, data: str) -> Optional[str]:
        markup = getattr(query.message, "reply_markup", None) if query.message else None
        for row in getattr(markup, "inline_keyboard", None) or ():
            for button in row:
                if button.callback_data == data:
                    return button.text
        return None

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        if isinstance(error, TelegramError):  # Telegram itself failed: one line, nothing to send
            log.warning("Telegram error while handling an update: %s: %s", type(error).__name__, error)
            return
        log.error("error while handling an update: %s: %s", type(error).__name__, error, exc_info=error)
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is not None:  # the user gets the busy line, never the error
            with contextlib.suppress(Exception):
                await context.bot.send_message(chat.id, self.busy_text)

    # -- Rasa <-> Telegram --

    def _rasa(self) -> RasaClient:
        if self.rasa is None:  # handlers used without post_init (e.g. process_update in tests)
            s = self.settings
            self.rasa = RasaClient(s.rasa_url, timeout=s.rasa_timeout, retries=s.rasa_retries,
                                   backoff=s.rasa_backoff)
        return self.rasa

    async def relay(self, bot: Any, chat_id: int, text: str) -> None:
        held = await self.handoffs.held(sender_id(chat_id), chat_id, text)
        from .telegram_handoffs import Forward

        if isinstance(held, Forward):  # the hand-off withdrawn: what came with it is answered
            text, held = str(held), None
        if held is not None:  # a person has this conversation: the assistant does not answer over them
            if held:
                await bot.send_message(chat_id, held)
            return
        try:
            replies = await self._rasa().send(sender_id(chat_id), text)
        except RasaUnavailable as error:
            log.warning("Rasa unavailable, told the chat to retry later: %s", error)
            await bot.send_message(chat_id, self.busy_text)
            return
        if not replies and text != RESTART:
            # What Rasa 3.6 answers when the action server is down (it logs the failure, sends []).
            log.warning("Rasa answered nothing (is the action server down?); told the chat to retry later")
            await bot.send_message(chat_id, self.busy_text)
            return
        if any(isinstance(r.get("custom"), dict) and "handoff" in r["custom"] for r in replies):
            await self.handoffs.bind(sender_id(chat_id), chat_id)  # where staff replies go
        await self.deliver(bot, chat_id, replies)

    async def deliver(self, bot: Any, chat_id: int, replies: Iterable[dict[str, Any]]) -> None:
        for reply in readback_cards(list(replies)):
            try:
                await self._deliver_one(bot, chat_id, reply)
            except Forbidden:
                log.info("a chat blocked the bot; dropping the rest of the reply")
                return
            except TelegramError as error:
                log.warning("could not deliver a reply element to Telegram: %s", error)

    async def _deliver_one(self, bot: Any, chat_id: int, reply: dict[str, Any]) -> None:
        custom = reply.get("custom") if isinstance(reply.get("custom"), dict) else {}
        if isinstance(custom.get("readback"), dict) and reply.get("html"):
            markup = self.keyboard(chat_id, reply.get("buttons") or [])
            await bot.send_message(chat_id, reply["html"], parse_mode="HTML", reply_markup=markup)
            return
        # The kiosk's custom keys (text, buttons, qr/image, code, caption) work here too.
        text = reply.get("text") or (custom.get("text") if isinstance(custom.get("text"), str) else None)
        buttons = reply.get("buttons") or custom.get("buttons") or []
        markup = self.keyboard(chat_id, buttons) if isinstance(buttons, list) and buttons else None
        if text or markup:
            pieces = _split_text(str(text)) if text else []
            if not pieces and markup is not None:
                pieces = [BUTTONS_ONLY_TEXT]
            for index, piece in enumerate(pieces):
                last = index == len(pieces) - 1
                await bot.send_message(chat_id, piece, reply_markup=markup if last else None)
        image = reply.get("image") or custom.get("qr") or custom.get("image")
        photo_caption: Optional[str] = None
        if isinstance(image, str) and image.strip():
            code = _booking_code(custom.get("code"))
            caption = custom.get("caption")
            photo_caption = f"预约码：{code}" if code else str(caption) if caption else None
            await self._send_photo(bot, chat_id, image.strip(), photo_caption)
        attachment = reply.get("attachment")
        if isinstance(attachment, str) and attachment.startswith(("http://", "https://")):
            await bot.send_document(chat_id, attachment)
        if custom:
            await self._deliver_custom(bot, chat_id, custom, caption_used=photo_caption is not None)

    def keyboard(self, chat_id: int, buttons: list[Any]) -> Optional[InlineKeyboardMarkup]:
        keys: list[InlineKeyboardButton] = []
        for button in buttons:
            if not isinstance(button, dict):
                continue
            title = str(button.get("title") or button.get("payload") or "").strip()
            if not title:
                continue
            url = button.get("url")
            if isinstance(url, str) and url.startswith(("http://", "https://")):
                keys.append(InlineKeyboardButton(title, url=url))
                continue
            payload = str(button.get("payload") or title)
            keys.append(InlineKeyboardButton(title, callback_data=self.payloads.encode(chat_id, payload)))
        if not keys:
            return None
        longest = max(len(key.text) for key in keys)
        per_row = 3 if longest <= 4 else 2 if longest <= 8 else 1
        rows = [keys[i:i + per_row] for i in range(0, len(keys), per_row)]
        return InlineKeyboardMarkup(rows)

    async def _send_photo(self, bot: Any, chat_id: int, image: str, caption: Optional[str] = None) -> None:
        caption = caption[:MessageLimit.CAPTION_LENGTH] if caption else None
        if image.startswith("data:"):
            try:
                photo: Any = _decode_base64(image)
            except (binascii.Error, ValueError):
                log.warning("an image in a Rasa reply is not valid base64; skipped")
                return
            await bot.send_photo(chat_id, photo, caption=caption, filename="image.png")
        elif image.startswith(("http://", "https://")):
            await bot.send_photo(chat_id, image, caption=caption)
        else:
            log.warning("an image in a Rasa reply is neither a URL nor a data: URL; skipped")

    async def _deliver_custom(self, bot: Any, chat_id: int, custom: dict[str, Any], *,
                              caption_used: bool = False) -> None:
        booking = custom.get("booking")
        code = _booking_code(booking.get("code") if isinstance(booking, dict) else custom.get("code"))
        if code:
            await asyncio.to_thread(self.state.remember, code, chat_id, self.clock())
            log.info("remembered a booking for reminders")
        if "endorsement_reminder" in custom:  # the 签注 reminder asked for, or "不用提醒了"
            done = await asyncio.to_thread(lambda: self.endorsements().handle_custom(chat_id, custom))
            log.info("endorsement reminder: %s", done)
        for key, default_name in (("ics", "juzhu.ics"), ("document", "document")):
            content = custom.get(key)
            if not isinstance(content, str) or not content.strip():
                continue
            filename = str(custom.get("filename") or default_name)
            caption = custom.get("caption") if not caption_used else None
            caption = str(caption)[:MessageLimit.CAPTION_LENGTH] if caption else None
            content = content.lstrip()
            if content.startswith(("http://", "https://")):
                await bot.send_document(chat_id, content.strip(), filename=filename, caption=caption)
                continue
            if content.startswith("BEGIN:"):  # the file itself, not base64: sent as it is
                data = content.encode("utf-8")
            else:
                try:
                    data = _decode_base64(content)
                except (binascii.Error, ValueError):
                    log.warning("a %s in a Rasa reply is not valid base64; skipped", key)
                    continue
            await bot.send_document(chat_id, data, filename=filename, caption=caption)

    # -- reminders --

    async def _reminder_job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.send_reminders(context.bot)

    async def _reminder_loop(self, app: Application) -> None:
        while True:
            await self.send_reminders(app.bot)
            await asyncio.sleep(self.settings.reminder_interval)

    async def send_reminders(self, bot: Any) -> int:
        """One pass: remind every known chat of tomorrow's active booking,
        once. Returns how many reminders were sent. Never raises."""
        if self._reminder_lock.locked():
            return 0
        async with self._reminder_lock:
            sent = 0
            try:
                sent += await self._send_reminders(bot)
            except Exception as error:  # the store or the file failed: try next round
                log.warning("reminder pass failed: %s: %s", type(error).__name__, error)
            now = self.clock()
            if self.settings.reminder_hours[0] <= now.hour < self.settings.reminder_hours[1]:
                try:
                    from bot.reminders import send_due

                    sent += await send_due(self.endorsements(), bot, now, self.keyboard)
                except Exception as error:
                    log.warning("endorsement reminder pass failed: %s: %s", type(error).__name__, error)
            return sent

    async def _send_reminders(self, bot: Any) -> int:
        now = self.clock()
        tomorrow = now.date() + dt.timedelta(days=1)
        first_hour, last_hour = self.settings.reminder_hours
        in_hours = first_hour <= now.hour < last_hour
        sent = 0
        for code, chat_id, reminded_for in await asyncio.to_thread(self.state.known):
            booking = await asyncio.to_thread(self.lookup, code)
            if booking is None or not booking.active or booking.start.date() < now.date():
                await asyncio.to_thread(self.state.forget, code)
                continue
            if (booking.start.date() != tomorrow or not in_hours
                    or reminded_for == booking.start.isoformat(sep=" ")):
                continue
            try:
                await bot.send_message(chat_id, reminder_text(booking))
            except Forbidden:
                log.info("a chat blocked the bot; its reminder is dropped")
                await asyncio.to_thread(self.state.forget, code)
                continue
            except TelegramError as error:
                log.warning("could not send a reminder (will retry): %s", error)
                continue
            await asyncio.to_thread(self.state.mark_reminded, code, booking.start)
            sent += 1
        if sent:
            log.info("sent %d reminder(s)", sent)
        return sent


def build_application(settings: Settings, *, lookup: Optional[BookingLookup] = None,
                      clock: Optional[Clock] = None, job_queue: bool = True,
                      limiter: Optional[RateLimiter] = None,
                      handoff_store: Optional[Callable[[], Any]] = None) -> Application:
    """The bridge as a PTB ``Application``; ``run_polling()`` it, or use :func:`running`.
    ``limiter``: the rate limiter (default the process's :func:`bot.ratelimit.default_limiter`)."""
    bridge = TelegramBridge(settings, lookup=lookup or appointments_lookup, clock=clock or default_clock,
                            limiter=limiter, handoff_store=handoff_store)
    return bridge.build_application(job_queue=job_queue)


@contextlib.asynccontextmanager
async def running(app: Application, *, poll_timeout: float = 10.0) -> AsyncIterator[Application]:
    """Runs ``app`` (long polling) inside an existing event loop, like
    ``run_polling`` does in its own: initialize, post_init, polling, start;
    and the reverse on exit."""
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        await app.updater.start_polling(poll_interval=0.0, timeout=dt.timedelta(seconds=poll_timeout),
                                        allowed_updates=["message", "callback_query"])
        await app.start()
        try:
            yield app
        finally:
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
    finally:
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
