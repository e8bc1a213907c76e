"""Two behaviours of Rasa 3.6 changed for this project, in the Rasa process.

1. Work Rasa does on every call that can be done once per process.

Measured with scripts/profile_turn.py and py-spy on this project's turns
(README, "Speed"): the biggest single cost of a turn on the Rasa side was
not a model but checking the action server's answer. ``RemoteAction``
calls ``jsonschema.validate(result, schema)`` on every call, and
``jsonschema.validate`` first checks the *schema itself* against its
metaschema, every time (jsonschema 4.17): about half of Rasa's CPU time
per turn here. The schema never changes, so it is checked once and one
compiled validator is kept; every answer is still validated, with the same
error as before. And each event is checked against the schema of its own
kind instead of all 23 kinds in turn (:class:`_DiscriminatedEvents`: the
same verdict, ten times faster). Rasa also opens a new HTTP session (and
connection) to the action server for every call; one session per endpoint
is kept instead, its idle connections closed after 2 s (well before the
action server's 5 s or HAProxy's 10 s, so a kept connection is never one
the server is closing). Reading events back (from the database, from the
action server) no longer walks every Event class for each event.

2. No silent forgetting when the conversations database is down, and no
waiting for it on the event loop.

Rasa wraps every tracker store in ``FailSafeTrackerStore``: when the SQL
store fails, ``retrieve`` answers "no such conversation" and ``save`` keeps
the turn in a process-local in-memory store. With PostgreSQL down for a
few seconds the assistant then greets a returning applicant as a stranger,
forgets the facts given so far, and what was said meanwhile is never
stored; when the database is back, that in-memory conversation is
ignored. Here the failure fails the turn instead: Rasa logs it and the
REST channel answers nothing, which the kiosk and the Telegram bridge turn
into 系统繁忙 and the hotline; the next message after the database is back
continues the conversation where it was (tests/cluster: the PostgreSQL
drill). The same wrapper can run the store's calls in worker threads
(:func:`off_the_loop`, ``JUZHU_TRACKER_STORE_THREADS``): Rasa's SQL stores
block the event loop.

:func:`install` is idempotent and changes nothing else. `juzhu rasa`
(bot/processes/servers.py) calls it explicitly before handing over to Rasa's CLI, and
every Rasa server of this project (``make run``, ``make cluster``, the
tests' servers) starts through `juzhu rasa`.

Why patches and not an extension point: Rasa 3.6 offers none for either.
The remote-action check happens inside ``RemoteAction.run`` and the fail-safe
wrapper is applied by ``create_tracker_store`` around whatever store class
endpoints.yml names, so a custom store cannot opt out of it. Each patch
replaces one function, keeps its signature and results, and is covered by
tests/cluster/test_rasa_patches.py.
"""
from __future__ import annotations

import logging
import os
import threading
from typing import Any, Optional

log = logging.getLogger(__name__)

_installed = False
_install_lock = threading.Lock()
# Each patch replaces a function of this exact release; on another one its
# signature or its callers may differ, so the patches refuse to go in.
WRITTEN_FOR_RASA = "3.6.21"


class UnsupportedRasaVersion(RuntimeError):
    pass


def check_version(version: Optional[str] = None) -> None:
    """Refuse a Rasa release the patches were not written for (an English message for the operator)."""
    if version is None:
        import rasa

        version = rasa.__version__
    if version != WRITTEN_FOR_RASA:
        raise UnsupportedRasaVersion(
            f"bot/rasa_ext/rasa_patches.py was written for Rasa {WRITTEN_FOR_RASA}, but Rasa {version} is installed: "
            f"re-check each patched function against that release, then update WRITTEN_FOR_RASA")


def install() -> None:
    """Patch both (once per process)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        check_version()
        if os.environ.get("JUZHU_RASA_SPEEDUPS", "1").strip() != "0":  # 0: to measure what it saves
            _patch_action_result_validation()
            _patch_endpoint_sessions()
            _patch_event_type_lookup()
        else:
            log.warning("action results validated as Rasa does (JUZHU_RASA_SPEEDUPS=0)")
        _patch_fail_safe_tracker_store()
        _installed = True
        log.debug("Rasa patches installed")


def _patch_action_result_validation() -> None:
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction._validate_action_result
    if getattr(original, "juzhu_cached", False):
        return
    validators: Optional[tuple[Any, Any]] = None

    def compiled() -> tuple[Any, Any]:
        nonlocal validators
        if validators is None:
            from jsonschema.validators import validator_for

            schema = RemoteAction.action_response_format_spec()
            cls = validator_for(schema)
            cls.check_schema(schema)  # what jsonschema.validate did on every call, now once
            validators = (cls(schema), _DiscriminatedEvents.build(schema, cls))
        return validators

    def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        from jsonschema import ValidationError
        from jsonschema.exceptions import best_match

        from rasa.shared.constants import DOCS_BASE_URL

        full, fast = compiled()
        if fast is not None and fast.accepts(result):
            return True
        error = best_match(full.iter_errors(result))  # as jsonschema.validate reports it
        if error is None:
            return True
        assert isinstance(error, ValidationError)
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error

    _validate_action_result.juzhu_cached = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


class _DiscriminatedEvents:
    """The response schema's events checked against their own event kind only.

    The schema says each event is ``oneOf`` 23 kinds, each kind fixing
    ``event`` to a constant: jsonschema tries all 23 for every event (about
    3 ms for a turn's six slot events). An event whose ``event`` names kind
    K and that is valid under K's schema is invalid under the 22 others
    (their constant differs), so it satisfies the ``oneOf``: checking K
    alone gives the same answer. Anything this check does not accept goes
    to the full validator, which gives the verdict and the error.
    """

    def __init__(self, outer: Any, kinds: dict[str, Any]) -> None:
        self.outer, self.kinds = outer, kinds

    @classmethod
    def build(cls, schema: dict[str, Any], validator_cls: Any) -> Optional["_DiscriminatedEvents"]:
        import copy

        try:
            items = schema["properties"]["events"]["items"]
            alternatives = items["oneOf"]
            kinds = {alt["properties"]["event"]["const"]: alt for alt in alternatives}
        except (KeyError, TypeError):
            return None
        if len(kinds) != len(alternatives):  # two kinds with one name: not a plain discriminator
            return None
        outer = copy.deepcopy(schema)
        del outer["properties"]["events"]["items"]["oneOf"]
        return cls(validator_cls(outer), {name: validator_cls(alt) for name, alt in kinds.items()})

    def accepts(self, result: Any) -> bool:
        if not self.outer.is_valid(result):
            return False
        for event in result.get("events") or []:
            kind = self.kinds.get(event.get("event")) if isinstance(event, dict) else None
            if kind is None or not kind.is_valid(event):
                return False
        return True


KEEPALIVE_S = 2.0


def _patch_event_type_lookup() -> None:
    """``Event.resolve_by_type`` found once per event kind, not by walking every Event class each time.

    Every event read back (a tracker from the database: dozens per turn; an
    action server's answer) is turned into its class by listing all
    subclasses of ``Event`` and checking each with ``inspect.isabstract``.
    A kind found stays found (an Event class does not go away); a kind not
    found is looked up the long way again, as before.
    """
    from rasa.shared.core.events import Event

    original = Event.resolve_by_type
    if getattr(original, "juzhu_cached", False):
        return
    found: dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        cls = found.get(type_name)
        if cls is not None:
            return cls
        cls = original(type_name, default)
        if cls is not None and cls is not default and getattr(cls, "type_name", None) == type_name:
            found[type_name] = cls
        return cls

    resolve_by_type.juzhu_cached = True  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]


def _patch_endpoint_sessions() -> None:
    from rasa.utils.endpoints import EndpointConfig

    if getattr(EndpointConfig.session, "juzhu_shared", False):
        return
    original = EndpointConfig.session
    # id(endpoint) -> (endpoint, {event loop: session}); endpoints are few and live as long as Rasa.
    shared: dict[int, tuple[Any, Any]] = {}

    class _Borrowed:
        """``async with endpoint.session() as s`` without closing the shared session."""

        def __init__(self, session: Any) -> None:
            self.session = session

        async def __aenter__(self) -> Any:
            return self.session

        async def __aexit__(self, *exc: Any) -> bool:
            return False

    def session(self: Any) -> Any:
        import asyncio
        import weakref

        import aiohttp

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return original(self)
        _, per_loop = shared.setdefault(id(self), (self, weakref.WeakKeyDictionary()))
        current = per_loop.get(loop)
        if current is None or current.closed:
            auth = (aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                    if self.basic_auth else None)
            from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

            current = per_loop[loop] = aiohttp.ClientSession(
                headers=self.headers, auth=auth, timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_S))
        return _Borrowed(current)

    session.juzhu_shared = True  # type: ignore[attr-defined]
    EndpointConfig.session = session  # type: ignore[method-assign]


class ConversationStoreUnavailable(RuntimeError):
    """The conversations database failed: the turn is not handled (never half-handled in memory)."""


def _patch_fail_safe_tracker_store() -> None:
    from rasa.core.tracker_store import FailSafeTrackerStore

    if getattr(FailSafeTrackerStore, "juzhu_fails_loudly", False):
        return

    def failed(self: Any, what: str, error: Exception) -> ConversationStoreUnavailable:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()
        log.error("conversations database unavailable (%s failed: %s: %s); the message is not handled, the "
                  "channel says the system is busy", what, type(error).__name__, reason[0] if reason else "")
        return ConversationStoreUnavailable(f"tracker store {what} failed")

    async def retrieve(self: Any, sender_id: str) -> Any:
        try:
            return await off_the_loop(self._tracker_store.retrieve, sender_id)
        except Exception as error:  # noqa: BLE001 - whatever the store raised
            raise failed(self, "retrieve", error) from error

    async def retrieve_full_tracker(self: Any, sender_id: str) -> Any:
        try:
            return await off_the_loop(self._tracker_store.retrieve_full_tracker, sender_id)
        except Exception as error:  # noqa: BLE001
            raise failed(self, "retrieve", error) from error

    async def save(self: Any, tracker: Any) -> None:
        try:
            await off_the_loop(self._tracker_store.save, tracker)
        except Exception as error:  # noqa: BLE001
            raise failed(self, "save", error) from error

    FailSafeTrackerStore.retrieve = retrieve  # type: ignore[method-assign]
    FailSafeTrackerStore.retrieve_full_tracker = retrieve_full_tracker  # type: ignore[method-assign]
    FailSafeTrackerStore.save = save  # type: ignore[method-assign]
    FailSafeTrackerStore.juzhu_fails_loudly = True  # type: ignore[attr-defined]


# --- 3. the conversations database off the event loop -----------------------------

_threads: Optional[Any] = None
_thread_loops = threading.local()


def store_threads() -> int:
    """``JUZHU_TRACKER_STORE_THREADS``: 0 (default) on the event loop, as Rasa does; N worker threads.

    Measured (README, "Speed"): no gain on this machine, at 1 or 10 users,
    on SQLite or on a local PostgreSQL: the store's time is CPU (masking,
    SQLAlchemy's ORM, replaying the events), which holds Python's GIL
    whatever the thread. It pays when the database is across a network
    (a managed PostgreSQL a millisecond or more away): set 4 then.
    """
    try:
        return max(0, int(os.environ.get("JUZHU_TRACKER_STORE_THREADS", "0")))
    except ValueError:
        return 0


async def off_the_loop(method: Any, *args: Any) -> Any:
    """Await ``method(*args)`` (a tracker store coroutine) in a worker thread.

    Rasa's SQL tracker stores are ``async def`` but block: every query, the
    commit, the masking and the replay of the events run on Rasa's one event
    loop, and every other conversation waits meanwhile (on PostgreSQL that
    includes the network round trips). In a worker thread, with an event
    loop of its own kept for the next call, the loop serves other turns
    while one waits for its database. One conversation's turns stay in
    order: its lock is held until the save has finished.
    """
    global _threads
    count = store_threads()
    if count == 0:
        return await method(*args)
    if _threads is None:
        from concurrent.futures import ThreadPoolExecutor

        with _install_lock:
            if _threads is None:
                _threads = ThreadPoolExecutor(max_workers=count, thread_name_prefix="tracker-store")
    import asyncio

    return await asyncio.get_running_loop().run_in_executor(_threads, _run_here, method, args)


def _run_here(method: Any, args: tuple) -> Any:
    import asyncio

    loop = getattr(_thread_loops, "loop", None)
    if loop is None:
        loop = _thread_loops.loop = asyncio.new_event_loop()
    return loop.run_until_complete(method(*args))
