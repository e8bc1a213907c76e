"""A running assistant for the end-to-end tests: action server + Rasa server.

With E2E_RASA_URL set, that server is used (its action server must be
running too; E2E_RASA_TOKEN is its API token, and the tests that stop or
restart servers skip). Otherwise both are started once per session on free loopback ports
with the newest model in models/, and stopped at the end; the tests are
skipped, with the reason shown, when no model has been trained. Rasa takes
about a minute to become ready.
"""
from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import rasa_servers  # noqa: E402

# The day the started action server assesses and books on (answers then do
# not depend on the day the tests run). A reused server uses its own day and
# its own store.
E2E_TODAY = "2026-11-22"


@pytest.fixture(scope="session")
def assistant(tmp_path_factory):
    url = os.environ.get("E2E_RASA_URL")
    if url:
        if not rasa_servers.url_ok(url.rstrip("/") + "/"):
            pytest.skip(f"E2E_RASA_URL={url} does not answer")
        yield {"url": url.rstrip("/"), "today": None, "servers": None,
               "token": os.environ.get("E2E_RASA_TOKEN"), "database_url": os.environ.get("E2E_DATABASE_URL")}
        return
    model = rasa_servers.latest_model()
    if model is None:
        pytest.skip("no trained Rasa model in models/ (run `make model`)")
    # The action server books into a throw-away SQLite store (created and seeded
    # on first use) whose clock stands on E2E_TODAY, never into var/juzhu.db.
    # Conversations go to a throw-away SQLite file too.
    store_dir = tmp_path_factory.mktemp("e2e-store")
    env = {"JUZHU_TODAY": E2E_TODAY, "JUZHU_NOW": f"{E2E_TODAY} 10:00",
           "DATABASE_URL": f"sqlite:///{store_dir / 'juzhu.db'}",
           "CONVERSATIONS_DATABASE_URL": f"sqlite:///{store_dir / 'conversations.db'}",
           # The web fronts and browsers of these tests all reach Rasa from 127.0.0.1: as a hall's
           # kiosks would be, that address is trusted, so the limits per client address (issue 19)
           # count only the clients named by a relay (test_security_round2.py floods with those).
           "RATE_LIMIT_TRUSTED_ADDRESSES": "127.0.0.1"}
    servers = rasa_servers.start(model, env=env, log_dir=ROOT / "var" / "e2e-logs")
    try:
        yield {"url": servers.rasa_url, "today": E2E_TODAY, "servers": servers, "token": servers.token,
               "conversations_db": store_dir / "conversations.db", "database_url": env["DATABASE_URL"]}
    finally:
        servers.stop()


def relay_headers(assistant, client: str) -> dict[str, str]:
    """What the web front and the Telegram bridge send to name their client (bot/channels/rest_gate.py)."""
    from bot.channels import relay_headers as headers

    return headers(client, assistant["token"]) if assistant.get("token") else {}


def is_readback(replies: list[dict]) -> bool:
    """The replies end with "what I understood … 对吗？" (CONTRACT §2)."""
    return any(isinstance(r.get("custom"), dict) and "readback" in r["custom"] for r in replies)


@pytest.fixture
def chat(assistant):
    """say(text) -> the list of replies of one new conversation.

    A read-back before a verdict (CONTRACT §2) is confirmed with "对", as a
    person whose words were read right does, and the replies to both are
    returned; ``confirm=False`` leaves it unanswered (the read-back tests)."""
    import requests

    sender = f"e2e-{uuid.uuid4().hex[:10]}"
    # Each test conversation is a client of its own, named as a relay names it (the rate
    # limits per client address would otherwise add up every test's bookings on 127.0.0.1).
    headers = relay_headers(assistant, f"e2e-client-{sender}")

    def post(text: str) -> list[dict]:
        response = requests.post(assistant["url"] + "/webhooks/rest/webhook",
                                 json={"sender": sender, "message": text}, timeout=60, headers=headers)
        response.raise_for_status()
        return response.json()

    def say(text: str, *, reply_expected: bool = True, confirm: bool = True) -> list[dict]:
        replies = post(text)
        assert replies or not reply_expected, f"no reply to {text!r}"
        if confirm and is_readback(replies):
            replies = replies + post("对")
        return replies

    return say
