#!/usr/bin/env python
"""Per-turn latency and throughput of the assistant through Rasa's REST channel.

Simulated applicants (each its own sender id) hold scripted conversations
with the Rasa server: the eligibility interview of the five applicant types
of issue 3 and some questions. The run is bounded (a fixed number of
conversations per applicant) and talks to loopback only.

    scripts/bench_rest.py                         # RASA_URL or http://127.0.0.1:5005
    scripts/bench_rest.py --users 1 10 --conversations 3
    scripts/bench_rest.py --start always          # start Rasa + actions on free ports first

Prints, per concurrency level: turns, p50 and p95 per-turn latency (ms),
messages per second (turns completed / wall time) and errors.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional
from urllib.parse import urlparse

import aiohttp

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
CONVERSATIONS = [
    # 聊城 renter with a labour contract
    ["你好", "我能办居住证吗", "聊城", "户口在河北", "我在聊城租房住了八个月，在厂里上班", "登记了八个月", "要带什么材料"],
    # 曲靖 student
    ["我在曲靖上大学，能办居住证吗", "户口在四川", "来了一年了", "办证要钱吗"],
    # a local in 聊城's exempt districts
    ["我想问问能不能办居住证", "聊城", "户口在东昌府区，现在住在茌平区"],
    # a newcomer of three months
    ["能办居住证吗", "聊城", "户口在河南", "刚来三个月，租的房子", "没办过"],
    # a foreigner, then questions
    ["我是外国人，在聊城工作，能办居住证吗", "签注怎么办", "谢谢"],
]
# The stock `rasa init` assistant (moodbot), to compare on the same machine.
MOODBOT = [
    ["hello", "I am sad", "yes", "bye"],
    ["hi", "very good", "are you a bot?", "goodbye"],
    ["hey", "unhappy", "no", "bye"],
]
SCRIPTS = {"juzhu": CONVERSATIONS, "moodbot": MOODBOT}


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    silent: int = 0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def applicant(session: aiohttp.ClientSession, url: str, number: int, conversations: int,
                    result: Result, scripts: list[list[str]]) -> None:
    for round_ in range(conversations):
        script = scripts[(number + round_) % len(scripts)]
        sender = f"bench-{uuid.uuid4().hex[:12]}"
        for text in script:
            started = time.perf_counter()
            try:
                async with session.post(url, json={"sender": sender, "message": text}) as response:
                    body = await response.json(content_type=None)
                    if response.status != 200:
                        result.errors += 1
                        continue
            except (aiohttp.ClientError, asyncio.TimeoutError, json.JSONDecodeError):
                result.errors += 1
                continue
            result.latencies.append(time.perf_counter() - started)
            if not body:
                result.silent += 1


async def level(base_url: str, users: int, conversations: int,
                scripts: list[list[str]]) -> tuple[Result, float]:
    url = base_url.rstrip("/") + "/webhooks/rest/webhook"
    result = Result()
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(applicant(session, url, n, conversations, result, scripts) for n in range(users)))
        wall = time.perf_counter() - started
    return result, wall


async def warm_up(base_url: str, scripts: list[list[str]]) -> None:
    url = base_url.rstrip("/") + "/webhooks/rest/webhook"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        for text in scripts[0]:
            async with session.post(url, json={"sender": "bench-warmup", "message": text}) as response:
                await response.read()


def table(rows: list[tuple[int, Result, float]]) -> str:
    lines = ["| users | turns | p50 ms | p95 ms | msg/s | errors | no reply |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for users, result, wall in rows:
        turns = len(result.latencies)
        lines.append(f"| {users} | {turns} | {percentile(result.latencies, 50) * 1000:.0f} | "
                     f"{percentile(result.latencies, 95) * 1000:.0f} | {turns / wall:.1f} | "
                     f"{result.errors} | {result.silent} |")
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("RASA_URL", "http://127.0.0.1:5005"),
                        help="Rasa server (default: $RASA_URL or http://127.0.0.1:5005)")
    parser.add_argument("--users", type=int, nargs="+", default=[1, 10], help="concurrency levels (default 1 10)")
    parser.add_argument("--conversations", type=int, default=3,
                        help="scripted conversations per simulated applicant (default 3)")
    parser.add_argument("--script", choices=sorted(SCRIPTS), default="juzhu",
                        help="conversations to play: juzhu (default) or moodbot (a stock `rasa init` bot)")
    parser.add_argument("--start", choices=("auto", "always", "never"), default="auto",
                        help="start the action server and Rasa (models/juzhu.tar.gz) on free ports: "
                             "auto (default) when nothing answers at --url, always, or never")
    args = parser.parse_args(argv)
    if not 1 <= args.conversations <= 50 or not all(1 <= u <= 50 for u in args.users):
        parser.error("--users and --conversations must be between 1 and 50")

    if urlparse(args.url).hostname not in LOOPBACK:
        print(f"bench: refusing {args.url}: the bench only talks to loopback", file=sys.stderr)
        return 2
    sys.path.insert(0, str(Path(__file__).parent))
    import rasa_servers

    servers = None
    if args.start == "always" or (args.start == "auto" and not rasa_servers.url_ok(args.url.rstrip("/") + "/")):
        model = rasa_servers.latest_model()
        if model is None:
            print("bench: no trained model in models/ (run `make model`)", file=sys.stderr)
            return 2
        print(f"starting the action server and Rasa with {model} on free ports …",
              file=sys.stderr, flush=True)
        servers = rasa_servers.start(model)
        args.url = servers.rasa_url
    try:
        try:
            asyncio.run(warm_up(args.url, SCRIPTS[args.script]))
        except (aiohttp.ClientError, OSError) as error:
            print(f"bench: no Rasa server at {args.url} ({error}); start one with `make run`, "
                  f"or use --start always", file=sys.stderr)
            return 2
        rows = []
        for users in args.users:
            result, wall = asyncio.run(level(args.url, users, args.conversations, SCRIPTS[args.script]))
            rows.append((users, result, wall))
        print(f"REST bench against {args.url} ({args.script}): {args.conversations} scripted conversations "
              f"per simulated applicant")
        print(table(rows))
        return 1 if any(result.errors for _, result, _ in rows) else 0
    finally:
        if servers:
            servers.stop()


if __name__ == "__main__":
    sys.exit(main())
