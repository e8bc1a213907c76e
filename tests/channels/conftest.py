"""The channels' tests never touch the developer's var/juzhu.db: the Telegram
bridge's 签注 reminder pass (bot/reminders.py) opens the appointments
database, so each test gets a throw-away one unless it sets its own."""
from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _throwaway_database(tmp_path, monkeypatch):
    if not os.environ.get("DATABASE_URL"):
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'channels.db'}")
