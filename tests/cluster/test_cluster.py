"""`make cluster` for real: two Rasa replicas and two action servers behind HAProxy,
conversations and bookings on PostgreSQL, locks in Redis; then the failure drills.

One cluster for the module (started once: about a minute and a half on 2
cores). In file order:

1. 30 concurrent messages of one conversation through the balancer: all 30
   stored, both replicas used. Rasa's own RedisLockStore, on a second
   cluster started for that test alone, loses some of the same 30.
2. PostgreSQL down for a few seconds: the kiosk says 系统繁忙 (never
   silence, never 没有理解), then answers again without any restart.
3. Redis down: turns go on under each replica's own lock (documented in
   bot/rasa_ext/lock_store.py and the README); a booking race loses no booking and
   oversells no seat.
4. One action server killed under load: no error, no busy reply.
5. One Rasa replica killed under load: the other keeps serving, no message
   lost, no error (HAProxy sends a message whose replica died to the other
   one), and the balancer marks the dead one DOWN and stops sending to it.
"""
from __future__ import annotations

import asyncio
import sys
import time
import uuid
from pathlib import Path

import pytest

from .conftest import ROOT, running_cluster

sys.path.insert(0, str(ROOT / "scripts"))

import loadtest  # noqa: E402

QUESTIONS = ["办居住证要钱吗", "你好", "居住证多久能办好", "在哪里办居住证", "要带什么材料", "谢谢",
             "签注怎么办", "能不能帮别人代办", "你是机器人吗", "丢了怎么补办"]
CONCURRENT = 30


@pytest.fixture(scope="module")
def deployment():
    with running_cluster(2, name="cluster") as found:
        yield found


async def _post(session, url: str, sender: str, text: str):
    try:
        async with session.post(url, json={"sender": sender, "message": text}) as response:
            body = await response.json(content_type=None)
            return response.status, body
    except Exception as error:  # noqa: BLE001 - counted by the caller
        return None, repr(error)


async def _burst(base_url: str, sender: str, count: int) -> list[tuple]:
    import aiohttp

    url = base_url + "/webhooks/rest/webhook"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=150),
                                     connector=aiohttp.TCPConnector(limit=count)) as session:
        return await asyncio.gather(*(_post(session, url, sender, QUESTIONS[i % len(QUESTIONS)])
                                      for i in range(count)))


def burst_one_conversation(cluster) -> tuple[str, list[tuple], float]:
    sender = f"burst-{uuid.uuid4().hex[:10]}"
    started = time.monotonic()
    results = asyncio.run(_burst(cluster.rasa_url, sender, CONCURRENT))
    return sender, results, time.monotonic() - started


def sent_per_replica(cluster) -> dict[str, int]:
    return {name.split("/")[1]: int(row["stot"] or 0) for name, row in cluster.server_stats().items()
            if name.startswith("rasa_replicas/")}


def answered_per_replica(cluster) -> dict[str, int]:
    return {name.split("/")[1]: int(row.get("hrsp_2xx") or 0) for name, row in cluster.server_stats().items()
            if name.startswith("rasa_replicas/")}


def test_thirty_concurrent_messages_of_one_conversation_all_stored_and_stock_lock_store_loses_some(deployment):
    cluster, user_events = deployment["cluster"], deployment["user_events"]
    before = sent_per_replica(cluster)
    sender, results, took = burst_one_conversation(cluster)
    after = sent_per_replica(cluster)
    answered = sum(1 for status, body in results if status == 200 and body)
    stored = user_events(sender)
    spread = {name: after[name] - before.get(name, 0) for name in after}
    print(f"\natomic lock store (bot/rasa_ext/lock_store.py): {CONCURRENT} concurrent messages, {answered} answered, "
          f"{stored} user events stored, {CONCURRENT - stored} lost, {took:.1f} s; per replica {spread}")
    assert all(count > 0 for count in spread.values()), f"the balancer did not use every replica: {spread}"
    assert answered == CONCURRENT, [r for r in results if r[0] != 200 or not r[1]][:3]
    assert stored == CONCURRENT

    # The same with Rasa 3.6's own RedisLockStore (a second cluster, started for this alone).
    # A message stuck behind a lost ticket waits out Rasa's 60 s lock lifetime and is then
    # refused; the balancer gives up on it after 25 s here (it is lost either way), to keep
    # the test short.
    with running_cluster(2, lock_store="stock", web=False, name="stock", server_timeout_s=25) as stock:
        stock_sender, stock_results, stock_took = burst_one_conversation(stock["cluster"])
        stock_answered = sum(1 for status, body in stock_results if status == 200 and body)
        time.sleep(2)  # a turn the balancer gave up on may still be finishing
        stock_stored = stock["user_events"](stock_sender)
    print(f"stock RedisLockStore: {CONCURRENT} concurrent messages, {stock_answered} answered, {stock_stored} "
          f"user events stored, {CONCURRENT - stock_stored} lost, {stock_took:.1f} s")
    assert stock_stored < CONCURRENT, "the stock lock store kept every message this time (a timing race)"


def kiosk(cluster, sender: str, text: str) -> dict:
    import requests

    response = requests.post(cluster.web_url + "/api/chat", json={"sender": sender, "message": text}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def test_postgres_down_says_busy_then_recovers_without_restart(deployment):
    cluster, proxy = deployment["cluster"], deployment["pg_proxy"]
    sender = f"pgdrill{uuid.uuid4().hex[:10]}"
    assert kiosk(cluster, sender, "你好")["busy"] is False
    pids = {p.name: p.process.pid for p in cluster.processes if p.alive}
    proxy.cut()
    try:
        for text in ("办居住证要钱吗", "我能办居住证吗"):
            reply = kiosk(cluster, sender, text)
            assert reply["busy"] is True, reply
            assert "系统繁忙" in reply["messages"][0]["text"]
            assert "没有理解" not in str(reply)
        time.sleep(3)
    finally:
        proxy.restore()
    deadline, tries, reply = time.monotonic() + 30, 0, {}
    while time.monotonic() < deadline:
        tries += 1
        reply = kiosk(cluster, sender, "办居住证要钱吗")
        if reply["busy"] is False:
            break
        time.sleep(2)
    print(f"\nPostgreSQL back: answered again after {tries} message(s)")
    assert reply.get("busy") is False, reply
    assert "免费" in str(reply) or "城市" in str(reply) or "聊城" in str(reply), reply
    assert kiosk(cluster, sender, "谢谢")["busy"] is False
    assert {p.name: p.process.pid for p in cluster.processes if p.alive} == pids, "a process was restarted"


def test_redis_down_keeps_answering_and_loses_no_booking(deployment):
    cluster, proxy = deployment["cluster"], deployment["redis_proxy"]
    proxy.cut()
    try:
        stats, _ = asyncio.run(loadtest.load(cluster.rasa_url, 6, 120, 0.0, uuid.uuid4().hex[:6],
                                                       deployment["token"]))
    finally:
        proxy.restore()
    database_url = str(deployment["db"].url)
    slots_over, seats_over = loadtest.oversold(database_url)
    with deployment["db"].connect() as connection:
        from sqlalchemy import text

        stored_codes = {row[0] for row in connection.execute(text("SELECT code FROM bookings WHERE status = 'booked'"))}
    made = {code for code, _ in stats.bookings}
    print(f"\nRedis down: {stats.conversations} booking conversations, {len(made)} bookings made, "
          f"{stats.refused} refused (seats gone), {stats.errors} errors, {stats.busy} busy replies")
    assert stats.errors == 0 and stats.busy == 0 and stats.empty == 0
    assert made and made <= stored_codes, "a booking the applicant was given is not in the database"
    assert slots_over == 0 and seats_over == 0
    logs = "".join((deployment["work_dir"] / f"rasa{i}.log").read_text(errors="replace") for i in (1, 2))
    assert "Redis at" in logs and "unavailable" in logs


def test_one_action_server_killed_under_load_loses_nothing(deployment):
    cluster = deployment["cluster"]

    async def load_and_kill():
        run = asyncio.ensure_future(loadtest.load(cluster.rasa_url, 4, 120, 0.3, uuid.uuid4().hex[:6],
                                                       deployment["token"]))
        await asyncio.sleep(3)
        cluster.kill("action1")
        return await run

    stats, _ = asyncio.run(load_and_kill())
    print(f"\naction server killed under load: {sum(stats.answered.values())} messages answered, "
          f"{stats.errors} errors, {stats.empty} empty, {stats.busy} busy")
    assert stats.errors == 0 and stats.empty == 0 and stats.busy == 0
    deadline = time.monotonic() + 10
    while cluster.server_states()["action_servers/action1"] == "UP" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert cluster.server_states()["action_servers/action1"] != "UP"


def test_one_replica_killed_under_load_loses_nothing(deployment):
    cluster, user_events = deployment["cluster"], deployment["user_events"]
    assert cluster.server_states()["rasa_replicas/rasa1"] == "UP"

    async def load_and_kill():
        run = asyncio.ensure_future(loadtest.load(cluster.rasa_url, 8, 120, 0.3, uuid.uuid4().hex[:6],
                                                       deployment["token"]))
        await asyncio.sleep(4)
        cluster.kill("rasa1")
        killed_at = time.monotonic()
        marked_down = None
        # Until the balancer marks it down, however long the load runs: on a busy 2-core machine the
        # load may end first (how long it takes is printed, and measured by make loadtest, not asserted).
        deadline = killed_at + 60
        while not run.done() or (marked_down is None and time.monotonic() < deadline):
            if marked_down is None and cluster.server_states()["rasa_replicas/rasa1"] != "UP":
                marked_down = time.monotonic() - killed_at
            await asyncio.sleep(0.2)
        return await run, marked_down

    (stats, wall), marked_down = asyncio.run(load_and_kill())
    lost = sum(max(0, answered - user_events(sender)) for sender, answered in stats.answered.items())
    print(f"\nreplica killed under load: {sum(stats.answered.values())} messages answered, {lost} lost, "
          f"{stats.errors} errors, marked down after {marked_down} s, {len(stats.bookings)} bookings")
    assert stats.errors == 0 and stats.empty == 0
    assert lost == 0
    assert marked_down is not None  # the dead replica is taken out of the rotation
    # The other replica serves everything afterwards. (Compared by answers: HAProxy may still
    # count one connection attempt to the dead replica as a session before redispatching it.)
    before = answered_per_replica(cluster)
    sender, results, _ = burst_one_conversation(cluster)
    after = answered_per_replica(cluster)
    assert after["rasa1"] == before["rasa1"] and after["rasa2"] - before["rasa2"] == CONCURRENT
    assert all(status == 200 and body for status, body in results)
    assert user_events(sender) == CONCURRENT
