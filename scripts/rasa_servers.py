"""Start the action server and the Rasa server on free loopback ports, wait, stop.

Through the one process starter (bot/processes/starter.py). Used by the
end-to-end tests (tests/e2e/conftest.py) and the REST bench
(scripts/bench_rest.py) when no running Rasa is given. Rasa needs about a
minute to load a model on this machine kind; ``start`` waits up to
``timeout`` seconds for ``GET /`` (Rasa) and ``GET /health`` (actions).
"""
from __future__ import annotations

import os
import secrets
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.processes import starter  # noqa: E402  (the one process starter)
from bot.processes.starter import Process, free_port, url_ok  # noqa: E402,F401  (the scripts' and tests' names)


def latest_model(models_dir: Path = ROOT / "models") -> Optional[Path]:
    """models/juzhu.tar.gz (what `make model` trains), else the newest model there."""
    if (models_dir / "juzhu.tar.gz").is_file():
        return models_dir / "juzhu.tar.gz"
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


@dataclass
class Servers:
    rasa_url: str
    action_url: str
    environment: dict[str, str]
    log_dir: Path
    servers: list[Process] = field(default_factory=list)

    @property
    def token(self) -> str:
        """The Rasa API token the servers run with."""
        return self.environment["RASA_TOKEN"]

    def _server(self, name: str) -> Process:
        return next(server for server in self.servers if server.name == name)

    def start_one(self, name: str, timeout: float = 300) -> None:
        """Start one server (again) and wait until it is ready; its log is appended to."""
        server = self._server(name)
        server.env, server.log = self.environment, self.log_dir / f"{name}.log"
        starter.launch(server)
        try:
            starter.wait_ready([server], timeout)
        except starter.NotReady as error:
            raise RuntimeError(f"{name} server: {error}") from None

    def stop_one(self, name: str) -> None:
        starter.stop([self._server(name)])

    def stop(self) -> None:
        starter.stop(self.servers)


def start(model: Path, *, timeout: float = 300, env: Optional[dict[str, str]] = None,
          log_dir: Optional[Path] = None) -> Servers:
    """Start both servers on free ports with ``model``; raise RuntimeError if not ready in time.

    The servers get their own Rasa token (``RASA_TOKEN`` from ``env`` when
    given): :attr:`Servers.token`.
    """
    action_port, rasa_port = free_port(), free_port()
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="juzhu-servers-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, **(env or {}), "ACTION_PORT": str(action_port), "RASA_PORT": str(rasa_port),
                   "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    environment.setdefault("RASA_TOKEN", secrets.token_urlsafe(24))
    from bot.processes.servers import commands

    servers = Servers(rasa_url=f"http://127.0.0.1:{rasa_port}", action_url=f"http://127.0.0.1:{action_port}",
                      environment=environment, log_dir=log_dir,
                      servers=[Process(name.split()[0].lower(), command, ready)
                               for name, command, ready in commands(str(model), rasa_port, action_port)])
    for name in ("action", "rasa"):
        (log_dir / f"{name}.log").unlink(missing_ok=True)
    try:
        for server in servers.servers:
            servers.start_one(server.name, timeout)
    except BaseException:
        servers.stop()
        raise
    return servers
