"""Rate limits: one limiter for the web front, the Telegram bridge and the action server.

Built on the ``limits`` library (moving window). Storage: in memory by
default (one process); ``RATE_LIMIT_STORAGE`` names a shared one, e.g.
``redis://127.0.0.1:6379/2`` for a cluster, so replicas count together.

Rules (``limits`` notation, overridable by the environment):
``RATE_LIMIT_MESSAGES`` (20/minute) per sender and per client address,
``RATE_LIMIT_BOOKINGS`` (3/hour) per sender,
``RATE_LIMIT_STAFF_LOGIN`` (5/15minutes) failed staff logins per address.

When the shared storage is unreachable the limiter lets the request through
and logs a warning: a rate limit must not take the service down.
"""
from __future__ import annotations

import logging
import math
import os
import threading
import time
from dataclasses import dataclass
from typing import Optional

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

DEFAULT_RULES = {
    "messages": "20/minute",
    "bookings": "3/hour",
    "staff_login": "5/15minutes",
}
ENV_NAMES = {"messages": "RATE_LIMIT_MESSAGES", "bookings": "RATE_LIMIT_BOOKINGS",
             "staff_login": "RATE_LIMIT_STAFF_LOGIN"}

# What a person is told, in the channel's language (users: Chinese).
TOO_MANY_MESSAGES_TEXT = "您发送得太快了，请稍等一分钟再继续。如需帮助，也可以拨打{hotline}热线。"
TOO_MANY_BOOKINGS_TEXT = "同一会话一小时内预约次数已达上限，请稍后再试，或拨打{hotline}热线由工作人员帮您预约。"


class RateLimitError(ValueError):
    """A rule or storage setting that cannot be used (operator error, English)."""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after_s: int = 0


class RateLimiter:
    def __init__(self, storage_uri: Optional[str] = None, rules: Optional[dict[str, str]] = None):
        uri = storage_uri or os.environ.get("RATE_LIMIT_STORAGE") or "memory://"
        try:
            self._storage = storage_from_string(uri)
        except Exception as error:
            raise RateLimitError(f"RATE_LIMIT_STORAGE={uri!r} cannot be used: {error}") from None
        self._strategy = MovingWindowRateLimiter(self._storage)
        self.rules: dict[str, RateLimitItem] = {}
        for name, default in DEFAULT_RULES.items():
            text = (rules or {}).get(name) or os.environ.get(ENV_NAMES[name]) or default
            try:
                self.rules[name] = parse(text)
            except ValueError:
                raise RateLimitError(f"{ENV_NAMES[name]}={text!r}: expected e.g. '20/minute'") from None

    def hit(self, rule: str, *key: str) -> Decision:
        """Count one event for ``key`` under ``rule``; ``allowed`` False once over the limit."""
        return self._decide(self._strategy.hit, rule, key)

    def peek(self, rule: str, *key: str) -> Decision:
        """Whether one more event would be allowed, without counting one."""
        return self._decide(self._strategy.test, rule, key)

    def _decide(self, check, rule: str, key: tuple[str, ...]) -> Decision:  # type: ignore[no-untyped-def]
        item = self.rules[rule]
        try:
            if check(item, rule, *key):
                return Decision(True)
            reset_at, _ = self._strategy.get_window_stats(item, rule, *key)
        except Exception as error:  # shared storage down: serve, don't fail
            log.warning("rate limit storage unavailable, request allowed: %s", error)
            return Decision(True)
        return Decision(False, max(1, math.ceil(reset_at - time.time())))

    def reset(self) -> None:
        self._storage.reset()


_default: Optional[RateLimiter] = None
_default_lock = threading.Lock()


def default_limiter() -> RateLimiter:
    """The process's limiter, built from the environment on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = RateLimiter()
        return _default
