"""Rate limits: one limiter for the web front, the Telegram bridge and the action server.

Built on the ``limits`` library (moving window). Storage: in memory by
default (one process); ``RATE_LIMIT_STORAGE`` names a shared one, e.g.
``redis://127.0.0.1:6379/2`` for a cluster, so replicas count together.

Rules (``limits`` notation, overridable by the environment):

| rule | environment | default | counted per |
| --- | --- | --- | --- |
| messages | ``RATE_LIMIT_MESSAGES`` | 20/minute | sender, and client address |
| bookings | ``RATE_LIMIT_BOOKINGS`` | 3/hour | conversation (sender id) |
| bookings_address | ``RATE_LIMIT_BOOKINGS_ADDRESS`` | 6/hour | client address |
| bookings_station_day | ``RATE_LIMIT_BOOKINGS_STATION_DAY`` | 3/day | client address and station-day |
| bookings_phone | ``RATE_LIMIT_BOOKINGS_PHONE`` | 3/day | phone number (keyed hash) |
| lookup_failures | ``RATE_LIMIT_LOOKUP_FAILURES`` | 5/hour | booking code: the code is locked when over |
| handoffs | ``RATE_LIMIT_HANDOFFS`` | 5/hour | conversation, and client address |
| handoff_poll | ``RATE_LIMIT_HANDOFF_POLL`` | 60/minute | kiosk session, and client address |
| staff_login | ``RATE_LIMIT_STAFF_LOGIN`` | 5/15minutes | failed staff logins per address |

A sender id is the client's own choice, so whatever can be abused with
fresh ones (bookings, hand-offs) is also counted per client address: the
kiosk's peer (or, behind the hall's proxy, the address it adds), or the
Telegram chat, as the channels hand it to Rasa (bot/channels/rest_gate.py).
``RATE_LIMIT_TRUSTED_ADDRESSES`` (comma-separated addresses or networks,
e.g. the hall's kiosks ``10.1.2.0/28``) are not counted per address: a
kiosk serves many people from one address. They still count per phone and
per conversation.

When the shared storage is unreachable the limiter lets the request through
and logs a warning: a rate limit must not take the service down.
"""
from __future__ import annotations

import ipaddress
import logging
import math
import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Optional

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

DEFAULT_RULES = {
    "messages": "20/minute",
    "bookings": "3/hour",
    "bookings_address": "6/hour",
    "bookings_station_day": "3/day",
    "bookings_phone": "3/day",
    "lookup_failures": "5/hour",
    "handoffs": "5/hour",
    "handoff_poll": "60/minute",
    "staff_login": "5/15minutes",
}
ENV_NAMES = {name: "RATE_LIMIT_" + name.upper() for name in DEFAULT_RULES}
TRUSTED_ADDRESSES_ENV = "RATE_LIMIT_TRUSTED_ADDRESSES"

# What a person is told, in the channel's language (users: Chinese).
TOO_MANY_MESSAGES_TEXT = "您发送得太快了，请稍等一分钟再继续。如需帮助，也可以拨打{hotline}热线。"
TOO_MANY_BOOKINGS_TEXT = ("预约次数已达上限（同一会话、同一网络或同一手机号码在一段时间内只能预约几次），"
                          "请稍后再试，或拨打{hotline}热线由工作人员帮您预约。")
TOO_MANY_HANDOFFS_TEXT = "转人工的请求太频繁了，请稍后再试；着急的话请拨打{hotline}热线。"


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
        self.trusted = trusted_networks(os.environ.get(TRUSTED_ADDRESSES_ENV, ""))
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

    def hit_all(self, checks: list[tuple[str, tuple[str, ...]]]) -> Decision:
        """Count one event under every ``(rule, key)`` when each allows it, else none
        (a refusal by one rule does not use up the others); the longest wait if refused."""
        refused = [decision for decision in (self.peek(rule, *key) for rule, key in checks) if not decision.allowed]
        if refused:
            return Decision(False, max(decision.retry_after_s for decision in refused))
        for rule, key in checks:
            self.hit(rule, *key)
        return Decision(True)

    def counts_address(self, address: Optional[str]) -> bool:
        """Whether per-address rules apply to ``address`` (a real, untrusted address)."""
        if not address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:  # a channel's own client id (a Telegram chat): counted
            return True
        return not any(ip in network for network in self.trusted)

    def reset(self) -> None:
        self._storage.reset()


def trusted_networks(text: str) -> tuple[Any, ...]:
    """``RATE_LIMIT_TRUSTED_ADDRESSES`` read: comma-separated addresses or networks."""
    networks = []
    for part in (item.strip() for item in text.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise RateLimitError(f"{TRUSTED_ADDRESSES_ENV}: {part!r} is not an address or network "
                                 f"(expected e.g. 10.1.2.0/28,10.1.3.7)") from None
    return tuple(networks)


_default: Optional[RateLimiter] = None
_default_lock = threading.Lock()


def default_limiter() -> RateLimiter:
    """The process's limiter, built from the environment on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = RateLimiter()
        return _default
