"""Whether one more booking may be tried: the rate limits a booking counts under (issue 19)."""
from __future__ import annotations

import logging
from typing import Any, Mapping, Optional

from bot.platform.ratelimit import RateLimiter
from bot.platform.secrets import keyed_hash

logger = logging.getLogger(__name__)


def may_book(limits: RateLimiter, sender: str, client: Optional[str], slots: Mapping[str, Any]) -> bool:
    """One more booking try for this conversation, client address, phone and station-day?

    Counted only when every rule allows it. The phone is counted by a keyed
    hash (never in the limiter's storage in clear); a trusted address (a
    hall's kiosk, ``RATE_LIMIT_TRUSTED_ADDRESSES``) is not counted per address.
    """
    checks: list[tuple[str, tuple[str, ...]]] = [("bookings", (sender,))]
    if slots.get("booking_phone"):
        checks.append(("bookings_phone", (keyed_hash("phone", str(slots["booking_phone"])),)))
    if limits.counts_address(client):
        assert client is not None
        checks.append(("bookings_address", (client,)))
        checks.append(("bookings_station_day", (client, str(slots.get("booking_station")),
                                                str(slots.get("booking_day")))))
    decision = limits.hit_all(checks)
    if not decision.allowed:
        logger.info("booking refused by a rate limit (%d s to wait)", decision.retry_after_s)
    return decision.allowed
