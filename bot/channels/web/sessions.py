"""Staff session cookies: signed with their own secret, never with the staff token.

After the staff token was typed at ``/staff/login`` the browser keeps a
session cookie instead of the token. The cookie is signed with itsdangerous
(``URLSafeTimedSerializer``: HMAC-SHA1 over a timestamped payload, expiry
checked on every request) under a secret of its own, so that

- a cookie reveals nothing about the token, and knowing the token (or an old
  hand-written HMAC over it) is not enough to forge a cookie;
- sessions survive a restart of the web front (the secret is kept on disk);
- rotating the secret logs everyone out, and so does changing the token (the
  payload carries a mark of the token, keyed by the secret).

The secret is :func:`bot.secrets.staff_cookie_secret`: ``STAFF_COOKIE_SECRET``
when it is set, else generated once into ``var/staff_cookie_secret`` (mode
0600; ``var/`` relative to the working directory like the SQLite default
``var/juzhu.db``). Delete the file, or set another ``STAFF_COOKIE_SECRET``,
to log every staff member out.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Optional

from itsdangerous import BadData, URLSafeTimedSerializer

STAFF_SESSION_SECONDS = 12 * 3600
# Tells this cookie's signatures apart from any other use of the same secret.
SESSION_SALT = "juzhu-staff-session"


class StaffSessions:
    """Issues and checks staff session cookies for one staff token."""

    def __init__(self, secret: str, token: str, max_age: int = STAFF_SESSION_SECONDS):
        self.max_age = max_age
        self._serializer = URLSafeTimedSerializer(secret, salt=SESSION_SALT)
        # Which token the session was opened with, keyed by the secret: nothing to guess the token from.
        self._token_mark = hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self) -> str:
        return self._serializer.dumps({"staff": self._token_mark})

    def valid(self, value: Optional[str]) -> bool:
        if not value or len(value) > 512:
            return False
        try:
            data = self._serializer.loads(value, max_age=self.max_age)
        except BadData:  # bad signature, expired, malformed
            return False
        return isinstance(data, dict) and hmac.compare_digest(str(data.get("staff", "")), self._token_mark)
