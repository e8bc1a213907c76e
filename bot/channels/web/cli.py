"""`juzhu web`: the kiosk (/) and the staff console (/staff) in the foreground.

Settings (flags override the environment):
  --port / WEB_PORT (8000), --host / WEB_HOST (127.0.0.1),
  --rasa-url / RASA_URL (http://127.0.0.1:5005),
  RASA_TIMEOUT_S (30): how long to wait for Rasa; the longest wait of the
    chain (see bot/channels/__init__.py),
  STAFF_TOKEN (staff pages refused without it; at least 16 characters and
    not guessable, else the web front refuses to start: bot/platform/secrets.py),
  STAFF_COOKIE_SECRET (what staff session cookies are signed with; by
    default generated once into var/staff_cookie_secret: bot/platform/secrets.py,
    sessions.py),
  WEB_TRUST_PROXY=1 (behind the hall's reverse proxy: client addresses from
    X-Forwarded-For, see app.py),
  RATE_LIMIT_* / RATE_LIMIT_STORAGE (bot/platform/ratelimit.py),
  KIOSK_IDLE_SECONDS (120), HOTLINE (12345, shown when Rasa is down),
  DATABASE_URL (the appointments store, for the staff bookings view).

Every log line is masked (phones, ID numbers, names: bot/platform/masking.py), and the
front logs no message text at INFO or above.
"""
from __future__ import annotations

import argparse
import logging
import os
from typing import Mapping

TRUE_WORDS, FALSE_WORDS = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number 1-65535, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 1-65535, got {text!r}")
    return port


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("web", help="serve the kiosk (/) and the staff console (/staff)")
    parser.add_argument("--port", type=_port, default=None, help="port (default $WEB_PORT or 8000)")
    parser.add_argument("--host", default=None, help="address to listen on (default $WEB_HOST or 127.0.0.1)")
    parser.add_argument("--rasa-url", default=None, help="Rasa server (default $RASA_URL or http://127.0.0.1:5005)")
    parser.set_defaults(handler=run_web)


def _flag(env: Mapping[str, str], name: str) -> bool:
    text = (env.get(name) or "").strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    from bot.platform.errors import BadInput

    raise BadInput(f"{name}: expected 1 or 0, got {text!r}")


def run_web(args: argparse.Namespace) -> int:
    # First of all: from here on every log record of this process is masked.
    from bot.platform.masking import install_log_masking

    install_log_masking()

    from aiohttp import web

    from bot.platform.errors import BadInput
    from bot.platform.ratelimit import RateLimitError, default_limiter

    from .. import rasa_timeout_s
    from ..texts import DEFAULT_HOTLINE
    from bot.platform.secrets import SecretError, staff_cookie_secret, staff_token_problem

    from .app import DEFAULT_IDLE_SECONDS, create_app

    env = os.environ
    port = args.port
    if port is None:
        try:
            port = _port(env.get("WEB_PORT") or "8000")
        except argparse.ArgumentTypeError as error:
            raise BadInput(f"WEB_PORT: {error}") from None
    host = args.host or env.get("WEB_HOST") or "127.0.0.1"
    rasa_url = args.rasa_url or env.get("RASA_URL") or "http://127.0.0.1:5005"
    if not rasa_url.startswith(("http://", "https://")):
        raise BadInput(f"--rasa-url: expected an http(s) URL, got {rasa_url!r}")
    try:
        rasa_timeout = rasa_timeout_s(env)
    except ValueError as error:
        raise BadInput(str(error)) from None
    idle_text = env.get("KIOSK_IDLE_SECONDS") or str(DEFAULT_IDLE_SECONDS)
    try:
        idle = float(idle_text)
        if idle <= 0:
            raise ValueError
    except ValueError:
        raise BadInput(f"KIOSK_IDLE_SECONDS: expected a number of seconds > 0, got {idle_text!r}") from None
    trust_proxy = _flag(env, "WEB_TRUST_PROXY")
    staff_token = (env.get("STAFF_TOKEN") or "").strip() or None
    cookie_secret = None
    if staff_token:
        problem = staff_token_problem(staff_token)
        if problem:
            raise BadInput(problem)
        try:
            cookie_secret = staff_cookie_secret()
        except SecretError as error:
            raise BadInput(str(error)) from None
        except OSError as error:
            raise BadInput(f"cannot read or create the staff cookie secret in var/: {error}") from None
    try:
        limiter = default_limiter()
    except RateLimitError as error:
        raise BadInput(str(error)) from None
    from ..wechat import WechatSettings, WechatSettingsError

    try:
        wechat = WechatSettings.from_env(env)  # None unless WECHAT_TOKEN is set (CONTRACT §8)
    except WechatSettingsError as error:
        raise BadInput(str(error)) from None

    logging.getLogger("bot.channels.web").setLevel(logging.INFO)
    app = create_app(rasa_url, staff_token, hotline=env.get("HOTLINE") or DEFAULT_HOTLINE,
                     idle_seconds=idle, rasa_timeout=rasa_timeout, limiter=limiter, trust_proxy=trust_proxy,
                     cookie_secret=cookie_secret, wechat=wechat)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(f"juzhu web: kiosk http://{shown}:{port}/  staff console http://{shown}:{port}/staff"
          + ("" if staff_token else "  (refused: STAFF_TOKEN is not set)") + f"  Rasa {rasa_url}"
          + (f"  WeChat http://{shown}:{port}/wechat" if wechat else ""), flush=True)
    web.run_app(app, host=host, port=port, print=None, access_log=None)
    return 0
