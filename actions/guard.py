"""Honest failures: every action of this package answers, whatever breaks.

When the appointment store is down, locked or slow (its calls time out
within seconds, see bot/platform/store/db.py), or an action has a bug, the
applicant is told the system is busy, with the hotline (``HOTLINE``, default
12345), and the conversation is left as it was: never a traceback, never
silence, never a "没有理解" from a fallback.

Done once, here: every action derives from :class:`GuardedAction` or
:class:`GuardedFormValidationAction`, whose subclasses get their ``run``
wrapped when the class is made. A test checks that every action the action
server registers is guarded.

What "left as it was" means for each kind:

- an action returns no events (its slots stay as they were);
- a form's validator ends its form (``requested_slot`` None) and has Rasa
  listen next, so the form's closing action does not run on half a turn.
  It must also set a slot other than ``requested_slot``, or Rasa would
  reject the turn and drop the busy message: it sets the slot it had asked
  for to the value it already has.
"""
from __future__ import annotations

import asyncio
import functools
import logging
from abc import ABC, abstractmethod
from typing import Any, Callable, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import (ActionExecutionRejected, ActiveLoop, EventType, FollowupAction, Restarted, SlotSet,
                             UserUtteranceReverted)
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.dialogue import outcome as O
from bot.dialogue.texts import busy_text

logger = logging.getLogger(__name__)

REQUESTED_SLOT = "requested_slot"
ACTION_LISTEN = "action_listen"


def unavailable(error: BaseException) -> bool:
    """The database (or the way to it) failed or timed out, as opposed to a bug."""
    from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    return isinstance(error, (OperationalError, InterfaceError, DisconnectionError, PoolTimeout,
                              ConnectionError, TimeoutError, asyncio.TimeoutError))


def _log_failure(action: str, error: BaseException) -> None:
    if unavailable(error):  # expected in operation: one line, no traceback
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()
        logger.warning("%s: database unavailable, answered busy (%s: %s)", action, type(error).__name__,
                       reason[0] if reason else "")
    else:
        logger.exception("%s failed, answered busy", action)


Run = Callable[[Any, CollectingDispatcher, Tracker, DomainDict], Any]


def _guarded(run: Run) -> Run:
    @functools.wraps(run)
    async def guarded_run(self: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: DomainDict) -> list[EventType]:
        try:
            return await run(self, dispatcher, tracker, domain)
        except Exception as error:  # noqa: BLE001 - whatever it is, the applicant gets an answer
            _log_failure(self.name(), error)
            dispatcher.utter_message(text=busy_text())
            return self.events_when_busy(tracker)

    guarded_run.guarded = True  # type: ignore[attr-defined]
    return guarded_run


class _Guarded:
    """Wraps the ``run`` of every subclass (see the module's docstring)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        run = cls.__dict__.get("run")
        if run is not None and not getattr(run, "guarded", False):
            cls.run = _guarded(run)  # type: ignore[attr-defined]

    def events_when_busy(self, tracker: Tracker) -> list[EventType]:
        return []


class GuardedAction(_Guarded, Action, ABC):
    """An Action that says "busy" instead of failing."""

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain."""


class GuardedFormValidationAction(_Guarded, FormValidationAction, ABC):
    """A form's validator that ends its form with "busy" instead of failing."""

    @abstractmethod
    def name(self) -> str:
        """validate_<form>"""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        """rasa_sdk's own run, for a validator that keeps it: guarded too."""
        return await super().run(dispatcher, tracker, domain)

    def events_when_busy(self, tracker: Tracker) -> list[EventType]:
        events: list[EventType] = []
        asked = tracker.get_slot(REQUESTED_SLOT)
        if asked:
            events.append(SlotSet(asked, tracker.get_slot(asked)))  # unchanged: keeps Rasa from rejecting
        return events + [SlotSet(REQUESTED_SLOT, None), FollowupAction(ACTION_LISTEN)]


def deliver(dispatcher: CollectingDispatcher, outcome: O.Outcome, form: Optional[str] = None) -> list[EventType]:
    """A core flow's :class:`bot.dialogue.outcome.Outcome` as Rasa messages and events: the
    messages, a ``SlotSet`` per value, then what runs next (``form``: the form a REJECT refuses)."""
    for message in outcome.messages:
        if message.get("response"):
            dispatcher.utter_message(response=message["response"])
            continue
        extra = {"image": message["image"]} if message.get("image") else {}
        dispatcher.utter_message(text=message.get("text"), buttons=message.get("buttons") or [],
                                 json_message=message.get("custom"), **extra)
    events: list[EventType] = [SlotSet(name, value) for name, value in outcome.values.items()]
    return events + [_control(step, form) for step in outcome.then]


def _control(step: str, form: Optional[str]) -> EventType:
    if step.startswith(O.RUN):
        return FollowupAction(step[len(O.RUN):])
    return {O.LISTEN: lambda: FollowupAction(ACTION_LISTEN), O.RESTART: lambda: FollowupAction("action_restart"),
            O.FORGET: Restarted, O.REVERT: UserUtteranceReverted, O.END_FORM: lambda: ActiveLoop(None),
            O.REJECT: lambda: ActionExecutionRejected(form or "")}[step]()
