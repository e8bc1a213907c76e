"""The bridge's settings from the environment (TELEGRAM_*, RASA_*)."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Optional


# What a reminder knows of a booking, and where it is looked up: shared with WeChat.

from .. import DEFAULT_RASA_TIMEOUT_S, rasa_timeout_s
from ..texts import DEFAULT_HOTLINE

log = logging.getLogger("juzhu.telegram")


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
        if env.get("TELEGRAM_REMINDER_INTERVAL", "").strip():
            try:
                settings.reminder_interval = float(env["TELEGRAM_REMINDER_INTERVAL"])
                if settings.reminder_interval <= 0:
                    raise ValueError
            except ValueError:
                raise SettingsError("TELEGRAM_REMINDER_INTERVAL must be a positive number of seconds") from None
        return settings
