"""`make cluster`: REPLICAS Rasa servers and action servers behind HAProxy, on PostgreSQL and Redis.

What runs (CONTRACT.md section 6), all on this machine, all bound to
127.0.0.1 (HAProxy's frontends included):

| process | port | what |
| --- | --- | --- |
| HAProxy | ``RASA_PORT`` (5005) | the Rasa replicas, health-checked (``GET /`` every second) |
| HAProxy | ``ACTION_PORT`` (5055) | the action servers, health-checked (``GET /health``) |
| HAProxy stats | ``CLUSTER_STATS_PORT`` (RASA_PORT + 1000) | server states, ``/;csv`` for scripts |
| Rasa replica i | ``RASA_PORT`` + 1 + i | ``juzhu rasa``; its action server is the balancer's ``ACTION_PORT`` |
| action server i | ``ACTION_PORT`` + 1 + i | ``juzhu actions`` |
| web front | ``WEB_PORT`` (8000) | kiosk and staff pages, ``RASA_URL`` = the balancer |
| Telegram bridge | — | when ``TELEGRAM_BOT_TOKEN`` is set, ``RASA_URL`` = the balancer |

State is shared, never kept in a replica: conversations in Rasa's SQL
tracker store and bookings both on PostgreSQL (``DATABASE_URL``, default
``postgresql://postgres@127.0.0.1:5432/juzhu``, the database created when
missing), conversation locks in Redis (``REDIS_URL``, default
``redis://127.0.0.1:6379/0``; bot/rasa_ext/lock_store.py). The secrets (``RASA_TOKEN``,
``ACTION_SECRET``, ``JUZHU_DATA_KEY``, ``STAFF_COOKIE_SECRET``) are read
once (environment, else var/) and handed to every process.

The balancer sends each message to the replica with the fewest messages
in progress (``leastconn``); the Redis lock keeps one conversation's turns
one at a time across replicas. A replica that refuses connections (dead)
is taken out at once, one that stops answering after three failed checks; a message whose connection failed, or that got no answer
because its replica died, is sent again to another replica (HAProxy's
``retry-on conn-failure empty-response``; the message is buffered for
that). Nothing is retried after a partial answer or a timeout, so a
message is never handled twice by two live replicas.

``python -m bot.processes.cluster`` runs it in the foreground; Ctrl-C stops all.
:class:`Cluster` is the same for tests and scripts (free ports, stopping
or killing one replica, the stock lock store for comparison).
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from bot.platform.private_files import private_dir

from . import starter
from .starter import Process, url_ok

# Before SQLAlchemy is imported: Rasa 3.6's tracker store triggers its 2.0 notice.
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/juzhu"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
READY_TIMEOUT_S = 420
LOCK_STORES = ("atomic", "stock")


class ClusterError(RuntimeError):
    """A cluster that cannot start (operator error or missing service), in one English line."""


def running_cluster_state(work_dir: Optional[Path] = None) -> Optional[dict]:
    """What a running `make cluster` wrote into var/cluster/cluster.json, or None."""
    import json

    path = Path(work_dir or ROOT / "var" / "cluster") / "cluster.json"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        os.kill(int(state["pid"]), 0)  # still running?
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return state


def haproxy_binary() -> Optional[str]:
    found = shutil.which("haproxy")
    if found:
        return found
    return "/usr/sbin/haproxy" if os.access("/usr/sbin/haproxy", os.X_OK) else None


@dataclass
class Ports:
    balancer: int  # RASA_PORT: what clients use
    actions: int  # ACTION_PORT: what the Rasa replicas use
    web: int
    stats: int
    rasa: list[int]
    action: list[int]

    @classmethod
    def from_env(cls, replicas: int) -> "Ports":
        balancer = int(os.environ.get("RASA_PORT") or 5005)
        actions = int(os.environ.get("ACTION_PORT") or 5055)
        return cls(balancer=balancer, actions=actions, web=int(os.environ.get("WEB_PORT") or 8000),
                   stats=int(os.environ.get("CLUSTER_STATS_PORT") or balancer + 1000),
                   rasa=[balancer + 1 + i for i in range(replicas)],
                   action=[actions + 1 + i for i in range(replicas)])

    @classmethod
    def free(cls, replicas: int) -> "Ports":
        from socket import socket

        sockets, numbers = [], []
        for _ in range(4 + 2 * replicas):  # hold them all open so that no two are the same
            sock = socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
            numbers.append(sock.getsockname()[1])
        for sock in sockets:
            sock.close()
        return cls(balancer=numbers[0], actions=numbers[1], web=numbers[2], stats=numbers[3],
                   rasa=numbers[4:4 + replicas], action=numbers[4 + replicas:])


def haproxy_config(ports: Ports, *, check_interval_ms: int = 1000, server_timeout_s: int = 60) -> str:
    """HAProxy's configuration: two balanced frontends on loopback and a stats page."""
    rasa_servers = "\n".join(f"    server rasa{i + 1} 127.0.0.1:{port} check" for i, port in enumerate(ports.rasa))
    action_servers = "\n".join(f"    server action{i + 1} 127.0.0.1:{port} check"
                               for i, port in enumerate(ports.action))
    return f"""# Generated by bot/processes/cluster.py for `make cluster`; edits are overwritten.
# No access log; HAProxy prints server state changes (DOWN, UP) on its own.
global
    maxconn 1000
    # A request is sent again to another server only when HAProxy holds all
    # of it: Rasa's calls to the action server carry the conversation and
    # the domain (17 KB and more), above the default 16 KB buffer.
    tune.bufsize 262144

defaults
    mode http
    timeout connect 2s
    timeout client {server_timeout_s + 5}s
    timeout server {server_timeout_s}s
    timeout queue 30s
    timeout http-request 10s
    # A message is buffered so that it can be sent again when its replica
    # refused the connection or died before answering; never after a
    # partial answer or a timeout (the message could then be handled twice).
    option http-buffer-request
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response
    # Health checks every second; a server that refuses connections is out at
    # once (observe layer4), one that stops answering after three checks of
    # up to 5 s each (a busy server answers /health late, not never).
    timeout check 5s
    default-server inter {check_interval_ms} fastinter {check_interval_ms // 2} downinter {check_interval_ms} fall 3 rise 2 observe layer4 error-limit 1 on-error mark-down

frontend rasa
    bind 127.0.0.1:{ports.balancer}
    default_backend rasa_replicas

backend rasa_replicas
    balance leastconn
    option httpchk GET /
    http-check expect status 200
{rasa_servers}

frontend actions
    bind 127.0.0.1:{ports.actions}
    default_backend action_servers

backend action_servers
    balance leastconn
    option httpchk GET /health
    http-check expect status 200
{action_servers}

listen stats
    bind 127.0.0.1:{ports.stats}
    stats enable
    stats uri /
    stats refresh 5s
"""


STOCK_LOCK_STORE = """
# Rasa 3.6's own Redis lock store, for the comparison of tests/cluster
# (it loses messages across replicas, rasa#9213). Generated by bot/processes/cluster.py.
lock_store:
  type: redis
  url: {host}
  port: {port}
  db: {db}
  key_prefix: juzhustock
"""


def stock_endpoints(path: Path, redis_url: str) -> Path:
    """endpoints.yml with Rasa's own RedisLockStore instead of bot.rasa_ext.lock_store."""
    from urllib.parse import urlsplit

    text = (ROOT / "endpoints.yml").read_text(encoding="utf-8")
    start = text.index("lock_store:")
    end = text.index("\n\n", start) if "\n\n" in text[start:] else len(text)
    parts = urlsplit(redis_url)
    db = (parts.path or "/0").strip("/") or "0"
    text = text[:start] + STOCK_LOCK_STORE.format(host=parts.hostname or "127.0.0.1", port=parts.port or 6379,
                                                  db=db).strip() + text[end:]
    path.write_text(text, encoding="utf-8")
    return path


def prepare_postgres(url: str) -> None:
    """Create the database when missing; create Rasa's events table (not by two replicas at once)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError, ProgrammingError

    parsed = make_url(url)
    if not parsed.drivername.startswith("postgres"):
        raise ClusterError(f"DATABASE_URL must be PostgreSQL for a cluster (got {parsed.drivername})")
    server = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT",
                           connect_args={"connect_timeout": 5})
    try:
        with server.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                        {"name": parsed.database}).scalar()
            if not exists:
                try:
                    connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
                    print(f"cluster: created database {parsed.database}", flush=True)
                except ProgrammingError:  # created meanwhile by someone else
                    pass
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0]
        raise ClusterError(f"PostgreSQL not reachable at {parsed!r}: {reason}") from None
    finally:
        server.dispose()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy 2.0 deprecation notices of Rasa's declarative base
        from rasa.core.tracker_store import SQLTrackerStore

    engine = create_engine(parsed, connect_args={"connect_timeout": 5})
    try:
        SQLTrackerStore.Base.metadata.create_all(engine)
    finally:
        engine.dispose()


def check_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except Exception as error:  # noqa: BLE001 - any failure to reach it
        raise ClusterError(f"Redis not reachable at {url}: {error}") from None


class Cluster:
    """The processes of one cluster; start(), stop(), and replicas to kill or restart."""

    def __init__(self, replicas: int = 2, *, model: str = "models/juzhu.tar.gz", ports: Optional[Ports] = None,
                 database_url: Optional[str] = None, redis_url: Optional[str] = None,
                 lock_store: str = "atomic", env: Optional[dict[str, str]] = None,
                 work_dir: Optional[Path] = None, web: bool = True, telegram: Optional[bool] = None,
                 check_interval_ms: int = 1000, server_timeout_s: int = 60, quiet: bool = False) -> None:
        if not 1 <= replicas <= 16:
            raise ClusterError("REPLICAS must be between 1 and 16")
        if lock_store not in LOCK_STORES:
            raise ClusterError(f"lock store {lock_store!r}: accepted: {', '.join(LOCK_STORES)}")
        self.replicas = replicas
        self.model = str(model)
        self.ports = ports or Ports.from_env(replicas)
        self.database_url = database_url or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
        self.redis_url = redis_url or os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
        self.lock_store = lock_store
        self.extra_env = dict(env or {})
        self.work_dir = Path(work_dir or ROOT / "var" / "cluster")
        self.web = web
        self.telegram = bool(os.environ.get("TELEGRAM_BOT_TOKEN")) if telegram is None else telegram
        self.check_interval_ms = check_interval_ms
        self.server_timeout_s = server_timeout_s
        self.quiet = quiet
        self.processes: list[Process] = []

    # --- URLs --------------------------------------------------------------------

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.balancer}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.web}"

    @property
    def stats_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.stats}"

    def replica_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports.rasa[index]}"

    # --- set-up ------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        """What every process gets: shared stores, shared secrets, the balancer's addresses."""
        from bot.platform.secrets import action_secret, data_key, rasa_token, staff_cookie_secret

        env = {**os.environ, **self.extra_env}
        conversations = env.get("CONVERSATIONS_DATABASE_URL", "")
        if not conversations or conversations.startswith("sqlite"):
            conversations = self.database_url
        saved = dict(os.environ)
        os.environ.update(self.extra_env)
        try:
            secrets = {"RASA_TOKEN": rasa_token(), "ACTION_SECRET": action_secret(), "JUZHU_DATA_KEY": data_key(),
                       "STAFF_COOKIE_SECRET": staff_cookie_secret()}
        finally:
            os.environ.clear()
            os.environ.update(saved)
        env.update(secrets)
        env.update({
            "DATABASE_URL": self.database_url, "CONVERSATIONS_DATABASE_URL": conversations,
            "REDIS_URL": self.redis_url, "RASA_PORT": str(self.ports.balancer),
            "ACTION_PORT": str(self.ports.actions), "WEB_PORT": str(self.ports.web), "RASA_URL": self.rasa_url,
            "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        })
        env.pop("LOCK_STORE_URL", None)
        return env

    def prepare(self) -> dict[str, str]:
        if not Path(self.model).is_file():
            raise ClusterError(f"no model at {self.model} (run `make model`)")
        if haproxy_binary() is None:
            raise ClusterError("HAProxy is not installed: run scripts/ensure-haproxy.sh (as root), "
                               "or apt-get install haproxy")
        check_redis(self.redis_url)
        prepare_postgres(self.database_url)
        env = self.environment()
        private_dir(self.work_dir)  # the replicas' logs and haproxy.cfg
        # The bookings schema, migrated once here rather than by two action servers at once.
        done = subprocess.run([sys.executable, "-m", "bot.appointments"], cwd=ROOT, env=env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise ClusterError(f"the bookings database could not be prepared: "
                               f"{(done.stderr or done.stdout).strip().splitlines()[-1:]}")
        (self.work_dir / "haproxy.cfg").write_text(
            haproxy_config(self.ports, check_interval_ms=self.check_interval_ms,
                           server_timeout_s=self.server_timeout_s), encoding="utf-8")
        self.processes = self._processes(env)
        return env

    def _processes(self, env: dict[str, str]) -> list[Process]:
        juzhu = str(BIN / "juzhu")
        endpoints: list[str] = []
        if self.lock_store == "stock":
            endpoints = ["--endpoints", str(stock_endpoints(self.work_dir / "endpoints-stock.yml",
                                                               self.redis_url))]
        found = [Process("balancer", [haproxy_binary() or "haproxy", "-db", "-f",
                                      str(self.work_dir / "haproxy.cfg")], None, env,
                         stop_signal=signal.SIGUSR1)]  # HAProxy's soft stop
        for i, port in enumerate(self.ports.action):
            found.append(Process(f"action{i + 1}", [juzhu, "actions", "--port", str(port)],
                                 f"http://127.0.0.1:{port}/health", env, essential=False))
        for i, port in enumerate(self.ports.rasa):
            found.append(Process(f"rasa{i + 1}", [juzhu, "rasa", "--model", self.model, "--port", str(port),
                                                  *endpoints],
                                 f"http://127.0.0.1:{port}/", env, essential=False))
        if self.web:
            found.append(Process("web", [juzhu, "web", "--port", str(self.ports.web), "--rasa-url", self.rasa_url],
                                 f"{self.web_url}/", env))
        if self.telegram:
            found.append(Process("telegram", [juzhu, "telegram"], None, env))
        return found

    # --- running -----------------------------------------------------------------

    def process(self, name: str) -> Process:
        return next(p for p in self.processes if p.name == name)

    def launch(self, name: str) -> None:
        proc = self.process(name)
        proc.log = None if (not self.quiet and proc.name == "balancer") else self.work_dir / f"{proc.name}.log"
        starter.launch(proc, new_session=self.quiet)

    def start(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Prepare, start everything, wait until the balancer and the web front answer.

        The servers first, all at once (Rasa loads its model in about a
        minute); the balancer once they answer, so that its first health
        checks find them up; then the web front and the Telegram bridge.
        """
        self.prepare()
        for proc in self.processes:
            (self.work_dir / f"{proc.name}.log").unlink(missing_ok=True)
        servers = [p.name for p in self.processes if p.name.startswith(("action", "rasa"))]
        try:
            for name in servers:
                self.launch(name)
            self.wait_ready(servers, timeout)
            self.launch("balancer")
            if not self.wait_url(self.rasa_url + "/", timeout=30):
                raise ClusterError(f"the balancer does not answer at {self.rasa_url}; see "
                                   f"{self.work_dir / 'balancer.log'}")
            rest = [p.name for p in self.processes if p.name not in servers and p.name != "balancer"]
            for name in rest:
                self.launch(name)
            self.wait_ready(rest, 60)
            self._write_state()
        except BaseException:
            self.stop()
            raise

    def _write_state(self) -> None:
        """work_dir/cluster.json: where the running cluster is (for `make loadtest`); mode 600."""
        import json

        path = self.work_dir / "cluster.json"
        path.unlink(missing_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"rasa_url": self.rasa_url, "web_url": self.web_url, "database_url": self.database_url,
                       "redis_url": self.redis_url, "replicas": self.replicas, "pid": os.getpid()}, handle)

    def wait_ready(self, names: list[str], timeout: float = READY_TIMEOUT_S) -> None:
        procs = [self.process(name) for name in names]
        try:
            starter.wait_ready(procs, timeout)
        except starter.NotReady as error:
            raise ClusterError(str(error)) from None
        for proc in procs:
            if not proc.alive:
                raise ClusterError(f"{proc.name} exited (code {proc.process.returncode if proc.process else '?'}); "
                                   f"see {self.work_dir / (proc.name + '.log')}")

    @staticmethod
    def wait_url(url: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if url_ok(url):
                return True
            time.sleep(0.3)
        return False

    def kill(self, name: str) -> None:
        """SIGKILL one process (a failure drill): no goodbye, no lock released."""
        proc = self.process(name)
        if proc.alive:
            proc.process.kill()
            proc.process.wait()

    def restart(self, name: str, timeout: float = READY_TIMEOUT_S) -> None:
        proc = self.process(name)
        if proc.alive:
            starter.stop([proc])
        self.launch(name)
        self.wait_ready([name], timeout)

    def stop(self) -> None:
        starter.stop(list(reversed(self.processes)))
        (self.work_dir / "cluster.json").unlink(missing_ok=True)

    def server_stats(self) -> dict[str, dict[str, str]]:
        """HAProxy's view of each server, from its stats page: {"rasa_replicas/rasa1": {"status": "UP",
        "stot": "12", …}}."""
        with urllib.request.urlopen(self.stats_url + "/;csv", timeout=3) as response:
            rows = csv.DictReader(io.StringIO(response.read().decode().lstrip("# ")))
            return {f"{row['pxname']}/{row['svname']}": row for row in rows
                    if row["svname"] not in ("FRONTEND", "BACKEND")}

    def server_states(self) -> dict[str, str]:
        """{"rasa_replicas/rasa1": "UP", "action_servers/action2": "DOWN", …}"""
        return {name: row["status"] for name, row in self.server_stats().items()}

    def describe(self) -> str:
        lines = [f"juzhu cluster is ready ({self.replicas} replica(s), {self.lock_store} lock store):",
                 f"  Rasa REST (balancer): {self.rasa_url}/webhooks/rest/webhook",
                 *(f"    replica {i + 1}: {self.replica_url(i)}   action server {i + 1}: "
                   f"http://127.0.0.1:{port}/health" for i, port in enumerate(self.ports.action)),
                 f"  action servers (balancer): http://127.0.0.1:{self.ports.actions}/health",
                 f"  balancer stats: {self.stats_url}/"]
        if self.web:
            lines += [f"  kiosk:          {self.web_url}/",
                      f"  staff console:  {self.web_url}/staff"
                      + ("" if os.environ.get("STAFF_TOKEN") else "   (refused until STAFF_TOKEN is set)")]
        lines.append("  Telegram bridge: " + ("running, through the balancer" if self.telegram else
                                               "off (set TELEGRAM_BOT_TOKEN to start it)"))
        from sqlalchemy.engine import make_url

        lines += [f"  conversations and bookings: {make_url(self.database_url)!r}",
                  f"  conversation locks: {self.redis_url}",
                  f"  logs: {self.work_dir}/*.log",
                  "Ctrl-C stops everything."]
        return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.processes.cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=int(os.environ.get("REPLICAS") or 2),
                        help="Rasa servers and action servers (default $REPLICAS or 2)")
    parser.add_argument("--model", default="models/juzhu.tar.gz")
    parser.add_argument("--lock-store", choices=LOCK_STORES, default=os.environ.get("CLUSTER_LOCK_STORE", "atomic"),
                        help="atomic (bot/rasa_ext/lock_store.py, default) or stock (Rasa's RedisLockStore, to compare)")
    args = parser.parse_args(argv)
    cluster = Cluster(args.replicas, model=args.model, lock_store=args.lock_store)
    try:
        print(f"starting {args.replicas} Rasa replica(s) and action server(s) behind HAProxy "
              f"(Rasa needs about a minute to load its model) …", flush=True)
        cluster.start()
        print(cluster.describe(), flush=True)
        while True:
            for proc in cluster.processes:
                if proc.process is not None and proc.process.poll() is not None:
                    code = proc.process.returncode
                    proc.process = None
                    if proc.essential:
                        print(f"cluster: {proc.name} stopped (code {code}); stopping the rest", file=sys.stderr)
                        return 1
                    print(f"cluster: {proc.name} stopped (code {code}); the balancer sends its work to the "
                          f"others (see {cluster.work_dir / (proc.name + '.log')})", file=sys.stderr, flush=True)
            if not any(p.alive for p in cluster.processes if p.name.startswith("rasa")):
                print("cluster: no Rasa replica left; stopping", file=sys.stderr)
                return 1
            time.sleep(1)
    except ClusterError as error:
        print(f"cluster: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
        return 0
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
