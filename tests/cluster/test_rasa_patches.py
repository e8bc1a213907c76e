"""bot/rasa_ext/rasa_patches.py without servers: the compiled validator and the loud tracker store."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.rasa_ext import rasa_patches

rasa_patches.install()


def test_action_results_are_still_validated():
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    action = RemoteAction("action_x", None)
    assert action._validate_action_result({"events": [{"event": "slot", "name": "city", "value": "qujing"}],
                                           "responses": [{"text": "你好"}]})
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": "not a list"})


RESPONSES = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "city", "value": "qujing"}], "responses": [{"text": "好"}]},
    {"events": [{"event": "slot", "name": 5, "value": "x"}]},  # a slot name must be a string
    {"events": [{"event": "no_such_kind"}]},
    {"events": [{"name": "city"}]},  # no event kind at all
    {"events": ["slot"]},
    {"events": [{"event": "active_loop", "name": None}, {"event": "followup", "name": "action_listen"}]},
    {"events": [{"event": "followup"}]},  # followup needs a name
    {"events": [{"event": "bot", "text": "你好", "data": {"buttons": []}}], "responses": "not a list"},
    {"events": [{"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet", "confidence": 1}}}]},
    {"events": [{"event": "slot", "name": "city", "value": "x", "timestamp": "yesterday"}]},
]


@pytest.mark.parametrize("response", RESPONSES)
def test_the_fast_check_gives_jsonschemas_verdict(response):
    import jsonschema
    from rasa.core.actions.action import RemoteAction

    try:
        jsonschema.validate(response, RemoteAction.action_response_format_spec())
        expected = True
    except jsonschema.ValidationError:
        expected = False
    action = RemoteAction("action_x", None)
    try:
        got = action._validate_action_result(response)
    except jsonschema.ValidationError:
        got = False
    assert got == expected


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
        self.barrier = threading.Barrier(4)

    async def retrieve(self, sender_id):
        import threading

        with self.lock:
            self.threads.add(threading.current_thread().name)
        # All four calls must be inside at once to pass: run one after the other, the first would
        # wait here alone and the barrier break (no wall-clock limit to flake on a busy machine).
        self.barrier.wait(timeout=30)
        return None


def test_tracker_store_calls_can_run_off_the_event_loop(monkeypatch):
    from rasa.core.tracker_store import FailSafeTrackerStore

    monkeypatch.setenv("JUZHU_TRACKER_STORE_THREADS", "4")
    inner = Slow()
    store = FailSafeTrackerStore(inner)

    async def main() -> None:
        await asyncio.gather(*(store.retrieve(f"s{i}") for i in range(4)))

    asyncio.run(main())  # four blocking calls side by side, or the barrier breaks
    assert len(inner.threads) == 4 and all(name.startswith("tracker-store") for name in inner.threads)


def test_one_http_session_per_endpoint_and_event_loop():
    from rasa.utils.endpoints import EndpointConfig

    endpoint = EndpointConfig(url="http://127.0.0.1:1/webhook", headers={"X-Test": "1"})

    async def main():
        async with endpoint.session() as first:
            pass
        async with endpoint.session() as second:
            pass
        assert first is second and not first.closed
        assert first.headers["X-Test"] == "1"
        await first.close()
        async with endpoint.session() as third:  # a closed one is replaced
            assert third is not first
        await third.close()

    asyncio.run(main())


def test_event_kinds_are_still_resolved():
    from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("action") is ActionExecuted
    assert Event.resolve_by_type("slot") is SlotSet  # from the cache
    assert Event.resolve_by_type("no_such_kind", default=SlotSet) is SlotSet
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_kind")
    assert Event.from_parameters({"event": "slot", "name": "city", "value": "qujing"}) == SlotSet("city", "qujing")


def test_the_patches_refuse_a_rasa_release_they_were_not_written_for():
    import rasa

    assert rasa.__version__ == rasa_patches.WRITTEN_FOR_RASA  # the pinned release passes
    rasa_patches.check_version()
    with pytest.raises(rasa_patches.UnsupportedRasaVersion, match="written for Rasa 3.6.21, but Rasa 3.7.0"):
        rasa_patches.check_version("3.7.0")


def test_story_tests_run_rasa_with_the_same_patches_as_the_server():
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    recipe = makefile.split("\ntest-stories:", 1)[1].split("\n\n", 1)[0]
    assert "juzhu rasa-cli test core" in recipe and "$(RASA) test" not in recipe
