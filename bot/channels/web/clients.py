"""Who a request to the web front comes from, and the limiter that counts them.

Client address: ``request.remote``, the peer of the TCP connection. Behind
the hall's reverse proxy (which terminates TLS) that is the proxy itself, so
every visitor would share one address: with ``WEB_TRUST_PROXY=1`` the last
address of ``X-Forwarded-For`` is used instead, the one the hall's proxy
added (whether it appends or sets the header); what a client wrote there
itself comes before it and is ignored.
"""
from __future__ import annotations

import ipaddress

from aiohttp import web

from bot.platform.ratelimit import Decision, RateLimiter

LIMITER: web.AppKey[RateLimiter] = web.AppKey("limiter", RateLimiter)
TRUST_PROXY: web.AppKey[bool] = web.AppKey("trust_proxy", bool)


def client_address(request: web.Request) -> str:
    """The address a request came from: the TCP peer, or behind a trusted reverse proxy
    (``WEB_TRUST_PROXY``) the last address of ``X-Forwarded-For``, the one that proxy added."""
    if request.app[TRUST_PROXY]:
        last = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(last))
        except ValueError:  # missing or not an address: the proxy's own peer is all we know
            pass
    return request.remote or "unknown"


def retry_after(decision: Decision) -> dict[str, str]:
    return {"Retry-After": str(max(1, decision.retry_after_s))}
