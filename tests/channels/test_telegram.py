"""The Telegram bridge against a fake Bot API and a fake Rasa, both on 127.0.0.1.

No real Telegram: python-telegram-bot runs for real (long polling) with
``base_url`` pointing at :class:`FakeTelegram`; Rasa is a small scripted
aiohttp server speaking the REST channel.
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import functools
import logging
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Optional, Union

import pytest
from aiohttp import web

from bot.channels import telegram as tg
from bot.channels.telegram import (CHOSEN_TEXT, EXPIRED_BUTTON_TEXT, HELP_TEXT, NOT_TEXT, RESET_TEXT,
                                   START_TEXT, UNKNOWN_COMMAND_TEXT, BookingInfo, CallbackPayloads, Settings,
                                   build_application, running)
from bot.channels.texts import PRIVATE_ONLY_TEXT, busy_text, too_many_messages_text
from bot.platform.ratelimit import RateLimiter
from tests.channels.fake_rasa import FakeRasa as AssistantFake
from tests.channels.fake_telegram import Call, FakeTelegram

TOKEN = "987654321:AAH-juzhuTest_SECRET-token_0123456789ab"
CHAT = 424242
NOW = dt.datetime(2026, 11, 24, 10, 0)  # a Tuesday, Shanghai wall-clock time
# 1x1 transparent PNG
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//juzhu//CN\r\nBEGIN:VEVENT\r\n"
       "UID:K7Q2M9@juzhu\r\nDTSTART;TZID=Asia/Shanghai:20261125T093000\r\n"
       "SUMMARY:办理居住证\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode("utf-8")
CITY_PAYLOAD = '/inform{"city":"liaocheng"}'
# 98 bytes: over Telegram's 64-byte callback_data limit, so the bridge must map it.
LONG_PAYLOAD = '/inform{"lived_months":8,"residence":{"county":"东昌府区","township":"古楼街道"}}'
STATION_PAYLOAD = '/choose_slot{"station":"lc-dongchangfu","start":"2026-11-25 09:30"}'
BUSY_TEXT = busy_text()  # the bridge's settings name no HOTLINE: the default one


# --- a scripted fake Rasa -----------------------------------------------------------------

Script = Callable[[str, str], Union[list, int]]


def conversation(sender: str, message: str) -> Union[list, int]:
    """The replies of a small eligibility + booking conversation."""
    r = sender
    if message == "/restart":
        return []
    if message == "你好":
        return [{"recipient_id": r, "text": "您好！请问您现在住在哪个城市？",
                 "buttons": [{"title": "聊城", "payload": CITY_PAYLOAD},
                             {"title": "曲靖", "payload": '/inform{"city":"qujing"}'}]}]
    if message == CITY_PAYLOAD:
        return [{"recipient_id": r, "text": "您在现住址住了多久？",
                 "buttons": [{"title": "八个月，东昌府区古楼街道", "payload": LONG_PAYLOAD},
                             {"title": "不到半年", "payload": '/inform{"lived_months":3}'}]}]
    if message == LONG_PAYLOAD:
        return [{"recipient_id": r, "text": "您符合申领居住证的条件。需要携带：\n1. 居民身份证\n2. 住址证明"},
                {"recipient_id": r, "image": "data:image/png;base64," + base64.b64encode(PNG).decode()}]
    if message == "我要预约":
        return [{"recipient_id": r, "text": "请选择办理时间：",
                 "buttons": [{"title": "11月25日 09:30 东昌府区古楼派出所", "payload": STATION_PAYLOAD}]}]
    if message == STATION_PAYLOAD:
        return [{"recipient_id": r, "text": "预约成功！预约码 K7Q2M9。"},
                {"recipient_id": r, "image": "https://example.invalid/qr/K7Q2M9.png"},
                {"recipient_id": r, "custom": {"ics": base64.b64encode(ICS).decode(), "filename": "juzhu.ics",
                                               "caption": "加入日历"}},
                {"recipient_id": r, "custom": {"booking": {"code": "K7Q2M9", "start": "2026-11-25 09:30",
                                                           "station": "东昌府区古楼派出所"}}}]
    if message == "查询预约":  # one element in the kiosk's shape, with a raw ICS text
        return [{"recipient_id": r, "custom": {
            "text": "您的预约：11月25日 09:30 东昌府区古楼派出所。",
            "qr": "data:image/png;base64," + base64.b64encode(PNG).decode(), "code": "k7q2-m9",
            "ics": ICS.decode(), "filename": "yuyue.ics", "caption": "预约凭证"}},
                {"recipient_id": r, "custom": {"materials": ["id_card"], "code": "not a code"}}]
    return [{"recipient_id": r, "text": f"收到：{message}"}]


class FakeRasa:
    def __init__(self, script: Script = conversation, handoffs: Optional[Callable[[], Any]] = None):
        self.script = script
        self.handoffs = handoffs  # the hand-off store: then Rasa's gate check runs first, as in the product
        self.received: list[tuple[str, str]] = []  # what reached the assistant
        self.fail_next = 0  # answer the next N requests with HTTP 503
        self._runner: Optional[web.AppRunner] = None
        self.url = ""

    async def start(self) -> "FakeRasa":
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self._webhook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.handoffs is not None:  # Rasa's REST gate: the one hand-off check (bot/handoff/hold.py)
            from bot.handoff.hold import hold

            held = hold(self.handoffs(), body["sender"], body["message"])
            if held.text is None:
                return web.json_response([dict(reply, recipient_id=body["sender"]) for reply in held.replies])
            body["message"] = held.text
        self.received.append((body["sender"], body["message"]))
        if self.fail_next > 0:
            self.fail_next -= 1
            return web.Response(status=503, text="busy")
        replies = self.script(body["sender"], body["message"])
        if isinstance(replies, int):
            return web.Response(status=replies, text="error")
        return web.json_response(replies)

    def messages(self, sender: str) -> list[str]:
        return [message for who, message in self.received if who == sender]


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- fixtures ---------------------------------------------------------------------------------

@pytest.fixture
async def telegram_api():
    fake = await FakeTelegram(TOKEN).start()
    yield fake
    await fake.stop()


@pytest.fixture
async def rasa():
    fake = await FakeRasa().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def assistant():
    """The fake assistant the web front's tests use too (tests/channels/fake_rasa.py), with its failure modes."""
    fake = await AssistantFake().start()
    yield fake
    await fake.stop()


@pytest.fixture(autouse=True)
def redaction():
    installed = tg.install_token_redaction(TOKEN, quiet=False)
    yield installed
    installed.remove()


class Clock:
    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def settings_for(telegram_api: FakeTelegram, rasa_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": telegram_api.base_url, "RASA_URL": rasa_url}
    settings = Settings.from_env(env)
    settings.rasa_backoff = 0.01
    settings.rasa_timeout = 5
    settings.reminder_interval = 3600
    for key, value in overrides.items():
        setattr(settings, key, value)
    return settings


class NoHandoffs:
    """A hand-off store with no hand-off open (tests/channels/test_handoff_telegram.py tests the real one)."""

    def applicant_message(self, sender, text):
        return None

    def bind_address(self, sender, address):
        pass

    def abandon(self, sender):
        return 0

    def outbox(self, **where):
        return []


@contextlib.asynccontextmanager
async def bridge(telegram_api: FakeTelegram, rasa_url: str, tmp_path: Path, *,
                 lookup: Callable[[str], Optional[BookingInfo]] = lambda code: None,
                 clock: Callable[[], dt.datetime] = lambda: NOW, job_queue: bool = True,
                 limiter: Optional[RateLimiter] = None, handoff_store: Callable[[], Any] = lambda: NoHandoffs(),
                 **overrides: Any):
    settings = settings_for(telegram_api, rasa_url, tmp_path, **overrides)
    # Each bridge its own limiter: the tests' chats do not share the process's counts.
    app = build_application(settings, lookup=lookup, clock=clock, job_queue=job_queue,
                            limiter=limiter or RateLimiter("memory://"), handoff_store=handoff_store)
    async with running(app, poll_timeout=1) as started:
        yield started


def texts(calls: list[Call]) -> list[str]:
    return [call.params.get("text") for call in calls if call.method == "sendMessage"]


def callback_data(call: Call) -> list[str]:
    return [button["callback_data"] for row in call.params["reply_markup"]["inline_keyboard"] for button in row]


# --- commands -------------------------------------------------------------------------------

async def test_start_help_unknown_command_and_sticker(telegram_api, rasa, tmp_path):
    async with bridge(telegram_api, rasa.url, tmp_path):
        telegram_api.user_says(CHAT, "/start")
        await telegram_api.wait_sent(CHAT, 1)
        telegram_api.user_says(CHAT, "/help")
        await telegram_api.wait_sent(CHAT, 2)
        telegram_api.user_says(CHAT, "/nonsense")
        await telegram_api.wait_sent(CHAT, 3)
        telegram_api.user_sends_sticker(CHAT)
        sent = await telegram_api.wait_sent(CHAT, 4)
    assert texts(sent) == [START_TEXT, HELP_TEXT, UNKNOWN_COMMAND_TEXT, NOT_TEXT]
    assert "居住证" in START_TEXT and "/reset" in START_TEXT
    for words in ("材料", "预约", "/reset"):
        assert words in HELP_TEXT
    assert rasa.received == []  # commands are answered by the bridge itself
    # the command menu was set, over the fake API with the token in the path only
    assert [c.method for c in telegram_api.calls if c.method == "setMyCommands"] == ["setMyCommands"]
    assert telegram_api.unauthorized == 0


# --- the eligibility conversation ----------------------------------------------------------

async def test_eligibility_conversation_with_button_taps(telegram_api, rasa, tmp_path):
    sender = tg.sender_id(CHAT)
    async with bridge(telegram_api, rasa.url, tmp_path):
        telegram_api.user_says(CHAT, "你好")
        sent = await telegram_api.wait_sent(CHAT, 1)
        question = sent[0]
        assert question.params["text"] == "您好！请问您现在住在哪个城市？"
        assert callback_data(question) == [CITY_PAYLOAD]  + ['/inform{"city":"qujing"}']

        telegram_api.user_taps(question, "聊城")
        sent = await telegram_api.wait_sent(CHAT, 3)
        assert sent[1].params["text"] == CHOSEN_TEXT.format(title="聊城")
        months = sent[2]
        assert months.params["text"] == "您在现住址住了多久？"
        data = callback_data(months)
        assert len(LONG_PAYLOAD.encode()) > 64
        assert all(len(d.encode("utf-8")) <= 64 for d in data)
        assert data[0].startswith("p:") and data[1] == '/inform{"lived_months":3}'

        telegram_api.user_taps(months, "八个月，东昌府区古楼街道")
        sent = await telegram_api.wait_sent(CHAT, 6)

    assert rasa.messages(sender) == ["你好", CITY_PAYLOAD, LONG_PAYLOAD]  # the full payload reached Rasa
    assert sent[3].params["text"] == CHOSEN_TEXT.format(title="八个月，东昌府区古楼街道")
    assert sent[4].params["text"].startswith("您符合申领居住证的条件")
    photo = sent[5]
    assert photo.method == "sendPhoto" and photo.files["photo"][1] == PNG
    answered = [c for c in telegram_api.calls if c.method == "answerCallbackQuery"]
    assert len(answered) == 2


async def test_booking_sends_photo_and_ics_document(telegram_api, rasa, tmp_path):
    async with bridge(telegram_api, rasa.url, tmp_path):
        telegram_api.user_says(CHAT, "我要预约")
        sent = await telegram_api.wait_sent(CHAT, 1)
        telegram_api.user_taps(sent[0], "11月25日 09:30 东昌府区古楼派出所")
        sent = await telegram_api.wait_sent(CHAT, 5)
    assert rasa.messages(tg.sender_id(CHAT)) == ["我要预约", STATION_PAYLOAD]
    assert texts(sent)[1:] == [CHOSEN_TEXT.format(title="11月25日 09:30 东昌府区古楼派出所"), "预约成功！预约码 K7Q2M9。"]
    photo, document = sent[3], sent[4]
    assert photo.method == "sendPhoto" and photo.params["photo"] == "https://example.invalid/qr/K7Q2M9.png"
    assert document.method == "sendDocument"
    assert document.files["document"] == ("juzhu.ics", ICS)
    assert document.params["caption"] == "加入日历"
    assert len(sent) == 5  # the booking element itself shows nothing...
    state = tg.TelegramBookings()
    assert state.known() == [("K7Q2M9", CHAT, None)]  # ...but the chat is remembered for the reminder


async def test_kiosk_shaped_custom_element(telegram_api, rasa, tmp_path):
    async with bridge(telegram_api, rasa.url, tmp_path):
        telegram_api.user_says(CHAT, "查询预约")
        sent = await telegram_api.wait_sent(CHAT, 3)
        await asyncio.sleep(0.2)  # nothing more comes (the second element has nothing to show)
    assert [c.method for c in telegram_api.sent(CHAT)] == ["sendMessage", "sendPhoto", "sendDocument"]
    text, photo, document = sent
    assert text.params["text"] == "您的预约：11月25日 09:30 东昌府区古楼派出所。"
    assert photo.files["photo"][1] == PNG and photo.params["caption"] == "预约码：K7Q2M9"
    assert document.files["document"] == ("yuyue.ics", ICS) and "caption" not in document.params
    assert tg.TelegramBookings().known() == [("K7Q2M9", CHAT, None)]


async def test_reset_forgets_the_conversation_and_mapped_buttons(telegram_api, rasa, tmp_path):
    async with bridge(telegram_api, rasa.url, tmp_path):
        telegram_api.user_says(CHAT, "你好")
        sent = await telegram_api.wait_sent(CHAT, 1)
        telegram_api.user_taps(sent[0], "聊城")
        sent = await telegram_api.wait_sent(CHAT, 3)
        months = sent[2]
        telegram_api.user_says(CHAT, "/reset")
        sent = await telegram_api.wait_sent(CHAT, 4)
        assert sent[3].params["text"] == RESET_TEXT
        telegram_api.user_taps(months, "八个月，东昌府区古楼街道")  # an old keyboard, mapped payload
        sent = await telegram_api.wait_sent(CHAT, 5)
        assert sent[4].params["text"] == EXPIRED_BUTTON_TEXT
        telegram_api.user_taps(months, "不到半年")  # short payloads still work from old keyboards
        sent = await telegram_api.wait_sent(CHAT, 7)
    assert rasa.messages(tg.sender_id(CHAT)) == ["你好", CITY_PAYLOAD, "/restart", '/inform{"lived_months":3}']


async def test_chats_are_separate_senders(telegram_api, rasa, tmp_path):
    async with bridge(telegram_api, rasa.url, tmp_path):
        telegram_api.user_says(CHAT, "第一位")
        telegram_api.user_says(-1001, "第二位")
        await telegram_api.wait_sent(CHAT, 1)
        await telegram_api.wait_sent(-1001, 1)
    assert sorted(rasa.received) == sorted([(tg.sender_id(-1001), "第二位"), (tg.sender_id(CHAT), "第一位")])
    assert tg.sender_id(CHAT) != f"tg-{CHAT}"  # not guessable from the chat id


# --- Rasa down or failing ------------------------------------------------------------------

async def test_rasa_down_gives_the_busy_message(telegram_api, tmp_path, caplog):
    async with bridge(telegram_api, closed_port_url(), tmp_path):
        telegram_api.user_says(CHAT, "能办居住证吗")
        sent = await telegram_api.wait_sent(CHAT, 1)
    assert texts(sent) == [BUSY_TEXT]
    assert BUSY_TEXT.startswith("系统繁忙，请稍后再试。") and "12345" in BUSY_TEXT
    assert "Traceback" not in sent[0].params["text"]
    # Connection refused: the message never left, so it is retried (1 try + 2 retries).
    assert sum("Rasa unreachable" in r.getMessage() for r in caplog.records) == 3


async def test_busy_text_names_the_configured_hotline(telegram_api, tmp_path):
    async with bridge(telegram_api, closed_port_url(), tmp_path, hotline="0635-12345"):
        telegram_api.user_says(CHAT, "能办居住证吗")
        sent = await telegram_api.wait_sent(CHAT, 1)
    assert texts(sent) == [busy_text("0635-12345")]
    assert Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "HOTLINE": "0874-12345"}).hotline == "0874-12345"


@pytest.mark.parametrize("status", [500, 503])
async def test_rasa_5xx_gives_the_busy_message_and_is_not_retried(telegram_api, assistant, tmp_path, status):
    """A 5xx came after Rasa got the message: it may have run a booking step; sending it again could book twice."""
    assistant.fail_with = status
    async with bridge(telegram_api, assistant.url, tmp_path):
        telegram_api.user_says(CHAT, "我要预约")
        sent = await telegram_api.wait_sent(CHAT, 1)
        await asyncio.sleep(0.2)
    assert texts(sent) == [BUSY_TEXT]
    assert assistant.received == [(tg.sender_id(CHAT), "我要预约")]


async def test_rasa_read_timeout_gives_the_busy_message_and_is_not_retried(telegram_api, assistant, tmp_path):
    assistant.delay = 1.5
    async with bridge(telegram_api, assistant.url, tmp_path, rasa_timeout=0.3):
        telegram_api.user_says(CHAT, "我要预约")
        sent = await telegram_api.wait_sent(CHAT, 1, timeout=5)
        assert texts(sent) == [BUSY_TEXT]
        await asyncio.sleep(1.6)  # long enough for a retry to have reached the fake
    assert assistant.received == [(tg.sender_id(CHAT), "我要预约")]


async def test_rasa_dropping_the_connection_gives_the_busy_message_and_is_not_retried(telegram_api, tmp_path):
    requests = []

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        requests.append(await reader.readuntil(b"\r\n\r\n"))  # the request arrived...
        writer.close()  # ...and the connection drops without an answer

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with bridge(telegram_api, f"http://127.0.0.1:{port}", tmp_path):
            telegram_api.user_says(CHAT, "我要预约")
            sent = await telegram_api.wait_sent(CHAT, 1)
            await asyncio.sleep(0.3)
    finally:
        server.close()
        await server.wait_closed()
    assert texts(sent) == [BUSY_TEXT]
    assert len(requests) == 1


async def test_rasa_empty_reply_gives_the_busy_message(telegram_api, assistant, tmp_path):
    """Rasa 3.6 answers [] when the action server is down: the chat must hear about it, not be left waiting."""
    assistant.empty = True
    async with bridge(telegram_api, assistant.url, tmp_path):
        telegram_api.user_says(CHAT, "能办居住证吗")
        sent = await telegram_api.wait_sent(CHAT, 1)
        assert texts(sent) == [BUSY_TEXT]
        telegram_api.user_says(CHAT, "/reset")  # /restart is answered with nothing by design: no busy text
        sent = await telegram_api.wait_sent(CHAT, 2)
    assert texts(sent) == [BUSY_TEXT, RESET_TEXT]
    assert "没有理解" not in BUSY_TEXT
    assert assistant.received == [(tg.sender_id(CHAT), "能办居住证吗"), (tg.sender_id(CHAT), "/restart")]


async def test_rasa_failing_for_good_gives_the_busy_message(telegram_api, rasa, tmp_path):
    rasa.fail_next = 100
    async with bridge(telegram_api, rasa.url, tmp_path):
        telegram_api.user_says(CHAT, "你好")
        sent = await telegram_api.wait_sent(CHAT, 1)
        telegram_api.user_says(CHAT, "/reset")
        sent = await telegram_api.wait_sent(CHAT, 2)
    assert texts(sent) == [BUSY_TEXT, BUSY_TEXT]
    assert len(rasa.received) == 2  # each sent once


# --- who may talk to the bridge, how often ------------------------------------------------------

async def test_rate_limit_per_chat_tells_once_and_relays_nothing_more(telegram_api, rasa, tmp_path):
    other = 515151
    async with bridge(telegram_api, rasa.url, tmp_path, hotline="0635-12345",
                      limiter=RateLimiter("memory://", rules={"messages": "3/minute"})):
        for n in range(7):
            telegram_api.user_says(CHAT, f"第{n}条")
        sent = await telegram_api.wait_sent(CHAT, 4)
        await asyncio.sleep(0.5)  # nothing more comes for the rest of the flood
        telegram_api.user_says(other, "你好")  # another chat is served as usual
        await telegram_api.wait_sent(other, 1)
        await asyncio.sleep(0.2)
    sent = telegram_api.sent(CHAT)
    notice = too_many_messages_text("0635-12345")
    assert texts(sent).count(notice) == 1 and len(sent) == 4
    assert notice.startswith("您发送得太快了") and "0635-12345" in notice
    assert len(rasa.messages(tg.sender_id(CHAT))) == 3
    assert rasa.messages(tg.sender_id(other)) == ["你好"]
    assert texts(telegram_api.sent(other)) == ["您好！请问您现在住在哪个城市？"]


async def test_rate_limited_button_taps_are_not_relayed(telegram_api, rasa, tmp_path):
    async with bridge(telegram_api, rasa.url, tmp_path,
                      limiter=RateLimiter("memory://", rules={"messages": "2/minute"})):
        telegram_api.user_says(CHAT, "你好")
        sent = await telegram_api.wait_sent(CHAT, 1)
        telegram_api.user_says(CHAT, "还在吗")
        await telegram_api.wait_sent(CHAT, 2)
        telegram_api.user_taps(sent[0], "聊城")
        telegram_api.user_taps(sent[0], "聊城")
        await telegram_api.wait_sent(CHAT, 3)
        await asyncio.sleep(0.3)
    assert texts(telegram_api.sent(CHAT))[2] == too_many_messages_text()
    assert len(telegram_api.sent(CHAT)) == 3
    assert rasa.messages(tg.sender_id(CHAT)) == ["你好", "还在吗"]
    assert len([c for c in telegram_api.calls if c.method == "answerCallbackQuery"]) == 2  # no spinner left


async def test_groups_supergroups_and_channels_are_not_served(telegram_api, rasa, tmp_path):
    group, supergroup, channel = -4001, -1002003004005, -1009008007006
    async with bridge(telegram_api, rasa.url, tmp_path):
        telegram_api.user_says(group, "你好", chat_type="group", user_id=CHAT)
        telegram_api.user_says(group, "能办居住证吗", chat_type="group", user_id=CHAT)
        telegram_api.user_says(group, "/start", chat_type="group", user_id=CHAT)
        telegram_api.user_says(supergroup, "你好", chat_type="supergroup", user_id=CHAT)
        telegram_api.channel_posts(channel, "你好")
        in_group = {"message_id": 99, "date": 0, "chat": FakeTelegram.chat(group, "group"),
                    "text": "请选择", "from": {"id": 7000001, "is_bot": True, "first_name": "居助"}}
        telegram_api.user_taps_data(in_group, CITY_PAYLOAD)
        await telegram_api.wait_sent(group, 1)
        await telegram_api.wait_sent(supergroup, 1)
        await telegram_api.wait_for(lambda: any(c.method == "answerCallbackQuery" for c in telegram_api.calls))
        telegram_api.user_says(CHAT, "你好")  # the same person, privately: served
        await telegram_api.wait_sent(CHAT, 1)
        await asyncio.sleep(0.3)
    assert rasa.received == [(tg.sender_id(CHAT), "你好")]
    assert texts(telegram_api.sent(group)) == [PRIVATE_ONLY_TEXT]  # one note, however many messages
    assert texts(telegram_api.sent(supergroup)) == [PRIVATE_ONLY_TEXT]
    assert telegram_api.sent(channel) == []
    assert "私聊" in PRIVATE_ONLY_TEXT


async def test_the_bridge_logs_no_message_text(telegram_api, rasa, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    words = "我叫王小明，电话13812345678"
    async with bridge(telegram_api, rasa.url, tmp_path,
                      limiter=RateLimiter("memory://", rules={"messages": "1/minute"})):
        telegram_api.user_says(CHAT, words)
        telegram_api.user_says(CHAT, words)  # over the limit
        await telegram_api.wait_sent(CHAT, 2)
    async with bridge(telegram_api, closed_port_url(), tmp_path):
        telegram_api.user_says(CHAT + 1, words)
        await telegram_api.wait_sent(CHAT + 1, 1)
    assert any("rate limit" in r.getMessage() for r in caplog.records)
    assert any("Rasa unreachable" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        if record.levelno >= logging.INFO:
            assert "王小明" not in record.getMessage() and "13812345678" not in record.getMessage()


async def test_a_bug_in_the_bridge_gives_the_busy_message_not_a_traceback(telegram_api, rasa, tmp_path, caplog):
    async with bridge(telegram_api, rasa.url, tmp_path) as app:
        async def broken(*args: Any) -> None:
            raise KeyError("oops")

        app.bot_data["juzhu_bridge"].deliver = broken
        telegram_api.user_says(CHAT, "你好")
        sent = await telegram_api.wait_sent(CHAT, 1)
    assert texts(sent) == [BUSY_TEXT]
    assert any(r.exc_info and "KeyError" in r.getMessage() for r in caplog.records)  # the operator sees it


# --- the token never in the logs -------------------------------------------------------------

async def test_token_absent_from_all_log_output(telegram_api, rasa, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "telegram"):  # as chatty as they get: request URLs carry the token
        caplog.set_level(logging.DEBUG, logger=name)
    async with bridge(telegram_api, rasa.url, tmp_path):
        telegram_api.user_says(CHAT, "你好")
        sent = await telegram_api.wait_sent(CHAT, 1)
        telegram_api.user_taps(sent[0], "聊城")
        await telegram_api.wait_sent(CHAT, 3)
        logging.getLogger("telegram.ext.test").warning("url was %s/bot%s/getMe", telegram_api.base_url, TOKEN)
        try:
            raise RuntimeError(f"failed with {TOKEN}")
        except RuntimeError:
            logging.getLogger("juzhu.telegram").exception("boom %s", TOKEN)
    async with bridge(telegram_api, closed_port_url(), tmp_path):
        telegram_api.user_says(CHAT, "还在吗")
        await telegram_api.wait_sent(CHAT, 4)
    secret = TOKEN.split(":")[1]
    assert any("/getUpdates" in r.getMessage() for r in caplog.records)  # request URLs were logged...
    assert tg.REDACTED in caplog.text  # ...with the token redacted
    assert TOKEN not in caplog.text and secret not in caplog.text
    for record in caplog.records:
        assert secret not in record.getMessage()
        assert secret not in (record.exc_text or "")


def test_cli_quiets_the_url_logging_loggers():
    installed = tg.install_token_redaction("1:abcdefghijkl")
    try:
        for name in ("httpx", "httpcore", "telegram"):
            assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING
    finally:
        installed.remove()
        for name in ("httpx", "httpcore", "telegram", "apscheduler"):
            logging.getLogger(name).setLevel(logging.NOTSET)


# --- reminders -------------------------------------------------------------------------------

class Lookup:
    def __init__(self, *bookings: BookingInfo):
        self.bookings = {b.code: b for b in bookings}

    def __call__(self, code: str) -> Optional[BookingInfo]:
        return self.bookings.get(code)


def reminders(telegram_api: FakeTelegram) -> list[str]:
    return [t for t in texts(telegram_api.sent(CHAT)) if t.startswith("温馨提醒")]


@pytest.mark.parametrize("job_queue", [True, False], ids=["jobqueue", "asyncio-task"])
async def test_reminder_sent_once_and_not_again_after_restart(telegram_api, rasa, tmp_path, job_queue):
    visit = dt.datetime(2026, 11, 25, 9, 30)
    lookup = Lookup(BookingInfo("K7Q2M9", visit, "东昌府区古楼派出所", True, "聊城市东昌府区古楼街道1号"))
    clock = Clock(visit - dt.timedelta(days=2, hours=-1))  # two days before: nothing yet
    fast = dict(reminder_interval=0.05, job_queue=job_queue, lookup=lookup, clock=clock)

    async with bridge(telegram_api, rasa.url, tmp_path, **fast):  # the booking is made
        telegram_api.user_says(CHAT, "我要预约")
        sent = await telegram_api.wait_sent(CHAT, 1)
        telegram_api.user_taps(sent[0], "11月25日 09:30 东昌府区古楼派出所")
        await telegram_api.wait_sent(CHAT, 5)
        await asyncio.sleep(0.3)
    assert reminders(telegram_api) == []

    clock.now = dt.datetime(2026, 11, 24, 10, 0)  # the day before; the bridge restarts
    async with bridge(telegram_api, rasa.url, tmp_path, **fast):
        await telegram_api.wait_for(lambda: reminders(telegram_api), timeout=5)  # at start-up
        await asyncio.sleep(0.4)  # several more passes
    assert reminders(telegram_api) == [
        "温馨提醒：明天（11月25日）09:30 您预约了东昌府区古楼派出所办理居住证，预约码 K7Q2M9。\n"
        "地址：聊城市东昌府区古楼街道1号\n请带好身份证和相关材料按时前往。如需取消，请回复“取消预约”。"]

    clock.now = dt.datetime(2026, 11, 24, 15, 0)  # restarted again, same day: not sent again
    async with bridge(telegram_api, rasa.url, tmp_path, **fast):
        await asyncio.sleep(0.4)
    assert len(reminders(telegram_api)) == 1


class RecordingBot:
    def __init__(self, fail: Optional[Exception] = None):
        self.sent: list[tuple[int, str]] = []
        self.fail = fail

    async def send_message(self, chat_id: int, text: str, **_: Any) -> None:
        if self.fail:
            raise self.fail
        self.sent.append((chat_id, text))


def offline_bridge(tmp_path: Path, lookup: Callable, clock: Callable) -> tg.TelegramBridge:
    bridge_ = tg.TelegramBridge(Settings(token=TOKEN),
                                lookup=lookup, clock=clock)
    bridge_.state.open()
    return bridge_


async def test_reminder_rules(tmp_path):
    tomorrow = dt.datetime(2026, 11, 25, 14, 0)
    lookup = Lookup(BookingInfo("AAAAAA", tomorrow, "甲派出所", True),
                    BookingInfo("BBBBBB", tomorrow, "乙派出所", False),  # cancelled
                    BookingInfo("CCCCCC", tomorrow + dt.timedelta(days=3), "丙派出所", True),
                    BookingInfo("DDDDDD", dt.datetime(2026, 11, 20, 9, 0), "丁派出所", True))  # past
    clock = Clock(dt.datetime(2026, 11, 24, 7, 0))  # too early in the morning
    b = offline_bridge(tmp_path, lookup, clock)
    for code in ("AAAAAA", "BBBBBB", "CCCCCC", "DDDDDD", "EEEEEE"):  # EEEEEE: unknown to the store
        b.state.remember(code, CHAT, clock())
    bot = RecordingBot()
    assert await b.send_reminders(bot) == 0
    assert sorted(code for code, _, _ in b.state.known()) == ["AAAAAA", "CCCCCC"]  # the rest forgotten
    clock.now = dt.datetime(2026, 11, 24, 9, 0)
    assert await b.send_reminders(bot) == 1
    assert bot.sent == [(CHAT, bot.sent[0][1])] and "明天（11月25日）14:00 您预约了甲派出所" in bot.sent[0][1]
    assert "AAAAAA" in bot.sent[0][1]
    assert await b.send_reminders(bot) == 0
    # rescheduled to another time tomorrow (same code): reminded for the new time
    lookup.bookings["AAAAAA"] = BookingInfo("AAAAAA", tomorrow + dt.timedelta(hours=1), "甲派出所", True)
    assert await b.send_reminders(bot) == 1 and "15:00" in bot.sent[1][1]


async def test_reminder_retried_when_telegram_fails_and_dropped_when_blocked(tmp_path):
    from telegram.error import Forbidden, NetworkError

    lookup = Lookup(BookingInfo("AAAAAA", dt.datetime(2026, 11, 25, 9, 0), "甲派出所", True))
    b = offline_bridge(tmp_path, lookup, Clock(NOW))
    b.state.remember("AAAAAA", CHAT, NOW)
    assert await b.send_reminders(RecordingBot(NetworkError("down"))) == 0
    assert b.state.known() == [("AAAAAA", CHAT, None)]  # kept: next pass tries again
    assert await b.send_reminders(RecordingBot(Forbidden("bot was blocked by the user"))) == 0
    assert b.state.known() == []


async def test_reminder_pass_survives_a_broken_store(tmp_path):
    def broken(code: str) -> None:
        raise RuntimeError("database is down")

    b = offline_bridge(tmp_path, broken, Clock(NOW))
    b.state.remember("AAAAAA", CHAT, NOW)
    assert await b.send_reminders(RecordingBot()) == 0
    assert b.state.known() == [("AAAAAA", CHAT, None)]


async def test_reminder_from_the_real_appointments_store(tmp_path):
    from bot.appointments.service import AppointmentService

    url = f"sqlite:///{tmp_path / 'juzhu.db'}"
    service = AppointmentService(url, clock=lambda: NOW)
    tomorrow = NOW.date() + dt.timedelta(days=1)
    slot = next(slot for station in service.stations() for slot in service.slots(station.id, tomorrow)
                if slot.bookable)
    booking = service.book(slot.station_id, slot.start, "张三", "13812345678")
    lookup = functools.partial(tg.appointments_lookup, url=url)
    found = lookup(booking.code)
    assert found == BookingInfo(booking.code, slot.start, booking.station_name, True, booking.station_address)

    b = offline_bridge(tmp_path, lookup, Clock(NOW))
    b.state.remember(booking.code, CHAT, NOW)
    bot = RecordingBot()
    assert await b.send_reminders(bot) == 1
    text = bot.sent[0][1]
    assert f"明天（{tomorrow.month}月{tomorrow.day}日）{slot.start:%H:%M} 您预约了{booking.station_name}" in text
    assert booking.code in text and "13812345678" not in text and "张三" not in text

    service.cancel(booking.code, "13812345678")
    assert await b.send_reminders(bot) == 0
    assert b.state.known() == []  # a cancelled booking is forgotten


# --- small parts -------------------------------------------------------------------------------

def test_callback_payloads_map_long_ones_per_chat():
    payloads = CallbackPayloads(per_chat=2)
    assert payloads.encode(1, CITY_PAYLOAD) == CITY_PAYLOAD
    key = payloads.encode(1, LONG_PAYLOAD)
    assert key.startswith("p:") and payloads.encode(1, LONG_PAYLOAD) == key  # reused
    assert payloads.decode(1, key) == LONG_PAYLOAD
    assert payloads.decode(2, key) is None  # another chat cannot use it
    tricky = payloads.encode(1, "p:1")  # a real payload that looks like an id is mapped too
    assert tricky != "p:1" and payloads.decode(1, tricky) == "p:1"
    payloads.encode(1, LONG_PAYLOAD + "x")  # over the per-chat limit: the oldest goes
    assert payloads.decode(1, key) is None
    payloads.forget(1)
    assert payloads.decode(1, tricky) is None


def test_long_texts_are_split_at_line_ends():
    text = ("一" * 3000 + "\n") * 3
    pieces = tg._split_text(text)
    assert all(len(p) <= 4096 for p in pieces) and "".join(pieces) == "一" * 9000


def test_settings_from_the_environment():
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN,
                                  "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot"})
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.api_base_file_url == "http://127.0.0.1:8081/file/bot"
    plain = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "RASA_URL": "http://rasa:5005/"})
    assert plain.api_base_url is None and plain.rasa_url == "http://rasa:5005"
    with pytest.raises(tg.SettingsError, match="TELEGRAM_BOT_TOKEN"):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": "  "})
    app = build_application(settings)
    assert app.bot.base_url == f"http://127.0.0.1:8081/bot{TOKEN}"
    assert app.bot.base_file_url == f"http://127.0.0.1:8081/file/bot{TOKEN}"


def test_cli_masks_the_logs_first_and_passes_the_shared_settings(monkeypatch):
    import bot.platform.masking
    from bot.cli import main
    from bot.platform.ratelimit import default_limiter

    steps: list[str] = []
    built: dict[str, Any] = {}

    class App:
        def run_polling(self, **options: Any) -> None:
            steps.append("polling")

    def build(settings: Settings, **options: Any) -> App:
        built.update(options, settings=settings)
        return App()

    class Redaction:
        filter = tg.TokenRedactingFilter(TOKEN)

    monkeypatch.setattr(bot.platform.masking, "install_log_masking", lambda: steps.append("masking"))
    monkeypatch.setattr(tg, "install_token_redaction", lambda *a, **k: steps.append("redaction") or Redaction())
    monkeypatch.setattr(tg, "build_application", build)
    monkeypatch.setattr(logging.getLogger("juzhu"), "level", logging.getLogger("juzhu").level)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("RASA_TIMEOUT_S", "7")
    assert main(["telegram"]) == 0
    assert steps == ["masking", "redaction", "polling"]
    assert built["settings"].rasa_timeout == 7.0
    assert built["limiter"] is default_limiter()


def test_cli_refuses_an_unusable_rasa_timeout_in_one_line(monkeypatch, capsys):
    import bot.platform.masking
    from bot.cli import main

    monkeypatch.setattr(bot.platform.masking, "install_log_masking", lambda: None)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("RASA_TIMEOUT_S", "soon")
    assert main(["telegram"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "RASA_TIMEOUT_S" in err


def test_cli_without_token_says_so_in_one_line(monkeypatch, capsys):
    import bot.platform.masking
    from bot.cli import main

    monkeypatch.setattr(bot.platform.masking, "install_log_masking", lambda: None)  # not for the whole test run
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main(["telegram"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "TELEGRAM_BOT_TOKEN is not set" in err and "Traceback" not in err


async def test_cli_rejected_token_is_one_line_without_the_token(telegram_api, tmp_path):
    """`juzhu telegram` with a token the Bot API refuses: one line, exit 2, no token printed."""
    juzhu = Path(sys.executable).parent / "juzhu"
    if not juzhu.exists():
        pytest.skip("the juzhu console script is not installed in this environment")
    wrong = "111:wrong-token-abcdefghij"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TELEGRAM_BOT_TOKEN": wrong,
           "TELEGRAM_API_BASE_URL": telegram_api.base_url,
           "RASA_URL": closed_port_url()}
    process = await asyncio.create_subprocess_exec(str(juzhu), "telegram", env=env, stdout=subprocess.PIPE,
                                                   stderr=subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 2, err.decode()
    assert telegram_api.unauthorized >= 1  # it did ask the (fake) Bot API
    output = (out + err).decode()
    assert "wrong-token" not in output and "Traceback" not in output
    assert output.strip().splitlines()[-1] == (
        "juzhu telegram: the Bot API refused TELEGRAM_BOT_TOKEN (401 Unauthorized); check the token with @BotFather")


async def test_cli_runs_the_bridge_and_stops_on_sigint(telegram_api, rasa, tmp_path):
    """`juzhu telegram` for real (as `make run` starts it) against the fakes; Ctrl-C stops it cleanly."""
    import signal

    juzhu = Path(sys.executable).parent / "juzhu"
    if not juzhu.exists():
        pytest.skip("the juzhu console script is not installed in this environment")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TELEGRAM_BOT_TOKEN": TOKEN,
           "TELEGRAM_API_BASE_URL": telegram_api.base_url,
           "RASA_URL": rasa.url, "DATABASE_URL": f"sqlite:///{tmp_path / 'juzhu.db'}"}
    process = await asyncio.create_subprocess_exec(str(juzhu), "telegram", env=env, stdout=subprocess.PIPE,
                                                   stderr=subprocess.PIPE)
    try:
        await telegram_api.wait_for(lambda: any(c.method == "setMyCommands" for c in telegram_api.calls), 60)
        telegram_api.user_says(CHAT, "你好")
        sent = await telegram_api.wait_sent(CHAT, 1, timeout=20)
        assert sent[0].params["text"] == "您好！请问您现在住在哪个城市？"
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    output = (out + err).decode()
    assert TOKEN.split(":")[1] not in output and "Traceback" not in output
    assert rasa.messages(tg.sender_id(CHAT)) == ["你好"]


def interview_as_rasa(sender: str, message: str) -> list[dict[str, Any]]:
    """A stand-in Rasa whose answers are the interview driver's own (issue 17's read-back), in the
    REST channel's shape: text and buttons, then the custom payload as an element of its own."""
    from bot.dialogue.eligibility import Interview, Message

    reply = Interview(as_of=dt.date(2026, 11, 22)).handle(Interview().start().state, Message.parse(message))
    out: list[dict[str, Any]] = []
    for item in reply.messages:
        out.append({"recipient_id": sender, "text": item.text,
                    "buttons": [{"title": c.title, "payload": c.payload()} for c in item.choices]})
        if item.custom is not None:
            out.append({"recipient_id": sender, "custom": item.custom})
    return out


async def test_the_readback_is_drawn_as_a_card_with_its_two_buttons(telegram_api, tmp_path):
    """Issue 17: what the assistant understood comes as one card (bold values, one line per fact),
    with 对 / 有不对的，我改一下 as buttons; the plain text is not sent twice."""
    fake = await FakeRasa(interview_as_rasa).start()
    try:
        async with bridge(telegram_api, fake.url, tmp_path):
            telegram_api.user_says(CHAT, "户口河南 在聊城东阿县租房住了一年 居住登记一年")
            sent = await telegram_api.wait_sent(CHAT, 1)
            await asyncio.sleep(0.2)  # nothing more comes
    finally:
        await fake.stop()
    assert len(telegram_api.sent(CHAT)) == 1
    card = sent[0]
    assert card.params["parse_mode"] == "HTML"
    text = card.params["text"]
    assert text.startswith("<b>请核对，我理解的是：</b>") and "• 户口：<b>河南省</b>" in text and text.endswith("对吗？")
    assert callback_data(card) == ["/affirm", "/deny"]


# --- issue 20 (8): a Bot API server named without /bot ----------------------------------------

@pytest.mark.parametrize("shape", ["root", "root/"])
async def test_a_bot_api_base_url_without_bot_works_as_with_it(telegram_api, rasa, tmp_path, shape):
    """The Bot API's own docs name a server as http://host:8081: the bridge used to hang silently."""
    root = telegram_api.base_url[:-len("/bot")]
    assert telegram_api.base_url.endswith("/bot")
    settings = settings_for(telegram_api, rasa.url, tmp_path)
    plain = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "RASA_URL": rasa.url,
                               "TELEGRAM_API_BASE_URL": root + ("/" if shape == "root/" else "")})
    assert plain.api_base_url == settings.api_base_url
    app = build_application(plain, limiter=RateLimiter("memory://"), handoff_store=lambda: NoHandoffs())
    async with running(app, poll_timeout=1):
        telegram_api.user_says(CHAT, "/start")
        sent = await telegram_api.wait_sent(CHAT, 1)
    assert texts(sent) == [START_TEXT] and telegram_api.unauthorized == 0
