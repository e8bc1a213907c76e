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
the ``messages`` rule of bot/platform/ratelimit.py (20/minute) per chat. Over it the
update is dropped, not relayed, and the chat is told so once per window
(:func:`bot.channels.texts.too_many_messages_text`), not once per message.

Logs: ``juzhu telegram`` masks every log record (bot/platform/masking.py); the bridge
itself never logs what a chat wrote, nor chat ids, at INFO or above.

Reminders: a periodic job (every ``TELEGRAM_REMINDER_INTERVAL`` seconds,
default 300, and once at start-up) reads the known ``code -> chat id`` pairs
from the one database (table ``telegram_bookings``), looks each booking up
in the appointments store,
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

from bot.reminders import BookingInfo, TelegramBookings, appointments_lookup  # noqa: F401

from ..texts import busy_text  # noqa: F401
from .bridge import TelegramBridge, _split_text, build_application, readback_cards, running  # noqa: F401
from .payloads import CallbackPayloads  # noqa: F401
from .redaction import (REDACTED, TokenRedactingFilter, TokenRedaction, compact_library_error,  # noqa: F401
                        install_token_redaction)
from .reminders import default_clock, reminder_text  # noqa: F401
from .settings import Settings, SettingsError, bot_api_base  # noqa: F401
from .texts import (BUTTONS_ONLY_TEXT, CALLBACK_DATA_MAX_BYTES, CHOSEN_TEXT, EXPIRED_BUTTON_TEXT,  # noqa: F401
                    HELP_TEXT, MAPPED_PREFIX, NOT_TEXT, RESET_TEXT, RESTART, SENDER_PREFIX, START_TEXT,
                    UNKNOWN_COMMAND_TEXT, sender_id)
