"""The database: URL, engines, schema migrations (Alembic), first-use seeding.

``DATABASE_URL`` is a SQLAlchemy URL (``postgresql://user@host/db`` works);
without it the store is the SQLite file ``var/juzhu.db`` under the current
working directory.

SQLite: WAL journal and a busy timeout, so concurrent processes wait for
each other instead of failing; transactions that write start with ``BEGIN
IMMEDIATE`` (see :func:`write_engine`), which takes SQLite's single write
lock up front, so a read-then-write transaction can never fail half way with
"database is locked".

Timeouts: a database that is down, locked or slow must fail a call well
inside the 30 s the channels wait for a reply, so the conversation can say
"busy" instead of going silent. Two settings, in seconds, read when an
engine is made:

``DB_CONNECT_TIMEOUT_S`` (3)
    PostgreSQL ``connect_timeout``: how long to wait for the server to answer.
``DB_STATEMENT_TIMEOUT_S`` (5)
    PostgreSQL ``statement_timeout`` (lock waits included); SQLite's busy
    timeout (how long to wait for another process's write lock); and the
    connection pool's timeout (how long to wait for a free connection).

A value that is not a positive number is ignored with a warning.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Optional, Protocol

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.pool import QueuePool

from bot.platform.private_files import private_file

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
DEFAULT_SQLITE_PATH = Path("var") / "juzhu.db"
DEFAULT_CONNECT_TIMEOUT_S = 3.0
DEFAULT_STATEMENT_TIMEOUT_S = 5.0


def _seconds(env_name: str, default: float) -> float:
    text = os.environ.get(env_name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        log.warning("%s=%r is not a positive number of seconds; using %g", env_name, text, default)
        return default
    return value


def connect_timeout_s() -> float:
    """``$DB_CONNECT_TIMEOUT_S``, default 3."""
    return _seconds("DB_CONNECT_TIMEOUT_S", DEFAULT_CONNECT_TIMEOUT_S)


def statement_timeout_s() -> float:
    """``$DB_STATEMENT_TIMEOUT_S``, default 5."""
    return _seconds("DB_STATEMENT_TIMEOUT_S", DEFAULT_STATEMENT_TIMEOUT_S)
# pg_advisory_xact_lock key serialising schema upgrades and seeding.
_PG_SCHEMA_LOCK = 0x6A757A68  # "juzh"


def database_url(url: Optional[str] = None) -> str:
    """The URL to use: ``url``, else ``$DATABASE_URL``, else ``sqlite:///<cwd>/var/juzhu.db``."""
    url = url or os.environ.get("DATABASE_URL") or ""
    url = url.strip()
    if not url:
        path = (Path.cwd() / DEFAULT_SQLITE_PATH).resolve()
        return f"sqlite:///{path}"
    if url.startswith("postgres://"):  # the Heroku spelling SQLAlchemy 1.4 refuses
        url = "postgresql://" + url[len("postgres://"):]
    return url


def display_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).__repr__()
    except Exception:
        return "<unparsable database URL>"


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def get_engine(url: Optional[str] = None) -> Engine:
    """One engine per URL per process."""
    url = database_url(url)
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = _create_engine(url)
        return engine


def write_engine(engine: Engine) -> Engine:
    """``engine`` with the option that makes SQLite begin transactions IMMEDIATE."""
    return engine.execution_options(juzhu_write=True)


def dispose_engines() -> None:
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def _create_engine(url: str) -> Engine:
    parsed: URL = make_url(url)
    backend = parsed.get_backend_name()
    statement_s = statement_timeout_s()
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            private_file(database)  # names and phones: 0600 in a 0700 var/, whatever the umask
        # A pool (SQLAlchemy 1.4 gives a SQLite file none): no new connection and pragmas for every
        # read, such as the gate's hand-off check on every message. A connection serves one
        # session at a time, whichever thread holds it; beyond the kept ones, more are opened.
        engine = create_engine(
            parsed, future=True, hide_parameters=True, poolclass=QueuePool, pool_size=4, max_overflow=-1,
            connect_args={"timeout": statement_s, "check_same_thread": False},
        )
        _configure_sqlite(engine, statement_s)
        return engine
    connect_args: dict = {}
    if backend == "postgresql":
        connect_args = {"connect_timeout": max(1, round(connect_timeout_s())),
                        "options": _pg_options(parsed, statement_s)}
    return create_engine(parsed, future=True, hide_parameters=True, pool_pre_ping=True,
                         pool_timeout=statement_s, connect_args=connect_args)


def _pg_options(parsed: URL, statement_s: float) -> str:
    """libpq ``options`` with the statement timeout, after any the URL gives (e.g. a search_path)."""
    given = parsed.query.get("options") or ""
    if not isinstance(given, str):  # the parameter given twice
        given = " ".join(given)
    return f"{given} -c statement_timeout={int(statement_s * 1000)}".strip()


def _configure_sqlite(engine: Engine, busy_timeout_s: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - trivial
        # Take transactions out of pysqlite's hands; "begin" below emits them.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection):
        if connection.get_execution_options().get("juzhu_write"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def is_sqlite(engine_or_connection) -> bool:
    return engine_or_connection.dialect.name == "sqlite"


# --- schema ----------------------------------------------------------------------

def alembic_config(url: Optional[str] = None):
    """An Alembic ``Config`` for this package's migrations (no alembic.ini needed).

    To write a new migration::

        python -c "from alembic import command; from bot.platform.store.db import alembic_config; \\
                   command.revision(alembic_config(), 'what changes', autogenerate=True)"
    """
    from alembic.config import Config

    # Autogenerate compares the models with the database: pass every feature's
    # metadata as config.attributes["target_metadata"] (tests/appointments does).
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    return config


# The newest migration; checked against the migrations directory by the tests,
# so that the everyday path (is the schema current?) needs no Alembic import.
SCHEMA_HEAD = "0007_telegram_bookings"


def _schema_is_current(connection: Connection) -> bool:
    try:
        versions = set(connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
    except Exception:  # no table yet
        return False
    return versions == {SCHEMA_HEAD}


def _head_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def _current_revisions(connection: Connection) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    return set(MigrationContext.configure(connection).get_current_heads())


class Seed(Protocol):
    """First-use content of a feature's tables (the sample stations), planted inside the schema lock."""

    def missing(self, connection: Connection) -> bool: ...

    def plant(self, connection: Connection) -> int: ...


def ensure_schema(url: Optional[str] = None, *, seed: Optional[Seed] = None) -> str:
    """Upgrade the database to the newest migration; plant ``seed`` when it is
    missing. Safe to call from many processes at once. Returns the URL used."""
    url = database_url(url)
    engine = get_engine(url)
    with engine.connect() as connection:  # fast path: nothing to do
        if _schema_is_current(connection) and (seed is None or not seed.missing(connection)):
            return url
    heads = _head_revisions()
    with write_engine(engine).connect() as connection:
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_SCHEMA_LOCK})")
            if _current_revisions(connection) != heads:
                from alembic import command

                config = alembic_config(url)
                config.attributes["connection"] = connection
                log.info("upgrading the schema at %s", display_url(url))
                command.upgrade(config, "head")
            if seed is not None and seed.missing(connection):
                log.info("seeded %d rows of first-use content", seed.plant(connection))
    return url
