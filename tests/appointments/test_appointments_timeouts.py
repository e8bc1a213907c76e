"""A database that is down, locked or slow fails a call in seconds, not in the
channels' 30 s: the timeouts of bot/platform/store/db.py reach the engines."""
from __future__ import annotations

import logging
import sqlite3
import time

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from bot.platform.store import db
from bot.appointments.service import AppointmentService

from .conftest import PHONES, _drop_schema, _pg_schema_url, at

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/x"  # nothing listens on port 1


def connect_parameters(engine) -> dict:
    """The keyword arguments the driver's connect() gets."""
    seen: dict = {}

    def record(dialect, connection_record, cargs, cparams):
        seen.update(cparams)

    event.listen(engine, "do_connect", record)
    try:
        engine.connect().close()
    except OperationalError:
        pass
    finally:
        event.remove(engine, "do_connect", record)
    return seen


@pytest.fixture
def fresh_engines():
    db.dispose_engines()
    yield
    db.dispose_engines()


@pytest.fixture
def pg_url(pg_server):
    """A fresh PostgreSQL schema (its search_path given in the URL's ``options``)."""
    schema, url = _pg_schema_url(pg_server)
    try:
        yield url
    finally:
        db.dispose_engines()
        _drop_schema(pg_server, schema)


def test_sqlite_waits_5_seconds_for_a_lock(sqlite_url, fresh_engines, monkeypatch):
    monkeypatch.delenv("DB_STATEMENT_TIMEOUT_S", raising=False)
    engine = db.get_engine(sqlite_url)
    assert connect_parameters(engine)["timeout"] == 5
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000


def test_sqlite_busy_timeout_from_the_environment(sqlite_url, fresh_engines, monkeypatch):
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT_S", "1.5")
    engine = db.get_engine(sqlite_url)
    assert connect_parameters(engine)["timeout"] == 1.5
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 1500


def test_postgresql_timeouts_reach_the_connection(pg_url, fresh_engines, monkeypatch):
    monkeypatch.delenv("DB_CONNECT_TIMEOUT_S", raising=False)
    monkeypatch.delenv("DB_STATEMENT_TIMEOUT_S", raising=False)
    engine = db.get_engine(pg_url)
    assert connect_parameters(engine)["connect_timeout"] == 3
    assert engine.pool.timeout() == 5
    with engine.connect() as connection:
        assert connection.execute(text("SHOW statement_timeout")).scalar() == "5s"
        # The URL's own options (here the test schema's search_path) are kept.
        assert connection.execute(text("SHOW search_path")).scalar().startswith("juzhu_t")


def test_postgresql_timeouts_from_the_environment(pg_url, fresh_engines, monkeypatch):
    monkeypatch.setenv("DB_CONNECT_TIMEOUT_S", "7")
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT_S", "0.5")
    engine = db.get_engine(pg_url)
    assert connect_parameters(engine)["connect_timeout"] == 7
    assert engine.pool.timeout() == 0.5
    with engine.connect() as connection:
        assert connection.execute(text("SHOW statement_timeout")).scalar() == "500ms"
        started = time.monotonic()
        with pytest.raises(OperationalError) as caught:
            connection.execute(text("SELECT pg_sleep(3)"))
    assert time.monotonic() - started < 2
    assert "statement timeout" in str(caught.value.orig)


def test_a_bad_setting_falls_back_to_the_default(sqlite_url, fresh_engines, monkeypatch, caplog):
    for bad in ("soon", "0", "-3", "inf"):
        monkeypatch.setenv("DB_STATEMENT_TIMEOUT_S", bad)
        with caplog.at_level(logging.WARNING, logger="bot.platform.store.db"):
            assert db.statement_timeout_s() == 5
        assert "DB_STATEMENT_TIMEOUT_S" in caplog.text


def test_an_unreachable_server_fails_at_once(fresh_engines, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE)
    started = time.monotonic()
    with pytest.raises(OperationalError):
        AppointmentService()
    assert time.monotonic() - started < 4


def test_a_locked_sqlite_fails_a_booking_in_about_the_timeout(sqlite_url, clock, fresh_engines, monkeypatch):
    """One busy timeout, not one per retry of the transient-error loop."""
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT_S", "0.5")
    svc = AppointmentService(sqlite_url, clock=clock)
    other = sqlite3.connect(sqlite_url[len("sqlite:///"):], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError) as caught:
            svc.book("lc-dongchangfu", at(1, "09:00"), "张三", PHONES[0])
        assert time.monotonic() - started < 2
        assert "locked" in str(caught.value.orig)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert svc.count_active_by_phone(PHONES[0]) == 0
