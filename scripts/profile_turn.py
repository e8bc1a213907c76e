#!/usr/bin/env python
"""Where a turn's time goes: Rasa in this process, timed phase by phase.

Starts the action server (``juzhu actions``) on a free loopback port, loads
the model into this process with endpoints.yml (the masked SQL tracker
store on a throw-away SQLite file, or ``--database-url``), then plays the
bench's whole conversations (scripts/bench_rest.py: same sender across
turns) and times, per turn:

- lock: the lock store's lock around the turn;
- tracker load / save: the tracker store (SQL, masking, sealing);
- NLU: the NLU graph (Jieba, featurizers, DIET, regex entities, fallback);
- policies: each prediction of the policy graph, and inside it each
  policy's own ``predict_action_probabilities``;
- action server: each call of a custom action (HTTP round trip, including
  the request's JSON: tracker and domain), and how much of it is building
  that JSON;
- the rest (Rasa's bookkeeping, built-in actions, responses).

    scripts/profile_turn.py                     # models/juzhu.tar.gz, 3 rounds
    scripts/profile_turn.py --model models/x.tar.gz --rounds 5 --json out.json

Loopback only; bounded (rounds x the bench's conversations).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Optional

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import bench_rest  # noqa: E402
import rasa_servers  # noqa: E402

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


class Clock:
    """Seconds and call counts per phase, for the turn in progress."""

    def __init__(self) -> None:
        self.turn: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.turns: list[tuple[dict[str, float], dict[str, int]]] = []

    def add(self, phase: str, seconds: float) -> None:
        self.turn[phase] += seconds
        self.calls[phase] += 1

    def close_turn(self) -> None:
        self.turns.append((dict(self.turn), dict(self.calls)))
        self.turn.clear()
        self.calls.clear()


CLOCK = Clock()


def timed_async(owner: Any, name: str, phase: str) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            CLOCK.add(phase, time.perf_counter() - started)

    setattr(owner, name, wrapper)


def timed_sync(owner: Any, name: str, phase: Callable[..., str] | str) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            CLOCK.add(phase(*args) if callable(phase) else phase, time.perf_counter() - started)

    setattr(owner, name, wrapper)


def instrument() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.core.policies.policy import Policy
    from rasa.core.processor import MessageProcessor
    from rasa.core.tracker_store import TrackerStore

    from rasa.engine.graph import GraphNode

    timed_sync(GraphNode, "__call__", lambda node, *_: "node " + node._node_name.split("_", 1)[-1]
               if node._node_name.startswith(("run_", "predict_")) else "node (other) " + node._node_name)
    timed_async(MessageProcessor, "get_tracker", "tracker load")
    timed_async(MessageProcessor, "save_tracker", "tracker save")
    timed_async(MessageProcessor, "parse_message", "NLU")
    timed_sync(MessageProcessor, "_predict_next_with_tracker", "policies (graph)")
    _count_winners(MessageProcessor)
    timed_async(RemoteAction, "run", "action server call")
    timed_sync(RemoteAction, "_action_call_format", "action request JSON")
    import rasa.core.policies.memoization  # noqa: F401 - the policy classes, to be found below
    import rasa.core.policies.rule_policy  # noqa: F401
    import rasa.core.policies.ted_policy  # noqa: F401

    for policy in _subclasses(Policy):
        if "predict_action_probabilities" in policy.__dict__:
            timed_sync(policy, "predict_action_probabilities", f"policy {policy.__name__}")
    del TrackerStore


WINNERS: dict[str, int] = defaultdict(int)


def _count_winners(processor: Any) -> None:
    """Which policy's prediction Rasa followed, per prediction (what each policy decides)."""
    original = processor._predict_next_with_tracker

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        prediction = original(*args, **kwargs)
        name = (getattr(prediction, "policy_name", None) or "?").rsplit(".", 1)[-1]
        WINNERS[name.split("_", 1)[-1] if name[:1].isdigit() else name] += 1
        return prediction

    processor._predict_next_with_tracker = wrapper


def instrument_lock(lock_store: Any) -> None:
    """The lock: the store's async context manager, wrapped."""
    original_lock = lock_store.lock

    @contextlib.asynccontextmanager
    async def lock(*args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        async with original_lock(*args, **kwargs) as held:
            CLOCK.add("lock", time.perf_counter() - started)
            yield held

    lock_store.lock = lock


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


async def play(agent: Any, rounds: int, scripts: list[list[str]]) -> list[float]:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    totals: list[float] = []
    for round_ in range(rounds + 1):  # round 0 warms up and is not counted
        for script in scripts:
            sender = f"profile-{uuid.uuid4().hex[:10]}"
            for text in script:
                started = time.perf_counter()
                await agent.handle_message(UserMessage(text, CollectingOutputChannel(), sender))
                elapsed = time.perf_counter() - started
                if round_ == 0:
                    WINNERS.clear()
                    CLOCK.turn.clear()
                    CLOCK.calls.clear()
                    continue
                CLOCK.turn["turn (total)"] = elapsed
                CLOCK.close_turn()
                totals.append(elapsed)
    return totals


ORDER = ["turn (total)", "lock", "tracker load", "NLU", "policies (graph)", "policy TEDPolicy",
         "policy RulePolicy", "policy MemoizationPolicy", "action server call", "action request JSON",
         "tracker save"]


def report(totals: list[float]) -> dict[str, Any]:
    phases = {phase for turn, _ in CLOCK.turns for phase in turn}
    ordered = [p for p in ORDER if p in phases] + sorted(phases - set(ORDER))
    rows = {}
    n = len(CLOCK.turns)
    for phase in ordered:
        per_turn = [turn.get(phase, 0.0) for turn, _ in CLOCK.turns]
        calls = sum(calls.get(phase, 0) for _, calls in CLOCK.turns)
        rows[phase] = {"ms_per_turn_mean": 1000 * statistics.fmean(per_turn),
                       "ms_per_turn_p50": 1000 * statistics.median(per_turn),
                       "calls_per_turn": calls / n if n else 0.0}
    accounted = sum(rows[p]["ms_per_turn_mean"] for p in ("lock", "tracker load", "NLU", "policies (graph)",
                                                          "action server call", "tracker save") if p in rows)
    rows["other (Rasa bookkeeping, built-in actions)"] = {
        "ms_per_turn_mean": rows["turn (total)"]["ms_per_turn_mean"] - accounted,
        "ms_per_turn_p50": float("nan"), "calls_per_turn": float("nan")}
    return {"turns": n, "phases": rows, "predictions_by_policy": dict(WINNERS)}


def print_table(result: dict[str, Any], title: str) -> None:
    print(title)
    print("| phase | ms per turn (mean) | ms per turn (p50) | calls per turn |")
    print("| --- | ---: | ---: | ---: |")
    for phase, row in result["phases"].items():
        if phase.startswith("node "):
            continue
        p50 = "" if row["ms_per_turn_p50"] != row["ms_per_turn_p50"] else f"{row['ms_per_turn_p50']:.1f}"
        calls = "" if row["calls_per_turn"] != row["calls_per_turn"] else f"{row['calls_per_turn']:.2f}"
        indent = "  " if phase.startswith("policy ") or phase == "action request JSON" else ""
        print(f"| {indent}{phase} | {row['ms_per_turn_mean']:.1f} | {p50} | {calls} |")
    nodes = {k: v for k, v in result["phases"].items() if k.startswith("node ") and v["ms_per_turn_mean"] >= 0.05}
    if nodes:
        print("\nGraph components (NLU and policies), ms per turn:")
        print("| component | ms per turn (mean) | calls per turn |")
        print("| --- | ---: | ---: |")
        for phase, row in sorted(nodes.items(), key=lambda x: -x[1]["ms_per_turn_mean"]):
            print(f"| {phase[5:]} | {row['ms_per_turn_mean']:.2f} | {row['calls_per_turn']:.2f} |")
    winners = result.get("predictions_by_policy") or {}
    if winners:
        print("Predictions followed, by policy: " + ", ".join(f"{name} {count}" for name, count
                                                             in sorted(winners.items(), key=lambda x: -x[1])))


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "juzhu.tar.gz"))
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the bench's conversations (default 3)")
    parser.add_argument("--database-url", default=None,
                        help="conversations database (default: a throw-away SQLite file)")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    parser.add_argument("--stock", action="store_true",
                        help="profile the stock `rasa init` bot instead (var/bench/moodbot, its own "
                             "endpoints: in-memory stores, no action server), with the bench's moodbot turns")
    args = parser.parse_args(argv)
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be between 1 and 20")

    work = Path(tempfile.mkdtemp(prefix="juzhu-profile-"))
    env = {"ACTION_SECRET": os.environ.get("ACTION_SECRET") or secrets.token_urlsafe(24),
           "DATABASE_URL": os.environ.get("PROFILE_BOOKINGS_URL") or f"sqlite:///{work / 'juzhu.db'}",
           "CONVERSATIONS_DATABASE_URL": args.database_url or f"sqlite:///{work / 'conversations.db'}"}
    os.environ.update(env)
    action_port = rasa_servers.free_port()
    os.environ["ACTION_PORT"] = str(action_port)
    from bot.processes import starter

    action = starter.Process("action server", [str(rasa_servers.BIN / "juzhu"), "actions", "--port", str(action_port)],
                             f"http://127.0.0.1:{action_port}/health", env=dict(os.environ), log=work / "action.log")
    starter.launch(action)
    try:
        try:
            starter.wait_ready([action], 120, poll=0.3)
        except starter.NotReady as error:
            print(f"profile: {error}", file=sys.stderr)
            return 1
        import logging

        from rasa.utils.common import configure_logging_and_warnings
        from rasa.utils.log_utils import configure_structlog

        # As `rasa run` logs by default (INFO): debug logging would be most of the turn.
        configure_logging_and_warnings(logging.INFO)
        configure_structlog(logging.INFO)
        from rasa.core.agent import load_agent
        from rasa.core.utils import AvailableEndpoints

        model, scripts = args.model, bench_rest.CONVERSATIONS
        endpoints_file = ROOT / "endpoints.yml"
        if args.stock:
            import stock_bot

            stock_dir = ROOT / "var" / "bench" / "moodbot"
            model, scripts = str(stock_bot.build(stock_dir)), bench_rest.MOODBOT
            endpoints_file = stock_dir / "endpoints.yml"
        endpoints = AvailableEndpoints.read_endpoints(str(endpoints_file))

        async def run() -> list[float]:
            instrument()  # before loading: the graph binds the policies' methods when it is built
            agent = await load_agent(model_path=model, endpoints=endpoints)
            instrument_lock(agent.lock_store)
            return await play(agent, args.rounds, scripts)

        totals = asyncio.run(run())
        result = report(totals)
        result["model"] = model
        print_table(result, f"Where a turn's time goes ({result['turns']} turns of the bench's conversations, "
                            f"Rasa in-process, {Path(model).name}):")
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=2), encoding="utf-8")
        return 0
    finally:
        starter.stop([action], grace=10)


if __name__ == "__main__":
    sys.exit(main())
