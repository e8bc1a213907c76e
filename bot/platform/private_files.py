"""Files that hold personal data or secrets: readable by the service's user only.

``var/`` holds the SQLite databases (bookings with names and phones, the
conversations, Telegram's reminder list) and the generated secrets. Python
and SQLite create files with the process's umask (usually 022: world
readable), so every place that creates one goes through here: the directory
0700, each file 0600, whatever the umask. SQLite gives its ``-wal``,
``-shm`` and ``-journal`` files the database file's mode, so making the
database file first is enough for those.

A directory the operator chose and that already exists (``/srv/data`` in a
``DATABASE_URL``) is not changed: only ``var/`` itself and directories
created here are.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Union

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")


def var_dir() -> Path:
    """``var/`` under the working directory, or ``$JUZHU_VAR_DIR``."""
    return Path(os.environ.get("JUZHU_VAR_DIR") or "var")


def private_dir(path: Union[str, Path]) -> Path:
    """``path`` as a directory; made 0700 when created here or when it is ``var/``."""
    path = Path(path).expanduser()
    created = not path.exists()
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if created or path.resolve() == var_dir().resolve():
        _chmod(path, DIR_MODE)
    return path


def private_file(path: Union[str, Path]) -> Path:
    """``path`` created empty if missing, and made 0600 (its SQLite sidecars too, when present)."""
    path = Path(path).expanduser()
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    except FileExistsError:  # pragma: no cover - O_CREAT without O_EXCL does not raise
        pass
    for candidate in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_SIDECARS)):
        if candidate.exists():
            _chmod(candidate, FILE_MODE)
    return path


def _chmod(path: Path, mode: int) -> None:
    try:
        os.chmod(path, mode)
    except PermissionError:  # someone else's file: say so, the service still runs
        log.warning("cannot make %s private (mode %o): not its owner", path, mode)
