"""`juzhu serve`: every service of `make run` in the foreground.

Starts the action server, the Rasa server, the web front (kiosk + staff) and,
when TELEGRAM_BOT_TOKEN is set, the Telegram bridge; waits until each is
ready, prints the URLs, and stops all of them on Ctrl-C or when one dies.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from bot.platform.secrets import rasa_token, shown

from . import starter
from .starter import Process, url_ok

BIN = Path(sys.executable).parent
READY_TIMEOUT_S = 300


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="run action server, Rasa, web front (and Telegram) together")
    parser.add_argument("--model", default="models/juzhu.tar.gz",
                        help="Rasa model file (default: models/juzhu.tar.gz, what `make model` trains)")
    parser.set_defaults(handler=run_serve)


def services(model: str) -> list[Process]:
    from bot.processes.servers import commands

    rasa_port = os.environ.setdefault("RASA_PORT", "5005")
    # endpoints.yml reads ACTION_PORT: Rasa expands only variables that exist.
    action_port = os.environ.setdefault("ACTION_PORT", "5055")
    web_port = os.environ.get("WEB_PORT", "8000")
    rasa_url = os.environ.setdefault("RASA_URL", f"http://127.0.0.1:{rasa_port}")
    found = [Process(name, command, ready) for name, command, ready in commands(model, int(rasa_port),
                                                                               int(action_port))]
    found.append(Process("web front", [str(BIN / "juzhu"), "web", "--port", web_port, "--rasa-url", rasa_url],
                         f"http://127.0.0.1:{web_port}/"))
    if os.environ.get("TELEGRAM_BOT_TOKEN"):
        found.append(Process("Telegram bridge", [str(BIN / "juzhu"), "telegram"], None))
    return found


def run_serve(args: argparse.Namespace) -> int:
    running = services(args.model)
    for service in running:
        if service.ready_url and url_ok(service.ready_url):
            print(f"juzhu serve: something already answers at {service.ready_url}; "
                  f"stop it or choose another port", file=sys.stderr)
            return 2
    try:
        for service in running:
            print(f"starting {service.name}: {' '.join(service.command[1:])}", flush=True)
            starter.launch(service, cwd=None)
        try:
            starter.wait_ready(running, READY_TIMEOUT_S, poll=1)
        except starter.NotReady as error:
            print(f"juzhu serve: {error}", file=sys.stderr)
            starter.stop(running, grace=15)
            return 1
        web = next(s for s in running if s.name == "web front").ready_url
        print("\njuzhu is ready:")
        print(f"  kiosk:          {web}")
        print(f"  staff console:  {web}staff" + ("" if os.environ.get("STAFF_TOKEN") else
                                                  "   (refused until STAFF_TOKEN is set)"))
        print(f"  Rasa REST:      {os.environ['RASA_URL']}/webhooks/rest/webhook")
        print(f"  action server:  {running[0].ready_url}")
        print("  Telegram bridge: " + ("running" if os.environ.get("TELEGRAM_BOT_TOKEN") else
                                       "off (set TELEGRAM_BOT_TOKEN to start it)"))
        print(f"  Rasa API token: {shown(rasa_token())} (RASA_TOKEN, else var/rasa_token)")
        print("Ctrl-C stops everything.", flush=True)
        while all(service.process.poll() is None for service in running):
            time.sleep(1)
        dead = next(service for service in running if service.process.poll() is not None)
        print(f"juzhu serve: {dead.name} stopped (code {dead.process.returncode}); stopping the rest",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
        return 0
    finally:
        starter.stop(running, grace=15)
