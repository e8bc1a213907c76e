"""A small stand-in for Rasa's REST channel, for the web front's tests.

The eligibility interview is the real conversation core, in process: each
message goes to the interview driver (``bot.dialogue.eligibility``), and its
questions, buttons, read-back and verdict are sent as Rasa's REST channel
sends what actions/interview.py says (text and buttons, then a message of its
own for ``custom``). No second interview lives here, so its payloads cannot
drift from the product's. A booking answers as actions/booking.py
does: the confirmation text (with the checklist: the verdict's, else the
city's general list) and the ticket element of bot.dialogue.booking.replies
(text, qr, code, booking, checklist: the keys the kiosk and the Telegram
bridge read); looking it up answers with a text and an ``image`` message.

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
import datetime as dt
import json
from typing import Any, Callable, Optional

from aiohttp import web

from bot.rules import render_topic

START_BUTTONS = [{"title": "我能办居住证吗", "payload": "/ask_eligibility"},
                 {"title": "预约办理", "payload": "/book_appointment"}]
BOOKING_CODE = "K7Q2M9"


def _inform(facts: dict[str, Any]) -> str:
    return "/inform" + json.dumps(facts, ensure_ascii=False, separators=(",", ":"))


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
            if message == "/restart":
                return []
            return [{"text": "您好！我是居住证咨询助手。", "buttons": START_BUTTONS}]
        if message == "/book_appointment":
            return self.ask_station()
        if message.startswith('/inform{"booking_station"'):
            return self.booked(sender)
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

    @staticmethod
    def ask_station() -> list[dict[str, Any]]:
        """聊城's stations as the booking form offers them: ordered by id, titled "县区 派出所"."""
        import csv
        from types import SimpleNamespace

        from bot.dialogue.booking.replies import short_station
        from bot.appointments.stations import SEED_FILE

        with open(SEED_FILE, encoding="utf-8") as rows:
            stations = sorted((row for row in csv.DictReader(rows) if row["city"] == "liaocheng"),
                              key=lambda row: row["id"])
        return [{"text": "请选择办理点：",
                 "buttons": [{"title": short_station(SimpleNamespace(name=row["name"], county=row["county"])),
                              "payload": _inform({"booking_station": row["id"]})} for row in stations]}]

    def booked(self, sender: str) -> list[dict[str, Any]]:
        """A booking at 东昌府区's station at once: the confirmation and its ticket, as the real one."""
        from bot.dialogue.booking import texts as T
        from bot.dialogue.booking.replies import spelled, ticket_element
        from bot.platform.dates import moment_text
        from bot.appointments.results import BookingInfo

        start = dt.datetime(2026, 11, 24, 9, 30)
        booking = BookingInfo(code=BOOKING_CODE, station_id="lc-dongchangfu", station_name="聊城市公安局东昌府分局古楼派出所",
                              station_address="聊城市东昌府区东昌中路1号（示例地址）", station_phone="0635-0000001",
                              start=start, end=start + dt.timedelta(minutes=30), name="李四", phone="13812345678",
                              status="booked", created_at=start, changed_at=start)
        decision = self.decisions.get(sender)
        if decision and decision.get("materials"):
            checklist = "\n".join(["您的材料清单（聊城市）："] + [f"□ {m['text']}（{'、'.join(m['articles'])}）"
                                                            for m in decision["materials"]])
        else:
            checklist = render_topic("liaocheng", "materials", self.as_of)
        text = T.BOOKED.format(code=BOOKING_CODE, spelled=spelled(BOOKING_CODE), time=moment_text(start),
                               station=booking.station_name, address=booking.station_address,
                               station_phone=booking.station_phone, phone="138****5678")
        return [{"text": "\n".join([text, checklist, T.BOOKED_FOOTER])},
                {"custom": ticket_element(booking, checklist)}]
