"""The appointments tests' databases (SQLite file, PostgreSQL schema) and clock, reused."""
from tests.appointments.conftest import FakeClock, NOW, clock, db_url, pg_server  # noqa: F401
