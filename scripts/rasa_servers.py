"""Start the action server and the Rasa server on free loopback ports, wait, stop.

Used by the end-to-end tests (tests/e2e/conftest.py) and the REST bench
(scripts/bench_rest.py) when no running Rasa is given. Rasa needs about a
minute to load a model on this machine kind; ``start`` waits up to
``timeout`` seconds for ``GET /`` (Rasa) and ``GET /health`` (actions).
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def url_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def latest_model(models_dir: Path = ROOT / "models") -> Optional[Path]:
    """models/juzhu.tar.gz (what `make model` trains), else the newest model there."""
    if (models_dir / "juzhu.tar.gz").is_file():
        return models_dir / "juzhu.tar.gz"
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


@dataclass
class Server:
    name: str  # "action" or "rasa": also the log file's name
    command: list[str]
    ready_url: str
    process: Optional[subprocess.Popen] = None


@dataclass
class Servers:
    rasa_url: str
    action_url: str
    environment: dict[str, str]
    log_dir: Path
    servers: list[Server] = field(default_factory=list)

    @property
    def token(self) -> str:
        """The Rasa API token the servers run with."""
        return self.environment["RASA_TOKEN"]

    def _server(self, name: str) -> Server:
        return next(server for server in self.servers if server.name == name)

    def start_one(self, name: str, timeout: float = 300) -> None:
        """Start one server (again) and wait until it is ready; its log is appended to."""
        server = self._server(name)
        log = open(self.log_dir / f"{name}.log", "ab")
        server.process = subprocess.Popen(server.command, cwd=ROOT, env=self.environment, stdout=log,
                                          stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while not url_ok(server.ready_url):
            if server.process.poll() is not None:
                raise RuntimeError(f"{name} server exited with code {server.process.returncode}; "
                                   f"see {self.log_dir / (name + '.log')}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} server not ready after {timeout:.0f} s; "
                                   f"see {self.log_dir / (name + '.log')}")
            time.sleep(0.5)

    def stop_one(self, name: str) -> None:
        _stop([self._server(name)])

    def stop(self) -> None:
        _stop(self.servers)


def _stop(servers: list[Server]) -> None:
    running = [s.process for s in servers if s.process is not None]
    for process in running:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 20
    for process in running:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for server in servers:
        server.process = None


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
    sys.path.insert(0, str(ROOT))
    from bot.processes.servers import commands

    servers = Servers(rasa_url=f"http://127.0.0.1:{rasa_port}", action_url=f"http://127.0.0.1:{action_port}",
                      environment=environment, log_dir=log_dir,
                      servers=[Server(name.split()[0].lower(), command, ready)
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
