"""The web front (kiosk proxy + staff console) through its HTTP interface.

aiohttp's own test server and client, no browser: staff refusals, the
script aid's assess API, the kiosk's proxy to a fake Rasa and its answer
when Rasa is down, the bookings view and its CSV export.
"""
from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import socket
import time

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.web import app as webapp
from bot.channels.web.app import STAFF_COOKIE, create_app
from bot.channels.web.bookings import StaffBookings
from bot.rules import assess_dict, question_for, render_decision

from .fake_rasa import FakeRasa

TOKEN = "test-staff-token-6f1c"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
NOW = dt.datetime(2026, 11, 23, 8, 0)  # a Monday, not a holiday
DAY = NOW.date()
STATION = "lc-dongchangfu"
PHONE = "13812345678"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def make_client():
    clients: list[TestClient] = []

    async def make(rasa_url: str = "", staff_token=None, **options) -> TestClient:
        rasa_url = rasa_url or f"http://127.0.0.1:{free_port()}"  # nothing listens there
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
    for payload in (question["buttons"][0]["payload"], '/inform{"hukou":{"province":"外省"}}',
                    '/inform{"lived_months":12}', '/inform{"registered_months":12}',
                    '/inform{"housing":"rented"}'):
        data = await (await client.post("/api/chat", json={"sender": "abc123def456", "message": payload})).json()
    assert data["messages"][0]["text"].startswith("结论：可以申领居住证")


async def test_booking_qr_image_is_passed_on(make_client, fake_rasa):
    client = await make_client(fake_rasa.url)
    data = await (await client.post("/api/chat", json={"sender": "abc123def456", "message": "/book_appointment"})).json()
    [custom] = data["messages"]
    assert custom["custom"]["qr"].startswith("data:image/png;base64,") and custom["custom"]["code"] == "K7Q2M9"
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


@pytest.mark.parametrize("path", STAFF_GETS)
async def test_staff_requires_the_token(make_client, bookings, path):
    client = await make_client(staff_token=TOKEN, bookings=bookings)
    expired = webapp._session_cookie(TOKEN, now=time.time() - 2 * webapp.STAFF_SESSION_SECONDS)
    forged = f"{int(time.time()) + 3600}.{'0' * 64}"
    other = webapp._session_cookie("another-token")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {TOKEN}x"},
                    {"Authorization": f"Basic {TOKEN}"},
                    {"Cookie": f"{STAFF_COOKIE}={expired}"}, {"Cookie": f"{STAFF_COOKIE}={forged}"},
                    {"Cookie": f"{STAFF_COOKIE}={other}"}, {"Cookie": f"{STAFF_COOKIE}={TOKEN}"}):
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


@pytest.mark.parametrize("image, kept", [
    ("data:image/png;base64,iVBORw0KGgo=", True),
    ("/static/qr.png", True),
    ("http://tracker.example/x.png", False),   # the kiosk's CSP would block it: not passed on
    ("//tracker.example/x.png", False),
    ("javascript:alert(1)", False),
])
def test_reply_images_limited_to_what_the_kiosk_may_show(image, kept):
    cleaned = webapp._clean_reply({"recipient_id": "kiosk-x", "text": "二维码", "image": image})
    assert ("image" in cleaned) is kept
    assert "recipient_id" not in cleaned
