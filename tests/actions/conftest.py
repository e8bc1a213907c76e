"""Fixtures of the action tests; the tracker builders are in action_trackers.py."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from tests.actions.action_trackers import TODAY

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setenv("JUZHU_TODAY", TODAY.isoformat())


@pytest.fixture(autouse=True)
def no_station_store(monkeypatch):
    """The hand-off reads stations from the appointment store; tests give them explicitly."""
    import bot.dialogue.stations

    monkeypatch.setattr(bot.dialogue.stations, "stations_of", lambda city, county=None: [])


@pytest.fixture(autouse=True)
def handoff_store(monkeypatch, tmp_path):
    """Hand-offs and ratings go to a throw-away SQLite store, opened when an action first needs it."""
    import bot.dialogue.stores
    from bot.platform.store import db
    from bot.handoff import HandoffService

    opened: list[HandoffService] = []

    def store() -> HandoffService:
        if not opened:
            opened.append(HandoffService(f"sqlite:///{tmp_path / 'juzhu.db'}"))
        return opened[0]

    monkeypatch.setattr(bot.dialogue.stores, "handoffs", store)
    yield store
    if opened:
        db.dispose_engines()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    from rasa.shared.core.domain import Domain

    return Domain.load(str(ROOT / "domain.yml")).as_dict()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


