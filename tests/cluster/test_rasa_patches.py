"""bot/rasa_patches.py without servers: the compiled validator and the loud tracker store."""
from __future__ import annotations

import asyncio

import pytest

from bot import rasa_patches

rasa_patches.install()


def test_action_results_are_still_validated():
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    action = RemoteAction("action_x", None)
    assert action._validate_action_result({"events": [{"event": "slot", "name": "city", "value": "qujing"}],
                                           "responses": [{"text": "你好"}]})
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": "not a list"})


def test_the_schema_is_checked_once(monkeypatch):
    from jsonschema.validators import Draft4Validator
    from rasa.core.actions.action import RemoteAction

    calls = []
    monkeypatch.setattr(Draft4Validator, "check_schema", classmethod(lambda cls, schema: calls.append(1)))
    action = RemoteAction("action_x", None)
    for _ in range(5):
        action._validate_action_result({"events": [], "responses": []})
    assert calls == []  # checked when the validator was first built, not per call


class Broken:
    domain = None
    event_broker = None

    async def retrieve(self, sender_id):
        raise OSError("connection refused")

    async def retrieve_full_tracker(self, sender_id):
        raise OSError("connection refused")

    async def save(self, tracker):
        raise OSError("connection refused")


def test_a_failing_conversation_store_fails_the_turn_instead_of_forgetting(caplog):
    from rasa.core.tracker_store import FailSafeTrackerStore

    store = FailSafeTrackerStore(Broken())
    with pytest.raises(rasa_patches.ConversationStoreUnavailable):
        asyncio.run(store.retrieve("someone"))
    with pytest.raises(rasa_patches.ConversationStoreUnavailable):
        asyncio.run(store.save(object()))
    assert store._fallback_tracker_store is None  # nothing kept in memory
    assert "conversations database unavailable" in caplog.text


class Slow:
    """A store whose calls block, as Rasa's SQL stores do (no await inside)."""

    domain = None
    event_broker = None

    def __init__(self):
        import threading

        self.threads = set()
        self.lock = threading.Lock()

    async def retrieve(self, sender_id):
        import threading
        import time

        with self.lock:
            self.threads.add(threading.current_thread().name)
        time.sleep(0.05)
        return None


def test_tracker_store_calls_can_run_off_the_event_loop(monkeypatch):
    import time

    from rasa.core.tracker_store import FailSafeTrackerStore

    monkeypatch.setenv("JUZHU_TRACKER_STORE_THREADS", "4")
    inner = Slow()
    store = FailSafeTrackerStore(inner)

    async def main() -> float:
        started = time.monotonic()
        await asyncio.gather(*(store.retrieve(f"s{i}") for i in range(4)))
        return time.monotonic() - started

    took = asyncio.run(main())
    assert took < 0.15  # four blocking calls of 50 ms side by side, not one after the other
    assert all(name.startswith("tracker-store") for name in inner.threads)
