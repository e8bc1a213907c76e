"""Stored conversations: where they live, how their personal data is masked, and their purge.

Rasa keeps conversations in its SQL tracker store (the ``events`` table) on
the database :func:`conversations_url` names; bot/rasa_ext/tracker_store.py is the
Rasa adapter that calls :func:`masked_event` and :func:`unsealed_event`.
This module imports no Rasa, so ``juzhu purge`` starts quickly.

What is stored of an event:
- user and bot text, the entities read from it, button titles: phone
  numbers, ID numbers and names masked (bot.platform.masking), for good;
- personal slots (by name: ``*_name``, ``*_phone``, ``*_id_number``): sealed
  (Fernet, key ``JUZHU_DATA_KEY`` or ``var/data_key``), because the booking
  form needs the phone typed three turns ago; nothing in the database shows
  them, and :func:`purge_conversations` deletes them with the rest.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Optional

from sqlalchemy import create_engine, inspect, text

from bot.platform import clock
from bot.platform.masking import mask_value
from bot.platform.secrets import data_key, var_dir

log = logging.getLogger(__name__)

PERSONAL_SLOT = re.compile(r"(^|_)(name|phone|id_number)$")
NAME_SLOT = re.compile(r"(^|_)name$")
SEAL_PREFIX = "sealed:"
EVENTS_TABLE = "events"  # Rasa's SQLTrackerStore table


def conversations_url() -> str:
    """``CONVERSATIONS_DATABASE_URL``; else ``DATABASE_URL`` when it is not SQLite; else var/conversations.db.

    On SQLite the conversations get a file of their own: Rasa and the action
    server would otherwise queue for one write lock on every turn.
    """
    url = (os.environ.get("CONVERSATIONS_DATABASE_URL") or "").strip()
    if url:
        return url
    shared = (os.environ.get("DATABASE_URL") or "").strip()
    if shared and not shared.startswith("sqlite"):
        return "postgresql://" + shared[len("postgres://"):] if shared.startswith("postgres://") else shared
    path = (Path.cwd() / var_dir() / "conversations.db").resolve()
    return f"sqlite:///{path}"


@lru_cache(maxsize=4)
def _fernet(key: str) -> Any:
    from cryptography.fernet import Fernet

    return Fernet(key.encode())


def seal(value: str) -> str:
    return SEAL_PREFIX + _fernet(data_key()).encrypt(value.encode()).decode()


def unseal(value: Any) -> Any:
    """A sealed value opened; None when the key changed (the value is then lost, as after a purge)."""
    if not isinstance(value, str) or not value.startswith(SEAL_PREFIX):
        return value
    from cryptography.fernet import InvalidToken

    try:
        return _fernet(data_key()).decrypt(value[len(SEAL_PREFIX):].encode()).decode()
    except InvalidToken:
        log.warning("a sealed slot value cannot be opened (JUZHU_DATA_KEY changed?); dropped")
        return None


def is_personal_slot(name: Any) -> bool:
    return isinstance(name, str) and bool(PERSONAL_SLOT.search(name))


def known_names(events: Iterable[dict[str, Any]]) -> list[str]:
    """Names the conversation holds: values of ``*_name`` slots, and answers to a name question."""
    names: list[str] = []
    requested: Optional[str] = None
    for event in events:
        kind = event.get("event")
        if kind == "slot":
            slot, value = event.get("name"), event.get("value")
            if slot == "requested_slot":
                requested = value if isinstance(value, str) else None
            elif isinstance(slot, str) and NAME_SLOT.search(slot) and isinstance(value, str) \
                    and not value.startswith(SEAL_PREFIX):
                names.append(value)
        elif kind == "user" and requested and NAME_SLOT.search(requested):
            answer = (event.get("text") or "").strip()
            if 2 <= len(answer) <= 20 and not answer.startswith("/"):
                names.append(answer)
    return names


def masked_event(event: dict[str, Any], names: Iterable[str] = (), *,
                 answers_name: bool = False) -> dict[str, Any]:
    """The serialised event as it may be stored.

    ``answers_name``: a user message typed while the form asked for a name:
    the whole text is masked as a name when it is short, like a name.
    """
    names = tuple(names)
    data = dict(event)
    kind = data.get("event")
    if kind == "user":
        text_value = data.get("text")
        if answers_name and isinstance(text_value, str) and 2 <= len(text_value.strip()) <= 20 \
                and not text_value.startswith("/"):
            names = names + (text_value.strip(),)
        data["text"] = mask_value(text_value, names)
        if isinstance(data.get("parse_data"), dict):
            parse = dict(data["parse_data"])
            parse["text"] = mask_value(parse.get("text"), names)
            parse["entities"] = [
                {**entity, "value": mask_value(entity.get("value"), names),
                 **({"text": mask_value(entity["text"], names)} if "text" in entity else {})}
                for entity in parse.get("entities") or [] if isinstance(entity, dict)
            ]
            data["parse_data"] = parse
    elif kind == "bot":
        data["text"] = mask_value(data.get("text"), names)
        data["data"] = mask_value(data.get("data"), names)
    elif kind == "slot":
        value = data.get("value")
        if is_personal_slot(data.get("name")) and isinstance(value, str) and value \
                and not value.startswith(SEAL_PREFIX):
            data["value"] = seal(value)
        else:  # written by the actions and read back next turn: only a stray mobile or ID number goes
            data["value"] = mask_value(value, names, landlines=False)
    return data


def masked_events(all_events: list[dict[str, Any]], first_new: int) -> list[dict[str, Any]]:
    """``all_events[first_new:]`` masked, knowing what the whole conversation says."""
    names = known_names(all_events)
    out, requested = [], None
    for index, event in enumerate(all_events):
        if event.get("event") == "slot" and event.get("name") == "requested_slot":
            requested = event.get("value")
        if index >= first_new:
            out.append(masked_event(event, names, answers_name=isinstance(requested, str)
                                    and bool(NAME_SLOT.search(requested))))
    return out


def unsealed_event(event: dict[str, Any]) -> dict[str, Any]:
    if event.get("event") == "slot" and is_personal_slot(event.get("name")):
        return {**event, "value": unseal(event.get("value"))}
    return event


@dataclass(frozen=True)
class PurgedConversations:
    conversations: int
    events: int


def purge_conversations(older_than_days: int, *, url: Optional[str] = None,
                        now: Optional[dt.datetime] = None) -> PurgedConversations:
    """Delete every stored event older than ``older_than_days``.

    A conversation whose last event is older goes whole; a long-lived one
    (a Telegram chat) loses its old sessions. One DELETE in one short
    transaction: safe while Rasa writes.
    """
    if older_than_days < 0:
        raise ValueError("older_than_days must be >= 0")
    moment = now or dt.datetime.now(clock.TZ)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.TZ)
    cutoff = moment.timestamp() - older_than_days * 86400
    engine = create_engine(url or conversations_url())
    try:
        if not inspect(engine).has_table(EVENTS_TABLE):
            return PurgedConversations(0, 0)
        with engine.begin() as connection:
            gone = connection.execute(text(
                f"SELECT COUNT(*) FROM (SELECT sender_id FROM {EVENTS_TABLE} GROUP BY sender_id "
                f"HAVING MAX(timestamp) < :cutoff) AS old"), {"cutoff": cutoff}).scalar_one()
            deleted = connection.execute(text(f"DELETE FROM {EVENTS_TABLE} WHERE timestamp < :cutoff"),
                                         {"cutoff": cutoff}).rowcount
        return PurgedConversations(int(gone), int(deleted or 0))
    finally:
        engine.dispose()

