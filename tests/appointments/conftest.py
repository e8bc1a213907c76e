"""Fixtures of the appointment tests: a database per test, on SQLite and on
PostgreSQL, and a clock fixed on a Monday.

PostgreSQL: ``TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``). Each test gets its own
throw-away schema (``juzhu_t<session>_<n>``), dropped afterwards. When the
server is unreachable the PostgreSQL tests are skipped with the reason —
or fail, when ``JUZHU_REQUIRE_POSTGRES=1`` (for CI).
"""
from __future__ import annotations

import datetime as dt
import itertools
import os
import secrets

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.platform.store import db
from bot.appointments.service import AppointmentService

# A Monday; the 14 days after it hold no public holiday (2026-11-23 … 12-07).
NOW = dt.datetime(2026, 11, 23, 8, 0)
MONDAY = NOW.date()
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SESSION_TAG = secrets.token_hex(3)
_counter = itertools.count()


class FakeClock:
    def __init__(self, now: dt.datetime = NOW):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, now: dt.datetime) -> None:
        self.now = now


@pytest.fixture(scope="session")
def pg_server():
    """An engine on the PostgreSQL test database, or a visible skip."""
    display = repr(make_url(PG_URL))
    engine = create_engine(PG_URL, future=True, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure to connect
        engine.dispose()
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        message = f"PostgreSQL not reachable at {display}: {reason}"
        if os.environ.get("JUZHU_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    yield engine
    with engine.connect() as connection:  # leftovers of an interrupted run of this session
        schemas = connection.execute(text(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"), {"p": f"juzhu_t{SESSION_TAG}_%"}).scalars().all()
        for schema in schemas:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        connection.commit()
    engine.dispose()


def _pg_schema_url(pg_server) -> tuple[str, str]:
    schema = f"juzhu_t{SESSION_TAG}_{next(_counter)}"
    with pg_server.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        connection.commit()
    url = make_url(PG_URL)
    query = dict(url.query)
    query["options"] = f"-csearch_path={schema}"
    return schema, str(url.set(query=query).render_as_string(hide_password=False))


def _drop_schema(pg_server, schema: str) -> None:
    with pg_server.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.commit()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """An empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'juzhu.db'}"
        yield url
        db.dispose_engines()
        return
    pg_server = request.getfixturevalue("pg_server")
    schema, url = _pg_schema_url(pg_server)
    try:
        yield url
    finally:
        db.dispose_engines()
        _drop_schema(pg_server, schema)


@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'juzhu.db'}"
    yield url
    db.dispose_engines()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def svc(db_url, clock):
    """The service on a seeded database, with the clock at NOW (a Monday 08:00)."""
    return AppointmentService(db_url, clock=clock)


def at(day_offset: int, hhmm: str) -> dt.datetime:
    """MONDAY + day_offset at HH:MM."""
    hours, minutes = map(int, hhmm.split(":"))
    return dt.datetime.combine(MONDAY + dt.timedelta(days=day_offset), dt.time(hours, minutes))


PHONES = [f"139{n:08d}" for n in range(10_000_000, 10_000_060)]
