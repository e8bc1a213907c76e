"""The kiosk's script with the web front's real answers, in Node (no browser needed).

The web front answers /api/chat (over the rate limit, Rasa silent, Rasa
answering); kiosk_harness.js runs static/kiosk.js against a small stand-in
DOM, replays those answers and reports what the screen shows. The browser
tests (tests/e2e/test_browser.py) cover the real page where Chromium is
installed; this runs wherever Node is.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.texts import busy_text, too_many_messages_text
from bot.channels.web.app import create_app
from bot.channels.web.responses import STATIC_DIR
from bot.platform.ratelimit import RateLimiter

from .fake_rasa import FakeRasa

NODE = shutil.which("node")
HARNESS = Path(__file__).parent / "kiosk_harness.js"
HOTLINE = "0635-12345"

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed: the kiosk script cannot run")


def kiosk_shows(busy: str, replies: list[tuple[int, str]], messages: list[str], page: str = "") -> list[dict]:
    """What the kiosk shows; ``page``: the kiosk page, for its data attributes (verdict labels, counties)."""
    return kiosk_run(busy, replies, messages, page)["shown"]


def kiosk_run(busy: str, replies: list[tuple[int, str]], messages: list[str], page: str = "") -> dict:
    """kiosk_shows(), and what the print view holds (``printed``: title, body, enabled)."""
    data = {name: unescape(value) for name, value in re.findall(r'data-([a-z-]+)="([^"]*)"', page)}
    scenario = {"busyText": busy, "messages": messages, "verdicts": data.get("verdicts"),
                "counties": data.get("counties"),
                "replies": [{"status": status, "body": body} for status, body in replies]}
    done = subprocess.run([NODE, str(HARNESS), str(STATIC_DIR / "kiosk.js")], input=json.dumps(scenario),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def answers(fake: FakeRasa, messages: list[str], **options) -> tuple[str, list[tuple[int, str]]]:
    """The page's busy text and the web front's answers to ``messages`` (status, raw body)."""
    busy, replies, _ = await answers_and_page(fake, messages, **options)
    return busy, replies


async def answers_and_page(fake: FakeRasa, messages: list[str], **options) -> tuple[str, list[tuple[int, str]], str]:
    """answers(), and the kiosk page itself."""
    server = TestServer(fake.app())
    await server.start_server()
    client = TestClient(TestServer(create_app(str(server.make_url("")).rstrip("/"), None, hotline=HOTLINE,
                                              cookie_secret="unused-no-staff-token", **options)))
    await client.start_server()
    try:
        page = await (await client.get("/")).text()
        busy = unescape(re.search(r'data-busy-text="([^"]*)"', page).group(1))
        replies = []
        for message in messages:
            response = await client.post("/api/chat", json={"sender": "kiosk-test-1", "message": message})
            replies.append((response.status, await response.text()))
        return busy, replies, page
    finally:
        await client.close()
        await server.close()


async def test_kiosk_shows_the_polite_text_of_a_429():
    busy, replies = await answers(FakeRasa(), ["/greet", "/greet"],
                                  limiter=RateLimiter("memory://", rules={"messages": "1/minute"}))
    assert [status for status, _ in replies] == [200, 429]
    shown = kiosk_shows(busy, replies, ["你好", "你好"])
    assert shown[0]["text"].startswith("您好")
    assert shown[1]["text"] == too_many_messages_text(HOTLINE)
    assert len(shown) == 2


async def test_kiosk_shows_the_servers_busy_text_when_rasa_answers_nothing():
    busy, replies = await answers(FakeRasa(empty=True), ["你好"], limiter=RateLimiter("memory://"))
    shown = kiosk_shows(busy, replies, ["你好"])
    assert shown == [{"classes": "msg bot busy", "text": busy_text(HOTLINE)}]


async def test_kiosk_shows_the_busy_text_when_the_front_answers_no_messages():
    """A proxy's 502 page, or an empty list that should never come: the page's busy text, never 没有理解."""
    busy, _ = await answers(FakeRasa(), [], limiter=RateLimiter("memory://"))
    assert busy == busy_text(HOTLINE)
    shown = kiosk_shows(busy, [(502, "<html>Bad Gateway</html>"), (200, '{"messages": [], "busy": false}')],
                        ["你好", "在吗"])
    assert [m["text"] for m in shown] == [busy, busy]
    assert all("busy" in m["classes"] for m in shown)


# The interview driver's own payloads (the stand-in Rasa runs the real conversation core).
TO_A_VERDICT_AND_A_BOOKING = ["/ask_eligibility", '/inform{"city":"liaocheng"}', '/inform{"proxy_for":"self"}',
                              '/inform{"province":"other"}', '/inform{"duration":12}', '/inform{"duration":12}',
                              '/inform{"housing":"rented"}', "/book_appointment",
                              # The real booking form (the stand-in's store: the first day is Monday 11-23).
                              '/inform{"booking_station":"lc-dongchangfu"}', '/inform{"booking_day":"2026-11-23"}',
                              '/inform{"booking_time":"09:30"}', "李四", "13812345678", "/affirm"]


async def test_kiosk_draws_the_verdict_from_the_decision_and_the_ticket_without_a_calendar_sentence():
    """Rasa sends a verdict's decision as a message of its own; the card is drawn from it (label, what to
    bring), with the renderer's text one tap away. The ticket shows the code and the visit, and not the
    ticket's text about a calendar file, which the kiosk does not offer."""
    busy, replies, page = await answers_and_page(FakeRasa(), TO_A_VERDICT_AND_A_BOOKING,
                                                 limiter=RateLimiter("memory://"))
    shown = kiosk_shows(busy, replies, TO_A_VERDICT_AND_A_BOOKING, page)
    [verdict] = [m for m in shown if "verdict" in m["classes"]]
    assert verdict["text"].startswith("可以申领居住证需要带的材料本人居民身份证")
    assert "完整说明" in verdict["text"] and "结论：可以申领居住证" in verdict["text"]
    [ticket] = [m for m in shown if "ticket" in m["classes"]]
    assert re.search(r"预约码\s*[A-Z0-9]{6}", ticket["text"]) and "古楼派出所" in ticket["text"]
    assert "11月23日" in ticket["text"] and "09:30" in ticket["text"]
    assert not any("日历文件" in m["text"] for m in shown)


def test_kiosk_prints_the_endorsement_note_when_only_a_due_date_was_asked():
    """Issue 12: on the kiosk the 签注 due date comes with a note to print (custom.endorsement.note)."""
    note = "下次签注：2027年4月1日前（第十四条）\n□ 本人居民身份证\n□ 居住证"
    reply = {"messages": [{"text": "您的居住证应在2027年4月1日前办理签注（第十四条）。",
                           "custom": {"endorsement": {"deadline": "2027-04-01", "article": "第十四条", "note": note}}}]}
    run = kiosk_run("busy", [(200, json.dumps(reply, ensure_ascii=False))], ["去年5月办的居住证，什么时候签注"])
    assert "2027年4月1日" in run["shown"][0]["text"]
    assert run["printed"]["enabled"] and run["printed"]["title"] == "居住证签注提醒"
    assert "2027年4月1日前" in run["printed"]["body"] and "居住证" in run["printed"]["body"]


def test_kiosk_draws_the_readback_as_a_card_with_its_two_buttons():
    """Issue 17: what the assistant understood comes as a card (one row per fact) from custom.readback,
    with 对 / 有不对的，我改一下; Rasa sends the custom part as a message of its own."""
    import datetime as dt

    from bot.dialogue.eligibility import Interview, Message

    reply = Interview(as_of=dt.date(2026, 11, 22)).handle(
        Interview().start().state, Message.parse("户口河南 在聊城东阿县租房住了一年 居住登记一年"))
    out = reply.messages[-1]
    assert out.custom and "readback" in out.custom
    rasa = {"messages": [{"text": out.text, "buttons": [{"title": c.title, "payload": c.payload()} for c in out.choices]},
                         {"custom": out.custom}]}
    shown = kiosk_shows("busy", [(200, json.dumps(rasa, ensure_ascii=False))], ["户口河南 在聊城东阿县租房住了一年"])
    [card] = [m for m in shown if "readback" in m["classes"]]
    assert card["text"].startswith("请核对，我理解的是：")
    assert "户口河南省" in card["text"] and "现在住东阿县" in card["text"] and "住房租房住" in card["text"]
    assert card["text"].endswith("对有不对的，我改一下")
    assert "先核对一下" not in card["text"]  # the card replaces the plain text, not repeats it


def _verdict_reply(facts: dict) -> tuple[dict, str]:
    from bot.rules import assess_dict, render_decision
    from bot.rules.render import card_summary

    decision = assess_dict(facts)
    text = render_decision(decision)
    return {"messages": [{"text": text, "custom": {"decision": decision, "card": card_summary(decision)}}]}, text


def test_a_not_required_card_says_why_and_the_expiry_and_shows_no_place():
    """Issue 20 (3, 4): the card, its read-aloud and the printout carry the reason with its article and
    the regulation's expiry in one sentence each; a 不需要办理 card shows no 办理地点."""
    reply, _ = _verdict_reply({"city": "liaocheng", "lived_months": 8, "registered_months": 8, "housing": "rented",
                               "employment": "labor_contract", "residence": {"county": "东昌府区"},
                               "hukou": {"province": "山东省", "city": "聊城市", "county": "东昌府区"},
                               "as_of": "2026-12-06"})
    run = kiosk_run("busy", [(200, json.dumps(reply, ensure_ascii=False))], ["我户口就在东昌府，要办居住证吗"])
    [card] = [m for m in run["shown"] if "verdict" in m["classes"]]
    before_full = card["text"].split("完整说明")[0]
    assert "不需要办理居住证（第二条）" in before_full
    assert "已于2025年7月31日到期（第十八条）" in before_full
    assert "办理地点" not in before_full
    assert "不需要办理居住证（第二条）" in run["printed"]["body"] and "2025年7月31日到期" in run["printed"]["body"]


def test_a_never_registered_applicant_sees_the_proof_asked_for_on_the_card():
    reply, _ = _verdict_reply({"city": "liaocheng", "lived_months": 8, "registered_months": None,
                               "housing": "rented", "employment": "labor_contract", "hukou": {"province": "河北省"},
                               "residence": {"county": "东昌府区"}, "as_of": "2026-12-06"})
    run = kiosk_run("busy", [(200, json.dumps(reply, ensure_ascii=False))], ["在聊城租房八个月，没登记过"])
    [card] = [m for m in run["shown"] if "verdict" in m["classes"]]
    before_full = card["text"].split("完整说明")[0]
    assert "还需要了解" in before_full and "证明" in before_full and "到期" in before_full
