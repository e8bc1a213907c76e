"""The feedback view's shares: conversations and those with a verdict, read from
Rasa's tracker store table as Rasa 3.6 writes it (slot events name the slot in
``action_name``)."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import create_engine, text

from bot.platform import clock
from bot.handoff.stats import conversation_counts
from tests.security.test_retention import EVENTS_DDL

NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=clock.TZ)
DAY = 86400


def _event(connection, index, sender, kind, days_ago, name=None, data=None):
    connection.execute(text("INSERT INTO events (id, sender_id, type_name, timestamp, action_name, data) "
                            "VALUES (:id, :sender, :kind, :ts, :name, :data)"),
                       {"id": index, "sender": sender, "kind": kind, "ts": NOW.timestamp() - days_ago * DAY,
                        "name": name, "data": json.dumps(data or {}, ensure_ascii=False)})


def test_conversations_and_verdicts_of_the_last_days(tmp_path):
    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(EVENTS_DDL))
        rows = [("a", "user", 1, None, {"text": "能办吗"}),
                ("a", "slot", 1, "decision", {"event": "slot", "name": "decision",
                                               "value": {"verdict": "eligible", "city": "liaocheng"}}),
                ("b", "user", 2, None, {"text": "你好"}),
                ("b", "slot", 2, "decision", {"event": "slot", "name": "decision", "value": None}),  # a reset
                ("c", "user", 3, None, {"text": "转人工"}),
                ("old", "user", 40, None, {"text": "很久以前"}),
                ("old", "slot", 40, "decision", {"event": "slot", "name": "decision", "value": {"verdict": "x"}})]
        for index, row in enumerate(rows, start=1):
            _event(connection, index, *row)
    engine.dispose()
    assert conversation_counts(30, url=url, now=NOW) == {"conversations": 3, "with_verdict": 1}
    assert conversation_counts(60, url=url, now=NOW) == {"conversations": 4, "with_verdict": 2}


def test_no_store_yet_and_an_unreadable_one(tmp_path):
    assert conversation_counts(30, url=f"sqlite:///{tmp_path / 'none.db'}") == {"conversations": 0,
                                                                             "with_verdict": 0}
    assert conversation_counts(30, url="postgresql://nobody@127.0.0.1:1/none") is None
