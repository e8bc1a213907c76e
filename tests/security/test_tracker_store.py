"""The conversations store (bot.rasa_ext.tracker_store): a turn's events are stored once,
masked, and read back as the conversation was."""
from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_ext.tracker_store import MaskingSQLTrackerStore

PHONE = "13912345678"


@pytest.fixture
def store(tmp_path, monkeypatch):
    path = tmp_path / "conversations.db"
    monkeypatch.setenv("CONVERSATIONS_DATABASE_URL", f"sqlite:///{path}")
    domain = Domain.from_dict({"intents": ["inform"], "slots": {"city": {"type": "text", "mappings": []}}})
    return MaskingSQLTrackerStore(domain), path


def stored_rows(path):
    with sqlite3.connect(path) as db:
        return [json.loads(data) for (data,) in db.execute("SELECT data FROM events ORDER BY id")]


def test_turns_are_appended_once_masked_and_read_back(store):
    tracker_store, path = store
    tracker = DialogueStateTracker.from_events("kiosk-1", [
        ActionExecuted("action_listen"),
        UserUttered(f"我在聊城住了八个月，电话{PHONE}", {"name": "inform", "confidence": 0.9}),
        SlotSet("city", "liaocheng"),
        BotUttered("您的户口在哪里？"),
    ])
    asyncio.run(tracker_store.save(tracker))
    first = stored_rows(path)
    assert len(first) == 4
    assert PHONE not in json.dumps(first, ensure_ascii=False)

    tracker.update(UserUttered("河南的", {"name": "inform", "confidence": 0.9}))
    asyncio.run(tracker_store.save(tracker))
    assert len(stored_rows(path)) == 5  # only the new event

    again = asyncio.run(tracker_store.retrieve("kiosk-1"))
    assert again.get_slot("city") == "liaocheng"
    assert [e.text for e in again.events if isinstance(e, UserUttered)][-1] == "河南的"
