"""Issue 19 (3): what `make run` writes into var/ is readable by the service's user only.

`make run` runs `python -m bot.appointments` (the bookings database), then
`juzhu serve`, whose processes generate the secrets and open the
conversations and Telegram stores. The same steps run here in a fresh
directory with the usual umask 022, in a subprocess (the umask is the
process's), and the modes are read back. The running servers' own files are
checked in tests/e2e/test_security_round2.py.
"""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

MAKE_RUN_STEPS = textwrap.dedent("""
    import os, sys
    os.umask(0o022)
    import subprocess
    done = subprocess.run([sys.executable, "-m", "bot.appointments"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    from bot.platform import secrets
    secrets.rasa_token(); secrets.action_secret(); secrets.data_key(); secrets.staff_cookie_secret()
    from bot.rasa_ext.tracker_store import MaskingSQLTrackerStore
    MaskingSQLTrackerStore().engine.dispose()
    from bot.channels.telegram import TelegramBookings
    TelegramBookings().open()
""")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_var_is_private_after_the_steps_of_make_run(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "CONVERSATIONS_DATABASE_URL", "JUZHU_VAR_DIR", "RASA_TOKEN",
                        "ACTION_SECRET", "JUZHU_DATA_KEY", "STAFF_COOKIE_SECRET")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-c", MAKE_RUN_STEPS], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    var = tmp_path / "var"
    assert mode(var) == 0o700
    names = sorted(p.name for p in var.iterdir())
    for expected in ("juzhu.db", "conversations.db", "rasa_token", "action_secret",
                     "data_key", "staff_cookie_secret"):
        assert expected in names
    loose = {p.name: oct(mode(p)) for p in var.iterdir() if p.is_file() and mode(p) != 0o600}
    assert not loose, f"files in var/ others can read: {loose}"


def test_an_existing_world_readable_var_is_closed_on_start(tmp_path):
    """A var/ made by an earlier release (0755, a 0644 database) is closed when the store opens it."""
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    os.chmod(var, 0o755)
    db = var / "juzhu.db"
    db.write_bytes(b"")
    os.chmod(db, 0o644)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-m", "bot.appointments"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert mode(var) == 0o700
    assert mode(db) == 0o600
