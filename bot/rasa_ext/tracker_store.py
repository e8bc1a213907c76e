"""Rasa's SQL tracker store, with personal data masked (named in endpoints.yml).

Only the storage is changed: Rasa hands the action server the tracker of
the current turn as it is, so the booking form reads the phone just typed;
what reaches the database is :func:`bot.platform.conversations.masked_events`, and
what comes back from it has its sealed personal slots opened.

The database is :func:`bot.platform.conversations.conversations_url` (SQLite under
var/ by default, PostgreSQL when configured). Event brokers are not
supported: they would publish the unmasked events.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Optional

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy import create_engine, event as sa_event
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool
from sqlalchemy.engine import make_url

from bot.platform.conversations import conversations_url, masked_events, unsealed_event
from bot.platform.private_files import private_file

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000
PG_CONNECT_TIMEOUT_S = 3


class MaskingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, domain: Optional[Domain] = None, host: Optional[str] = None,
                 event_broker: Optional[EventBroker] = None, **kwargs: Any) -> None:
        if event_broker is not None:
            raise ValueError("MaskingSQLTrackerStore: an event broker would publish unmasked events; "
                             "remove event_broker from endpoints.yml")
        url = make_url(conversations_url())
        options: dict[str, Any] = {}
        if url.get_backend_name() == "sqlite":
            private_file(url.database)  # conversations: 0600 in a 0700 var/, whatever the umask
            options.update(dialect="sqlite", db=url.database)
        else:
            query = {"connect_timeout": str(PG_CONNECT_TIMEOUT_S), **dict(url.query)}
            options.update(dialect=url.drivername, host=url.host, port=url.port, db=url.database,
                           username=url.username, password=url.password, query=query,
                           # Rasa creates the database when missing, logged in to this one.
                           login_db=kwargs.pop("login_db", "postgres"))
        super().__init__(domain, event_broker=None, **options, **kwargs)
        if url.get_backend_name() == "sqlite":
            # SQLAlchemy 1.4 gives a SQLite file no pool: a new connection (and its pragmas) per
            # load and per save, about a millisecond each. A small pool keeps them open; a
            # connection is used by one session at a time, whichever thread holds it.
            self.engine.dispose()
            self.engine = create_engine(self.engine.url, poolclass=QueuePool, pool_size=2, max_overflow=8,
                                        connect_args={"check_same_thread": False})
            sa_event.listen(self.engine, "connect", _sqlite_pragmas)
            self.sessionmaker = sessionmaker(bind=self.engine)
        log.info("conversations stored in %r (personal data masked)", self.engine.url)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the turn's new events, masked (Rasa's save, with masking in the middle)."""
        with self.session_scope() as session:
            stored = self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
            rows = [{"sender_id": tracker.sender_id,
                     "type_name": data.get("event"),
                     "timestamp": data.get("timestamp"),
                     "intent_name": (data.get("parse_data") or {}).get("intent", {}).get(INTENT_NAME_KEY),
                     "action_name": data.get("name"),
                     "data": json.dumps(data)}
                    for data in masked_events([event.as_dict() for event in tracker.events], stored)]
            if rows:  # one INSERT for the turn's events, not one ORM object each (a few ms a turn)
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool
                        ) -> Optional[DialogueStateTracker]:
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id,
                                     fetch_events_from_all_sessions=fetch_events_from_all_sessions).all()
            events = [unsealed_event(json.loads(row.data)) for row in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()
