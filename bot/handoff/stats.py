"""How many conversations there were, and how many reached a verdict: read from
Rasa's tracker store (bot/platform/conversations.py), for the feedback view's shares."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Optional

from sqlalchemy import create_engine, inspect, text

from bot.platform import clock

log = logging.getLogger(__name__)


def conversation_counts(days: int, *, url: Optional[str] = None,
                        now: Optional[dt.datetime] = None) -> Optional[dict[str, int]]:
    """``{"conversations", "with_verdict"}`` of the last ``days`` days: conversations with a
    user message, and those where the assistant set a decision with a verdict (the
    ``decision`` slot, which Rasa's SQL store names in ``action_name``). None when the
    tracker store cannot be read (another kind of store, or not reachable)."""
    from bot.platform.conversations import EVENTS_TABLE, conversations_url

    moment = now or dt.datetime.now(clock.TZ)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.TZ)
    cutoff = moment.timestamp() - days * 86400
    try:
        engine = create_engine(url or conversations_url())
    except Exception as error:
        log.warning("feedback: cannot open the conversations store: %s", type(error).__name__)
        return None
    try:
        if not inspect(engine).has_table(EVENTS_TABLE):
            return {"conversations": 0, "with_verdict": 0}
        with engine.connect() as connection:
            conversations = connection.execute(text(
                f"SELECT COUNT(DISTINCT sender_id) FROM {EVENTS_TABLE} "
                "WHERE type_name = 'user' AND timestamp >= :cutoff"), {"cutoff": cutoff}).scalar_one()
            with_verdict = connection.execute(text(
                f"SELECT COUNT(DISTINCT sender_id) FROM {EVENTS_TABLE} WHERE type_name = 'slot' "
                "AND action_name = 'decision' AND data LIKE '%verdict%' AND timestamp >= :cutoff"),
                {"cutoff": cutoff}).scalar_one()
        return {"conversations": int(conversations), "with_verdict": int(with_verdict)}
    except Exception as error:
        log.warning("feedback: cannot read the conversations store: %s: %s", type(error).__name__, error)
        return None
    finally:
        engine.dispose()
