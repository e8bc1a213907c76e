"""`juzhu purge`: conversations older than the retention age are deleted, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from bot.platform import clock
from bot.platform.conversations import purge_conversations

NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=clock.TZ)
DAY = 86400
# Rasa's SQLTrackerStore table, as Rasa 3.6 creates it.
EVENTS_DDL = ("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
              "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
              "action_name VARCHAR(255), data TEXT)")


def _postgres_url():
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("JUZHU_REQUIRE_POSTGRES") == "1":
            pytest.fail("TEST_POSTGRES_URL is not set and CI requires the PostgreSQL tests")
        pytest.skip("no PostgreSQL: TEST_POSTGRES_URL is not set (make test sets it)")
    schema = f"purge_{uuid.uuid4().hex[:8]}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}", url, schema


@pytest.fixture(params=["sqlite", "postgresql"])
def events_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'conversations.db'}"
        return
    url, base, schema = _postgres_url()
    yield url
    engine = create_engine(base)
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def _store(url, rows):
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(EVENTS_DDL))
        for index, (sender, age_days) in enumerate(rows, start=1):
            connection.execute(text("INSERT INTO events (id, sender_id, type_name, timestamp, data) "
                                    "VALUES (:id, :sender, 'user', :ts, '{}')"),
                               {"id": index, "sender": sender, "ts": NOW.timestamp() - age_days * DAY})
    engine.dispose()


def _senders(url):
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT sender_id, COUNT(*) FROM events GROUP BY sender_id")).all()
    engine.dispose()
    return dict(rows)


def test_old_conversations_go_and_recent_ones_stay(events_url):
    _store(events_url, [("old", 40), ("old", 35), ("long", 45), ("long", 2), ("new", 1), ("new", 0)])
    purged = purge_conversations(30, url=events_url, now=NOW)
    assert (purged.conversations, purged.events) == (1, 3)
    # The long-lived chat keeps its recent session only.
    assert _senders(events_url) == {"long": 1, "new": 2}
    # Idempotent: nothing more to remove.
    assert purge_conversations(30, url=events_url, now=NOW) == type(purged)(0, 0)


def test_no_conversation_stored_yet(tmp_path):
    purged = purge_conversations(30, url=f"sqlite:///{tmp_path / 'empty.db'}", now=NOW)
    assert (purged.conversations, purged.events) == (0, 0)


def test_purge_command_reports_counts(tmp_path, monkeypatch, capsys):
    from bot.cli import main

    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    _store(url, [("old", 40), ("new", 1)])
    monkeypatch.setenv("CONVERSATIONS_DATABASE_URL", url)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'juzhu.db'}")
    assert main(["purge", "--older-than", "30"]) == 0
    out = capsys.readouterr().out
    assert "1 conversations removed" in out and "bookings anonymised" in out
    assert _senders(url) == {"new": 1}


def test_purge_command_deletes_old_handoffs_and_ratings(tmp_path, monkeypatch, capsys):
    import datetime as dt

    from bot.platform.store import db
    from bot.cli import main
    from bot.handoff import HandoffService

    database = f"sqlite:///{tmp_path / 'juzhu.db'}"
    monkeypatch.setenv("CONVERSATIONS_DATABASE_URL", f"sqlite:///{tmp_path / 'conversations.db'}")
    monkeypatch.setenv("DATABASE_URL", database)
    long_ago = HandoffService(database, clock=lambda: dt.datetime.now() - dt.timedelta(days=40))
    long_ago.open("kiosk-old-conversation", facts={"city": "liaocheng"},
                  transcript=[{"who": "user", "text": "电话13812345678"}])
    long_ago.rate(2, comment="太慢")
    recent = HandoffService(database)
    recent.rate(5)
    assert main(["purge", "--older-than", "30"]) == 0
    assert "1 hand-offs and 1 ratings deleted" in capsys.readouterr().out
    assert recent.queue() == [] and [r["level"] for r in recent.ratings(60)] == [5]
    db.dispose_engines()


@pytest.mark.parametrize("argv", [["purge", "--older-than", "-3"], ["purge", "--older-than", "abc"]])
def test_purge_refuses_a_bad_age(argv, capsys):
    from bot.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "days" in capsys.readouterr().err
