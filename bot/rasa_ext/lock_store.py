"""One conversation, one turn at a time: a lock store on redis-py's atomic ``Lock``.

Rasa handles a conversation's turn inside ``lock_store.lock(sender_id)``:
load the tracker, run NLU, policies and actions, save the tracker. Two
turns of one conversation running at once on two Rasa servers both load
the same tracker and the second save loses the first turn's events. Rasa
3.6's ``RedisLockStore`` does not prevent it: its ticket lock is read,
changed and written back in three Redis commands, so two servers can take
the same ticket (rasa#9213; 24-29 of 30 concurrent messages kept when
measured here, tests/cluster).

This store takes, per conversation:

1. an in-process ``asyncio.Lock`` (the turns of one server queue there in
   order, without asking Redis), then
2. with ``REDIS_URL`` (or ``LOCK_STORE_URL``) set, redis-py's ``Lock`` on
   ``juzhu:lock:<sender id>``: ``SET NX PX`` to take it, a Lua script to
   release it only when it is still ours, both atomic in Redis. Its time to
   live is short (``LOCK_TTL_S``, 10 s) and renewed every third of it while
   the turn runs, so a server that dies mid-turn blocks its conversation
   for at most that long, and a long turn never loses its lock.

Without a Redis URL (``make run``: one Rasa server) only the in-process lock
is taken, as Rasa's default in-memory store does.

When Redis does not answer (``LOCK_STORE_ON_REDIS_DOWN``):

- ``local`` (default): the turn goes ahead under the in-process lock only;
  one warning per outage; Redis is tried again after ``LOCK_REDIS_RETRY_S``
  (5 s). Applicants keep being answered. Two messages of one conversation
  reaching two servers within the same moment could then overwrite one
  another (a person types one message at a time; a double click is the
  case). Bookings are safe either way: seats are taken by one conditional
  UPDATE in the database, never by the lock.
- ``refuse``: the turn is refused (Rasa logs a ``LockError``, the REST
  channel answers nothing, the kiosk and Telegram say 系统繁忙).

Waiting for a busy conversation lasts at most Rasa's lock lifetime (60 s,
``TICKET_LOCK_LIFETIME``); then the turn is refused with a ``LockError``.

endpoints.yml::

    lock_store:
      type: bot.rasa_ext.lock_store.JuzhuLockStore
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
import weakref
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, AsyncIterator, Optional

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore

log = logging.getLogger(__name__)

KEY_PREFIX = "juzhu:lock:"
DEFAULT_TTL_S = 10.0
DEFAULT_RETRY_S = 5.0
POLL_S = 0.01  # between two tries for a lock another server holds
SOCKET_TIMEOUT_S = 2.0
MODES = ("local", "refuse")


def redis_url() -> Optional[str]:
    """``LOCK_STORE_URL``, else ``REDIS_URL``; None (in-process locks only) when unset or ``memory://``."""
    url = (os.environ.get("LOCK_STORE_URL") or os.environ.get("REDIS_URL") or "").strip()
    if not url or url.startswith("memory"):
        return None
    return url


def _float_env(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name) or default)
    except ValueError:
        log.warning("%s=%r is not a number; using %s", name, os.environ.get(name), default)
        return default
    return value if value > 0 else default


@dataclass
class _Local:
    lock: asyncio.Lock
    users: int = 0


class JuzhuLockStore(LockStore):
    """Per-conversation lock: in-process, then Redis (atomic) when configured."""

    def __init__(self, endpoint_config: Any = None, *, url: Optional[str] = None,
                 ttl_s: Optional[float] = None, on_redis_down: Optional[str] = None,
                 retry_s: Optional[float] = None) -> None:
        super().__init__()
        kwargs = dict(getattr(endpoint_config, "kwargs", None) or {})
        self.url = url if url is not None else (getattr(endpoint_config, "url", None) or redis_url())
        self.ttl_s = ttl_s or float(kwargs.get("ttl_s") or _float_env("LOCK_TTL_S", DEFAULT_TTL_S))
        self.retry_s = retry_s or _float_env("LOCK_REDIS_RETRY_S", DEFAULT_RETRY_S)
        mode = (on_redis_down or kwargs.get("on_redis_down") or os.environ.get("LOCK_STORE_ON_REDIS_DOWN")
                or "local").strip().lower()
        if mode not in MODES:
            raise ValueError(f"LOCK_STORE_ON_REDIS_DOWN={mode!r}: accepted: {', '.join(MODES)}")
        self.on_redis_down = mode
        self._locals: dict[str, _Local] = {}
        self._clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any]" = weakref.WeakKeyDictionary()
        self._redis_down_since: Optional[float] = None
        self._next_try = 0.0
        if self.url:
            log.info("conversation locks in Redis at %s (atomic redis-py Lock, ttl %.0f s, on Redis down: %s)",
                     _redacted(self.url), self.ttl_s, self.on_redis_down)
        else:
            log.info("conversation locks in this process only (no REDIS_URL): right for one Rasa server")

    # --- Rasa's interface ------------------------------------------------------

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncIterator[TicketLock]:
        """Hold the conversation's lock for the block; LockError after ``lock_lifetime`` s of waiting."""
        deadline = time.monotonic() + float(lock_lifetime or LOCK_LIFETIME)
        local = self._locals.get(conversation_id)
        if local is None:
            local = self._locals[conversation_id] = _Local(asyncio.Lock())
        local.users += 1
        try:
            try:
                await asyncio.wait_for(local.lock.acquire(), timeout=max(0.0, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.") from None
            try:
                async with self._redis_lock(conversation_id, deadline):
                    yield TicketLock(conversation_id)
            finally:
                local.lock.release()
        finally:
            local.users -= 1
            if local.users == 0:
                self._locals.pop(conversation_id, None)

    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        return None  # no ticket locks: lock() does everything

    def delete_lock(self, conversation_id: str) -> None:
        return None

    def save_lock(self, lock: TicketLock) -> None:
        return None

    def is_someone_waiting(self, conversation_id: str) -> bool:
        local = self._locals.get(conversation_id)
        return bool(local and local.users > 1)

    # --- Redis -----------------------------------------------------------------

    def _client(self) -> Any:
        """One client (connection pool) per event loop: redis.asyncio binds connections to a loop."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            import redis.asyncio as aioredis

            client = aioredis.from_url(self.url, socket_timeout=SOCKET_TIMEOUT_S,
                                       socket_connect_timeout=SOCKET_TIMEOUT_S, health_check_interval=30)
            self._clients[loop] = client
        return client

    @asynccontextmanager
    async def _redis_lock(self, conversation_id: str, deadline: float) -> AsyncIterator[None]:
        if not self.url or time.monotonic() < self._next_try:
            if self.url and self.on_redis_down == "refuse":
                raise LockError(f"Redis unavailable: no lock for conversation_id '{conversation_id}'.")
            yield
            return
        from redis.exceptions import LockError as RedisLockError
        from redis.exceptions import RedisError

        lock = self._client().lock(KEY_PREFIX + conversation_id, timeout=self.ttl_s, sleep=POLL_S,
                                   blocking=True, thread_local=False)
        token = uuid.uuid4().hex.encode()
        try:
            acquired = await lock.acquire(blocking_timeout=max(0.0, deadline - time.monotonic()), token=token)
        except (RedisError, OSError) as error:
            self._redis_failed(error)
            if self.on_redis_down == "refuse":
                raise LockError(f"Redis unavailable: no lock for conversation_id '{conversation_id}'.") from error
            yield
            return
        if not acquired:
            raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
        self._redis_ok()
        keeper = asyncio.ensure_future(self._keep(lock, conversation_id))
        try:
            yield
        finally:
            keeper.cancel()
            try:
                await lock.release()
            except RedisLockError:
                log.warning("the lock of conversation %s expired before the turn ended (a turn longer "
                            "than LOCK_TTL_S with its renewals blocked?)", conversation_id)
            except (RedisError, OSError) as error:
                self._redis_failed(error)  # it expires by itself after LOCK_TTL_S

    async def _keep(self, lock: Any, conversation_id: str) -> None:
        """Renew the lock every third of its time to live while the turn runs."""
        from redis.exceptions import LockError as RedisLockError
        from redis.exceptions import RedisError

        while True:
            await asyncio.sleep(self.ttl_s / 3)
            try:
                await lock.reacquire()
            except RedisLockError:
                log.warning("the lock of conversation %s was lost while its turn ran", conversation_id)
                return
            except (RedisError, OSError) as error:
                self._redis_failed(error)
                return

    def _redis_failed(self, error: BaseException) -> None:
        now = time.monotonic()
        self._next_try = now + self.retry_s
        if self._redis_down_since is None:
            self._redis_down_since = now
            what = ("turns go on under this server's own locks" if self.on_redis_down == "local"
                    else "turns are refused")
            log.warning("lock store: Redis at %s unavailable (%s: %s); %s until it answers again",
                        _redacted(self.url or ""), type(error).__name__, error, what)

    def _redis_ok(self) -> None:
        if self._redis_down_since is not None:
            log.warning("lock store: Redis answers again after %.0f s; conversation locks in Redis again",
                        time.monotonic() - self._redis_down_since)
            self._redis_down_since = None


def _redacted(url: str) -> str:
    """The URL without its password."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return "(unparsable URL)"
    if parts.password:
        netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
