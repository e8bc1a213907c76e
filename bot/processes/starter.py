"""The one process starter: start a server, wait until it answers, stop it.

`juzhu serve` (make run), the cluster (make cluster), the tests' servers
(scripts/rasa_servers.py) and the profiler (scripts/profile_turn.py) all
start their processes here; what each command line is comes from
:func:`bot.processes.servers.commands` and the callers.
"""
from __future__ import annotations

import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterable, Optional

ROOT = Path(__file__).resolve().parents[2]


class NotReady(RuntimeError):
    """A process exited, or did not answer in time (the message names it and its log)."""


@dataclass
class Process:
    name: str
    command: list[str]
    ready_url: Optional[str]  # None: nothing to ask (the Telegram bridge)
    env: Optional[dict[str, str]] = None  # None: this process's environment
    process: Optional[subprocess.Popen] = None
    essential: bool = True  # a supervisor stops everything when it dies (not a replica)
    stop_signal: int = signal.SIGINT
    log: Optional[Path] = None  # where its output goes (appended); None: the terminal

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


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


def launch(proc: Process, *, cwd: Optional[Path] = ROOT, new_session: bool = False) -> None:
    """Start ``proc`` (its output appended to ``proc.log`` when it has one)."""
    out: Optional[IO[bytes]] = open(proc.log, "ab") if proc.log else None
    proc.process = subprocess.Popen(proc.command, cwd=cwd, env=proc.env, stdout=out,
                                    stderr=subprocess.STDOUT if out else None, start_new_session=new_session)


def wait_ready(processes: Iterable[Process], timeout: float, poll: float = 0.5) -> None:
    """Until each answers at its ready URL; :class:`NotReady` when one exits or time runs out."""
    deadline = time.monotonic() + timeout
    for proc in processes:
        while proc.ready_url and not url_ok(proc.ready_url):
            where = f"; see {proc.log}" if proc.log else ""
            if proc.process is not None and proc.process.poll() is not None:
                raise NotReady(f"{proc.name} exited with code {proc.process.returncode}{where}")
            if time.monotonic() > deadline:
                raise NotReady(f"{proc.name} not ready after {timeout:.0f} s{where}")
            time.sleep(poll)


def stop(processes: Iterable[Process], grace: float = 20) -> None:
    """Each running one gets its stop signal, then ``grace`` seconds in all before it is killed."""
    processes = list(processes)
    running = [p for p in processes if p.alive]
    for proc in running:
        proc.process.send_signal(proc.stop_signal)  # type: ignore[union-attr]
    deadline = time.monotonic() + grace
    for proc in running:
        try:
            proc.process.wait(timeout=max(0.1, deadline - time.monotonic()))  # type: ignore[union-attr]
        except subprocess.TimeoutExpired:
            proc.process.kill()  # type: ignore[union-attr]
            proc.process.wait()  # type: ignore[union-attr]
    for proc in processes:
        if proc.process is not None and proc.process.poll() is not None:
            proc.process = None
