"""The kiosk: its page, and each message relayed to Rasa through the one client."""
from __future__ import annotations

import json
import logging
import re
from typing import Any, Optional

from aiohttp import web

from bot.platform import clock
from bot.rules import city_ids, labels, load_city

from bot.handoff.hold import is_held

from ..rasa_client import RasaUnavailable
from ..texts import busy_text, too_many_messages_text
from ..bodies import json_object
from .clients import LIMITER, client_address, retry_after

from .responses import (HOTLINE, IDLE_SECONDS, KIOSK_SENDER_PREFIX, MAX_MESSAGE_CHARS, RASA, RASA_URL, RESTART,
                        SENDER_RE, html_response, json_error, json_response, page)

log = logging.getLogger(__name__)


# --- kiosk ---------------------------------------------------------------------

async def kiosk_page(request: web.Request) -> web.Response:
    app = request.app
    idle = app[IDLE_SECONDS]
    # The busy text travels in the page, for when the web front itself cannot be reached.
    server_now = clock.local_now(clock.env_clock()).replace(tzinfo=clock.TZ)  # JUZHU_NOW in tests
    return html_response(page("kiosk.html", IDLE_SECONDS=f"{idle:g}", HOTLINE=app[HOTLINE],
                       BUSY_TEXT=busy_text(app[HOTLINE]), VERDICTS=_kiosk_verdicts(), COUNTIES=_kiosk_counties(),
                       SERVER_NOW=str(int(server_now.timestamp() * 1000))))


def _kiosk_verdicts() -> str:
    """The verdict labels the kiosk puts on a card drawn from a reply's ``custom`` decision."""
    return json.dumps(labels.VERDICT, ensure_ascii=False)


def _kiosk_counties() -> str:
    """Each city's counties in the order of its regulations' data (the kiosk's station picker)."""
    return json.dumps({city_id: {"name": load_city(city_id).name,
                                 "counties": [county.name for county in load_city(city_id).counties]}
                       for city_id in city_ids()}, ensure_ascii=False)


async def favicon(request: web.Request) -> web.Response:
    return web.Response(status=204)


def _clean_reply(item: Any) -> Optional[dict[str, Any]]:
    """One Rasa message reduced to what the kiosk shows (recipient id dropped)."""
    if not isinstance(item, dict):
        return None
    out: dict[str, Any] = {}
    if isinstance(item.get("text"), str) and item["text"].strip():
        out["text"] = item["text"]
    buttons = item.get("buttons")
    if isinstance(buttons, list):
        out_buttons = [
            {"title": str(b.get("title") or b.get("payload")), "payload": str(b.get("payload") or b.get("title"))}
            for b in buttons if isinstance(b, dict) and (b.get("payload") or b.get("title"))
        ]
        if out_buttons:
            out["buttons"] = out_buttons
    image = item.get("image")
    # The kiosk's Content-Security-Policy shows data: URLs and same-origin images only.
    if isinstance(image, str) and (image.startswith("data:image/") or re.match(r"^/[^/\\]", image)):
        out["image"] = image
    if isinstance(item.get("custom"), (dict, list)):
        out["custom"] = item["custom"]
    return out or None


async def chat(request: web.Request) -> web.Response:
    """Relay one kiosk message to Rasa's REST channel; the Chinese busy text whenever Rasa cannot answer."""
    app = request.app
    body = await json_object(request, "a JSON object {sender, message}")
    sender, message = body.get("sender"), body.get("message")
    if not isinstance(sender, str) or not SENDER_RE.match(sender):
        return json_error(400, "sender: 8-64 characters of A-Z a-z 0-9 _ -")
    if not isinstance(message, str) or not message.strip() or len(message) > MAX_MESSAGE_CHARS:
        return json_error(400, f"message: non-empty text of at most {MAX_MESSAGE_CHARS} characters")

    # Per address as well as per sender: a sender id is the client's own choice.
    for kind, key in (("address", client_address(request)), ("sender", sender)):
        decision = app[LIMITER].hit("messages", "web", kind, key)
        if not decision.allowed:
            log.info("kiosk: a %s is over the message rate limit; refused for %d s", kind, decision.retry_after_s)
            response = json_response({"messages": [{"text": too_many_messages_text(app[HOTLINE])}], "busy": False,
                              "limited": True}, status=429)
            response.headers.update(retry_after(decision))
            return response

    message = message.strip()
    try:
        # The kiosk's address is the client the booking and hand-off limits count per.
        replies = await app[RASA].send(KIOSK_SENDER_PREFIX + sender, message, client=client_address(request))
    except RasaUnavailable as error:
        log.warning("kiosk: Rasa unavailable at %s: %s", app[RASA_URL], error)
        return _busy(app)
    messages = [m for m in (_clean_reply(item) for item in replies) if m]
    # A person has the conversation (Rasa's gate kept the message for staff: bot/handoff/hold.py):
    # the kiosk's hold screen reads the case and its status.
    held = [m["custom"]["handoff"] for m in messages if is_held(m)]
    if held:
        handoff = {key: value for key, value in held[-1].items() if key != "held"}
        return json_response({"messages": [m for m in messages if not is_held(m)], "busy": False, "handoff": handoff})
    if not messages:
        if message == RESTART:  # a reset: Rasa has nothing to say, and the kiosk shows nothing
            return web.Response(status=204)
        # What Rasa 3.6 answers when the action server is down (it logs the failure, sends []).
        log.warning("kiosk: Rasa at %s answered nothing; is the action server down?", app[RASA_URL])
        return _busy(app)
    return json_response({"messages": messages, "busy": False})


def _busy(app: web.Application) -> web.Response:
    return json_response({"messages": [{"text": busy_text(app[HOTLINE])}], "busy": True})
