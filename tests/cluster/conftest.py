"""Real clusters for the tests of issue 10: Rasa replicas behind HAProxy, PostgreSQL, Redis.

Each module that needs one starts it once (Rasa needs about a minute and
1.3 GB per replica) on free loopback ports, with a throw-away PostgreSQL
database and its own Redis key space, and stops it at the end. PostgreSQL
and Redis are reached through TCP relays (tcp_proxy.py) that the failure
drills cut, so no test ever stops the machine's own servers.

Skipped, with the reason shown, without a trained model, Redis, HAProxy
or PostgreSQL; with ``JUZHU_REQUIRE_POSTGRES=1`` (CI) a missing PostgreSQL,
Redis or HAProxy fails instead.
"""
from __future__ import annotations

import secrets
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from .helpers import haproxy_or_skip, postgres_or_skip, redis_or_skip
from .tcp_proxy import TcpProxy

ROOT = Path(__file__).resolve().parents[2]
# The day the cluster's action servers assess and book on (as tests/e2e).
TODAY = "2026-11-22"


def model_or_skip() -> Path:
    sys.path.insert(0, str(ROOT / "scripts"))
    import rasa_servers

    model = rasa_servers.latest_model()
    if model is None:
        pytest.skip("no trained Rasa model in models/ (run `make model`)")
    return model


@contextmanager
def running_cluster(replicas: int = 2, *, lock_store: str = "atomic", web: bool = True,
                    name: str = "cluster", server_timeout_s: int = 60) -> Iterator[dict]:
    """A cluster on a fresh database; yields the cluster, its relays and how to count stored events."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from bot.processes.cluster import Cluster, Ports

    model = model_or_skip()
    haproxy_or_skip()
    redis_url = redis_or_skip()
    pg_url = make_url(postgres_or_skip())
    database = f"juzhu_{name}_{secrets.token_hex(3)}"
    admin = create_engine(pg_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    redis_parts = make_url(redis_url)
    pg_proxy = TcpProxy(pg_url.host or "127.0.0.1", pg_url.port or 5432)
    # Redis 1 ms away, as a managed Redis across a network is (and the stock
    # lock store's race window with it).
    redis_proxy = TcpProxy(redis_parts.host or "127.0.0.1", redis_parts.port or 6379, latency_s=0.001)
    proxied_pg = pg_url.set(host="127.0.0.1", port=pg_proxy.port, database=database)
    proxied_redis = f"redis://127.0.0.1:{redis_proxy.port}/{redis_parts.database or 0}"
    direct_pg = create_engine(pg_url.set(database=database))
    work_dir = ROOT / "var" / "test-cluster" / name  # the last run's logs stay there
    shutil.rmtree(work_dir, ignore_errors=True)
    # Hex secrets: a token beginning with "-" breaks `juzhu rasa` (it is passed as
    # `--auth-token <token>`, which argparse then reads as an option).
    env = {"JUZHU_TODAY": TODAY, "JUZHU_NOW": f"{TODAY} 10:00", "RASA_TOKEN": secrets.token_hex(24),
           "ACTION_SECRET": secrets.token_hex(24), "STAFF_TOKEN": secrets.token_hex(24),
           "LOCK_TTL_S": "5", "RATE_LIMIT_STORAGE": "memory://", "TELEGRAM_BOT_TOKEN": ""}
    cluster = Cluster(replicas, model=str(model), ports=Ports.free(replicas),
                      database_url=str(proxied_pg), redis_url=proxied_redis, lock_store=lock_store, env=env,
                      work_dir=work_dir, web=web, telegram=False, check_interval_ms=500,
                      server_timeout_s=server_timeout_s, quiet=True)
    try:
        cluster.start()

        def user_events(sender: str) -> int:
            with direct_pg.connect() as connection:
                return connection.execute(text("SELECT COUNT(*) FROM events WHERE sender_id = :s AND "
                                               "type_name = 'user'"), {"s": sender}).scalar()

        yield {"cluster": cluster, "pg_proxy": pg_proxy, "redis_proxy": redis_proxy, "user_events": user_events,
               "db": direct_pg, "token": env["RASA_TOKEN"], "work_dir": work_dir}
    finally:
        cluster.stop()
        pg_proxy.cut()
        redis_proxy.cut()
        direct_pg.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
