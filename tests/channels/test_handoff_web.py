"""Hand-offs and ratings on the web front: the staff API (token, queue with the
case as the renderer writes it, reply, close, feedback + CSV) and the kiosk's
side (messages held for staff instead of Rasa, the poll, back to the assistant
after close). aiohttp's test server, a fake Rasa, the real store on SQLite."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.platform.store import db
from bot.channels.web.app import create_app
from bot.handoff import HandoffService
from bot.platform.ratelimit import RateLimiter
from bot.rules import assess_dict, labels, render_decision

from .fake_rasa import FakeRasa

TOKEN = "test-staff-token-hand-0ff"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
NOW = dt.datetime(2026, 11, 23, 10, 0)
KIOSK = "k0123456789abcdef"
FACTS = {"city": "liaocheng", "nationality": "cn", "hukou": {"city": "郑州市"}, "housing": "rented",
         "lived_months": 14}


@pytest.fixture
def store(tmp_path):
    service = HandoffService(f"sqlite:///{tmp_path / 'juzhu.db'}", clock=lambda: NOW)
    yield service
    db.dispose_engines()


@pytest.fixture
async def fake_rasa(store):
    fake = FakeRasa(handoffs=lambda: store)  # with Rasa's gate: the one hand-off check
    server = TestServer(fake.app())
    await server.start_server()
    fake.url = str(server.make_url("")).rstrip("/")
    yield fake
    await server.close()


@pytest.fixture
async def client(store, fake_rasa):
    app = create_app(fake_rasa.url, TOKEN, handoffs=lambda: store, limiter=RateLimiter("memory://"),
                     cookie_secret="handoff-test-cookie-secret-0000")
    client = TestClient(TestServer(app))
    await client.start_server()
    yield client
    await client.close()


def _open(store, sender="kiosk-" + KIOSK):
    case, _ = store.open(sender, reason="asked", city="liaocheng", facts=FACTS,
                         transcript=[{"who": "user", "text": "我户口在郑州，在聊城租房住了一年多，手机13812345678"},
                                     {"who": "user", "text": "我要找人工"}])
    return case


async def test_staff_api_needs_the_token(client):
    for method, path in (("GET", "/staff/api/handoffs"), ("POST", "/staff/api/handoffs/1/reply"),
                         ("POST", "/staff/api/handoffs/1/close"), ("GET", "/staff/api/feedback"),
                         ("GET", "/staff/api/feedback.csv")):
        response = await client.request(method, path, json={"text": "x"})
        assert response.status == 401, path
        response = await client.request(method, path, json={"text": "x"},
                                        headers={"Authorization": "Bearer wrong-token"})
        assert response.status == 401, path


async def test_queue_reply_poll_close(client, store, fake_rasa):
    case = _open(store)
    listed = await (await client.get("/staff/api/handoffs", headers=BEARER)).json()
    [shown] = listed["handoffs"]
    assert {key: shown[key] for key in ("id", "channel", "status", "city", "verdict")} == {
        "id": case["id"], "channel": "kiosk", "status": "open", "city": "liaocheng", "verdict": None}
    assert shown["facts"]["housing"] == "rented"
    assert ["住房", labels.HOUSING["rented"]] in shown["fact_lines"] and ["在现住处居住", "14个月"] in shown["fact_lines"]
    # The operator reads the renderer's own text, with its articles.
    assert shown["text"] == render_decision(assess_dict(FACTS))
    assert "13812345678" not in str(shown)
    assert store.staff_on_duty()  # the console's poll counts as staff on duty

    # While staff have it, the kiosk's messages are kept for them: Rasa hears nothing.
    held = await (await client.post("/api/chat", json={"sender": KIOSK, "message": "还要等多久？"})).json()
    assert case["case_no"] in held["messages"][0]["text"] and held["handoff"]["status"] == "open"
    assert fake_rasa.received == []

    reply = await client.post(f"/staff/api/handoffs/{case['id']}/reply", json={"text": "您好，我是王老师，请问您办过居住登记吗？"},
                              headers=BEARER)
    assert reply.status == 200 and (await reply.json())["handoff"]["status"] == "taken"
    other = await (await client.post("/api/handoff/poll", json={"sender": "k-someone-else-00"})).json()
    assert other == {"messages": [], "handoff": None}  # never another session's messages
    polled = await (await client.post("/api/handoff/poll", json={"sender": KIOSK})).json()
    assert [m["text"] for m in polled["messages"]] == ["工作人员：您好，我是王老师，请问您办过居住登记吗？"]
    assert (await (await client.post("/api/handoff/poll", json={"sender": KIOSK})).json())["messages"] == []

    # Taken: the applicant's answer goes to staff silently.
    answered = await client.post("/api/chat", json={"sender": KIOSK, "message": "办过，半年了"})
    assert answered.status == 200 and (await answered.json())["messages"] == []
    listed = await (await client.get("/staff/api/handoffs", headers=BEARER)).json()
    assert [m["text"] for m in listed["handoffs"][0]["messages"]][-1] == "办过，半年了"

    closed = await client.post(f"/staff/api/handoffs/{case['id']}/close", json={}, headers=BEARER)
    assert (await closed.json())["handoff"]["status"] == "closed"
    note = (await (await client.post("/api/handoff/poll", json={"sender": KIOSK})).json())["messages"][0]
    assert "智能助手继续为您服务" in note["text"]
    assert [b["title"] for b in note["buttons"]] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    # Back to the assistant.
    back = await client.post("/api/chat", json={"sender": KIOSK, "message": "/greet"})
    assert back.status == 200 and fake_rasa.received == [("kiosk-" + KIOSK, "/greet")]
    again = await client.post(f"/staff/api/handoffs/{case['id']}/reply", json={"text": "还在吗"}, headers=BEARER)
    assert again.status == 409


async def test_bad_staff_requests_change_nothing(client, store):
    case = _open(store)
    for body in ({}, {"text": ""}, {"text": 3}, {"text": "长" * 1001}):
        response = await client.post(f"/staff/api/handoffs/{case['id']}/reply", json=body, headers=BEARER)
        assert response.status == 400 and "text" in (await response.json())["error"]
    for path in ("/staff/api/handoffs/999/reply", "/staff/api/handoffs/abc/close"):
        response = await client.post(path, json={"text": "hi"}, headers=BEARER)
        assert response.status == 404
    assert store.get(case["id"])["messages"] == [] and store.get(case["id"])["status"] == "open"


async def test_kiosk_reset_ends_the_handoff(client, store, fake_rasa):
    _open(store)
    response = await client.post("/api/chat", json={"sender": KIOSK, "message": "/restart"})
    assert response.status == 204 and fake_rasa.received == [("kiosk-" + KIOSK, "/restart")]
    assert store.active_for("kiosk-" + KIOSK) is None


async def test_feedback_json_and_csv(client, store):
    store.rate(5, city="liaocheng", topic="verdict", verdict="eligible", channel="kiosk")
    store.rate(1, comment="=太慢了", city="qujing", topic="handoff", channel="telegram")
    data = await (await client.get("/staff/api/feedback?days=30", headers=BEARER)).json()
    assert data["levels"] == {"5": 1, "4": 0, "3": 0, "2": 0, "1": 1} and data["ratings"] == 2
    assert [c["comment"] for c in data["comments"]] == ["=太慢了"]
    response = await client.get("/staff/api/feedback.csv?days=30", headers=BEARER)
    rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))
    assert rows[0][:3] == ["时间", "评分", "评价"] and len(rows) == 3
    assert rows[2][-1] == "'=太慢了"  # no formula runs in a spreadsheet
    for days in ("0", "abc", "1000", "-3"):
        bad = await client.get(f"/staff/api/feedback?days={days}", headers=BEARER)
        assert bad.status == 400 and "days" in (await bad.json())["error"]
