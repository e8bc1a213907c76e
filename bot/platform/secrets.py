"""The deployment's secrets: taken from the environment, else generated once into ``var/``.

| name | environment | file | what it protects |
| --- | --- | --- | --- |
| Rasa API token | ``RASA_TOKEN`` | ``var/rasa_token`` | every Rasa HTTP route but ``/``, the REST webhook and status |
| action server secret | ``ACTION_SECRET`` | ``var/action_secret`` | the action server answers only Rasa |
| data key | ``JUZHU_DATA_KEY`` | ``var/data_key`` | seals personal slot values in the tracker store |
| staff cookie secret | ``STAFF_COOKIE_SECRET`` | ``var/staff_cookie_secret`` | signs staff session cookies |

A generated file has mode 600 in a directory of mode 700. Several machines
of one deployment must share the same values (set them in the environment).
Rotating one: delete its file (or change the variable) and restart; see the
README's "Security and privacy". A secret is never printed in full
(:func:`shown`).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets as random
from pathlib import Path
from typing import Callable, Optional

from bot.platform.private_files import private_dir, var_dir

MIN_LENGTH = 16


class SecretError(ValueError):
    """A secret set in the environment that cannot be used (operator error, English)."""




def _generated(path: Path, make: Callable[[], str]) -> str:
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made earlier, or by a process started at the same moment
        value = path.read_text(encoding="ascii").strip()
        if value:
            return value
        path.unlink()
        return _generated(path, make)
    value = make()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    return value


def secret(env_name: str, file_name: str, make: Optional[Callable[[], str]] = None) -> str:
    """``$env_name`` when set, else the value kept in ``var/file_name`` (created on first use)."""
    value = (os.environ.get(env_name) or "").strip()
    if value:
        if len(value) < MIN_LENGTH:
            raise SecretError(f"{env_name} is too short: use {MIN_LENGTH} or more random characters, e.g. "
                              f"`python3 -c 'import secrets; print(secrets.token_urlsafe(24))'`")
        return value
    return _generated(var_dir() / file_name, make or (lambda: random.token_urlsafe(32)))


def rasa_token() -> str:
    return secret("RASA_TOKEN", "rasa_token")


def action_secret() -> str:
    return secret("ACTION_SECRET", "action_secret")


def data_key() -> str:
    """A Fernet key (urlsafe base64 of 32 bytes)."""
    return secret("JUZHU_DATA_KEY", "data_key", lambda: base64.urlsafe_b64encode(os.urandom(32)).decode())


def staff_cookie_secret() -> str:
    return secret("STAFF_COOKIE_SECRET", "staff_cookie_secret")


# The staff token guards every personal record the console shows: zxcvbn's
# estimate of the guesses it takes (dictionary words, keyboard rows, repeats,
# dates, l33t) must reach 10^12, beside the length.
MIN_STAFF_TOKEN_GUESSES_LOG10 = 12
MAKE_A_TOKEN = "e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe(18))'`"


def staff_token_problem(token: str) -> Optional[str]:
    """Why ``token`` is no staff token (English, for the operator); None when it will do."""
    if len(token) < MIN_LENGTH:
        return f"STAFF_TOKEN is shorter than {MIN_LENGTH} characters; use a long random one, {MAKE_A_TOKEN}"
    from zxcvbn import zxcvbn

    found = zxcvbn(token[:100])
    if found["guesses_log10"] < MIN_STAFF_TOKEN_GUESSES_LOG10:
        kinds = sorted({m.get("pattern", "?") for m in found.get("sequence", [])} - {"bruteforce"})
        return (f"STAFF_TOKEN is guessable (about 10^{found['guesses_log10']:.0f} guesses"
                + (f"; made of {', '.join(kinds)} patterns" if kinds else "")
                + f"); use a long random one, {MAKE_A_TOKEN}")
    return None


def keyed_hash(kind: str, value: str) -> str:
    """A stable, unguessable stand-in for ``value`` (a phone, a chat id) in counters and keys:
    HMAC-SHA256 under the data key, so a small space of values cannot be tried through."""
    return hmac.new(data_key().encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def shown(value: str) -> str:
    """Enough of a secret to tell two apart in a log, never enough to use it."""
    return value[:4] + "…" if value else "(none)"
