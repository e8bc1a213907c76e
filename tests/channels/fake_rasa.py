"""A small stand-in for Rasa's REST channel, for the web front's tests.

The eligibility interview is the real conversation core, in process: each
message goes to the interview driver (``bot.dialogue.eligibility``), and its
questions, buttons, read-back and verdict are sent as Rasa's REST channel
sends what actions/interview.py says (text and buttons, then a message of its
own for ``custom``). No second interview lives here, so its payloads cannot
drift from the product's. The booking is the real core's too
(``bot.dialogue.visits``: the booking form's turns, its questions and its
confirmation with the ticket), on a store of its own (a throw-away SQLite
file, the clock on Sunday 2026-11-22 10:00) and a limiter of its own, run
the way Rasa runs a form: the validator's turn, then the requested value's
question, or the closing action. Only looking a booking up stays scripted:
a text and an ``image`` message, the shape a channel must pass on.

    fake = FakeRasa()
    app = fake.app()            # aiohttp Application: POST /webhooks/rest/webhook, GET /
    fake.received               # [(sender, message), ...]: every request that reached it

Failure modes, for the channels' "honest failure" tests (settable at any time):
``fail_with=503`` answers that HTTP status; ``empty=True`` answers ``[]``,
which is what Rasa 3.6 does when the action server is down (it logs the
failure and sends nothing); ``delay=S`` waits S seconds before answering
(a channel timing out). ``start()``/``stop()`` serve it on 127.0.0.1 for
clients that need a URL outside aiohttp's test utilities (the Telegram bridge).
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from aiohttp import web


START_BUTTONS = [{"title": "我能办居住证吗", "payload": "/ask_eligibility"},
                 {"title": "预约办理", "payload": "/book_appointment"}]
BOOKING_CODE = "K7Q2M9"  # the scripted look-up's
NOW = dt.datetime(2026, 11, 22, 10, 0)  # a Sunday: the first day to book is Monday 2026-11-23
BOOKING_FORM = "booking_form"


def _parsed(message: str) -> dict[str, Any]:
    """What Rasa's NLU makes of a message, as far as the booking form reads it: a button's
    intent and values, or typed words (an answer, ``inform``)."""
    if not message.startswith("/"):
        return {"text": message, "intent": {"name": "inform", "confidence": 1.0}, "entities": []}
    intent, _, values = message[1:].partition("{")
    entities = [{"entity": name, "value": value} for name, value in json.loads("{" + values).items()] if values else []
    return {"text": message, "intent": {"name": intent, "confidence": 1.0}, "entities": entities}


def _rest(message: dict[str, Any]) -> dict[str, Any]:
    """A core message as Rasa's REST channel sends it (no empty buttons)."""
    if message.get("custom") is not None and not message.get("text"):
        return {"custom": message["custom"]}
    return {"text": message.get("text"), **({"buttons": message["buttons"]} if message.get("buttons") else {})}


def rest_messages(outs: list[Any]) -> list[dict[str, Any]]:
    """The driver's messages as Rasa's REST channel sends what actions/interview.py says:
    text and buttons, then ``custom`` as a message of its own."""
    messages: list[dict[str, Any]] = []
    for out in outs:
        message: dict[str, Any] = {"text": out.text}
        if out.choices:
            message["buttons"] = [{"title": c.title, "payload": c.payload()} for c in out.choices]
        messages.append(message)
        if out.custom is not None:
            messages.append({"custom": out.custom})
    return messages


def qr_data_url(code: str = BOOKING_CODE) -> str:
    from bot.appointments.tickets import qr_png

    return "data:image/png;base64," + base64.b64encode(qr_png(code, box_size=6)).decode()


class FakeRasa:
    def __init__(self, as_of: Optional[dt.date] = None, fail_with: Optional[int] = None, *,
                 empty: bool = False, delay: float = 0.0, handoffs: Optional[Callable[[], Any]] = None):
        self.as_of = as_of or dt.date(2025, 3, 1)  # a day the regulations are in force
        self.fail_with = fail_with
        self.empty = empty
        self.delay = delay
        self.received: list[tuple[str, str]] = []  # what reached the assistant (past the hand-off check)
        self.handoffs = handoffs  # the hand-off store: then Rasa's gate check runs first, as in the product
        self.facts: dict[str, dict[str, Any]] = {}
        self.decisions: dict[str, dict[str, Any]] = {}
        self.bookings: dict[str, dict[str, Any]] = {}  # the booking form's values, per sender, while it goes on
        self._store: Any = None
        self._limiter: Any = None
        self.url = ""
        self._runner: Optional[web.AppRunner] = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self.hello)
        app.router.add_post("/webhooks/rest/webhook", self.webhook)
        return app

    async def start(self) -> "FakeRasa":
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def hello(self, request: web.Request) -> web.Response:
        return web.Response(text="Hello from the fake Rasa")

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        sender, message = body["sender"], body["message"]
        if self.handoffs is not None:  # Rasa's REST gate: the one hand-off check (bot/handoff/hold.py)
            from bot.handoff.hold import hold

            held = hold(self.handoffs(), sender, message)
            if held.text is None:
                return web.json_response([dict(reply, recipient_id=sender) for reply in held.replies])
            message = held.text
        self.received.append((sender, message))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_with:
            return web.Response(status=self.fail_with, text="fake failure")
        if self.empty:
            return web.json_response([])
        replies = [dict(reply, recipient_id=sender) for reply in self.answer(sender, message)]
        return web.json_response(replies)

    # --- the conversation ---------------------------------------------------------

    def answer(self, sender: str, message: str) -> list[dict[str, Any]]:
        from bot.dialogue.eligibility import Interview, State
        from bot.dialogue.eligibility.reading import Message

        driver = Interview(as_of=self.as_of)
        if message in ("你好", "您好"):  # a greeting typed, as the real assistant reads it
            message = "/greet"
        if message in ("/restart", "/greet"):
            self.facts.pop(sender, None)
            self.decisions.pop(sender, None)
            self.bookings.pop(sender, None)
            if message == "/restart":
                return []
            return [{"text": "您好！我是居住证咨询助手。", "buttons": START_BUTTONS}]
        if message == "/book_appointment" or sender in self.bookings:
            return self.booking(sender, message)
        if message == "/check_appointment":
            return [{"text": f"您的预约：预约码 {BOOKING_CODE}，11月24日 09:30。"}, {"image": qr_data_url()}]
        if message == "/ask_eligibility":
            reply = driver.start()
        elif sender in self.facts:
            reply = driver.handle(State.from_dict(self.facts[sender]), Message.parse(message))
        else:
            return [{"text": "抱歉，我没听明白。您可以点按钮回答。", "buttons": START_BUTTONS}]
        outs = [out for out in reply.messages if out.role != "verdict"]
        if reply.ended == "verdict":  # what action_assess says next
            outs += driver.conclude(reply.state)
            self.decisions[sender] = reply.decision
            self.facts.pop(sender, None)
        elif reply.ended:
            self.facts.pop(sender, None)
        else:
            self.facts[sender] = reply.state.to_dict()
        return rest_messages(outs)

    # --- the booking: the real core's turns, run as Rasa runs a form -------------------

    def store(self) -> Any:
        """The stand-in's appointment store: seeded stations, the clock on NOW."""
        if self._store is None:
            from bot.appointments import AppointmentService
            from bot.platform.ratelimit import RateLimiter

            folder = Path(tempfile.mkdtemp(prefix="fake-rasa-"))
            self._store = AppointmentService(f"sqlite:///{folder / 'bookings.db'}", clock=lambda: NOW)
            self._limiter = RateLimiter("memory://")
        return self._store

    @contextlib.contextmanager
    def _own_stores(self) -> Iterator[None]:
        from bot.dialogue import stores

        store, limiter = self.store(), self._limiter
        saved = stores._appointments, stores.limiter
        stores._appointments, stores.limiter = store, (lambda: limiter)
        try:
            yield
        finally:
            stores._appointments, stores.limiter = saved

    def booking(self, sender: str, message: str) -> list[dict[str, Any]]:
        """One message of the booking form: the validator's turn, then the next question or the end."""
        from bot.dialogue import visits
        from bot.dialogue.conversation import Conversation

        starting = sender not in self.bookings
        values = self.bookings.setdefault(sender, {"city": "liaocheng", "decision": self.decisions.get(sender)})
        events: list[dict[str, Any]] = [{"event": "user", "text": message}]
        if starting:
            events.append({"event": "active_loop", "name": BOOKING_FORM})
        events.append({"event": "action", "name": BOOKING_FORM})
        latest = _parsed(message)
        with self._own_stores():
            turn = visits.booking_turn(Conversation(sender, dict(values), latest, events, BOOKING_FORM))
            values.update(turn.values)
            said = list(turn.messages)
            events += [{"event": "bot", "text": m.get("text"), "data": {"buttons": m.get("buttons") or []}}
                       for m in said]
            now = Conversation(sender, dict(values), latest, events, BOOKING_FORM)
            if values.get("requested_slot"):
                said += visits.ask(now, values["requested_slot"]).messages
            else:
                said += visits.book(now).messages
                del self.bookings[sender]
        return [_rest(m) for m in said]

