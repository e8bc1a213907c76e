"""The WeChat channel (issue 21, CONTRACT §8) through its endpoint, with messages signed exactly as
WeChat signs them (plain and 安全模式), against a fake WeChat API (fake_wechat.py) and the fake
assistant the web front's tests use (fake_rasa.py)."""
from __future__ import annotations

import base64
import hashlib
import io
import logging
import sqlite3
import time
import uuid

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto

from bot.channels.web.app import create_app
from bot.channels.wechat import WECHAT, WechatSettings, sender_of
from bot.platform.ratelimit import RateLimiter

from .fake_rasa import FakeRasa
from .fake_wechat import FakeWechat

TOKEN = "juzhuWechatToken1"
APPID, SECRET = "wx0123456789abcdef", "fake-secret-0123456789"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OPENID = "oPenIdOfAFollower0123456789"
ACCOUNT = "gh_0123456789ab"
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64


def signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def text_xml(content: str, msg_id: int, openid: str = OPENID) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>")


def voice_xml(recognition: str, msg_id: int) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[voice]]></MsgType>"
            f"<MediaId><![CDATA[m1]]></MediaId><Format><![CDATA[amr]]></Format>"
            f"<Recognition><![CDATA[{recognition}]]></Recognition><MsgId>{msg_id}</MsgId></xml>")


def event_xml(event: str) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{event}]]></Event></xml>")


class Harness:
    def __init__(self, client: TestClient, rasa, wechat: FakeWechat, store, aes: bool):
        self.client, self.rasa, self.wechat, self.store, self.aes = client, rasa, wechat, store, aes
        self.ids = iter(range(10_000_000, 20_000_000))

    def next_id(self) -> int:
        return next(self.ids)

    async def post(self, xml: str, *, sign: bool = True) -> tuple[int, str]:
        timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
        if self.aes:
            crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
            packed = parse_message_envelope(crypto.encrypt_message(xml, nonce, timestamp))
            params = {"timestamp": timestamp, "nonce": nonce, "encrypt_type": "aes",
                      "signature": signature(TOKEN, timestamp, nonce),
                      "msg_signature": packed["MsgSignature"] if sign else "0" * 40}
            body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{packed['Encrypt']}]]></Encrypt></xml>"
        else:
            params = {"timestamp": timestamp, "nonce": nonce,
                      "signature": signature(TOKEN, timestamp, nonce) if sign else "0" * 40}
            body = xml
        response = await self.client.post("/wechat", params=params, data=body.encode(),
                                          headers={"Content-Type": "text/xml"})
        text = await response.text()
        if self.aes and response.status == 200 and text != "success":
            text = WeChatCrypto(TOKEN, AES_KEY, APPID).decrypt_message(
                text, parse_message_envelope(text)["MsgSignature"], parse_message_envelope(text)["TimeStamp"],
                parse_message_envelope(text)["Nonce"])
        return response.status, text

    async def say(self, content: str) -> str:
        """The passive reply's text ("" for WeChat's "success")."""
        status, xml = await self.post(text_xml(content, self.next_id()))
        assert status == 200, xml
        return "" if xml == "success" else parse_message(xml).content


def parse_message_envelope(xml: str) -> dict:
    import xmltodict

    return xmltodict.parse(xml)["xml"]


async def make_harness(tmp_path, *, rasa_app=None, rasa=None, aes: bool = False, passive_timeout_s: float = 4.5,
                       template: str | None = None):
    from bot.handoff import HandoffService

    store = HandoffService(f"sqlite:///{tmp_path / 'juzhu.db'}")
    rasa = rasa or FakeRasa()
    rasa.handoffs = rasa.handoffs or (lambda: store)  # Rasa's gate: the one hand-off check
    rasa_server = TestServer(rasa_app or rasa.app())
    await rasa_server.start_server()
    wechat = FakeWechat(APPID, SECRET)
    wechat_server = TestServer(wechat.app())
    await wechat_server.start_server()
    settings = WechatSettings(token=TOKEN, appid=APPID, secret=SECRET, aes_key=AES_KEY if aes else None,
                              api_base_url=str(wechat_server.make_url("")).rstrip("/"),
                              passive_timeout_s=passive_timeout_s, handoff_poll_s=3600,
                              template_reminder=template, reminder_interval_s=3600)
    app = create_app(str(rasa_server.make_url("")).rstrip("/"), None, limiter=RateLimiter("memory://"),
                     cookie_secret="unused-cookie-secret-0123", handoffs=lambda: store,
                     relay_token="test-relay-token", wechat=settings)
    client = TestClient(TestServer(app))
    await client.start_server()
    harness = Harness(client, rasa, wechat, store, aes)
    harness.servers = [client, rasa_server, wechat_server]
    return harness


@pytest.fixture
async def wx(tmp_path):
    harness = await make_harness(tmp_path)
    yield harness
    for server in harness.servers:
        await server.close()


async def test_the_server_check_answers_echostr_only_with_the_right_signature(wx):
    timestamp, nonce = "1700000000", "n0nce"
    good = await wx.client.get("/wechat", params={"signature": signature(TOKEN, timestamp, nonce),
                                                  "timestamp": timestamp, "nonce": nonce, "echostr": "echo-42"})
    assert good.status == 200 and await good.text() == "echo-42"
    bad = await wx.client.get("/wechat", params={"signature": "0" * 40, "timestamp": timestamp, "nonce": nonce,
                                                 "echostr": "echo-42"})
    assert bad.status == 403 and "echo-42" not in await bad.text()


async def test_a_refused_signature_is_403_and_nothing_is_processed(wx):
    status, _ = await wx.post(text_xml("我在聊城租房住了一年，能办居住证吗", wx.next_id()), sign=False)
    assert status == 403 and wx.rasa.received == []


def number_of_choice(reply: str, preferred: tuple[str, ...]) -> str:
    """The number of the first listed choice that says one of ``preferred`` (else 1)."""
    choices = [line.split(" ", 1) for line in reply.split("回复数字：")[-1].splitlines() if line[:1].isdigit()]
    for word in preferred:
        for number, title in choices:
            if word in title:
                return number
    return "1"


async def test_a_conversation_to_a_verdict_with_numbered_choices(wx):
    first = await wx.say("你好")
    assert "回复数字：" in first and "\n1 " in first
    verdict = ""
    reply = first
    for _ in range(12):  # answer each question by the number of a choice, as a follower would
        reply = await wx.say(number_of_choice(reply, ("外省", "本人", "一年", "租房", "聊城")))
        assert wx.rasa.received[-1][1].startswith("/")  # the number worked like the button
        if "【" in reply:
            verdict = reply
            break
    assert verdict.startswith("【") and "要带：" in verdict and "□ " in verdict and "回复“详细”" in verdict
    full = await wx.say("详细")
    assert full.startswith("结论：") and "第" in full and "条" in full
    assert all(sender == sender_of(OPENID) and OPENID not in sender for sender, _ in wx.rasa.received)


async def test_a_voice_message_is_read_as_typed_text(wx):
    status, xml = await wx.post(voice_xml("我在聊城租房住了八个月能办居住证吗", wx.next_id()))
    assert status == 200 and parse_message(xml).content
    assert wx.rasa.received[-1][1] == "我在聊城租房住了八个月能办居住证吗"


async def test_a_duplicate_msgid_is_processed_once(wx):
    xml = text_xml("你好", 424242)
    first = await wx.post(xml)
    again = await wx.post(xml)  # WeChat's retry of the same MsgId
    assert first[0] == again[0] == 200 and again[1] == "success"
    assert len(wx.rasa.received) == 1


async def test_a_reply_later_than_the_passive_window_goes_out_through_the_api(tmp_path):
    harness = await make_harness(tmp_path, rasa=FakeRasa(delay=1.0), passive_timeout_s=0.3)
    try:
        assert await harness.say("你好") == ""  # "success": WeChat stops waiting
        sent = await harness.wechat.wait_sent(1)
        assert sent[0]["touser"] == OPENID and sent[0]["msgtype"] == "text"
        assert "回复数字：" in sent[0]["text"]["content"]
    finally:
        for server in harness.servers:
            await server.close()


async def test_a_booking_sends_its_qr_code_as_an_image(tmp_path):
    async def webhook(request):
        qr = "data:image/png;base64," + base64.b64encode(PNG).decode()
        return web.json_response([{"text": "预约成功！\n预约码：K7Q2M9"},
                                  {"custom": {"code": "K7Q2M9", "qr": qr, "text": "预约码 K7Q2M9"}},
                                  {"text": "如需取消或查询，请说“取消预约”或“查询预约”。"}])

    rasa = web.Application()
    rasa.router.add_post("/webhooks/rest/webhook", webhook)
    harness = await make_harness(tmp_path, rasa_app=rasa)
    try:
        assert "预约码：K7Q2M9" in await harness.say("确认")
        sent = await harness.wechat.wait_sent(2)
        assert [m["msgtype"] for m in sent] == ["image", "text"]  # in order, the picture first
        assert sent[0]["image"]["media_id"].startswith("media-") and harness.wechat.uploads == [PNG]
    finally:
        for server in harness.servers:
            await server.close()


async def test_a_staff_reply_during_a_handoff_reaches_the_follower(wx, caplog):
    sender = sender_of(OPENID)
    case, _ = wx.store.open(sender, reason="asked", city="liaocheng")
    wx.store.take(case["id"])
    with caplog.at_level(logging.INFO):
        assert await wx.say("我住亲戚家，能办吗") == ""  # kept for staff, who are answering
        assert wx.rasa.received == []
        wx.store.reply(case["id"], "您好，我是东昌府派出所的王警官。")
        relayed = await wx.client.app[WECHAT].relay_staff_messages()
    assert relayed == 1
    sent = await wx.wechat.wait_sent(1)
    assert sent[0]["touser"] == OPENID and "王警官" in sent[0]["text"]["content"]
    [queued] = wx.store.queue()
    assert queued["channel"] == "wechat"
    # The openid is nowhere in clear: not in the hand-off store, not in a log line.
    database = sqlite3.connect(str(wx.store.url).replace("sqlite:///", ""))
    dumped = "\n".join(str(row) for table in ("handoffs", "handoff_messages", "wechat_followers")
                       for row in database.execute(f"SELECT * FROM {table}"))
    assert OPENID not in dumped and OPENID not in caplog.text


async def test_an_encrypted_message_in_safe_mode(tmp_path):
    harness = await make_harness(tmp_path, aes=True)
    try:
        status, reply = await harness.post(text_xml("你好", harness.next_id()))
        assert status == 200 and "回复数字：" in parse_message(reply).content
        refused, _ = await harness.post(text_xml("你好", harness.next_id()), sign=False)
        assert refused == 403 and len(harness.rasa.received) == 1
    finally:
        for server in harness.servers:
            await server.close()


async def test_subscribe_greets_and_other_kinds_get_a_note(wx):
    status, xml = await wx.post(event_xml("subscribe"))
    assert status == 200 and "居住证" in parse_message(xml).content
    image = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
             f"<CreateTime>1</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://x/p]]></PicUrl>"
             f"<MediaId><![CDATA[m]]></MediaId><MsgId>{wx.next_id()}</MsgId></xml>")
    status, xml = await wx.post(image)
    assert status == 200 and "文字和语音" in parse_message(xml).content and wx.rasa.received == []


async def test_a_stale_access_token_is_refreshed_and_the_message_sent(tmp_path):
    harness = await make_harness(tmp_path, rasa=FakeRasa(delay=0.6), passive_timeout_s=0.2)
    try:
        await harness.say("你好")
        await harness.wechat.wait_sent(1)
        harness.wechat.expire_next = True  # WeChat no longer takes the token: 40001
        await harness.say("/greet")
        sent = await harness.wechat.wait_sent(2)
        assert len(harness.wechat.tokens) == 2 and "您好" in sent[1]["text"]["content"]
    finally:
        for server in harness.servers:
            await server.close()


async def test_an_unfollower_gets_nothing_more(wx):
    sender = sender_of(OPENID)
    case, _ = wx.store.open(sender, reason="asked", city="liaocheng")
    wx.store.take(case["id"])
    await wx.say("在吗")
    status, _ = await wx.post(event_xml("unsubscribe"))
    assert status == 200
    wx.store.reply(case["id"], "您好")
    await wx.client.app[WECHAT].relay_staff_messages()
    assert wx.wechat.sent == []


async def test_reminders_go_out_as_subscription_messages_when_a_template_is_set(tmp_path):
    """The day before a visit and the 签注 stages, through WECHAT_TEMPLATE_REMINDER; none without it."""
    import datetime as dt

    from bot.reminders import BookingInfo

    start = dt.datetime(2026, 11, 24, 9, 30)

    async def webhook(request):
        said = (await request.json())["message"]
        if said == "到时提醒我":
            return web.json_response([{"text": "好的，到时提醒您。"},
                                      {"custom": {"endorsement_reminder": {"city": "qujing", "due": "2027-04-01"}}}])
        return web.json_response([{"text": "预约成功！\n预约码：K7Q2M9"},
                                  {"custom": {"code": "K7Q2M9", "booking": {"code": "K7Q2M9",
                                                                            "start": "2026-11-24 09:30"}}}])

    rasa = web.Application()
    rasa.router.add_post("/webhooks/rest/webhook", webhook)
    harness = await make_harness(tmp_path, rasa_app=rasa, template="TPL-remind-1")
    try:
        await harness.say("确认")
        await harness.say("到时提醒我")
        channel = harness.client.app[WECHAT]
        lookup = {"K7Q2M9": BookingInfo(code="K7Q2M9", start=start, station="古楼派出所", active=True)}.get
        # The day before the visit, in the reminder hours: the booking's reminder, once.
        assert await channel.send_reminders(dt.datetime(2026, 11, 23, 10, 0), lookup) == 1
        assert await channel.send_reminders(dt.datetime(2026, 11, 23, 11, 0), lookup) == 0
        [booking] = harness.wechat.templates
        assert booking["touser"] == OPENID and booking["template_id"] == "TPL-remind-1"
        assert booking["data"]["time2"]["value"] == "2026-11-24 09:30" and "K7Q2M9" in booking["data"]["thing3"]["value"]
        # 30 days before the 签注 deadline (曲靖 第十四条): the first of its reminders.
        assert await channel.send_reminders(dt.datetime(2027, 3, 2, 10, 0), lookup) == 1
        assert harness.wechat.templates[-1]["data"]["time2"]["value"] == "2027-04-01"
        # Someone who unfollows is reminded of nothing.
        await harness.post(event_xml("unsubscribe"))
        assert await channel.send_reminders(dt.datetime(2027, 3, 25, 10, 0), lookup) == 0
    finally:
        for server in harness.servers:
            await server.close()


async def test_no_template_no_reminder_stored(wx):
    assert wx.client.app[WECHAT].settings.template_reminder is None
    assert await wx.client.app[WECHAT].send_reminders() == 0


async def test_a_clusters_web_fronts_share_the_token_and_the_msgids_in_redis(tmp_path):
    """Two web fronts behind one balancer: one access token between them, and a retry of a MsgId
    reaching the other replica is not processed again. Real Redis on 127.0.0.1."""
    import redis

    url = "redis://127.0.0.1:6379/5"
    try:
        redis.Redis.from_url(url, socket_timeout=1).ping()
    except Exception as error:
        pytest.skip(f"no Redis on 127.0.0.1:6379 ({type(error).__name__})")
    from bot.channels.wechat import Seen, WechatApi, make_client

    prefix = uuid.uuid4().hex[:6]
    first, second = Seen(redis_url=url), Seen(redis_url=url)
    assert first.first_time(prefix + "msg-1") and not second.first_time(prefix + "msg-1")
    wechat = FakeWechat(APPID, SECRET)
    server = TestServer(wechat.app())
    await server.start_server()
    try:
        redis.Redis.from_url(url).delete(f"juzhu-wechat_{APPID}_access_token", f"juzhu-wechat_{APPID}_expires_at")
        settings = WechatSettings(token=TOKEN, appid=APPID, secret=SECRET, redis_url=url,
                                  api_base_url=str(server.make_url("")).rstrip("/"))
        one, two = WechatApi(settings, make_client(settings)), WechatApi(settings, make_client(settings))
        assert await one.send_text(OPENID, "甲") and await two.send_text(OPENID, "乙")
        assert len(wechat.tokens) == 1 and len(wechat.sent) == 2
    finally:
        await server.close()


async def test_rasa_down_is_system_busy_with_the_hotline_and_a_flood_is_slowed(tmp_path):
    """As on Telegram: 系统繁忙 and the hotline when Rasa cannot answer; 20 messages a minute per follower."""
    harness = await make_harness(tmp_path, rasa=FakeRasa(fail_with=500))
    try:
        busy = await harness.say("我在聊城租房住了一年能办居住证吗")
        assert "系统繁忙" in busy and "12345" in busy
        replies = [await harness.say("你好") for _ in range(20)]
        assert "太快" in replies[-1] and "太快" not in replies[0]
    finally:
        for server in harness.servers:
            await server.close()
