"""Issue 19 on the web front, through its HTTP interface on a real loopback server.

A compressed body is refused before a byte of it is inflated; JSON nested
too deep is 400 (not a 500 with a traceback) and every error keeps the
security headers; the hand-off poll is rate-limited; logging out ends the
session on the server; a guessable staff token is refused at start; each
message to Rasa names its client with the relay token (for the limits the
action server counts per address).
"""
from __future__ import annotations

import gzip
import json
import resource

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.channels import CLIENT_HEADER, RELAY_TOKEN_HEADER

from .test_web_app import BEARER, RELAY_TOKEN, TOKEN, _login, bookings, make_client, revocations, store  # noqa: F401

DEEP = "[" * 30000 + "]" * 30000  # 60 KB of nesting, under the 64 KB size limit


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def headers_kept(response) -> None:
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert "frame-ancestors 'none'" in response.headers.get("Content-Security-Policy", "")
    assert response.headers.get("Cache-Control") == "no-store"


async def test_a_gzip_bomb_is_refused_without_being_inflated(make_client):
    client = await make_client()
    bomb = gzip.compress(b"0" * (200 * 1024 * 1024), compresslevel=9)  # 200 MB of zeros in ~200 KB
    bomb = bomb[:60 * 1024]  # under the size limit: only inflation could make it big
    before = peak_rss_mb()
    response = await client.post("/api/chat", data=bomb,
                                 headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert response.status == 415
    assert "compressed" in (await response.json())["error"]
    headers_kept(response)
    assert peak_rss_mb() - before < 40  # today's main: +500 MB


@pytest.mark.parametrize("path", ["/api/chat", "/api/handoff/poll", "/staff/api/assess", "/staff/api/extract"])
async def test_deeply_nested_json_is_a_400_with_the_security_headers(make_client, bookings, path):
    client = await make_client(staff_token=TOKEN, bookings=bookings)
    response = await client.post(path, data=DEEP, headers={"Content-Type": "application/json", **BEARER})
    assert response.status == 400
    text = await response.text()
    assert "Traceback" not in text
    assert "nested" in json.loads(text)["error"] or "malformed" in json.loads(text)["error"]
    headers_kept(response)


async def test_the_handoff_poll_is_rate_limited(make_client):
    client = await make_client()
    statuses = [(await client.post("/api/handoff/poll", json={"sender": "kiosk-poll-0001"})).status
                for _ in range(62)]
    assert statuses[:60] == [200] * 60 and statuses[-1] == 429


async def test_logging_out_ends_the_session_on_the_server(make_client, bookings):
    client = await make_client(staff_token=TOKEN, bookings=bookings, trust_proxy=True)
    login = await _login(client, TOKEN)
    cookie = login.cookies["juzhu_staff"].value
    copied = {"Cookie": f"juzhu_staff={cookie}"}
    assert (await client.get("/staff/api/meta", headers=copied)).status == 200
    await client.post("/staff/logout", allow_redirects=False, headers=copied)
    client.session.cookie_jar.clear()
    again = await client.get("/staff/api/meta", headers=copied)  # a copy kept from before the logout
    assert again.status == 401
    headers_kept(again)


@pytest.mark.parametrize("token", ["password12345678", "aaaaaaaaaaaaaaaaaaaa", "qwertyuiopasdfghjkl",
                                   "2026120620261206"])
def test_juzhu_web_refuses_a_guessable_staff_token(monkeypatch, tmp_path, capsys, token):
    from aiohttp import web as aiohttp_web

    from bot.cli import main

    served = []
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(aiohttp_web, "run_app", lambda *a, **k: served.append(1))
    monkeypatch.setattr("bot.platform.masking.install_log_masking", lambda: None)
    monkeypatch.setenv("STAFF_TOKEN", token)
    assert main(["web"]) == 2
    err = capsys.readouterr().err
    assert "STAFF_TOKEN is guessable" in err and token not in err and not served


async def test_each_message_names_its_client_to_rasa_with_the_relay_token(make_client):
    seen = []

    async def webhook(request):
        seen.append(dict(request.headers))
        return web.json_response([{"text": "好的"}])

    rasa = web.Application()
    rasa.router.add_post("/webhooks/rest/webhook", webhook)
    server = TestServer(rasa)
    await server.start_server()
    try:
        client = await make_client(str(server.make_url("")).rstrip("/"), trust_proxy=True)
        response = await client.post("/api/chat", json={"sender": "kiosk-relay-01", "message": "你好"},
                                     headers={"X-Forwarded-For": "198.51.100.23"})
        assert response.status == 200
    finally:
        await server.close()
    assert seen[0][CLIENT_HEADER] == "198.51.100.23" and seen[0][RELAY_TOKEN_HEADER] == RELAY_TOKEN
