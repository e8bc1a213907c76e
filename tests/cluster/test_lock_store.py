"""The lock store (bot/rasa_ext/lock_store.py) against a real Redis, without Rasa.

Two "servers" are two threads, each with its own event loop and its own
lock store instance, like two Rasa processes. Each "turn" reads a
conversation's event count from Redis, yields to the loop (as Rasa's turn
does, while it waits for the action server and the database), and writes
the count back plus one: a lost turn shows as a count below the number of
turns, as in the tracker store.

Rasa's own RedisLockStore is shown losing messages with real Rasa servers
in tests/cluster/test_cluster.py (here it mostly stalls: a second ticket
with a number already taken waits out the 60 s lock lifetime).
"""
from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest

from bot.rasa_ext.lock_store import JuzhuLockStore

from .helpers import redis_or_skip

TURNS = 30


def race(make_store, url: str, turns: int = TURNS, turn_s: float = 0.003, **lock_kwargs) -> int:
    """``turns`` concurrent turns of one conversation over two servers; the count stored at the end.

    A turn refused with a LockError is a lost turn, as in Rasa (the REST
    channel answers nothing and stores nothing).
    """
    from rasa.core.lock_store import LockError

    import redis

    conversation = f"locktest-{uuid.uuid4().hex[:10]}"
    counter = f"juzhu:test:events:{conversation}"
    plain = redis.Redis.from_url(url)
    plain.delete(counter)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def server(number: int) -> None:
        store = make_store()

        async def turn() -> None:
            try:
                async with store.lock(conversation, **lock_kwargs):
                    client = _async_client(url)
                    try:
                        seen = int(await client.get(counter) or 0)
                        await asyncio.sleep(turn_s)
                        await client.set(counter, seen + 1)
                    finally:
                        await client.close()
            except LockError:
                pass

        async def all_turns() -> None:
            barrier.wait()
            await asyncio.gather(*(turn() for _ in range(number, turns, 2)))

        try:
            asyncio.run(all_turns())
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=server, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    stored = int(plain.get(counter) or 0)
    plain.delete(counter)
    return stored


def _async_client(url: str):
    import redis.asyncio as aioredis

    return aioredis.from_url(url)


def test_atomic_lock_keeps_every_turn_across_two_servers(redis_url):
    assert race(lambda: JuzhuLockStore(url=redis_url), redis_url) == TURNS


def test_one_server_serialises_without_redis():
    store = JuzhuLockStore(url="")
    inside, most = 0, 0

    async def turn() -> None:
        nonlocal inside, most
        async with store.lock("one"):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.001)
            inside -= 1

    async def main() -> None:
        await asyncio.gather(*(turn() for _ in range(20)))

    asyncio.run(main())
    assert most == 1
    assert store._locals == {}  # nothing kept once the conversation is idle


def test_a_dead_servers_lock_expires_after_its_ttl(redis_url):
    """A server killed mid-turn never releases; the lock lapses after LOCK_TTL_S, not Rasa's 60 s."""
    import redis

    conversation = f"locktest-{uuid.uuid4().hex[:10]}"
    redis.Redis.from_url(redis_url).set("juzhu:lock:" + conversation, "dead-server-token", px=1000)
    store = JuzhuLockStore(url=redis_url, ttl_s=1.0)

    async def main() -> float:
        started = time.monotonic()
        async with store.lock(conversation, lock_lifetime=10):
            return time.monotonic() - started

    waited = asyncio.run(main())
    assert 0.5 < waited < 3


def test_a_long_turn_keeps_its_lock(redis_url):
    """Renewed every third of its TTL: a turn three times longer than the TTL is not overtaken."""
    conversation = f"locktest-{uuid.uuid4().hex[:10]}"
    first, second = JuzhuLockStore(url=redis_url, ttl_s=0.6), JuzhuLockStore(url=redis_url, ttl_s=0.6)
    order: list[str] = []

    async def long_turn() -> None:
        async with first.lock(conversation):
            order.append("long starts")
            await asyncio.sleep(1.8)
            order.append("long ends")

    async def other_turn() -> None:
        await asyncio.sleep(0.2)
        async with second.lock(conversation):
            order.append("other")

    async def main() -> None:
        await asyncio.gather(long_turn(), other_turn())

    asyncio.run(main())
    assert order == ["long starts", "long ends", "other"]


def test_redis_down_local_mode_answers_and_says_so(caplog):
    store = JuzhuLockStore(url="redis://127.0.0.1:1/0", on_redis_down="local")

    async def main() -> bool:
        async with store.lock("down"):
            return True

    with caplog.at_level("WARNING", logger="bot.rasa_ext.lock_store"):
        assert asyncio.run(main())
        assert asyncio.run(main())  # within the retry pause: Redis not even tried
    assert sum("unavailable" in record.getMessage() for record in caplog.records) == 1


def test_redis_down_refuse_mode_refuses():
    from rasa.core.lock_store import LockError

    store = JuzhuLockStore(url="redis://127.0.0.1:1/0", on_redis_down="refuse")

    async def main() -> None:
        async with store.lock("down"):
            pass

    with pytest.raises(LockError):
        asyncio.run(main())


@pytest.fixture(scope="module")
def redis_url():
    return redis_or_skip()
