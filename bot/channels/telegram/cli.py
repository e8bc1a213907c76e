"""`juzhu telegram`: run the Telegram bridge alone (long polling).

Environment (CONTRACT.md section 1):

- ``TELEGRAM_BOT_TOKEN`` (required): the token @BotFather gave;
- ``TELEGRAM_API_BASE_URL``: another Bot API server, passed to
  python-telegram-bot as ``base_url`` (e.g. ``http://127.0.0.1:8081/bot``);
  its file URL is derived (``…/file/bot``) unless
  ``TELEGRAM_API_BASE_FILE_URL`` is set;
- ``RASA_URL`` (default ``http://127.0.0.1:5005``); ``RASA_TIMEOUT_S`` (30):
  how long to wait for Rasa, the longest wait of the chain (see
  bot/channels/__init__.py); ``HOTLINE`` (12345), named in the busy text;
- ``RATE_LIMIT_MESSAGES`` / ``RATE_LIMIT_STORAGE`` (bot/platform/ratelimit.py): the
  per-chat message limit (20/minute);
- ``TELEGRAM_REMINDER_INTERVAL`` (seconds, 300);
- ``DATABASE_URL``: the one database, where the reminders read the bookings
  and keep which chat booked which code.

Every log record is masked (phones, ID numbers, names: bot/platform/masking.py) and
the bot token is redacted from it.
"""
from __future__ import annotations

import argparse
import logging
import sys

EXIT_BAD_INPUT = 2
EXIT_FAILED = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "telegram", help="run the Telegram bridge (long polling; needs TELEGRAM_BOT_TOKEN)",
        description="Relay Telegram chats to Rasa's REST channel. Reads TELEGRAM_BOT_TOKEN, "
                    "TELEGRAM_API_BASE_URL (optional) and RASA_URL (default http://127.0.0.1:5005).")
    parser.set_defaults(handler=run_telegram)


def run_telegram(args: argparse.Namespace) -> int:
    # First of all: from here on every log record of this process is masked. The token
    # redaction below wraps the masking, so it also sees (and redacts) the masked tracebacks.
    from bot.platform.masking import install_log_masking

    install_log_masking()

    from bot.platform.ratelimit import RateLimitError, default_limiter

    from . import Settings, SettingsError

    try:
        settings = Settings.from_env()
        limiter = default_limiter()
    except (SettingsError, RateLimitError) as error:
        print(f"juzhu telegram: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT

    from telegram import Update
    from telegram.error import InvalidToken, TelegramError

    from . import build_application, install_token_redaction

    redaction = install_token_redaction(settings.token, compact=True)
    logging.getLogger("juzhu").setLevel(logging.INFO)
    log = logging.getLogger("juzhu.telegram")
    app = build_application(settings, limiter=limiter)
    log.info("Telegram bridge starting: Bot API %s, Rasa %s", settings.api_base_url or "api.telegram.org",
             settings.rasa_url)
    try:
        # bootstrap_retries=-1: keep retrying while Telegram is unreachable at
        # start-up (a rejected token is not retried).
        app.run_polling(allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY], bootstrap_retries=-1,
                        close_loop=True)
    except InvalidToken:
        print("juzhu telegram: the Bot API refused TELEGRAM_BOT_TOKEN (401 Unauthorized); "
              "check the token with @BotFather", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (TelegramError, OSError) as error:
        message = redaction.filter.redact(f"{type(error).__name__}: {error}")
        print(f"juzhu telegram: stopped: {message}", file=sys.stderr)
        return EXIT_FAILED
    return 0
