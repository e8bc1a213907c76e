"""`juzhu rasa` and `juzhu actions`: the Rasa server and the action server, locked down.

Both bind 127.0.0.1 unless ``RASA_HOST`` / ``ACTION_HOST`` say otherwise (a
cluster on several machines; the README says what that needs). What they
add to a plain ``rasa run`` / ``rasa run actions``:

- Rasa gets ``--auth-token`` from ``RASA_TOKEN`` (or ``var/rasa_token``,
  generated): every HTTP route but ``/``, ``/webhooks/rest/webhook`` and the
  status routes needs it. No ``--cors``: nothing calls Rasa from a browser
  (the kiosk goes through the web front). The token is handed over inside
  the process, never on a command line that ``ps`` shows.
- The action server answers ``/webhook`` and ``/actions`` only when the
  request carries the shared secret (``ACTION_SECRET`` or
  ``var/action_secret``) in the header that endpoints.yml makes Rasa send.
- Every log record of both processes is masked (bot.platform.masking).
- Start-up stays readable (:func:`quiet_start`): the deprecation notices
  Rasa 3.6's dependencies print while they load, jionlp's advertising
  banner, Jieba's dictionary chatter and one line per registered action are
  left out; every other warning, and every error, still shows.

:func:`commands` is the one place that says how to start them; ``juzhu
serve`` and the tests' server fixture both use it.
"""
from __future__ import annotations

import argparse
import contextlib
import hmac
import io
import logging
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Optional

from bot.platform.masking import install_log_masking
from bot.platform.secrets import action_secret, rasa_token

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ACTION_SECRET_HEADER = "X-Juzhu-Action-Secret"  # endpoints.yml sends it
LOOPBACK = "127.0.0.1"


# Packages whose own DeprecationWarnings (and PendingDeprecationWarnings) are dropped at start-up:
# Rasa 3.6 and the libraries it pins warn about APIs they still use (pkg_resources, SQLAlchemy 1.4's
# 2.0 notices, distutils, pyparsing's old names, jax). Nothing an operator can act on.
QUIET_DEPRECATIONS_FROM = ("pkg_resources", "setuptools", "sanic", "sanic_cors", "sanic_routing", "limits", "rasa",
                           "rasa_sdk", "tensorflow", "keras", "jax", "matplotlib", "pyparsing", "sqlalchemy",
                           "google", "absl", "ruamel", "networkx", "apscheduler", "tensorflow_addons")
_QUIET_FILE = re.compile(r"[/\\](?:site|dist)-packages[/\\](?:" + "|".join(map(re.escape, QUIET_DEPRECATIONS_FROM))
                         + r")(?:[/\\]|\.py$)")


def is_quiet_deprecation(category: type, filename: str) -> bool:
    """A deprecation notice raised inside one of QUIET_DEPRECATIONS_FROM (never our own code's)."""
    return issubclass(category, (DeprecationWarning, PendingDeprecationWarning)) and bool(_QUIET_FILE.search(filename))


def quiet_start() -> None:
    """Keep a server's start-up output to what an operator needs (see the module's docstring).

    Warnings are filtered where they are shown, not by ``warnings`` filters:
    the libraries install their own filters while they load ("once" for
    every DeprecationWarning), which would come before ours.
    """
    shown = warnings.showwarning

    def showwarning(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
        if not is_quiet_deprecation(category, filename):
            shown(message, category, filename, lineno, file, line)

    warnings.showwarning = showwarning
    with contextlib.redirect_stdout(io.StringIO()):  # jionlp and jiojio print a banner on import
        try:
            import jionlp  # noqa: F401
        except ImportError:
            pass
    try:
        import jieba

        jieba.setLogLevel(logging.WARNING)  # "Building prefix dict …" on every load
    except ImportError:
        pass
    # Rasa's tokenizer says "Loading Jieba User Dictionary at …" for each pipeline it loads.
    logging.getLogger("rasa.nlu.tokenizers.jieba_tokenizer").setLevel(logging.WARNING)


def register(subparsers: argparse._SubParsersAction) -> None:
    rasa = subparsers.add_parser("rasa", help="the Rasa server (loopback, token, masked logs)")
    rasa.add_argument("--model", default="models/juzhu.tar.gz")
    rasa.add_argument("--port", type=int, default=int(os.environ.get("RASA_PORT") or 5005))
    rasa.add_argument("--host", default=os.environ.get("RASA_HOST") or LOOPBACK)
    rasa.add_argument("--endpoints", default=str(ROOT / "endpoints.yml"))
    rasa.add_argument("--credentials", default=str(ROOT / "credentials.yml"))
    rasa.set_defaults(handler=run_rasa)
    actions = subparsers.add_parser("actions", help="the action server (loopback, answers Rasa only)")
    actions.add_argument("--port", type=int, default=int(os.environ.get("ACTION_PORT") or 5055))
    actions.add_argument("--host", default=os.environ.get("ACTION_HOST") or LOOPBACK)
    actions.set_defaults(handler=run_actions)
    cli = subparsers.add_parser("rasa-cli", help="Rasa's own command line (e.g. `test core`) with the project's Rasa "
                                                 "patches, as `juzhu rasa` runs the server")
    cli.add_argument("rasa_args", nargs=argparse.REMAINDER, help="arguments for `rasa`")
    cli.set_defaults(handler=run_rasa_cli)


def commands(model: str, rasa_port: int, action_port: int) -> list[tuple[str, list[str], str]]:
    """(name, command, ready URL) of the action server and the Rasa server, in start order."""
    juzhu = str(BIN / "juzhu")
    return [
        ("action server", [juzhu, "actions", "--port", str(action_port)],
         f"http://127.0.0.1:{action_port}/health"),
        ("Rasa server", [juzhu, "rasa", "--model", str(model), "--port", str(rasa_port)],
         f"http://127.0.0.1:{rasa_port}/"),
    ]


def server_environment(action_port: Optional[int] = None) -> dict[str, str]:
    """What both processes need in their environment (endpoints.yml expands these)."""
    env = {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    if action_port is not None:
        env["ACTION_PORT"] = str(action_port)
    return env


def run_rasa(args: argparse.Namespace) -> int:
    install_log_masking()
    quiet_start()
    os.environ.setdefault("ACTION_PORT", "5055")
    # endpoints.yml sends it to the action server; Rasa expands ${ACTION_SECRET}.
    os.environ["ACTION_SECRET"] = action_secret()
    token = rasa_token()
    # Rasa's own CLI, so its logging, plugins and checks stay as they are; the
    # token goes in after parsing and never appears on a command line.
    sys.argv = ["rasa", "run", "--enable-api", "--interface", args.host, "--port", str(args.port),
                "--model", args.model, "--endpoints", args.endpoints, "--credentials", args.credentials,
                f"--auth-token={token}"]  # one argument: a token may start with "-"
    import rasa.__main__

    from bot.rasa_ext import rasa_patches

    rasa_patches.install()  # explicitly, here: every Rasa server of the project starts through `juzhu rasa`
    rasa.__main__.main()
    return 0


def run_rasa_cli(args: argparse.Namespace) -> int:
    """`rasa …` in this process after the same patches as the server (`make test-stories` uses it)."""
    install_log_masking()
    quiet_start()
    sys.argv = ["rasa", *args.rasa_args]
    import rasa.__main__

    from bot.rasa_ext import rasa_patches

    rasa_patches.install()
    rasa.__main__.main()
    return 0


def run_actions(args: argparse.Namespace) -> int:
    install_log_masking()
    quiet_start()
    from rasa_sdk import utils
    from rasa_sdk.endpoint import create_app
    from sanic import response

    secret = action_secret()
    utils.configure_colored_logging(logging.INFO)
    logging.getLogger("rasa_sdk.executor").setLevel(logging.WARNING)  # not one line per action
    app = create_app("actions", cors_origins=None)

    @app.middleware("request")
    async def only_rasa(request):  # type: ignore[no-untyped-def]
        if request.path == "/health":
            return None
        given = request.headers.get(ACTION_SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return response.json({"error": "forbidden: only the Rasa server may call the action server"},
                                 status=403)
        return None

    from bot.parsing import warm_up

    warm_up()  # the first long message is read as fast as the rest
    logging.getLogger(__name__).info("action server on http://%s:%s (Rasa only)", args.host, args.port)
    app.run(args.host, args.port, workers=1, access_log=False, motd=False)
    return 0
