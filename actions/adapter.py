"""Rasa's tracker -> the core's conversation; the core's outcome -> Rasa's events.

Every action of this package is a name and a core turn
(``bot.dialogue``: a function of a :class:`Conversation` that answers an
:class:`Outcome`). The turn runs in the default thread pool: it may call a
store, and the action server's event loop keeps serving other
conversations meanwhile. Failures are ``guard.py``'s.
"""
from __future__ import annotations

import asyncio
from abc import ABC
from typing import Any, Callable

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.dialogue.conversation import Conversation
from bot.dialogue.outcome import Outcome

from .guard import GuardedAction, GuardedFormValidationAction, deliver

Turn = Callable[[Conversation], Outcome]


def conversation_of(tracker: Tracker) -> Conversation:
    return Conversation(sender=str(tracker.sender_id or ""), slots=tracker.slots or {},
                        latest=tracker.latest_message or {}, events=tracker.events or [],
                        form=(tracker.active_loop or {}).get("name") or None)


async def answer(turn: Turn, dispatcher: CollectingDispatcher, tracker: Tracker, form: str = "") -> list[EventType]:
    outcome = await asyncio.get_running_loop().run_in_executor(None, turn, conversation_of(tracker))
    return deliver(dispatcher, outcome, form)


class CoreAction(GuardedAction, ABC):
    """An action that is a core turn (``turn``, a staticmethod); :func:`core` names it."""
    turn: Turn

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        return await answer(type(self).turn, dispatcher, tracker)


class CoreFormValidation(GuardedFormValidationAction, ABC):
    """A form's validator that is a core turn; it requests the next value itself."""
    turn: Turn

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        return await answer(type(self).turn, dispatcher, tracker, self.form_name())


def core(action: str, turn: Turn, doc: str = "", base: type = CoreAction, **attributes: Any) -> type:
    """The action class named ``action`` (the domain's name) that answers with ``turn``."""
    class_name = "".join(part.title() for part in action.split("_"))
    return type(class_name, (base,), {"name": lambda self: action, "turn": staticmethod(turn),
                                      "__doc__": doc or turn.__doc__, **attributes})
