"""`juzhu web`: the kiosk (/) and the staff console (/staff) in the foreground.

Settings (flags override the environment):
  --port / WEB_PORT (8000), --host / WEB_HOST (127.0.0.1),
  --rasa-url / RASA_URL (http://127.0.0.1:5005),
  STAFF_TOKEN (staff pages refused without it),
  KIOSK_IDLE_SECONDS (120), HOTLINE (12345, shown when Rasa is down),
  DATABASE_URL (the appointments store, for the staff bookings view).
"""
from __future__ import annotations

import argparse
import logging
import os
import sys


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


def run_web(args: argparse.Namespace) -> int:
    from aiohttp import web

    from bot.cli import BadInput

    from .app import DEFAULT_HOTLINE, DEFAULT_IDLE_SECONDS, create_app

    port = args.port
    if port is None:
        try:
            port = _port(os.environ.get("WEB_PORT") or "8000")
        except argparse.ArgumentTypeError as error:
            raise BadInput(f"WEB_PORT: {error}") from None
    host = args.host or os.environ.get("WEB_HOST") or "127.0.0.1"
    rasa_url = args.rasa_url or os.environ.get("RASA_URL") or "http://127.0.0.1:5005"
    if not rasa_url.startswith(("http://", "https://")):
        raise BadInput(f"--rasa-url: expected an http(s) URL, got {rasa_url!r}")
    idle_text = os.environ.get("KIOSK_IDLE_SECONDS") or str(DEFAULT_IDLE_SECONDS)
    try:
        idle = float(idle_text)
        if idle <= 0:
            raise ValueError
    except ValueError:
        raise BadInput(f"KIOSK_IDLE_SECONDS: expected a number of seconds > 0, got {idle_text!r}") from None
    staff_token = (os.environ.get("STAFF_TOKEN") or "").strip() or None
    if staff_token and len(staff_token) < 12:
        print("juzhu web: warning: STAFF_TOKEN is short; use 12 or more random characters "
              "(e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe(18))'`)", file=sys.stderr)

    logging.getLogger("bot.channels.web").setLevel(logging.INFO)
    app = create_app(rasa_url, staff_token, hotline=os.environ.get("HOTLINE") or DEFAULT_HOTLINE,
                     idle_seconds=idle)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(f"juzhu web: kiosk http://{shown}:{port}/  staff console http://{shown}:{port}/staff"
          + ("" if staff_token else "  (refused: STAFF_TOKEN is not set)") + f"  Rasa {rasa_url}", flush=True)
    web.run_app(app, host=host, port=port, print=None, access_log=None)
    return 0
