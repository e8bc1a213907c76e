"""The interview driver, tested without Rasa: a conversation is a list of messages."""
from __future__ import annotations

import datetime as dt
from typing import Optional

import pytest

from bot.dialogue.eligibility import Interview, Message, Reply, State

TODAY = dt.date(2026, 11, 22)


class Talk:
    """Messages to the driver, one by one, keeping its state as a channel does."""

    def __init__(self, driver: Interview, first: Optional[str] = None):
        self.driver = driver
        self.replies: list[Reply] = []
        self.state = State()
        if first is None:
            self._keep(driver.start())
        else:
            self.say(first)

    def _keep(self, reply: Reply) -> Reply:
        self.replies.append(reply)
        self.state = reply.state
        return reply

    def say(self, text: str, intent: Optional[str] = None, confidence: float = 0.9) -> Reply:
        return self._keep(self.driver.handle(self.state, Message.parse(text, intent, confidence)))

    def confirm(self) -> Reply:
        """Say "对" to the read-back the last reply ends with (it must end with one)."""
        readback = self.last.messages[-1]
        assert self.last.next == "readback" and "readback" in (readback.custom or {}), self.texts
        assert [c.title for c in readback.choices] == ["对", "有不对的，我改一下"]
        return self.say("对")

    @property
    def last(self) -> Reply:
        return self.replies[-1]

    @property
    def texts(self) -> list[str]:
        return self.last.texts

    @property
    def facts(self) -> dict:
        return self.state.facts


@pytest.fixture
def driver() -> Interview:
    return Interview(as_of=TODAY)


@pytest.fixture
def talk(driver):
    def start(first: Optional[str] = None) -> Talk:
        return Talk(driver, first)
    return start
