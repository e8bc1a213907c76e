"""Hand-off in real browsers (Debian's headless Chromium, Playwright): a
person at the kiosk asks for a person; the staff console, open in another
browser context, shows the case without a reload; a reply typed there appears
on the kiosk; closing brings the rating question. Screenshots go to
tests/artifacts/; ``UPDATE_DOCS_SCREENSHOTS=1`` writes docs/handoff-queue.png
and docs/rating.png (the README's pictures) too.

The kiosk talks to a small fake assistant that opens the hand-off in the store
the way actions/handoff.py does (tests/e2e/test_handoff_rest.py covers the
real assistant), so this runs without a trained model, in seconds.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from bot.platform.store import db
from bot.channels.web.app import create_app
from bot.handoff import HandoffService, texts as handoff_texts
from bot.platform.ratelimit import RateLimiter
from tests.channels.fake_rasa import FakeRasa
from tests.e2e.test_browser import CHROMIUM, KIOSK, LAPTOP, LAUNCH_ARGS, ServerThread, watch_errors

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="browser tests skipped: Debian's chromium is not installed")

ROOT = Path(__file__).resolve().parents[2]
# Screenshots go to tests/artifacts/; with UPDATE_DOCS_SCREENSHOTS=1 also to docs/ (the README's pictures).
SHOTS = [ROOT / "tests" / "artifacts"] + ([ROOT / "docs"] if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1" else [])
TOKEN = "e2e-handoff-browser-token-5a"
NOW = dt.datetime(2026, 11, 23, 10, 0)
FACTS = {"city": "liaocheng", "nationality": "cn", "hukou": {"city": "郑州市"}, "housing": "rented",
         "lived_months": 14, "residence": {"county": "东昌府区"}, "by_proxy": True, "age": 45,
         "mobility_impaired": True, "disabled": False}


def shot(page, name: str) -> None:
    for folder in SHOTS:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / name))


class HandingOverRasa(FakeRasa):
    """The fake assistant, plus 转人工: opens the hand-off with the case, as the action does."""

    def __init__(self, store: HandoffService):
        super().__init__(handoffs=lambda: store)  # with Rasa's gate: the one hand-off check
        self.store = store

    def answer(self, sender, message):
        if "人工" in message:
            case, _ = self.store.open(sender, reason="asked", city="liaocheng", facts=FACTS,
                                      transcript=[{"who": "user", "text": said}
                                                  for who, said in self.received if who == sender])
            # The words and custom payload the action sends (bot.handoff.texts.opened_message).
            return [handoff_texts.opened_message("asked", case, self.store.staff_on_duty(), new=True,
                                                 hours="工作日 9:00–17:00", hotline="12345",
                                                 kiosk=sender.startswith("kiosk-"))]
        if message.startswith("/rate"):  # stored as action_rate does (tests/actions/test_feedback.py)
            self.store.rate(int(message.split(":")[1].rstrip("}")), city="liaocheng", topic="handoff",
                            channel="kiosk")
            return [{"text": handoff_texts.RATING_THANKS}]
        return [{"text": "好的，我记下了。您还想问什么？"}]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    service = HandoffService(f"sqlite:///{tmp_path_factory.mktemp('handoff-browser') / 'juzhu.db'}",
                             clock=lambda: NOW)
    yield service
    db.dispose_engines()


@pytest.fixture(scope="module")
def web_url(store):
    servers = ServerThread()
    fake = HandingOverRasa(store)
    fake.url = servers.serve(fake.app())
    # Its own rate limiter: the process's one has counted the other browser tests' messages.
    yield servers.serve(create_app(fake.url, TOKEN, handoffs=lambda: store, idle_seconds=600,
                                   limiter=RateLimiter("memory://")))
    servers.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield chromium
        chromium.close()


def test_staff_see_the_case_live_and_their_reply_reaches_the_kiosk(browser, web_url, store):
    staff_context = browser.new_context(viewport=LAPTOP, locale="zh-CN")
    kiosk_context = browser.new_context(viewport=KIOSK, has_touch=True, locale="zh-CN")
    staff, kiosk = staff_context.new_page(), kiosk_context.new_page()
    staff_errors, kiosk_errors = watch_errors(staff), watch_errors(kiosk)
    try:
        staff.request.post(web_url + "/staff/login", form={"token": TOKEN})
        staff.goto(web_url + "/staff?tab=handoffs")
        staff.locator("#h-status", has_text="目前没有").wait_for()
        staff.evaluate("window.notReloaded = true")

        kiosk.goto(web_url + "/")
        kiosk.fill("#text", "我妈45岁腿脚不方便，在聊城东昌府区租房住了一年多，户口郑州的，我能替她办吗")
        kiosk.press("#text", "Enter")
        kiosk.locator(".msg.bot", has_text="我记下了").wait_for()
        kiosk.fill("#text", "我要找人工")
        kiosk.press("#text", "Enter")
        kiosk.locator(".msg.bot", has_text="案件编号").wait_for()
        [case] = store.queue()
        assert "请稍候，工作人员马上回复您" in kiosk.locator(".msg.bot").last.inner_text()  # the console is open

        # The console shows it without a reload.
        item = staff.locator(f"#h-queue li[data-id='{case['id']}']")
        item.wait_for(timeout=10_000)
        assert staff.evaluate("window.notReloaded") is True
        assert case["case_no"] in item.inner_text() and staff.locator("#h-badge").inner_text() == "1"
        item.locator("button").click()
        assert "行动不便" in staff.locator("#h-facts").inner_text()
        # The whole conversation, from the applicant's first sentence (issue 20, item 7).
        assert staff.locator("#h-talk li").first.inner_text().endswith("我妈45岁腿脚不方便，在聊城东昌府区租房住了一年多，户口郑州的，我能替她办吗")
        script = staff.locator("#h-text").inner_text()
        assert "第六条" in script and "能否代办" in script  # the renderer's text, with its article
        staff.fill("#h-reply", "您好，我是东昌府派出所的王警官。您母亲的情况我来帮您确认。")
        staff.locator("#h-reply-form button[type=submit]").click()
        staff.locator("#h-talk li.staff").wait_for()
        staff.evaluate("window.scrollTo(0, 0)")
        shot(staff, "handoff-queue.png")

        kiosk.locator(".msg.bot", has_text="王警官").wait_for(timeout=10_000)
        assert kiosk.locator(".msg.bot").last.inner_text().startswith("工作人员：")

        staff.locator("#h-close").click()
        rating = kiosk.locator(".msg.bot", has_text=handoff_texts.RATING_QUESTION)
        rating.wait_for(timeout=10_000)
        titles = [t.strip() for t in rating.locator(".choice").all_inner_texts()]
        assert titles == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
        shot(kiosk, "rating.png")
        rating.locator(".choice", has_text="基本满意").tap()
        kiosk.locator(".msg.bot", has_text="谢谢您的评价").wait_for()
        assert staff.locator(f"#h-queue li[data-id='{case['id']}']").get_attribute("class") == "closed"
        # The feedback view counts it.
        staff.locator("#tab-feedback").click()
        staff.locator("#fb-levels tr[data-level='3'] td", has_text="1").wait_for()
        assert "共 1 条评价" in staff.locator("#fb-summary").inner_text()
        assert staff.locator("#panel-handoffs").is_hidden() and staff.locator("#panel-aid").is_hidden()
    finally:
        staff_context.close()
        kiosk_context.close()
    assert staff_errors == [] and kiosk_errors == [], staff_errors + kiosk_errors


# --- issue 20 (2): the kiosk never wipes a hand-off someone may still answer ----------------------

@pytest.fixture
def own_web(tmp_path):
    """A web front of its own, on a store of its own: who is on duty is this test's alone."""
    store = HandoffService(f"sqlite:///{tmp_path / 'juzhu.db'}", clock=lambda: NOW)
    servers = ServerThread()
    fake = HandingOverRasa(store)
    fake.url = servers.serve(fake.app())
    url = servers.serve(create_app(fake.url, TOKEN, handoffs=lambda: store, idle_seconds=600,
                                   limiter=RateLimiter("memory://")))
    yield url, store, fake
    servers.close()


def test_an_open_handoff_with_staff_on_duty_holds_off_the_idle_reset(browser, own_web):
    url, store, _ = own_web
    staff_context = browser.new_context(viewport=LAPTOP, locale="zh-CN")
    kiosk_context = browser.new_context(viewport=KIOSK, has_touch=True, locale="zh-CN")
    staff, kiosk = staff_context.new_page(), kiosk_context.new_page()
    errors = watch_errors(kiosk)
    try:
        staff.request.post(url + "/staff/login", form={"token": TOKEN})
        staff.goto(url + "/staff?tab=handoffs")
        staff.locator("#h-status", has_text="目前没有").wait_for()  # the console is open: someone is on duty
        kiosk.goto(url + "/?idle=4")
        kiosk.fill("#text", "我住亲戚家，我想找个工作人员问问，转人工")
        kiosk.press("#text", "Enter")
        kiosk.locator(".msg.bot", has_text="案件编号").wait_for()
        [case] = store.queue()
        sender = "kiosk-" + kiosk.evaluate("document.body.dataset.sender")
        # Past the idle time: the kiosk asks instead of clearing the screen.
        kiosk.locator("#handoff-wait").wait_for(state="visible", timeout=15_000)
        assert case["case_no"] in kiosk.locator("#handoff-wait").inner_text()
        assert "案件编号" in kiosk.locator("#log").inner_text()  # nothing wiped
        # A staff reply arrives while it waits: shown, and the wait starts afresh.
        item = staff.locator(f"#h-queue li[data-id='{case['id']}']")
        item.wait_for(timeout=10_000)
        item.locator("button").click()
        staff.fill("#h-reply", "您好，住亲戚家的情况我来帮您看。")
        staff.locator("#h-reply-form button[type=submit]").click()
        kiosk.locator(".msg.bot", has_text="住亲戚家的情况").wait_for(timeout=10_000)
        assert kiosk.locator("#handoff-wait").is_hidden()
        assert store.active_for(sender) is not None  # still open for staff
        # The person chooses to end: the screen is cleared and the case closed.
        kiosk.locator("#handoff-wait").wait_for(state="visible", timeout=15_000)
        kiosk.locator("#handoff-end").tap()
        kiosk.wait_for_function("() => document.body.dataset.lastReset === 'ended'")
        assert "案件编号" not in kiosk.locator("#log").inner_text()
        for _ in range(50):  # the reset tells the server a moment later
            if store.active_for(sender) is None:
                break
            kiosk.wait_for_timeout(100)
        assert store.active_for(sender) is None
    finally:
        staff_context.close()
        kiosk_context.close()
    assert errors == [], errors


def test_nobody_on_duty_the_kiosk_offers_the_hotline_and_a_slip_to_print(browser, own_web):
    url, store, _ = own_web
    context = browser.new_context(viewport=KIOSK, has_touch=True, locale="zh-CN")
    kiosk = context.new_page()
    errors = watch_errors(kiosk)
    try:
        kiosk.goto(url + "/?idle=600")
        kiosk.fill("#text", "转人工")
        kiosk.press("#text", "Enter")
        opened = kiosk.locator(".msg.bot", has_text="案件编号")
        opened.wait_for()
        [case] = store.queue()
        said = opened.inner_text()
        assert "12345" in said and "会在这里回复" not in said  # no promise on a shared screen
        opened.locator("button", has_text="打印人工服务单").tap()
        sheet = kiosk.locator("#print-sheet")
        sheet.wait_for()
        assert "人工服务单" in kiosk.locator("#print-title").inner_text()
        assert case["case_no"] in sheet.inner_text() and "12345" in sheet.inner_text()
        kiosk.locator("#print-close").tap()
        assert opened.locator(".choice", has_text="问其他问题").is_enabled()  # a way on
    finally:
        context.close()
    assert errors == [], errors


def test_taking_back_the_request_closes_the_handoff_and_the_question_is_answered(browser, own_web):
    url, store, fake = own_web
    context = browser.new_context(viewport=KIOSK, has_touch=True, locale="zh-CN")
    kiosk = context.new_page()
    try:
        kiosk.goto(url + "/?idle=600")
        kiosk.fill("#text", "转人工")
        kiosk.press("#text", "Enter")
        kiosk.locator(".msg.bot", has_text="案件编号").wait_for()
        sender = "kiosk-" + kiosk.evaluate("document.body.dataset.sender")
        assert store.active_for(sender) is not None
        kiosk.fill("#text", "算了不用人工了，我就想问要带什么材料")
        kiosk.press("#text", "Enter")
        kiosk.locator(".msg.bot", has_text="我记下了").last.wait_for()
        assert store.active_for(sender) is None
        assert fake.received[-1][1] == "我就想问要带什么材料"  # what came with it went to the assistant
    finally:
        context.close()
