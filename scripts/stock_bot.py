"""The stock assistant `rasa init` creates, built with this project's Rasa, for comparisons.

``build(directory)`` runs ``rasa init --no-prompt`` once (it writes the
moodbot project and trains its model, about a minute); later calls reuse
the model. ``start(directory)`` runs ``rasa run`` on a free loopback port
with the project's own defaults (in-memory tracker and lock stores, no
action server: the moodbot has no custom action) and waits until it
answers. Used by scripts/bench_rest.py.
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).parent))

import rasa_servers  # noqa: E402

from bot.processes import starter  # noqa: E402

RASA = Path(sys.executable).parent / "rasa"


def _env() -> dict[str, str]:
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}


def model_of(directory: Path) -> Optional[Path]:
    models = sorted((directory / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def build(directory: Path) -> Path:
    """The stock bot's model, training it with `rasa init --no-prompt` the first time."""
    directory = directory.resolve()
    found = model_of(directory)
    if found:
        return found
    directory.mkdir(parents=True, exist_ok=True)  # rasa init wants it to exist
    log = directory.parent / f"{directory.name}-init.log"
    print(f"stock bot: `rasa init --no-prompt --init-dir {directory}` (about a minute; log {log})",
          file=sys.stderr, flush=True)
    with open(log, "wb") as out:
        code = subprocess.call([str(RASA), "init", "--no-prompt", "--init-dir", str(directory)],
                               cwd=directory.parent, env=_env(), stdout=out, stderr=subprocess.STDOUT)
    found = model_of(directory)
    if code != 0 or found is None:
        raise RuntimeError(f"`rasa init` failed (code {code}); see {log}")
    return found


@dataclass
class StockBot:
    rasa_url: str
    server: starter.Process

    def stop(self) -> None:
        starter.stop([self.server])


def start(directory: Path, timeout: float = 300) -> StockBot:
    directory = directory.resolve()
    model = build(directory)
    port = rasa_servers.free_port()
    server = starter.Process("the stock bot", [str(RASA), "run", "--model", str(model), "--port", str(port),
                                               "--interface", "127.0.0.1", "--endpoints", "endpoints.yml",
                                               "--credentials", "credentials.yml"],
                             f"http://127.0.0.1:{port}/", env=_env(),
                             log=directory.parent / f"{directory.name}-server.log")
    starter.launch(server, cwd=directory)
    bot = StockBot(f"http://127.0.0.1:{port}", server)
    try:
        starter.wait_ready([server], timeout)
    except starter.NotReady as error:
        bot.stop()
        raise RuntimeError(str(error)) from None
    return bot
