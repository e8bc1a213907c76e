"""Issue 19 against the running assistant (action server + Rasa, the REST gate in front).

- one client address cannot flood a station: after RATE_LIMIT_BOOKINGS_ADDRESS
  (6 an hour) bookings, fresh conversations and fresh phones from that
  address are refused with the hotline; one phone likewise (3 a day);
- the gate names the client only for a relay holding the Rasa token;
- a booking code is locked after 5 wrong phones from anyone, the right phone
  included, and the confirmation never shows the phone beside the code;
- the gate refuses bodies over 64 KB, compressed or deeply nested ones, and
  answers a 5,000-character message with a note instead of parsing it;
- what people type is masked in the stored conversation and in the servers'
  logs (spaced ID numbers, Chinese-numeral phones, names after 我是 and kin);
- the servers' own databases are 0600.
"""
from __future__ import annotations

import gzip
import json
import random
import re
import sqlite3
import stat
import uuid
from pathlib import Path

import pytest
import requests

from bot.channels import relay_headers as named

SPACED_ID = "110105 19491231 002X"
SPOKEN_PHONE = "一三九一二三四五六七八"


def _rest(assistant, sender: str, text: str, client: str | None = None, **extra) -> requests.Response:
    headers = named(client, assistant["token"]) if client and assistant.get("token") else {}
    return requests.post(assistant["url"] + "/webhooks/rest/webhook", json={"sender": sender, "message": text},
                         headers={**headers, **extra.pop("headers", {})}, timeout=60, **extra)


def _say(assistant, sender, text, client=None) -> list[dict]:
    response = _rest(assistant, sender, text, client)
    assert response.status_code == 200
    return response.json()


def _texts(replies) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def _payloads(replies) -> list[str]:
    return [b["payload"] for r in replies for b in r.get("buttons") or []]


def _fresh_phone() -> str:
    return "139" + "".join(random.choice("0123456789") for _ in range(8))


def _book(assistant, client: str, phone: str, sender: str | None = None, day: int = -1) -> str:
    """One whole booking conversation from ``client`` (on the ``day``-th day offered); its last replies' text."""
    sender = sender or f"flood-{uuid.uuid4().hex[:10]}"
    _say(assistant, sender, "我要预约", client)
    stations = [p for p in _payloads(_say(assistant, sender, "聊城", client)) if "booking_station" in p]
    days = [p for p in _payloads(_say(assistant, sender, stations[0], client)) if "booking_day" in p]
    times = [p for p in _payloads(_say(assistant, sender, days[day], client)) if "booking_time" in p]
    _say(assistant, sender, random.choice(times), client)
    _say(assistant, sender, "张三", client)
    _say(assistant, sender, phone, client)
    return _texts(_say(assistant, sender, "/affirm", client))


def _code(text: str) -> str | None:
    found = re.search(r"预约码：([2-9A-HJKMNP-Z]{6})", text)
    return found.group(1) if found else None


def test_one_address_cannot_flood_a_station(assistant):
    client = f"198.51.100.{random.randint(1, 254)}"  # one address, as the kiosk or a script would be
    same_day = [_book(assistant, client, _fresh_phone(), day=-1) for _ in range(4)]
    assert [bool(_code(text)) for text in same_day] == [True, True, True, False]  # 3 per station-day
    assert "预约次数已达上限" in same_day[-1] and "12345" in same_day[-1]
    other_days = [_book(assistant, client, _fresh_phone(), day=-2 - n) for n in range(4)]
    assert [bool(_code(text)) for text in other_days] == [True, True, True, False]  # 6 an hour in all
    assert "预约次数已达上限" in other_days[-1]
    # Another address still books: the limit is the flooder's, not the station's.
    assert _code(_book(assistant, f"203.0.113.{random.randint(1, 254)}", _fresh_phone(), day=-3))


def test_one_phone_books_at_most_three_times_a_day(assistant):
    phone = _fresh_phone()
    codes = []
    for n in range(3):
        text = _book(assistant, f"e2e-phone-{uuid.uuid4().hex[:8]}", phone)
        codes.append(_code(text))
        assert codes[-1], text
        sender = f"cancel-{uuid.uuid4().hex[:8]}"  # cancelled, so the phone may book again
        client = f"e2e-cancel-{sender}"
        for line in ("取消预约", phone, codes[-1], "/affirm"):
            replies = _say(assistant, sender, line, client)
        assert "已为您取消预约" in _texts(replies)
    fourth = _book(assistant, f"e2e-phone-{uuid.uuid4().hex[:8]}", phone)
    assert "预约次数已达上限" in fourth and not _code(fourth)


def test_the_gate_believes_a_named_client_only_from_a_relay_with_the_token(assistant):
    if not assistant.get("token"):
        pytest.skip("the tracker needs the Rasa token (E2E_RASA_TOKEN)")

    def client_of(sender: str) -> str:
        tracker = requests.get(f"{assistant['url']}/conversations/{sender}/tracker",
                               params={"token": assistant["token"]}, timeout=30).json()
        return tracker["latest_message"]["metadata"]["client"]

    forged = f"forged-{uuid.uuid4().hex[:8]}"
    _rest(assistant, forged, "你好", headers={"X-Juzhu-Client": "203.0.113.99",
                                                "X-Juzhu-Relay-Token": "not-the-token"})
    assert client_of(forged) == "127.0.0.1"
    relayed = f"relayed-{uuid.uuid4().hex[:8]}"
    _say(assistant, relayed, "你好", "203.0.113.99")
    assert client_of(relayed) == "203.0.113.99"


def test_a_code_is_locked_after_five_wrong_phones_whoever_tries(assistant):
    phone = _fresh_phone()
    confirmation = _book(assistant, f"e2e-owner-{uuid.uuid4().hex[:8]}", phone)
    code = _code(confirmation)
    assert code and phone[:3] + "****" + phone[-4:] not in confirmation  # never the phone beside the code
    for n in range(5):  # an attacker: a new conversation and a new address each time
        sender = f"guess-{uuid.uuid4().hex[:8]}"
        client = f"192.0.2.{n + 1}"
        _say(assistant, sender, "查询预约", client)
        wrong = phone[:3] + f"{n:04d}" + phone[-4:]  # 139****NNNN: the masked phone's missing digits
        text = _texts(_say(assistant, sender, f"{code} {wrong}", client))
        assert "没有找到" in text, text
    owner = f"owner-{uuid.uuid4().hex[:8]}"
    _say(assistant, owner, "查询预约", "192.0.2.200")
    text = _texts(_say(assistant, owner, f"{code} {phone}", "192.0.2.200"))
    assert "暂时锁定" in text and "工作人员" in text and "办理点" not in text, text


def test_the_gate_refuses_bodies_that_would_cost_everyone(assistant):
    url = assistant["url"] + "/webhooks/rest/webhook"
    big = requests.post(url, data=json.dumps({"sender": "big-body", "message": "啊" * 30000}),
                        headers={"Content-Type": "application/json"}, timeout=30)
    assert big.status_code == 413
    deep = requests.post(url, data="[" * 30000 + "]" * 30000, headers={"Content-Type": "application/json"},
                         timeout=30)
    assert deep.status_code == 400 and "Traceback" not in deep.text
    packed = requests.post(url, data=gzip.compress(json.dumps({"sender": "gz", "message": "你好"}).encode()),
                           headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}, timeout=30)
    assert packed.status_code == 415
    sender = f"long-{uuid.uuid4().hex[:8]}"
    long_text = "我在聊城租房住了半年" * 500  # 5,000 characters: under 64 KB, over the message limit
    replies = _say(assistant, sender, long_text)
    assert "消息太长" in _texts(replies)
    assert "您好" in _texts(_say(assistant, sender, "你好")) or _say(assistant, sender, "你好")  # still served


def test_what_people_type_is_masked_in_the_stored_conversation_and_the_logs(assistant):
    servers = assistant["servers"]
    if servers is None or not assistant.get("conversations_db"):
        pytest.skip("needs the servers these tests started (their store and logs)")
    logs = sorted(Path(servers.log_dir).glob("*.log"))
    offsets = {path: path.stat().st_size for path in logs}
    sender = f"mask-{uuid.uuid4().hex[:8]}"
    client = f"e2e-mask-{sender}"
    for line in (f"我是张德明，身份证{SPACED_ID}", f"帮我父亲张德明办居住证，电话{SPOKEN_PHONE}",
                 '/inform{"booking_phone":"13912345678","nonexistent_entity":"110105194912310028"}'):
        _say(assistant, sender, line, client)
    with sqlite3.connect(assistant["conversations_db"]) as connection:
        stored = "\n".join(row[0] for row in connection.execute(
            "SELECT data FROM events WHERE sender_id = ?", (sender,)))
    stored = stored.encode().decode("unicode_escape", errors="ignore") + stored
    for secret in ("19491231", "德明", "一二三四五六七八", "13912345678", "110105194912310028"):
        assert secret not in stored, secret
    written = ""
    for path in logs:
        with open(path, "rb") as handle:
            handle.seek(offsets[path])
            written += handle.read().decode("utf-8", errors="replace")
    for secret in ("19491231", "13912345678", "110105194912310028", "一二三四五六七八"):
        assert secret not in written, secret
    # Rasa's UserWarning about the payload's unknown entity reached the log, masked.
    assert "py.warnings" in written and "139****5678" in written


def test_the_running_servers_databases_are_private(assistant):
    if assistant["servers"] is None:
        pytest.skip("needs the servers these tests started")
    database = Path(assistant["database_url"].replace("sqlite:///", ""))
    for path in (database, Path(assistant["conversations_db"])):
        assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600, path
