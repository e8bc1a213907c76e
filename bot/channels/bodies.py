"""Request bodies the web front reads: small, uncompressed, shallow JSON.

aiohttp inflates a ``Content-Encoding: gzip`` body before its size limit
applies (a 1 MB request took the process from 99 MB to 611 MB): the
application turns inflation off (``handler_args``) and refuses any encoded
body with 415 before reading it; no browser sends one. JSON nested deeper
than any page of ours sends (60 KB of ``[[[`` made the parser recurse until
it failed with 500) is refused with 400. Every refusal is an
:class:`BodyRefused`, which the application's middleware answers as JSON
with the security headers.
"""
from __future__ import annotations

import json
from typing import Any

from aiohttp import web

# Deeper than anything the kiosk or the console sends ({"facts": {"family": [{…}]}} is 4).
MAX_JSON_DEPTH = 16
IDENTITY = ("", "identity")


class BodyRefused(Exception):
    """A request body refused before it is used: HTTP status and an English message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def refuse_encoded(request: web.Request) -> None:
    """415 for a compressed (or otherwise encoded) request body, before a byte of it is read."""
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding not in IDENTITY:
        raise BodyRefused(415, "compressed request bodies are not accepted (Content-Encoding must be absent)")


def depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


async def json_object(request: web.Request, what: str = "a JSON object") -> dict[str, Any]:
    """The request's JSON object, or :class:`BodyRefused` (413 too large, 400 otherwise); an encoded
    body never gets here (the application's middleware refuses it with 415: :func:`refuse_encoded`)."""
    try:
        raw = await request.read()  # at most the application's client_max_size, else 413
    except web.HTTPRequestEntityTooLarge:
        raise BodyRefused(413, f"request body larger than {request.app._client_max_size} bytes") from None
    try:
        body = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BodyRefused(400, f"malformed JSON: expected {what}") from None
    if not isinstance(body, dict):
        raise BodyRefused(400, f"expected {what}")
    if depth(body) > MAX_JSON_DEPTH:
        raise BodyRefused(400, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return body
