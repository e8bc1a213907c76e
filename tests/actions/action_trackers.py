"""Tracker fixtures for the custom actions (as RasaHQ/financial-demo tests them).

``tracker_for`` builds the ``rasa_sdk.Tracker`` an action receives from Rasa:
the slots, the latest user message (text, intent, entities) and the events.
``form_turn`` builds the one the form's validator receives: Rasa appends the
form's own ActionExecuted after the user's message.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.dialogue.memory import FACT_SLOTS

TODAY = dt.date(2026, 11, 22)
FORM = "eligibility_form"


def message(text: str, intent: str = "inform", confidence: float = 0.95,
            entities: Optional[list[dict[str, Any]]] = None,
            ranking: Optional[list[tuple[str, float]]] = None) -> dict[str, Any]:
    return {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities or [],
        "intent_ranking": [{"name": n, "confidence": c} for n, c in (ranking or [(intent, confidence)])],
    }


def payload_message(payload: str) -> dict[str, Any]:
    """What Rasa's payload parser makes of /intent{"entity": value}."""
    import json

    intent, _, data = payload[1:].partition("{")
    entities = [{"entity": k, "value": v, "start": 0, "end": len(payload)}
                for k, v in (json.loads("{" + data) if data else {}).items()]
    return message(payload, intent, 1.0, entities)


def all_slots(**values: Any) -> dict[str, Any]:
    slots = {name: None for name in FACT_SLOTS}
    slots.update({"requested_slot": None, "decision": None, "awaiting_city": None,
                  "pending_topic": None, "handoff": None})
    slots.update(values)
    return slots


def tracker_for(latest: dict[str, Any], slots: Optional[dict[str, Any]] = None,
                events: Optional[list[dict[str, Any]]] = None, active_loop: Optional[str] = None) -> Tracker:
    user = {"event": "user", "text": latest["text"], "parse_data": latest}
    return Tracker(
        sender_id="test",
        slots=all_slots(**(slots or {})),
        latest_message=latest,
        events=(events or [{"event": "action", "name": "action_listen"}]) + [user],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def form_turn(latest: dict[str, Any], slots: Optional[dict[str, Any]] = None, *,
              kind: str = "answer", asked: tuple[str, ...] = (), form: str = FORM) -> Tracker:
    """The tracker a form's validator gets (validate_eligibility_form by default).

    kind: "answer" (the form asked, the user answered), "activation" (the
    user's message starts the form), "resume" (the form comes back after
    another action answered the user's message). ``asked``: the slots the
    form asked for earlier, oldest first.
    """
    slots = dict(slots or {})
    requested = slots.get("requested_slot")
    user = {"event": "user", "text": latest["text"], "parse_data": latest}
    history = [{"event": "slot", "name": "requested_slot", "value": name} for name in asked]
    if kind == "answer":
        events = history + [{"event": "action", "name": form}, {"event": "action", "name": "action_listen"}, user]
    elif kind == "activation":
        events = history + [{"event": "action", "name": "action_listen"}, user,
                            {"event": "active_loop", "name": form}]
    else:
        events = history + [{"event": "action", "name": form}, {"event": "action", "name": "action_listen"}, user,
                  {"event": "action", "name": "action_answer_topic"},
                  {"event": "bot", "text": "..."}]
    events += [{"event": "slot", "name": "requested_slot", "value": requested},
               {"event": "action", "name": form}]
    return Tracker(
        sender_id="test",
        slots=all_slots(**slots),
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": form},
        latest_action_name=form,
    )


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def texts_of(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("text") or "" for m in dispatcher.messages]


def payloads_of(dispatcher: CollectingDispatcher) -> list[str]:
    return [b["payload"] for m in dispatcher.messages for b in (m.get("buttons") or [])]
