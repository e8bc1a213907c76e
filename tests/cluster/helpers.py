"""What the cluster tests need from the machine, or a visible skip.

Redis: ``TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``).
PostgreSQL: ``TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``); with
``JUZHU_REQUIRE_POSTGRES=1`` (CI) a missing PostgreSQL fails instead.
HAProxy: on the PATH or in /usr/sbin (scripts/ensure-haproxy.sh installs it).
"""
from __future__ import annotations

import os
import shutil

import pytest

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PG_URL = os.environ.get("TEST_POSTGRES_URL") or "postgresql://postgres@127.0.0.1:5432/test"


def redis_or_skip() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as error:  # noqa: BLE001 - any failure to reach it
        message = f"Redis not reachable at {REDIS_URL}: {error}"
        if os.environ.get("JUZHU_REQUIRE_POSTGRES") == "1":
            pytest.fail(message + " (CI has Redis)")
        pytest.skip(message)
    return REDIS_URL


def postgres_or_skip() -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        message = f"PostgreSQL not reachable at {make_url(PG_URL)!r}: {reason}"
        if os.environ.get("JUZHU_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    finally:
        engine.dispose()
    return PG_URL


def _haproxy() -> "str | None":
    return shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.access("/usr/sbin/haproxy", os.X_OK) else None)


def haproxy_or_skip() -> str:
    """HAProxy, installed from Debian's packages first when missing (as make test does for Chromium)."""
    found = _haproxy()
    if not found:
        import subprocess
        from pathlib import Path

        script = Path(__file__).resolve().parents[2] / "scripts" / "ensure-haproxy.sh"
        subprocess.run([str(script)], capture_output=True, timeout=600)
        found = _haproxy()
    if not found:
        message = "HAProxy not installed and scripts/ensure-haproxy.sh could not install it (needs root and apt)"
        if os.environ.get("JUZHU_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found
