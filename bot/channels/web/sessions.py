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

The secret comes from ``STAFF_COOKIE_SECRET`` when it is set, else it is
generated once into ``var/staff_cookie_secret`` (mode 0600, the directory
created when missing; relative to the working directory like the SQLite
default ``var/juzhu.db``). Delete the file, or set another
``STAFF_COOKIE_SECRET``, to log every staff member out.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tempfile
from pathlib import Path
from typing import Mapping, Optional

from itsdangerous import BadData, URLSafeTimedSerializer

STAFF_SESSION_SECONDS = 12 * 3600
STAFF_COOKIE_SECRET_PATH = Path("var") / "staff_cookie_secret"
MIN_SECRET_CHARS = 16
# Tells this cookie's signatures apart from any other use of the same secret.
SESSION_SALT = "juzhu-staff-session"


class StaffSettingsError(ValueError):
    """A staff setting the web front cannot start with: one clear English line."""


def staff_cookie_secret(env: Optional[Mapping[str, str]] = None,
                        path: Path = STAFF_COOKIE_SECRET_PATH) -> str:
    """The secret staff cookies are signed with: ``STAFF_COOKIE_SECRET``, else the file at ``path``
    (generated on first use)."""
    env = os.environ if env is None else env
    given = (env.get("STAFF_COOKIE_SECRET") or "").strip()
    if given:
        if len(given) < MIN_SECRET_CHARS:
            raise StaffSettingsError(
                f"STAFF_COOKIE_SECRET is shorter than {MIN_SECRET_CHARS} characters; use a long random one "
                "(e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`) or unset it")
        return given
    path = Path(path)
    try:
        if not path.exists():
            _create_secret_file(path)
        text = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise StaffSettingsError(f"cannot read or create the staff cookie secret {path}: {error.strerror or error}"
                                 ) from None
    if len(text) < MIN_SECRET_CHARS:
        raise StaffSettingsError(f"{path} holds no usable secret (under {MIN_SECRET_CHARS} characters); "
                                 "delete it and a new one is made at the next start")
    return text


def _create_secret_file(path: Path) -> None:
    """Write a new random secret to ``path``, readable by this user only; a file made meanwhile by
    another process (two web fronts starting at once) wins, so both use the same secret."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(secrets.token_urlsafe(32) + "\n")
        try:
            os.link(temporary, path)  # atomic, and never replaces an existing secret
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)


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
