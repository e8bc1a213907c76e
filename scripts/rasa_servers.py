"""Start the action server and the Rasa server on free loopback ports, wait, stop.

Used by the end-to-end tests (tests/e2e/conftest.py) and the REST bench
(scripts/bench_rest.py) when no running Rasa is given. Rasa needs about a
minute to load a model on this machine kind; ``start`` waits up to
``timeout`` seconds for ``GET /`` (Rasa) and ``GET /health`` (actions).
"""
from __future__ import annotations

import os
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
class Servers:
    rasa_url: str
    action_url: str
    processes: list[subprocess.Popen] = field(default_factory=list)
    log_dir: Optional[Path] = None

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 20
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()


def start(model: Path, *, timeout: float = 300, env: Optional[dict[str, str]] = None,
          log_dir: Optional[Path] = None) -> Servers:
    """Start both servers on free ports with ``model``; raise RuntimeError if not ready in time."""
    action_port, rasa_port = free_port(), free_port()
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="juzhu-servers-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, **(env or {}), "ACTION_PORT": str(action_port), "RASA_PORT": str(rasa_port),
                   "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    servers = Servers(rasa_url=f"http://127.0.0.1:{rasa_port}", action_url=f"http://127.0.0.1:{action_port}",
                      log_dir=log_dir)
    commands = [
        ("actions", [str(BIN / "rasa"), "run", "actions", "--port", str(action_port)],
         f"{servers.action_url}/health"),
        ("rasa", [str(BIN / "rasa"), "run", "--enable-api", "--port", str(rasa_port), "--model", str(model),
                  "--endpoints", str(ROOT / "endpoints.yml"), "--credentials", str(ROOT / "credentials.yml"),
                  "--cors", "*"], f"{servers.rasa_url}/"),
    ]
    try:
        for name, command, _ in commands:
            log = open(log_dir / f"{name}.log", "wb")
            servers.processes.append(subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log,
                                                      stderr=subprocess.STDOUT))
        deadline = time.monotonic() + timeout
        for (name, _, ready), process in zip(commands, servers.processes):
            while not url_ok(ready):
                if process.poll() is not None:
                    raise RuntimeError(f"{name} server exited with code {process.returncode}; "
                                       f"see {log_dir / (name + '.log')}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} server not ready after {timeout:.0f} s; "
                                       f"see {log_dir / (name + '.log')}")
                time.sleep(1)
    except BaseException:
        servers.stop()
        raise
    return servers
