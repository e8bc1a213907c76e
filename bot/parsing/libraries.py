"""Libraries that need care to import."""
from __future__ import annotations

import contextlib
import io
from functools import lru_cache


@lru_cache(maxsize=None)
def jionlp():
    """jionlp, imported on first use: its import prints a banner on stdout,
    and the CLI's stdout carries JSON."""
    with contextlib.redirect_stdout(io.StringIO()):
        import jionlp as module
    return module
