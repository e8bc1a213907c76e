#!/usr/bin/env python
"""Per-turn latency and throughput of juzhu against a stock `rasa init` bot, as ratios.

Both assistants run on this machine with the same Rasa: juzhu (action
server + Rasa with models/juzhu.tar.gz, its SQL tracker store and lock
store, as `make run` has them) and the stock assistant `rasa init` creates
(built once into var/bench/moodbot; `rasa run` with its own defaults).
Simulated applicants (each its own sender id) hold whole scripted
conversations through Rasa's REST channel: the same sender across turns,
so forms and slots build up as in real use. The rounds alternate between
the two assistants at each concurrency level, so a burst of load from
elsewhere on the machine hits both alike. The run is bounded and talks to
loopback only.

    scripts/bench_rest.py                         # 1 and 10 users, 8 alternating rounds
    scripts/bench_rest.py --users 1 10 --rounds 5 --json results/bench.json
    scripts/bench_rest.py --no-stock              # juzhu alone (RASA_URL, or started)
    scripts/bench_rest.py --script moodbot --url http://127.0.0.1:5005   # one assistant, as before

Prints, per assistant and concurrency level: turns, p50 and p95 per-turn
latency (ms), messages per second (turns completed / wall time), errors;
then the ratios juzhu / stock: per-turn p50 (lower is better; the goal is
<= 1.0 at 1 user) and throughput (higher is better; the goal is >= 1.0 at
10 users).
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

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# "对": the read-back before a verdict that rests on words (issue 17), answered as a person would.
CONVERSATIONS = [
    # 聊城 renter with a labour contract
    ["你好", "我能办居住证吗", "聊城", "户口在河北", "我在聊城租房住了八个月，在厂里上班，签了劳动合同", "登记了八个月",
     "对", "要带什么材料"],
    # 曲靖 student
    ["我在曲靖上大学，能办居住证吗", "户口在四川", "来了一年了", "对", "办证要钱吗"],
    # a local in 聊城's exempt districts
    ["我想问问能不能办居住证", "聊城", "户口在东昌府区，现在住在茌平区", "对"],
    # a newcomer of three months
    ["能办居住证吗", "聊城", "户口在河南", "刚来三个月，租的房子", "没办过", "对"],
    # a foreigner, then questions
    ["我是外国人，在聊城工作，能办居住证吗", "对", "签注怎么办", "谢谢"],
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
    wall: float = 0.0

    def add(self, other: "Result") -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        self.silent += other.silent
        self.wall += other.wall

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall if self.wall else float("nan")

    def summary(self) -> dict[str, float]:
        return {"turns": len(self.latencies), "p50_ms": percentile(self.latencies, 50) * 1000,
                "p95_ms": percentile(self.latencies, 95) * 1000, "msg_per_s": self.rate,
                "errors": self.errors, "no_reply": self.silent}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def applicant(session: aiohttp.ClientSession, url: str, number: int, conversations: int,
                    result: Result, scripts: list[list[str]], tag: str) -> None:
    for round_ in range(conversations):
        script = scripts[(number + round_) % len(scripts)]
        sender = f"bench-{tag}-{uuid.uuid4().hex[:12]}"
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


async def level(base_url: str, users: int, conversations: int, scripts: list[list[str]],
                tag: str = "x") -> Result:
    url = base_url.rstrip("/") + "/webhooks/rest/webhook"
    result = Result()
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(applicant(session, url, n, conversations, result, scripts, tag)
                               for n in range(users)))
        result.wall = time.perf_counter() - started
    return result


async def warm_up(base_url: str, scripts: list[list[str]]) -> None:
    url = base_url.rstrip("/") + "/webhooks/rest/webhook"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        for script in scripts:
            sender = f"bench-warmup-{uuid.uuid4().hex[:8]}"
            for text in script:
                async with session.post(url, json={"sender": sender, "message": text}) as response:
                    await response.read()


def table(rows: list[tuple[str, int, Result]]) -> str:
    lines = ["| assistant | users | turns | p50 ms | p95 ms | msg/s | errors | no reply |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, users, result in rows:
        s = result.summary()
        lines.append(f"| {name} | {users} | {s['turns']} | {s['p50_ms']:.0f} | {s['p95_ms']:.0f} | "
                     f"{s['msg_per_s']:.1f} | {s['errors']} | {s['no_reply']} |")
    return "\n".join(lines)


def ratios(results: dict[tuple[str, int], Result], levels: list[int]) -> list[dict[str, float]]:
    out = []
    for users in levels:
        ours, stock = results.get(("juzhu", users)), results.get(("stock", users))
        if not ours or not stock or not ours.latencies or not stock.latencies:
            continue
        out.append({"users": users,
                    "p50_ratio": percentile(ours.latencies, 50) / percentile(stock.latencies, 50),
                    "p95_ratio": percentile(ours.latencies, 95) / percentile(stock.latencies, 95),
                    "throughput_ratio": ours.rate / stock.rate})
    return out


def paired_ratios(rounds: dict[tuple[str, int], list[Result]], levels: list[int]) -> dict[int, dict[str, float]]:
    """Ratios of each round pair (juzhu and stock run back to back), then their median.

    Load from elsewhere on the machine comes and goes within a run; a pair of
    neighbouring rounds sees about the same, so the median of the pairs'
    ratios is steadier than the ratio of the pooled figures.
    """
    import statistics

    out = {}
    for users in levels:
        ours, stock = rounds.get(("juzhu", users), []), rounds.get(("stock", users), [])
        pairs = [(a, b) for a, b in zip(ours, stock) if a.latencies and b.latencies]
        if not pairs:
            continue
        out[users] = {
            "p50_ratio": statistics.median(percentile(a.latencies, 50) / percentile(b.latencies, 50)
                                           for a, b in pairs),
            "throughput_ratio": statistics.median(a.rate / b.rate for a, b in pairs)}
    return out


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("RASA_URL", "http://127.0.0.1:5005"),
                        help="juzhu's Rasa server (default: $RASA_URL or http://127.0.0.1:5005); started on "
                             "free ports when nothing answers there (see --start)")
    parser.add_argument("--users", type=int, nargs="+", default=[1, 10], help="concurrency levels (default 1 10)")
    parser.add_argument("--rounds", type=int, default=8,
                        help="alternating rounds per assistant and level (default 8)")
    parser.add_argument("--conversations", type=int, default=2,
                        help="whole scripted conversations per simulated applicant and round (default 2)")
    parser.add_argument("--script", choices=sorted(SCRIPTS), default=None,
                        help="bench one assistant at --url with these conversations (no comparison)")
    parser.add_argument("--no-stock", action="store_true", help="juzhu alone, no stock bot")
    parser.add_argument("--stock-dir", default=str(ROOT / "var" / "bench" / "moodbot"),
                        help="where the stock `rasa init` bot is built once (default var/bench/moodbot)")
    parser.add_argument("--start", choices=("auto", "always", "never"), default="auto",
                        help="start juzhu's action server and Rasa (models/juzhu.tar.gz) on free ports: "
                             "auto (default) when nothing answers at --url, always, or never")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if not 1 <= args.conversations <= 50 or not all(1 <= u <= 50 for u in args.users) \
            or not 1 <= args.rounds <= 20:
        parser.error("--users and --conversations must be between 1 and 50, --rounds between 1 and 20")
    if urlparse(args.url).hostname not in LOOPBACK:
        print(f"bench: refusing {args.url}: the bench only talks to loopback", file=sys.stderr)
        return 2
    sys.path.insert(0, str(Path(__file__).parent))
    import rasa_servers
    import stock_bot

    single = args.script is not None
    compare = not single and not args.no_stock
    started: list = []
    try:
        targets: dict[str, str] = {}
        if single and args.script == "moodbot":
            targets["stock"] = args.url
        else:
            url = args.url
            if args.start == "always" or (args.start == "auto" and not rasa_servers.url_ok(url.rstrip("/") + "/")):
                model = rasa_servers.latest_model()
                if model is None:
                    print("bench: no trained model in models/ (run `make model`)", file=sys.stderr)
                    return 2
                print(f"bench: starting juzhu's action server and Rasa with {model} on free ports …",
                      file=sys.stderr, flush=True)
                servers = rasa_servers.start(model)
                started.append(servers)
                url = servers.rasa_url
            targets["juzhu"] = url
        if compare:
            print("bench: starting the stock `rasa init` bot on a free port (built once into "
                  f"{args.stock_dir}) …", file=sys.stderr, flush=True)
            stock = stock_bot.start(Path(args.stock_dir))
            started.append(stock)
            targets["stock"] = stock.rasa_url
        scripts = {"juzhu": CONVERSATIONS, "stock": MOODBOT}
        for name, url in targets.items():
            try:
                asyncio.run(warm_up(url, scripts[name]))
            except (aiohttp.ClientError, OSError) as error:
                print(f"bench: no Rasa server at {url} ({error}); start one with `make run`, "
                      f"or use --start always", file=sys.stderr)
                return 2

        results: dict[tuple[str, int], Result] = {}
        rounds: dict[tuple[str, int], list[Result]] = {}
        names = list(targets)
        for users in args.users:
            for round_ in range(args.rounds):
                order = names if round_ % 2 == 0 else names[::-1]
                for name in order:
                    result = asyncio.run(level(targets[name], users, args.conversations, scripts[name], name))
                    results.setdefault((name, users), Result()).add(result)
                    rounds.setdefault((name, users), []).append(result)
        rows = [(name, users, results[(name, users)]) for users in args.users for name in names]
        print(f"REST bench: {args.rounds} alternating round(s) per level, {args.conversations} whole "
              f"conversation(s) per simulated applicant per round ({', '.join(f'{n} at {u}' for n, u in targets.items())})")
        print(table(rows))
        found = ratios(results, args.users)
        paired = paired_ratios(rounds, args.users)
        for row in found:
            pair = paired.get(row["users"], {})
            row.update({f"round_median_{k}": v for k, v in pair.items()})
            print(f"juzhu / stock at {row['users']} user(s): per-turn p50 x{row['p50_ratio']:.2f} "
                  f"(p95 x{row['p95_ratio']:.2f}), throughput x{row['throughput_ratio']:.2f}"
                  + (f"; median of the {args.rounds} back-to-back round pairs: p50 x{pair['p50_ratio']:.2f}, "
                     f"throughput x{pair['throughput_ratio']:.2f}" if pair else ""))
        if args.json:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps({
                "rounds": args.rounds, "conversations": args.conversations,
                "results": [{"assistant": n, "users": u, **r.summary()} for n, u, r in rows],
                "ratios": found}, indent=2), encoding="utf-8")
        return 1 if any(result.errors for _, _, result in rows) else 0
    finally:
        for servers in reversed(started):
            servers.stop()


if __name__ == "__main__":
    sys.exit(main())
