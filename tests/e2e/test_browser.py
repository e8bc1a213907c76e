"""The kiosk and the staff console in a real browser (Debian's headless Chromium).

Playwright for Python drives the system ``chromium`` (never ``playwright
install``). The web front runs in a background thread; the kiosk talks to the
real Rasa server when the e2e fixture provides one, else to a fake Rasa that
asks the rules engine's questions with buttons (a note says which).
Screenshots go to tests/artifacts/ for a person to look at.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import pytest
from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.channels.web.app import create_app  # noqa: E402
from bot.channels.web.bookings import StaffBookings  # noqa: E402
from tests.channels.fake_rasa import FakeRasa  # noqa: E402

ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
KIOSK = {"width": 1080, "height": 1920}
LAPTOP = {"width": 1366, "height": 768}
TOKEN = "e2e-staff-token-93ab"
NOW = dt.datetime(2026, 11, 23, 8, 0)  # a Monday, not a holiday
STATION = "lc-dongchangfu"
PHONE = "13812345678"
# Taps that lead to a verdict, preferred in this order when offered.
PREFERRED_TAPS = ["我能办居住证吗", "聊城市", "外省户口", "一年", "租房住", "住自己的房子", "签了劳动合同上班"]


def _cjk_font_installed() -> bool:
    try:
        out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "CJK" in out


pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="browser tests skipped: Debian's chromium is not installed (scripts/ensure-chromium.sh installs "
           "chromium and fonts-noto-cjk with apt-get)",
)


# --- servers in a background thread ----------------------------------------------

class ServerThread:
    """aiohttp applications served from one event loop in a daemon thread."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="e2e-servers", daemon=True)
        self.thread.start()
        self.runners: list[web.AppRunner] = []

    def run(self, coroutine, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def serve(self, app: web.Application) -> str:
        async def start():
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            return runner

        runner = self.run(start())
        self.runners.append(runner)
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        for runner in reversed(self.runners):
            self.run(runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def servers():
    threads = ServerThread()
    yield threads
    threads.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """The appointments store (a temporary SQLite file) with one booking, made through its service."""
    from bot.appointments import AppointmentService

    url = f"sqlite:///{tmp_path_factory.mktemp('e2e-web') / 'juzhu.db'}"
    service = AppointmentService(url, clock=lambda: NOW)
    service.booking = service.book(STATION, "2026-11-23 09:30", "李四", PHONE)
    return service


@pytest.fixture(scope="module")
def fake_rasa(servers):
    fake = FakeRasa()
    fake.url = servers.serve(fake.app())
    return fake


@pytest.fixture(scope="module")
def kiosk_rasa(request, fake_rasa):
    """(rasa_url, label): the real assistant of tests/e2e/conftest.py when it runs, else the fake.

    The fake asks the rules engine's questions with buttons; a note in the
    test output says when it was used and why.
    """
    why = "no `assistant` fixture in tests/e2e/conftest.py"
    try:
        assistant = request.getfixturevalue("assistant")
        return assistant["url"].rstrip("/"), "real"
    except pytest.FixtureLookupError:
        pass
    except pytest.skip.Exception as skipped:  # e.g. no trained model yet
        why = f"the real assistant is not available ({skipped})"
    except Exception as error:
        why = f"the real assistant did not start ({type(error).__name__}: {error})"
    note = f"kiosk conversation test ran against the FAKE Rasa: {why}"
    warnings.warn(note)
    print("\nNOTE: " + note)
    return fake_rasa.url, "fake"


@pytest.fixture(scope="module")
def web_url(servers, fake_rasa, store):
    """The web front with the fake Rasa, a staff token and the store."""
    adapter = StaffBookings(store)
    return servers.serve(create_app(fake_rasa.url, TOKEN, bookings=lambda: adapter, hotline="12345"))


@pytest.fixture(scope="module")
def kiosk_url(servers, kiosk_rasa):
    return servers.serve(create_app(kiosk_rasa[0], None, idle_seconds=600)), kiosk_rasa[1]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not _cjk_font_installed():
        warnings.warn("fonts-noto-cjk is missing: Chinese will render as boxes in the screenshots")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def kiosk_page(browser):
    context = browser.new_context(viewport=KIOSK, has_touch=True, locale="zh-CN")
    page = context.new_page()
    errors = watch_errors(page)
    yield page
    context.close()
    assert errors == [], errors


@pytest.fixture
def laptop(browser):
    context = browser.new_context(viewport=LAPTOP, locale="zh-CN")
    page = context.new_page()
    errors = watch_errors(page)
    yield page
    context.close()
    assert errors == [], errors


# --- helpers -------------------------------------------------------------------------

def watch_errors(page) -> list[str]:
    """Script errors and console errors (a Content-Security-Policy refusal shows there)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))

    def console(message):
        # Expected: the 401/403 of pages the tests load on purpose without the token.
        if message.type == "error" and "status of 40" not in message.text:
            errors.append(f"console: {message.text}")

    page.on("console", console)
    page.set_default_timeout(15_000)
    return errors


def shot(page, name: str, **options) -> Path:
    path = ARTIFACTS / name
    page.screenshot(path=str(path), **options)
    return path


def open_choices(page):
    return page.locator(".choices .choice:not([disabled])")


class NoButtons(AssertionError):
    """The assistant asked something without offering buttons to tap."""


def tap_to_verdict(page, preferred=PREFERRED_TAPS, max_taps: int = 20) -> list[str]:
    """Answer by tapping buttons only until the verdict card shows; returns the titles tapped.

    Taps the first button whose title starts with an entry of ``preferred``
    (in that order), else the first button. Raises NoButtons when a reply
    offers nothing to tap.
    """
    tapped: list[str] = []
    verdict = page.locator(".msg.verdict").filter(has_not_text="还需要了解")
    for _ in range(max_taps):
        page.wait_for_function("() => document.body.dataset.state !== 'waiting'", timeout=60_000)
        if verdict.count():
            return tapped
        buttons = open_choices(page)
        if not buttons.count():
            shot(page, "kiosk-no-buttons.png")
            raise NoButtons(f"no button to tap after {tapped}; the assistant said: "
                            + page.locator(".msg.bot .text").last.inner_text())
        titles = [t.strip() for t in buttons.all_inner_texts()]
        choice = next((i for want in preferred for i, t in enumerate(titles) if t.startswith(want)), 0)
        tapped.append(titles[choice])
        buttons.nth(choice).tap()
    shot(page, "kiosk-stuck.png")
    raise AssertionError(f"no verdict after taps {tapped}")


# --- kiosk ---------------------------------------------------------------------------

# Routes to a verdict by taps: towards "eligible" (with a materials checklist),
# and a shorter one (户口 and home in one county: "not required").
ROUTES = [("eligible", PREFERRED_TAPS),
          ("local", ["我能办居住证吗", "聊城市", "户口在聊城市", "东昌府区"])]


def test_kiosk_conversation_to_a_verdict_by_taps_only(kiosk_page, kiosk_url):
    url, which = kiosk_url
    page = kiosk_page
    page.goto(url + "/")
    assert page.locator("#restart").inner_text() == "重新开始"
    font_size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.bubble')).fontSize)")
    assert font_size >= 24
    shot(page, "kiosk-welcome.png")

    gaps = []
    for route, preferred in ROUTES:
        try:
            tapped = tap_to_verdict(page, preferred)
            break
        except NoButtons as gap:
            gaps.append(f"{route} route: {gap}")
            page.locator("#restart").tap()
    else:
        raise AssertionError("no route to a verdict by taps only:\n" + "\n".join(gaps))
    if gaps:
        note = f"kiosk ({which} Rasa): a question without buttons, so taps took the {route} route. " + "; ".join(gaps)
        warnings.warn(note)
        print("\nNOTE: " + note)

    verdict = page.locator(".msg.verdict").last
    assert verdict.locator(".line.first").inner_text().startswith("结论：")
    if route == "eligible":
        assert "身份证" in verdict.locator(".checklist").inner_text()
        assert not page.locator("#print-open").is_disabled()  # the checklist can be printed
    # Every tap showed its title as the user's words; nothing was typed.
    assert page.locator(".msg.user .text").all_inner_texts() == tapped
    assert page.locator("#text").input_value() == ""
    button_px = page.evaluate("getComputedStyle(document.querySelector('.choice')).fontSize")
    assert float(button_px.rstrip("px")) >= 24
    shot(page, f"kiosk-verdict-{which}-rasa.png")


def test_kiosk_print_view_with_checklist_and_qr(kiosk_page, web_url, fake_rasa):
    page = kiosk_page
    page.goto(web_url + "/?idle=600")
    tap_to_verdict(page)
    # After the verdict, book: the QR code comes as an image.
    page.locator(".choice:not([disabled])", has_text="预约办理").tap()
    qr = page.locator(".log img.qr")
    qr.wait_for()  # from a custom element: text + qr + code
    assert page.evaluate("document.querySelector('.log img.qr').naturalWidth") > 0
    assert "预约码：K7Q2M9" in page.locator("#log").inner_text()
    shot(page, "kiosk-qr.png")

    page.locator("#print-open").tap()
    sheet = page.locator("#print-sheet")
    sheet.wait_for()
    assert "身份证" in sheet.locator(".checklist").inner_text()
    assert page.locator("#print-qr img").is_visible()
    assert "K7Q2M9" in page.locator("#print-qr").inner_text()  # the booking details under the QR code
    shot(page, "kiosk-print-preview.png")

    page.emulate_media(media="print")
    assert page.locator(".screen").is_hidden()
    assert page.locator(".print-toolbar").is_hidden()
    assert sheet.is_visible()
    assert "结论：可以申领居住证" in sheet.inner_text()
    assert "身份证" in sheet.locator(".checklist").inner_text()
    shot(page, "kiosk-print-a4.png", full_page=True)
    page.pdf(path=str(ARTIFACTS / "kiosk-print-a4.pdf"), prefer_css_page_size=True, print_background=False)

    page.emulate_media(media="screen")
    page.locator(".paper[data-paper=receipt]").tap()
    page.emulate_media(media="print")
    assert "paper-receipt" in sheet.get_attribute("class")
    page.pdf(path=str(ARTIFACTS / "kiosk-print-receipt.pdf"), prefer_css_page_size=True)
    page.set_viewport_size({"width": 320, "height": 1400})
    shot(page, "kiosk-print-receipt.png", full_page=True)
    assert (ARTIFACTS / "kiosk-print-a4.pdf").read_bytes().startswith(b"%PDF")


def test_kiosk_idle_timeout_clears_the_screen(kiosk_page, web_url, fake_rasa):
    page = kiosk_page
    page.goto(web_url + "/?idle=5")
    first_sender = page.evaluate("document.body.dataset.sender")
    page.locator(".choice", has_text="我能办居住证吗").tap()
    page.locator(".choice:not([disabled])", has_text="聊城市").tap()
    page.locator(".choice:not([disabled])", has_text="外省户口").wait_for()
    page.fill("#text", "我叫王五，电话13900001111")  # typed but not sent: must go too
    assert page.locator(".msg.user").count() == 2

    # The warning comes first; a touch (here a key) keeps the conversation.
    page.locator("#idle-warning").wait_for(state="visible", timeout=6_000)
    shot(page, "kiosk-idle-warning.png")
    page.keyboard.press("Shift")
    assert page.locator("#idle-warning").is_hidden()
    assert page.locator(".msg.user").count() == 2

    # Then nobody touches it: everything is cleared and a new conversation starts.
    page.wait_for_function("() => document.body.dataset.lastReset === 'idle'", timeout=10_000)
    assert page.locator(".msg.user").count() == 0
    assert page.locator(".welcome").count() == 1
    assert page.locator("#text").input_value() == ""
    assert "外省户口" not in page.locator("#log").inner_text()
    assert page.evaluate("document.body.dataset.sender") != first_sender
    page.wait_for_timeout(300)
    assert ("kiosk-" + first_sender, "/restart") in fake_rasa.received
    shot(page, "kiosk-after-idle-reset.png")


def test_kiosk_restart_button_and_busy_message(kiosk_page, servers, fake_rasa):
    page = kiosk_page
    down = servers.serve(create_app("http://127.0.0.1:9", None))  # nothing listens on port 9
    page.goto(down + "/")
    page.locator(".choice", has_text="我能办居住证吗").tap()
    busy = page.locator(".msg.busy")
    busy.wait_for()
    assert busy.inner_text().startswith("系统繁忙，请稍后再试")
    assert "12345" in busy.inner_text()
    shot(page, "kiosk-rasa-down.png")
    sender = page.evaluate("document.body.dataset.sender")
    page.locator("#restart").tap()
    assert page.locator(".msg.busy").count() == 0
    assert page.locator(".msg.user").count() == 0
    assert page.evaluate("document.body.dataset.sender") != sender


# --- staff ---------------------------------------------------------------------------

def test_staff_refused_without_token_configured(laptop, servers, fake_rasa, store):
    page = laptop
    no_token = servers.serve(create_app(fake_rasa.url, None, bookings=lambda: StaffBookings(store)))
    response = page.goto(no_token + f"/staff?tab=bookings&station={STATION}&date=2026-11-23")
    assert response.status == 403
    assert "员工页面未启用" in page.locator("#refusal").inner_text()
    assert "STAFF_TOKEN" in page.content()
    assert PHONE not in page.content() and "李四" not in page.content()
    shot(page, "staff-refused-no-token.png")


def test_staff_login_required_then_bookings_of_a_day(laptop, web_url, store):
    page = laptop
    target = web_url + f"/staff?tab=bookings&station={STATION}&date=2026-11-23"
    response = page.goto(target)
    assert response.status == 401
    assert PHONE not in page.content() and "李四" not in page.content()
    page.fill("#token", "not-the-token")
    page.click("button[type=submit]")
    assert "口令不正确" in page.locator("#login-message").inner_text()
    shot(page, "staff-login-wrong.png")

    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(web_url + "/staff")
    page.goto(target)
    row = page.locator(f"tr[data-code='{store.booking.code}']")
    row.wait_for()
    assert row.locator(".phone").inner_text() == PHONE  # in full, for staff
    assert "李四" in row.inner_text()
    assert "09:30" in row.inner_text()
    csv_href = page.locator("#b-csv").get_attribute("href")
    assert csv_href == f"/staff/api/bookings.csv?station={STATION}&date=2026-11-23"
    row.locator("button.mark.attend").click()
    page.wait_for_function(
        f"() => document.querySelector(\"tr[data-code='{store.booking.code}'] .status\").textContent === '到场'")
    assert "到场 1" in page.locator("#b-summary").inner_text()
    shot(page, "staff-bookings.png")

    with page.expect_download() as download_info:
        page.locator("#b-csv").click()
    csv_text = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    assert PHONE in csv_text and "到场" in csv_text


def test_staff_script_aid_updates_live(laptop, web_url):
    page = laptop
    page.request.post(web_url + "/staff/login", form={"token": TOKEN})
    page.goto(web_url + "/staff")
    page.locator("#f-city button", has_text="聊城市").wait_for()
    page.locator("#f-as_of").fill("2025-03-01")
    page.locator("#next-question").wait_for()
    assert "户口" in page.locator("#next-question").inner_text()

    page.locator("#f-hukou_kind button[data-value=other]").click()
    page.locator("#f-hukou_province").fill("河南省")
    page.locator("#f-residence_county").select_option("东昌府区")
    page.locator("#f-lived_months").fill("一年多")
    page.locator("#f-registered_months").fill("12")
    page.wait_for_function("() => document.querySelector('#next-question').textContent.includes('房子')")
    assert page.locator("#p-lived_months").inner_text() == "＝ 12 个月"
    # The operator clicks the caller's answer in the "next question" box.
    page.locator("#next-choices button", has_text="租房住").click()
    page.wait_for_function("() => document.querySelector('#verdict').dataset.verdict === 'eligible'")
    assert page.locator("#verdict").inner_text() == "可以申领居住证"
    assert page.locator("#next").is_hidden()
    script = page.locator("#script").inner_text()
    assert script.startswith("结论：可以申领居住证。")
    assert "第五条" in page.locator("#citations").inner_text()
    assert "身份证" in page.locator("#materials").inner_text()
    shot(page, "staff-script-aid.png")

    # Next caller: the operator types what they said; the parser fills the form.
    page.locator("#clear-form").click()
    page.wait_for_function("() => document.querySelector('#verdict').dataset.verdict === 'undetermined'")
    page.locator("#f-as_of").fill("2025-03-01")
    page.locator("#f-words").fill("我户口在河南，在东昌府租房住了三个月，没办过居住登记")
    page.locator("#extract").click()
    page.wait_for_function("() => document.querySelector('#verdict').dataset.verdict === 'not_yet_eligible'")
    assert page.locator("#f-lived_months").input_value() == "3"
    assert page.locator("#f-never_registered").is_checked()
    assert page.locator("#f-hukou_province").input_value() == "河南省"
    assert page.locator("#f-residence_county").input_value() == "东昌府区"
    assert page.locator("#f-housing button[aria-pressed=true]").inner_text() == "租房住"
    assert "居住登记" in page.locator("#script").inner_text()
    shot(page, "staff-script-aid-from-words.png")
