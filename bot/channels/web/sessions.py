"""Staff session cookies: signed with their own secret, never with the staff token.

After the staff token was typed at ``/staff/login`` the browser keeps a
session cookie instead of the token. The cookie is signed with itsdangerous
(``URLSafeTimedSerializer``: HMAC-SHA1 over a timestamped payload, expiry
checked on every request) under a secret of its own, so that

- a cookie reveals nothing about the token, and knowing the token (or an old
  hand-written HMAC over it) is not enough to forge a cookie;
- sessions survive a restart of the web front (the secret is kept on disk);
- rotating the secret logs everyone out, and so does changing the token (the
  payload carries a mark of the token, keyed by the secret);
- logging out ends the session on the server: its random id is kept as
  revoked (in the deployment's database) until the cookie would expire.

The secret is :func:`bot.platform.secrets.staff_cookie_secret`: ``STAFF_COOKIE_SECRET``
when it is set, else generated once into ``var/staff_cookie_secret`` (mode
0600; ``var/`` relative to the working directory like the SQLite default
``var/juzhu.db``). Delete the file, or set another ``STAFF_COOKIE_SECRET``,
to log every staff member out.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
from typing import Callable, Optional

import sqlalchemy as sa
from itsdangerous import BadData, URLSafeTimedSerializer

from bot.handoff.models import StaffSessionRevocation

STAFF_SESSION_SECONDS = 12 * 3600
# Tells this cookie's signatures apart from any other use of the same secret.
SESSION_SALT = "juzhu-staff-session"

REVOCATIONS = StaffSessionRevocation.__table__  # created by migration 0005 (bot/platform/store/migrations)


class Revocations:
    """Session ids ended by a logout, in the deployment's database (every web front sees them)."""

    def __init__(self, url: Optional[str] = None):
        self._url = url
        self._engine: Optional[sa.engine.Engine] = None
        self._lock = threading.Lock()

    def engine(self) -> sa.engine.Engine:
        with self._lock:
            if self._engine is None:
                from bot.platform.store import db

                url = db.database_url(self._url)
                db.ensure_schema(url)
                self._engine = db.get_engine(url)
            return self._engine

    def revoke(self, sid: str, expires_at: dt.datetime) -> None:
        now = dt.datetime.utcnow()
        with self.engine().begin() as connection:
            connection.execute(REVOCATIONS.delete().where(REVOCATIONS.c.expires_at < now))
            if connection.execute(sa.select(REVOCATIONS.c.sid).where(REVOCATIONS.c.sid == sid)).first() is None:
                connection.execute(REVOCATIONS.insert().values(sid=sid, expires_at=expires_at))

    def revoked(self, sid: str) -> bool:
        with self.engine().connect() as connection:
            return connection.execute(
                sa.select(REVOCATIONS.c.sid).where(REVOCATIONS.c.sid == sid)).first() is not None


class StaffSessions:
    """Issues, checks and ends staff session cookies for one staff token.

    Each cookie carries a random session id; logging out records it in
    :class:`Revocations` until the cookie would have expired, so a copied
    cookie is worthless after the logout. ``revocations``: that store's
    factory (default the deployment's database, opened on first use).
    """

    def __init__(self, secret: str, token: str, max_age: int = STAFF_SESSION_SECONDS,
                 revocations: Optional[Callable[[], Revocations]] = None):
        self.max_age = max_age
        self._serializer = URLSafeTimedSerializer(secret, salt=SESSION_SALT)
        # Which token the session was opened with, keyed by the secret: nothing to guess the token from.
        self._token_mark = hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()[:32]
        self._revocations_factory = revocations or Revocations
        self._revocations_store: Optional[Revocations] = None

    def _revocations(self) -> Revocations:
        if self._revocations_store is None:
            self._revocations_store = self._revocations_factory()
        return self._revocations_store

    def issue(self) -> str:
        return self._serializer.dumps({"staff": self._token_mark, "sid": secrets.token_hex(16)})

    def _session_id(self, value: Optional[str]) -> Optional[str]:
        """The session id of a genuine, unexpired cookie of this token; None otherwise."""
        if not value or len(value) > 512:
            return None
        try:
            data = self._serializer.loads(value, max_age=self.max_age)
        except BadData:  # bad signature, expired, malformed
            return None
        if not (isinstance(data, dict) and hmac.compare_digest(str(data.get("staff", "")), self._token_mark)):
            return None
        sid = data.get("sid")
        return sid if isinstance(sid, str) and len(sid) == 32 else None

    def valid(self, value: Optional[str]) -> bool:
        """Synchronous (a database read): call it off the event loop."""
        sid = self._session_id(value)
        return sid is not None and not self._revocations().revoked(sid)

    def revoke(self, value: Optional[str]) -> bool:
        """Ends the session of ``value`` on the server; False when it was no valid cookie."""
        sid = self._session_id(value)
        if sid is None:
            return False
        until = dt.datetime.utcnow() + dt.timedelta(seconds=self.max_age)
        self._revocations().revoke(sid, until)
        return True
