"""The web front (kiosk proxy + staff console) through its HTTP interface.

aiohttp's own test server and client, no browser: staff refusals, the
script aid's assess API, the kiosk's proxy to a fake Rasa and its answer
when Rasa is down, slow, failing or silent, the rate limits, the staff
login lockout and session cookies, the bookings view and its CSV export,
and `juzhu web`'s start-up checks.
"""
from __future__ import annotations

import asyncio
import csv
import datetime as dt
import hashlib
import hmac
import io
import logging
import socket
import time

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.web import clients, kiosk, responses
from bot.channels.web.app import create_app
from bot.channels.web.responses import STAFF_COOKIE
from bot.channels.web.bookings import StaffBookings
from bot.channels.web.sessions import StaffSessions
from bot.platform.ratelimit import RateLimiter
from bot.rules import assess_dict, question_for, render_decision

from .fake_rasa import FakeRasa

TOKEN = "test-staff-token-6f1c"
COOKIE_SECRET = "test-cookie-secret-not-the-token-0b7e"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
NOW = dt.datetime(2026, 11, 23, 8, 0)  # a Monday, not a holiday
DAY = NOW.date()
STATION = "lc-dongchangfu"
PHONE = "13812345678"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


RELAY_TOKEN = "test-relay-token-stands-for-rasa-token"


@pytest.fixture(scope="module")
def revocations(tmp_path_factory):
    from bot.channels.web.sessions import Revocations

    store = Revocations(f"sqlite:///{tmp_path_factory.mktemp('sessions') / 'juzhu.db'}")
    return lambda: store


@pytest.fixture
async def make_client(revocations):
    clients: list[TestClient] = []

    async def make(rasa_url: str = "", staff_token=None, **options) -> TestClient:
        rasa_url = rasa_url or f"http://127.0.0.1:{free_port()}"  # nothing listens there
        # Each client its own limiter and cookie secret: tests neither share counts nor write var/.
        options.setdefault("limiter", limiter())
        options.setdefault("cookie_secret", COOKIE_SECRET)
        options.setdefault("handoffs", NoHandoffs)  # no hand-off store: nothing written to var/
        options.setdefault("revocations", revocations)  # logged-out sessions: a throw-away SQLite file
        options.setdefault("relay_token", RELAY_TOKEN)
        client = TestClient(TestServer(create_app(rasa_url, staff_token, **options)))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def fake_rasa():
    fake = FakeRasa()
    server = TestServer(fake.app())
    await server.start_server()
    fake.url = str(server.make_url("")).rstrip("/")
    yield fake
    await server.close()


class NoHandoffs:
    """A hand-off store with no hand-off open (tests/channels/test_handoff_web.py tests the real one)."""

    def applicant_message(self, sender, text):
        return None

    def abandon(self, sender):
        return 0


def limiter(**rules: str) -> RateLimiter:
    return RateLimiter("memory://", rules=rules)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A real appointments store on a temporary SQLite file with one booking."""
    from bot.appointments import AppointmentService

    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'juzhu.db'}"
    service = AppointmentService(url, clock=lambda: NOW)
    booking = service.book(STATION, "2026-11-23 09:00", "张三", PHONE)
    service.book(STATION, "2026-11-23 10:30", "=HYPERLINK(\"x\")", "13912345678")
    service.booking = booking
    return service


@pytest.fixture
def bookings(store):
    adapter = StaffBookings(store)
    return lambda: adapter


# --- kiosk -----------------------------------------------------------------------

async def test_kiosk_page_is_served_with_its_assets(make_client):
    client = await make_client(idle_seconds=45)
    response = await client.get("/")
    assert response.status == 200
    page = await response.text()
    assert "重新开始" in page and "打印" in page
    assert 'data-idle-seconds="45"' in page
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    for asset in ("/static/kiosk.js", "/static/kiosk.css", "/static/staff.js"):
        assert (await client.get(asset)).status == 200, asset
    # The pages are templates served by their routes, never as static files.
    assert (await client.get("/static/staff.html")).status == 404
    assert (await client.get("/favicon.ico")).status == 204


async def test_chat_is_relayed_to_rasa_with_a_kiosk_sender(make_client, fake_rasa):
    client = await make_client(fake_rasa.url)
    response = await client.post("/api/chat", json={"sender": "abc123def456", "message": "/ask_eligibility"})
    assert response.status == 200
    data = await response.json()
    assert data["busy"] is False
    [question] = data["messages"]
    assert "城市" in question["text"]
    assert [b["title"] for b in question["buttons"]] == ["聊城市", "曲靖市"]
    assert "recipient_id" not in question
    assert fake_rasa.received == [("kiosk-abc123def456", "/ask_eligibility")]

    # A button's payload goes back as the message, and the conversation goes on to a verdict.
    # (The payloads are the interview driver's own: the stand-in Rasa runs the real conversation core.)
    for payload in (question["buttons"][0]["payload"], '/inform{"proxy_for":"self"}', '/inform{"province":"other"}',
                    '/inform{"duration":12}', '/inform{"duration":12}', '/inform{"housing":"rented"}'):
        data = await (await client.post("/api/chat", json={"sender": "abc123def456", "message": payload})).json()
    assert data["messages"][0]["text"].startswith("结论：可以申领居住证")


async def test_booking_qr_image_is_passed_on(make_client, fake_rasa):
    """The real booking form behind the stand-in: a station, a day, a time (the first button each time),
    a name, a phone, yes; the confirmation and its ticket come through as Rasa sends them."""
    client = await make_client(fake_rasa.url)

    async def say(message: str) -> list[dict]:
        data = await (await client.post("/api/chat", json={"sender": "abc123def456", "message": message})).json()
        return data["messages"]

    said = await say("/book_appointment")
    for _ in ("station", "day", "time"):
        said = await say(said[-1]["buttons"][0]["payload"])
    await say("李四")
    assert "138****5678" in (await say("13812345678"))[-1]["text"]  # the summary read back, the phone masked
    confirmation, custom, rating = await say("/affirm")
    code = custom["custom"]["code"]
    assert f"预约码：{code}" in confirmation["text"] and "11月23日" in confirmation["text"]
    assert custom["custom"]["qr"].startswith("data:image/png;base64,")
    assert custom["custom"]["booking"]["address"] and "身份证" in custom["custom"]["checklist"]
    assert [b["payload"] for b in rating["buttons"]][0] == '/rate{"rating":5}'
    data = await (await client.post("/api/chat", json={"sender": "abc123def456", "message": "/check_appointment"})).json()
    text, image = data["messages"]
    assert image["image"].startswith("data:image/png;base64,")


@pytest.mark.parametrize("body", [
    {"sender": "x", "message": "你好"},                      # sender too short
    {"sender": "abc def ghi", "message": "你好"},            # bad characters
    {"sender": "abcdefgh", "message": ""},                   # empty
    {"sender": "abcdefgh", "message": "长" * 1001},          # too long
    {"message": "你好"},
    ["not", "an", "object"],
])
async def test_chat_refuses_malformed_requests(make_client, fake_rasa, body):
    client = await make_client(fake_rasa.url)
    response = await client.post("/api/chat", json=body)
    assert response.status == 400
    assert "error" in await response.json()
    assert fake_rasa.received == []


async def _busy(client) -> dict:
    response = await client.post("/api/chat", json={"sender": "abcdefgh", "message": "你好"})
    assert response.status == 200
    data = await response.json()
    assert data["busy"] is True
    [message] = data["messages"]
    assert message["text"].startswith("系统繁忙，请稍后再试")
    return message


async def test_chat_when_rasa_is_down_answers_in_chinese_with_the_hotline(make_client):
    client = await make_client(hotline="0635-12345")
    message = await _busy(client)
    assert "0635-12345" in message["text"]
    assert "Error" not in message["text"] and "refused" not in message["text"]


async def test_chat_when_rasa_fails_answers_busy(make_client):
    failing = FakeRasa(fail_with=500)
    server = TestServer(failing.app())
    await server.start_server()
    try:
        client = await make_client(str(server.make_url("")).rstrip("/"))
        await _busy(client)
    finally:
        await server.close()


async def test_chat_when_rasa_is_too_slow_answers_busy(make_client):
    async def slow(request):
        await asyncio.sleep(3)
        return web.json_response([])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", slow)
    server = TestServer(app)
    await server.start_server()
    try:
        client = await make_client(str(server.make_url("")).rstrip("/"), rasa_timeout=0.5)
        started = time.monotonic()
        await _busy(client)
        assert time.monotonic() - started < 2.5
    finally:
        await server.close()


async def test_chat_when_rasa_answers_an_empty_list_answers_busy(make_client):
    """Rasa 3.6 answers [] when the action server is down: the kiosk must say so, not stay silent."""
    silent = FakeRasa(empty=True)
    server = TestServer(silent.app())
    await server.start_server()
    try:
        client = await make_client(str(server.make_url("")).rstrip("/"), hotline="0635-12345")
        message = await _busy(client)
        assert "0635-12345" in message["text"] and "没有理解" not in message["text"]
        # A reset is the one message Rasa answers with nothing by design: nothing to show, no busy text.
        reset = await client.post("/api/chat", json={"sender": "abcdefgh", "message": "/restart"})
        assert reset.status == 204
        assert silent.received == [("kiosk-abcdefgh", "你好"), ("kiosk-abcdefgh", "/restart")]
    finally:
        await server.close()


async def test_chat_when_rasa_answers_nothing_the_kiosk_can_show_answers_busy(make_client):
    async def unshowable(request):
        return web.json_response([{"recipient_id": "kiosk-abcdefgh", "image": "http://tracker.example/x.png"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", unshowable)
    server = TestServer(app)
    await server.start_server()
    try:
        client = await make_client(str(server.make_url("")).rstrip("/"))
        await _busy(client)
    finally:
        await server.close()


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_chat_when_rasa_answers_5xx_answers_busy(make_client, status):
    failing = FakeRasa(fail_with=status)
    server = TestServer(failing.app())
    await server.start_server()
    try:
        client = await make_client(str(server.make_url("")).rstrip("/"))
        await _busy(client)
        assert len(failing.received) == 1
    finally:
        await server.close()


async def test_chat_when_rasa_times_out_answers_busy_after_rasa_timeout(make_client):
    slow = FakeRasa(delay=3)
    server = TestServer(slow.app())
    await server.start_server()
    try:
        client = await make_client(str(server.make_url("")).rstrip("/"), rasa_timeout=0.5)
        started = time.monotonic()
        await _busy(client)
        assert time.monotonic() - started < 2.5
        assert len(slow.received) == 1
    finally:
        await server.close()


def test_busy_text_is_one_text_for_every_channel():
    from bot.channels import telegram as tg
    from bot.channels.texts import busy_text

    assert kiosk.busy_text is busy_text
    assert tg.busy_text is busy_text
    text = busy_text("0635-12345")
    assert text.startswith("系统繁忙，请稍后再试") and "0635-12345" in text and "没有理解" not in text


async def test_kiosk_page_carries_the_busy_text_for_when_the_front_is_unreachable(make_client):
    client = await make_client(hotline="0874-12345")
    page = await (await client.get("/")).text()
    assert f'data-busy-text="{kiosk.busy_text("0874-12345")}"' in page


def kiosk_script() -> str:
    return (responses.STATIC_DIR / "kiosk.js").read_text(encoding="utf-8")


def test_kiosk_script_shows_the_servers_messages_whatever_the_status():
    script = kiosk_script()
    assert "没有理解" not in script  # an empty answer is never "not understood"
    assert "if (!response.ok) throw" not in script  # a 429's polite text is read, not replaced
    assert "data.limited" in script and "busyText" in script


# --- kiosk: rate limits -------------------------------------------------------------

async def _say(client, sender: str, address: str, message: str = "/greet"):
    return await client.post("/api/chat", json={"sender": sender, "message": message},
                             headers={"X-Forwarded-For": f"10.0.0.2, {address}"})


async def test_chat_refuses_the_21st_message_of_a_minute_politely(make_client, fake_rasa):
    from bot.channels.texts import too_many_messages_text

    client = await make_client(fake_rasa.url, hotline="0635-12345", trust_proxy=True,
                               limiter=limiter(messages="20/minute"))
    for n in range(20):
        response = await _say(client, "sender-aaaa", "203.0.113.7")
        assert response.status == 200, n
    refused = await _say(client, "sender-aaaa", "203.0.113.7")
    assert refused.status == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    data = await refused.json()
    assert data == {"messages": [{"text": too_many_messages_text("0635-12345")}], "busy": False, "limited": True}
    assert data["messages"][0]["text"].startswith("您发送得太快了") and "0635-12345" in data["messages"][0]["text"]
    assert len(fake_rasa.received) == 20  # the 21st never reached Rasa

    # Another sender from another address is served as usual.
    other = await _say(client, "sender-bbbb", "198.51.100.4")
    assert other.status == 200 and (await other.json())["busy"] is False
    # The same sender from a new address is still over its own limit, and a new sender
    # from the first address is over that address's limit.
    assert (await _say(client, "sender-aaaa", "198.51.100.99")).status == 429
    assert (await _say(client, "sender-cccc", "203.0.113.7")).status == 429
    assert len(fake_rasa.received) == 21


async def test_chat_limits_an_address_however_many_senders_it_makes_up(make_client, fake_rasa):
    client = await make_client(fake_rasa.url, limiter=limiter(messages="3/minute"))
    statuses = []
    for n in range(5):  # a new sender id and a made-up X-Forwarded-For every time: neither helps
        response = await _say(client, f"made-up-sender-{n}", f"192.0.2.{n}")
        statuses.append(response.status)
    assert statuses == [200, 200, 200, 429, 429]


def test_client_address_from_x_forwarded_for_only_behind_a_trusted_proxy():
    from aiohttp.test_utils import make_mocked_request

    def address(trust: bool, forwarded: str) -> str:
        app = web.Application()
        app[clients.TRUST_PROXY] = trust
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        request = make_mocked_request("POST", "/api/chat", headers=headers, app=app)
        return clients.client_address(request)

    peer = address(False, "")
    assert address(False, "203.0.113.7") == peer
    # The proxy appends the address it saw; what the client wrote itself comes first.
    assert address(True, "10.0.0.2, 203.0.113.7") == "203.0.113.7"
    assert address(True, " 2001:db8::1 ") == "2001:db8::1"
    assert address(True, "not-an-address") == peer
    assert address(True, "") == peer


# --- staff: refusals --------------------------------------------------------------

STAFF_GETS = ["/staff", "/staff/", "/staff/api/meta", "/staff/api/stations",
              f"/staff/api/bookings?station={STATION}&date=2026-11-23",
              f"/staff/api/bookings.csv?station={STATION}&date=2026-11-23"]


@pytest.mark.parametrize("path", STAFF_GETS)
async def test_staff_refused_when_no_token_is_configured(make_client, bookings, path):
    client = await make_client(staff_token=None, bookings=bookings)
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer anything"}):
        response = await client.get(path, headers=headers)
        assert response.status == 403
        text = await response.text()
        assert "STAFF_TOKEN" in text and "员工页面未启用" in text
        assert PHONE not in text and "张三" not in text


async def test_staff_posts_refused_when_no_token_is_configured(make_client, bookings, store):
    client = await make_client(staff_token="", bookings=bookings)
    assert (await client.post("/staff/login", data={"token": ""})).status == 403
    assert (await client.post("/staff/api/assess", json={"facts": {"city": "liaocheng"}})).status == 403
    code = store.booking.code
    response = await client.post(f"/staff/api/bookings/{code}/attendance", json={"status": "attended"})
    assert response.status == 403


def expired_cookie(monkeypatch, secret: str = COOKIE_SECRET, token: str = TOKEN) -> str:
    """A session cookie made a day ago (sessions last 12 hours)."""
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda real=time.time: real() - 24 * 3600)
        return StaffSessions(secret, token).issue()


def old_hmac_cookie(token: str = TOKEN) -> str:
    """The hand-written cookie the web front used to issue: expiry + HMAC keyed with the token."""
    expires = int(time.time()) + 3600
    return f"{expires}.{hmac.new(token.encode(), f'juzhu-staff:{expires}'.encode(), hashlib.sha256).hexdigest()}"


@pytest.mark.parametrize("path", STAFF_GETS)
async def test_staff_requires_the_token(make_client, bookings, path, monkeypatch):
    client = await make_client(staff_token=TOKEN, bookings=bookings)
    expired = expired_cookie(monkeypatch)
    forged = f"{int(time.time()) + 3600}.{'0' * 64}"
    other = StaffSessions(COOKIE_SECRET, "another-token-0123456").issue()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {TOKEN}x"},
                    {"Authorization": f"Basic {TOKEN}"},
                    {"Cookie": f"{STAFF_COOKIE}={expired}"}, {"Cookie": f"{STAFF_COOKIE}={forged}"},
                    {"Cookie": f"{STAFF_COOKIE}={other}"}, {"Cookie": f"{STAFF_COOKIE}={TOKEN}"},
                    {"Cookie": f"{STAFF_COOKIE}={old_hmac_cookie()}"}):
        response = await client.get(path, headers=headers)
        assert response.status == 401, headers
        text = await response.text()
        assert PHONE not in text and "张三" not in text
        if "/api/" in path:
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        else:
            assert 'name="token"' in text  # the login form


async def test_staff_login_sets_an_httponly_cookie(make_client, bookings):
    client = await make_client(staff_token=TOKEN, bookings=bookings)
    wrong = await client.post("/staff/login", data={"token": "guess"}, allow_redirects=False)
    assert wrong.status == 401
    assert "口令不正确" in await wrong.text()
    assert STAFF_COOKIE not in wrong.cookies

    right = await client.post("/staff/login", data={"token": TOKEN}, allow_redirects=False)
    assert right.status == 303 and right.headers["Location"] == "/staff"
    cookie = right.headers["Set-Cookie"]
    assert f"{STAFF_COOKIE}=" in cookie and TOKEN not in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/staff" in cookie

    page = await client.get("/staff")
    assert page.status == 200
    assert "电话咨询助手" in await page.text()
    day = await client.get(f"/staff/api/bookings?station={STATION}&date=2026-11-23")
    assert day.status == 200
    # Cookie-authenticated changes must be JSON (a cross-site form cannot send it).
    form = await client.post("/staff/api/assess", data={"facts": "{}"})
    assert form.status == 415

    await client.post("/staff/logout", allow_redirects=False)
    assert (await client.get("/staff/api/meta")).status == 401


# --- staff: lockout and session cookies -----------------------------------------------

async def _login(client, token: str, address: str = "203.0.113.50"):
    return await client.post("/staff/login", data={"token": token}, allow_redirects=False,
                             headers={"X-Forwarded-For": address})


async def test_staff_login_locked_out_after_five_failures_even_for_the_right_token(make_client, bookings):
    client = await make_client(staff_token=TOKEN, bookings=bookings, trust_proxy=True)
    for n in range(5):
        assert (await _login(client, f"guess-{n}")).status == 401
    locked = await _login(client, TOKEN)
    assert locked.status == 429
    assert 1 <= int(locked.headers["Retry-After"]) <= 15 * 60
    text = await locked.text()
    assert "口令错误次数过多" in text and "Too many wrong staff tokens" in text
    assert STAFF_COOKIE not in locked.cookies
    # A Bearer header is a guess like the form: refused too, right token or not.
    for token in (TOKEN, "guess-bearer"):
        api = await client.get("/staff/api/meta", headers={"Authorization": f"Bearer {token}",
                                                           "X-Forwarded-For": "203.0.113.50"})
        assert api.status == 429 and "Too many" in (await api.json())["error"]
    # Another address is not locked.
    assert (await _login(client, TOKEN, address="198.51.100.20")).status == 303


async def test_staff_bearer_failures_count_towards_the_lockout(make_client):
    client = await make_client(staff_token=TOKEN, trust_proxy=True)
    headers = {"X-Forwarded-For": "203.0.113.60"}
    for n in range(5):
        wrong = await client.get("/staff/api/meta", headers={**headers, "Authorization": f"Bearer guess-{n}"})
        assert wrong.status == 401
    assert (await _login(client, TOKEN, address="203.0.113.60")).status == 429


async def test_staff_lockout_ends_when_the_window_has_passed(make_client):
    client = await make_client(staff_token=TOKEN, limiter=limiter(staff_login="5/2 seconds"))
    for n in range(5):
        assert (await client.post("/staff/login", data={"token": f"guess-{n}"})).status == 401
    assert (await client.post("/staff/login", data={"token": TOKEN}, allow_redirects=False)).status == 429
    await asyncio.sleep(2.2)
    assert (await client.post("/staff/login", data={"token": TOKEN}, allow_redirects=False)).status == 303


async def test_staff_session_cookie_still_works_from_a_locked_address(make_client):
    client = await make_client(staff_token=TOKEN)
    assert (await client.post("/staff/login", data={"token": TOKEN}, allow_redirects=False)).status == 303
    for n in range(5):
        await client.post("/staff/login", data={"token": f"guess-{n}"})
    assert (await client.post("/staff/login", data={"token": TOKEN}, allow_redirects=False)).status == 429
    assert (await client.get("/staff/api/meta")).status == 200  # the cookie is no guess


async def test_staff_cookie_signed_with_the_token_as_key_is_refused(make_client):
    client = await make_client(staff_token=TOKEN)
    signed_with_token = StaffSessions(TOKEN, TOKEN).issue()  # the right format, the wrong key
    for cookie in (signed_with_token, old_hmac_cookie()):
        response = await client.get("/staff/api/meta", headers={"Cookie": f"{STAFF_COOKIE}={cookie}"})
        assert response.status == 401, cookie
    right = await client.post("/staff/login", data={"token": TOKEN}, allow_redirects=False)
    issued = right.cookies[STAFF_COOKIE].value
    assert issued != signed_with_token and TOKEN not in issued
    assert StaffSessions(COOKIE_SECRET, TOKEN).valid(issued)
    assert not StaffSessions(TOKEN, TOKEN).valid(issued)


async def test_staff_cookie_is_secure_behind_a_tls_terminating_proxy(make_client):
    client = await make_client(staff_token=TOKEN, trust_proxy=True)
    right = await client.post("/staff/login", data={"token": TOKEN}, allow_redirects=False,
                              headers={"X-Forwarded-For": "203.0.113.70", "X-Forwarded-Proto": "https"})
    assert "Secure" in right.headers["Set-Cookie"]


async def test_staff_sessions_survive_a_restart_and_end_when_the_secret_rotates(make_client, tmp_path,
                                                                                 monkeypatch):
    from bot.platform.secrets import staff_cookie_secret

    monkeypatch.chdir(tmp_path)  # var/ is relative to the working directory, like var/juzhu.db
    monkeypatch.delenv("JUZHU_VAR_DIR", raising=False)
    monkeypatch.delenv("STAFF_COOKIE_SECRET", raising=False)
    first = await make_client(staff_token=TOKEN, cookie_secret=None)  # the secret file is made...
    secret_file = tmp_path / "var" / "staff_cookie_secret"
    assert secret_file.exists() and secret_file.stat().st_mode & 0o777 == 0o600
    assert TOKEN not in secret_file.read_text()
    login = await first.post("/staff/login", data={"token": TOKEN}, allow_redirects=False)
    cookie = {"Cookie": f"{STAFF_COOKIE}={login.cookies[STAFF_COOKIE].value}"}

    restarted = await make_client(staff_token=TOKEN, cookie_secret=None)  # ...and read again
    assert (await restarted.get("/staff/api/meta", headers=cookie)).status == 200
    assert staff_cookie_secret() == secret_file.read_text().strip()

    monkeypatch.setenv("STAFF_COOKIE_SECRET", "a-rotated-secret-9f3c2a71d4")
    rotated = await make_client(staff_token=TOKEN, cookie_secret=None)
    assert (await rotated.get("/staff/api/meta", headers=cookie)).status == 401

    monkeypatch.delenv("STAFF_COOKIE_SECRET")  # the file's secret again, but a changed token
    new_token = await make_client(staff_token=TOKEN + "-new", cookie_secret=None)
    assert (await new_token.get("/staff/api/meta", headers=cookie)).status == 401


# --- staff: script aid -------------------------------------------------------------

ELIGIBLE = {"city": "liaocheng", "as_of": "2025-03-01", "hukou": {"province": "河南省", "city": "郑州市"},
            "residence": {"county": "东昌府区"}, "lived_months": 12, "registered_months": 12,
            "housing": "rented"}


async def test_assess_api_speaks_through_the_engine_and_renderer(make_client):
    client = await make_client(staff_token=TOKEN)
    response = await client.post("/staff/api/assess", json={"facts": ELIGIBLE}, headers=BEARER)
    assert response.status == 200
    data = await response.json()
    decision = assess_dict(ELIGIBLE)
    assert data["decision"] == decision
    assert data["decision"]["verdict"] == "eligible"
    assert data["text"] == render_decision(decision)
    assert data["verdict_label"] == "可以申领居住证"
    assert data["next"] is None
    assert {"source": "聊城市居住证实施办法", "article": "第五条"} in data["decision"]["citations"]


async def test_assess_api_names_the_next_question(make_client):
    client = await make_client(staff_token=TOKEN)
    facts = {key: value for key, value in ELIGIBLE.items() if key != "housing"}
    data = await (await client.post("/staff/api/assess", json={"facts": facts}, headers=BEARER)).json()
    assert data["decision"]["verdict"] == "undetermined"
    assert data["next"]["fact"] == "housing"
    assert data["next"]["question"] == question_for("housing", "liaocheng")
    assert {"value": "rented", "label": "租房住"} in data["next"]["choices"]


async def test_assess_api_parses_words_with_bot_parsing(make_client):
    client = await make_client(staff_token=TOKEN)
    facts = {key: value for key, value in ELIGIBLE.items() if key != "lived_months"}
    data = await (await client.post("/staff/api/assess", headers=BEARER,
                                    json={"facts": facts, "texts": {"lived_months": "一年多"}})).json()
    assert data["parsed"] == {"lived_months": 12}
    assert data["decision"]["verdict"] == "eligible"
    bad = await (await client.post("/staff/api/assess", headers=BEARER,
                                   json={"facts": facts, "texts": {"lived_months": "不知道"}})).json()
    assert "lived_months" in bad["problems"]


@pytest.mark.parametrize("facts, field", [
    ({"city": "beijing"}, "city"),
    ({"city": "liaocheng", "housing": "castle"}, "housing"),
    ({"city": "liaocheng", "lived_months": -1}, "lived_months"),
    ("not an object", "facts"),
])
async def test_assess_api_bad_facts_name_the_field(make_client, facts, field):
    client = await make_client(staff_token=TOKEN)
    response = await client.post("/staff/api/assess", json={"facts": facts}, headers=BEARER)
    assert response.status == 400
    assert (await response.json())["field"] == field


async def test_assess_api_malformed_json(make_client):
    client = await make_client(staff_token=TOKEN)
    response = await client.post("/staff/api/assess", data="{not json",
                                 headers={**BEARER, "Content-Type": "application/json"})
    assert response.status == 400
    assert "error" in await response.json()


async def test_meta_and_extract(make_client):
    client = await make_client(staff_token=TOKEN)
    meta = await (await client.get("/staff/api/meta", headers=BEARER)).json()
    liaocheng = next(c for c in meta["cities"] if c["id"] == "liaocheng")
    assert "东昌府区" in liaocheng["counties"]
    assert liaocheng["questions"]["housing"] == question_for("housing", "liaocheng")
    found = await (await client.post("/staff/api/extract", headers=BEARER,
                                     json={"text": "我在东昌府租房住了八个月", "city": "liaocheng"})).json()
    assert found["facts"]["lived_months"] == 8
    assert found["facts"]["housing"] == "rented"


# --- staff: bookings --------------------------------------------------------------

async def test_bookings_of_a_day_show_full_phone_numbers(make_client, bookings, store):
    client = await make_client(staff_token=TOKEN, bookings=bookings)
    stations = await (await client.get("/staff/api/stations", headers=BEARER)).json()
    assert STATION in [s["id"] for s in stations["stations"]]
    day = await (await client.get(f"/staff/api/bookings?station={STATION}&date=2026-11-23", headers=BEARER)).json()
    assert day["station"]["id"] == STATION and day["date"] == "2026-11-23"
    first = day["bookings"][0]
    assert (first["code"], first["name"], first["phone"], first["start"]) == \
        (store.booking.code, "张三", PHONE, "2026-11-23 09:00")
    empty = await (await client.get(f"/staff/api/bookings?station={STATION}&date=2026-11-24", headers=BEARER)).json()
    assert empty["bookings"] == []
    # Attendance can be marked from the booking's day on (the store's clock): the page greys the buttons.
    assert day["markable"] is True and empty["markable"] is False


@pytest.mark.parametrize("query, status", [
    ("station=nowhere&date=2026-11-23", 404),
    (f"station={STATION}&date=23.11.2026", 400),
    (f"station={STATION}&date=2026-02-30", 400),
    ("date=2026-11-23", 400),
])
async def test_bookings_bad_queries(make_client, bookings, query, status):
    client = await make_client(staff_token=TOKEN, bookings=bookings)
    response = await client.get(f"/staff/api/bookings?{query}", headers=BEARER)
    assert response.status == status
    assert "error" in await response.json()


async def test_attendance_marking(make_client, bookings, store):
    client = await make_client(staff_token=TOKEN, bookings=bookings)
    code = store.booking.code
    url = f"/staff/api/bookings/{code}/attendance"
    marked = await (await client.post(url, json={"status": "attended"}, headers=BEARER)).json()
    assert marked["booking"]["status"] == "attended"
    marked = await (await client.post(url, json={"status": "no_show"}, headers=BEARER)).json()
    assert marked["booking"]["status"] == "no_show"
    assert (await client.post(url, json={"status": "cancelled"}, headers=BEARER)).status == 400
    assert (await client.post("/staff/api/bookings/ZZZZZZ/attendance", json={"status": "attended"},
                              headers=BEARER)).status == 404


async def test_csv_export(make_client, bookings, store):
    client = await make_client(staff_token=TOKEN, bookings=bookings)
    response = await client.get(f"/staff/api/bookings.csv?station={STATION}&date=2026-11-23", headers=BEARER)
    assert response.status == 200
    assert response.content_type == "text/csv"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="bookings-{STATION}-2026-11-23.csv"'
    raw = await response.read()
    assert raw.startswith("\ufeff".encode())  # Excel reads the Chinese as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["时间", "预约码", "姓名", "手机号", "状态", "办理点"]
    assert rows[1][:4] == ["2026-11-23 09:00", store.booking.code, "张三", PHONE]
    assert rows[1][5] == "聊城市公安局东昌府分局古楼派出所"
    assert rows[2][2] == "'=HYPERLINK(\"x\")"  # never a live formula
    assert len(rows) == 3


async def test_bookings_store_unavailable_is_a_clear_503(make_client):
    from bot.channels.web.bookings import default_bookings

    client = await make_client(staff_token=TOKEN, bookings=default_bookings("postgresql://nobody@127.0.0.1:1/none"))
    response = await client.get("/staff/api/stations", headers=BEARER)
    assert response.status == 503
    assert "预约系统暂不可用" in (await response.json())["error"]


# --- command line ----------------------------------------------------------------

def test_juzhu_web_is_registered():
    from bot.cli import build_parser

    args = build_parser().parse_args(["web", "--port", "8123", "--rasa-url", "http://127.0.0.1:5999"])
    assert (args.port, args.rasa_url) == (8123, "http://127.0.0.1:5999")
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["web", "--port", "70000"])
    assert exit_info.value.code == 2


WEB_ENV = ("STAFF_TOKEN", "STAFF_COOKIE_SECRET", "JUZHU_VAR_DIR", "WEB_TRUST_PROXY", "RASA_TIMEOUT_S", "WEB_PORT", "WEB_HOST",
           "RASA_URL", "KIOSK_IDLE_SECONDS", "HOTLINE")


@pytest.fixture
def web_cli(monkeypatch, tmp_path):
    """`juzhu web` up to the point it would serve: what it did, without a real server or log masking."""
    import bot.platform.masking
    from aiohttp import web as aiohttp_web

    did: dict = {"steps": []}
    monkeypatch.chdir(tmp_path)
    for name in WEB_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(bot.platform.masking, "install_log_masking", lambda: did["steps"].append("masking"))

    def run_app(app, **options):
        did["steps"].append("serve")
        did["app"], did["options"] = app, options

    monkeypatch.setattr(aiohttp_web, "run_app", run_app)
    return did


def test_juzhu_web_refuses_a_short_staff_token(web_cli, monkeypatch, capsys):
    from bot.cli import main

    monkeypatch.setenv("STAFF_TOKEN", "fifteen-chars15")
    assert main(["web"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("juzhu web: STAFF_TOKEN is shorter than 16 characters")
    assert "fifteen-chars15" not in err and "Traceback" not in err
    assert web_cli["steps"] == ["masking"]  # never served


@pytest.mark.parametrize("name, value, words", [
    ("STAFF_COOKIE_SECRET", "too-short", "STAFF_COOKIE_SECRET is too short"),
    ("RASA_TIMEOUT_S", "soon", "RASA_TIMEOUT_S: expected a number of seconds"),
    ("WEB_TRUST_PROXY", "maybe", "WEB_TRUST_PROXY: expected 1 or 0"),
])
def test_juzhu_web_refuses_unusable_settings_in_one_line(web_cli, monkeypatch, capsys, name, value, words):
    from bot.cli import main

    monkeypatch.setenv("STAFF_TOKEN", TOKEN)
    monkeypatch.setenv(name, value)
    assert main(["web"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err
    assert "serve" not in web_cli["steps"]


def test_juzhu_web_masks_its_logs_and_passes_its_settings(web_cli, monkeypatch, tmp_path):
    from bot.cli import main
    from bot.platform.ratelimit import default_limiter

    monkeypatch.setenv("STAFF_TOKEN", TOKEN)
    monkeypatch.setenv("RASA_TIMEOUT_S", "45")
    monkeypatch.setenv("WEB_TRUST_PROXY", "1")
    assert main(["web", "--port", "8123"]) == 0
    assert web_cli["steps"] == ["masking", "serve"]  # masking first, before anything can be logged
    app = web_cli["app"]
    assert app[responses.RASA_TIMEOUT] == 45.0
    assert app[clients.TRUST_PROXY] is True
    assert app[clients.LIMITER] is default_limiter()
    assert web_cli["options"]["access_log"] is None  # no request lines (they carry no text, but no need)
    secret = tmp_path / "var" / "staff_cookie_secret"
    assert secret.exists() and secret.stat().st_mode & 0o777 == 0o600


def test_rasa_timeout_is_one_setting_for_both_channels():
    from bot.channels import DEFAULT_RASA_TIMEOUT_S, rasa_timeout_s
    from bot.channels.telegram import Settings

    assert DEFAULT_RASA_TIMEOUT_S == 30 and rasa_timeout_s({}) == 30
    assert rasa_timeout_s({"RASA_TIMEOUT_S": "12.5"}) == 12.5
    for bad in ("0", "-1", "soon", "1e9"):
        with pytest.raises(ValueError, match="RASA_TIMEOUT_S"):
            rasa_timeout_s({"RASA_TIMEOUT_S": bad})
    telegram = {"TELEGRAM_BOT_TOKEN": "1:abcdefghijkl"}
    assert Settings.from_env(telegram).rasa_timeout == 30
    assert Settings.from_env({**telegram, "RASA_TIMEOUT_S": "12.5"}).rasa_timeout == 12.5
    assert create_app().get(responses.RASA_TIMEOUT) == 30


async def test_chat_logs_no_message_text(make_client, fake_rasa, caplog):
    caplog.set_level(logging.INFO)
    words = "我叫王小明，电话13812345678，住东昌府"
    client = await make_client(fake_rasa.url, limiter=limiter(messages="2/minute"))
    for _ in range(3):  # answered, answered, refused
        await client.post("/api/chat", json={"sender": "abcdefgh", "message": words})
    down = await make_client()
    await down.post("/api/chat", json={"sender": "abcdefgh", "message": words})
    assert any("rate limit" in r.getMessage() for r in caplog.records)
    assert any("Rasa unavailable" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert "王小明" not in record.getMessage() and "13812345678" not in record.getMessage()


@pytest.mark.parametrize("image, kept", [
    ("data:image/png;base64,iVBORw0KGgo=", True),
    ("/static/qr.png", True),
    ("http://tracker.example/x.png", False),   # the kiosk's CSP would block it: not passed on
    ("//tracker.example/x.png", False),
    ("javascript:alert(1)", False),
])
def test_reply_images_limited_to_what_the_kiosk_may_show(image, kept):
    cleaned = kiosk._clean_reply({"recipient_id": "kiosk-x", "text": "二维码", "image": image})
    assert ("image" in cleaned) is kept
    assert "recipient_id" not in cleaned


# --- issue 12: the 签注 due date for the staff page ----------------------------------------

async def test_endorsement_api_gives_the_due_date_and_a_printable_note(make_client, monkeypatch):
    monkeypatch.setenv("JUZHU_TODAY", "2026-01-10")
    client = await make_client(staff_token=TOKEN)
    response = await client.post("/staff/api/endorsement", json={"city": "qujing", "last": "去年5月"}, headers=BEARER)
    assert response.status == 200
    data = await response.json()
    assert data["deadline"] == "2026-04-01" and data["article"] == "第十四条"
    assert "最晚2026年4月1日前" in data["note"] and "按当月1日算" in data["note"]
    bad = await client.post("/staff/api/endorsement", json={"city": "qujing", "last": "明年"}, headers=BEARER)
    assert bad.status == 400 and "last" in (await bad.json())["error"]
    refused = await client.post("/staff/api/endorsement", json={"city": "qujing", "last": "2025-05-01"})
    assert refused.status in (401, 403)
