"""Rasa's REST channel, silent while a person has the conversation (named in credentials.yml).

Every channel (the kiosk's web front, Telegram, WeChat, a script on the
webhook) reaches Rasa here, so the one hand-off check runs here
(bot/handoff/hold.py): while a hand-off is open for the sender, the message
is stored for staff (masked) and the answer is the waiting note, or nothing
once staff are answering, with ``custom.handoff`` for the channels. Rasa's
custom-connector extension point, not a patch: the URL stays
``/webhooks/rest/webhook``.

If the hand-off store cannot be read, the assistant answers: an applicant is
never left with no one.

It is also the one public way into Rasa, so it holds the limits every channel
relies on (issue 19):

- a body over 64 KB is refused (413) and JSON that is not an object, or nested
  deeper than 16 levels, with 400, before Rasa reads it; a message over
  ``MAX_MESSAGE_CHARS`` is answered with a short Chinese note and never
  parsed (a 720 KB message kept Rasa busy for 9 s);
- every message carries ``metadata.client``, the address the rate limits
  count per client (bookings, hand-offs: bot/platform/ratelimit.py). It is the TCP
  peer, except for the project's own relays (the web front, the Telegram
  bridge), which prove themselves with the Rasa token in
  ``X-Juzhu-Relay-Token`` and name their client (the kiosk's address, the
  Telegram chat) in ``X-Juzhu-Client``. Metadata a client sends itself is
  ignored.
"""
from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import response
from sanic.request import Request

from bot.channels import CLIENT_HEADER, RELAY_TOKEN_HEADER, deployment_rasa_token
from bot.channels.bodies import MAX_JSON_DEPTH, depth
from bot.handoff.hold import hold

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
MAX_MESSAGE_CHARS = 4096  # Telegram's own limit; the kiosk sends at most 1,000
TOO_LONG_TEXT = f"这条消息太长了（最多{MAX_MESSAGE_CHARS}个字），请分几次简短地发送。"


class HandoffAwareRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"  # the same webhook as Rasa's own REST channel

    def __init__(self, store: Optional[Any] = None, relay_token: Optional[str] = None) -> None:
        self._store = store
        self._relay_token = relay_token

    def relay_token(self) -> str:
        return self._relay_token or deployment_rasa_token()

    def get_metadata(self, request: Request) -> dict[str, Any]:
        """``{"client": …}`` for the rate limits; nothing the client wrote itself."""
        given = request.headers.get(RELAY_TOKEN_HEADER, "")
        client = request.headers.get(CLIENT_HEADER, "").strip()
        if given and client and hmac.compare_digest(given.encode(), self.relay_token().encode()):
            return {"client": client[:100]}
        return {"client": request.ip or "unknown"}

    def store(self) -> Any:
        """The hand-off store, opened on first use; None while it cannot be (the assistant answers)."""
        if self._store is None:
            from bot.handoff import HandoffService

            try:
                self._store = HandoffService()
            except Exception as error:
                log.warning("hand-off store unavailable; messages go to the assistant: %s", type(error).__name__)
                return None
        return self._store

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Any:
        async def unless_a_person_has_it(message: UserMessage) -> Any:
            if len(message.text or "") > MAX_MESSAGE_CHARS:
                log.info("rest: a message of %d characters refused", len(message.text or ""))
                if message.output_channel is not None:
                    await message.output_channel.send_text_message(message.sender_id, TOO_LONG_TEXT)
                return None
            held = await asyncio.to_thread(hold, self.store(), message.sender_id or "", message.text or "")
            if held.text is not None:
                message.text = held.text  # "算了不用人工了，…": what came with it is answered
                return await on_new_message(message)
            out = message.output_channel
            for reply in held.replies if out is not None else ():
                if "custom" in reply:
                    await out.send_custom_json(message.sender_id, reply["custom"])
                elif reply.get("buttons"):
                    await out.send_text_with_buttons(message.sender_id, reply["text"], reply["buttons"])
                else:
                    await out.send_text_message(message.sender_id, reply["text"])
            return None

        webhook = super().blueprint(unless_a_person_has_it)
        webhook.middleware("request")(refuse_bad_bodies)
        return webhook


async def refuse_bad_bodies(request: Request) -> Optional[Any]:
    """Before Rasa reads a webhook body: too large (413), compressed (415), not a shallow JSON object (400)."""
    if request.method != "POST":
        return None
    body = request.body or b""
    if len(body) > MAX_BODY_BYTES:
        return response.json({"error": f"request body larger than {MAX_BODY_BYTES} bytes"}, status=413)
    if request.headers.get("content-encoding", "").strip().lower() not in ("", "identity"):
        return response.json({"error": "compressed request bodies are not accepted"}, status=415)
    try:
        parsed = request.json  # parsed once: Sanic keeps it for Rasa's REST channel
    except Exception:  # Sanic's InvalidUsage, or a parser giving up on the nesting
        return response.json({"error": "malformed JSON: expected an object {sender, message}"}, status=400)
    if not isinstance(parsed, dict) or depth(parsed) > MAX_JSON_DEPTH:
        return response.json({"error": f"expected a JSON object nested at most {MAX_JSON_DEPTH} levels"},
                             status=400)
    return None
