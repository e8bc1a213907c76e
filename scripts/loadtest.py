#!/usr/bin/env python
"""`make loadtest`: K simulated applicants against a running juzhu (`make run` or `make cluster`).

Each applicant holds one whole conversation through Rasa's REST channel
(its own sender id): the eligibility interview of an eligible 聊城 renter,
a question, then a booking at the first station, day and time offered —
every applicant races for the same few seats — with its own phone number.
K applicants start together (or ``--ramp-s`` apart) and the run is bounded
in count (K, at most 300) and in time (``--duration-s``, at most 600; no
new conversation starts after it). Loopback only.

Afterwards it counts, from the stores themselves:

- messages lost: user messages the server answered (HTTP 200) minus user
  events stored for those conversations (Rasa's tracker API, with
  ``RASA_TOKEN``);
- seats oversold: slots holding more active bookings than seats (the
  bookings database, ``DATABASE_URL``);
- errors: HTTP errors, timeouts, empty answers, and 系统繁忙 replies.

and prints msg/s, p50 and p95 per turn. The loadtest's bookings are
cancelled at the end (``--keep`` keeps them).

    scripts/loadtest.py --url http://127.0.0.1:5005 --users 20       # what runs there
    scripts/loadtest.py --start cluster --replicas 1 2 --users 20    # start clusters itself, one after the other
    scripts/loadtest.py --start run --users 20                       # a `make run`-like pair on free ports
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlparse

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bot.channels import relay_headers  # noqa: E402

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_USERS, MAX_DURATION_S = 300, 600
# "对": the read-back before the verdict (issue 17), answered as a person would.
INTERVIEW = ["你好", "我在聊城租房住了八个月，在厂里上班，签了劳动合同，能办居住证吗", "户口在河北", "登记了八个月", "对",
             "要带什么材料"]
BUSY = "系统繁忙"
CODE = re.compile(r"预约码：([2-9A-HJKMNP-Z]{6})")
MAX_BOOKING_STEPS = 20


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    answered: dict[str, int] = field(default_factory=dict)  # sender -> user messages answered (HTTP 200)
    sent: int = 0
    errors: int = 0
    busy: int = 0
    empty: int = 0
    bookings: list[tuple[str, str]] = field(default_factory=list)  # (code, phone)
    refused: int = 0  # booking conversations that ended without a code
    refusals: Counter = field(default_factory=Counter)  # their last reply's first line
    conversations: int = 0


def payloads(replies: list[dict]) -> list[str]:
    return [b.get("payload", "") for r in replies for b in (r.get("buttons") or [])]


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


class Applicant:
    def __init__(self, session: aiohttp.ClientSession, url: str, stats: Stats, number: int, run_tag: str,
                 token: Optional[str] = None) -> None:
        # Each virtual applicant is a client of its own, named as the web front names its
        # visitors (the booking limits count per client address: bot/channels/rest_gate.py).
        self.headers = relay_headers(f"loadtest-{run_tag}-{number}", token) if token else {}
        self.session, self.url, self.stats = session, url, stats
        self.sender = f"load-{run_tag}-{number:03d}-{uuid.uuid4().hex[:6]}"
        self.phone = "139" + f"{random.randrange(10 ** 8):08d}"
        self.name = "压测" + "甲乙丙丁戊己庚辛壬癸"[number % 10] + "某"
        self.tried: set[str] = set()

    async def say(self, text: str) -> Optional[list[dict]]:
        self.stats.sent += 1
        started = time.perf_counter()
        try:
            async with self.session.post(self.url, json={"sender": self.sender, "message": text},
                                         headers=self.headers) as response:
                body = await response.json(content_type=None)
                if response.status != 200 or not isinstance(body, list):
                    self.stats.errors += 1
                    return None
        except (aiohttp.ClientError, asyncio.TimeoutError, json.JSONDecodeError, ValueError):
            self.stats.errors += 1
            return None
        self.stats.latencies.append(time.perf_counter() - started)
        self.stats.answered[self.sender] = self.stats.answered.get(self.sender, 0) + 1
        if not body:
            self.stats.empty += 1
        elif BUSY in texts(body):
            self.stats.busy += 1
        return body

    async def converse(self) -> None:
        """The interview, then the booking form driven by what it asks (at most MAX_BOOKING_STEPS answers)."""
        self.stats.conversations += 1
        for line in INTERVIEW:
            if await self.say(line) is None:
                return
        replies = await self.say("我要预约")
        for _ in range(MAX_BOOKING_STEPS):
            if replies is None:
                return
            found = CODE.search(texts(replies))
            if found:
                self.stats.bookings.append((found.group(1), self.phone))
                return
            answer = self.answer(replies)
            if answer is None:
                break
            replies = await self.say(answer)
        self.stats.refused += 1
        last = texts(replies or []).strip().splitlines()
        self.stats.refusals[(last[0] if last else "(nothing)")[:40]] += 1

    def answer(self, replies: list[dict]) -> Optional[str]:
        """What an applicant in a hurry answers: the first station, day and time offered, yes to the summary."""
        offered = payloads(replies)
        choices = [p for p in offered if "booking_" in p and "booking_change" not in p]
        fresh = [p for p in choices if p not in self.tried]  # a time found full is not chosen again
        if fresh:
            self.tried.add(fresh[0])
            return fresh[0]
        if "/affirm" in offered:
            return "/affirm"
        said = texts(replies)
        if "姓名" in said:
            return self.name
        if "手机" in said:
            return self.phone
        return None


async def load(url: str, users: int, duration_s: float, ramp_s: float, run_tag: str,
               token: Optional[str] = None) -> tuple[Stats, float]:
    """``users`` applicants booking for ``duration_s``; ``token`` (the Rasa token) names each
    as a client of its own, else they all count as this machine's address."""
    stats = Stats()
    endpoint = url.rstrip("/") + "/webhooks/rest/webhook"
    deadline = time.monotonic() + duration_s
    connector = aiohttp.TCPConnector(limit=users + 5)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=90), connector=connector) as session:
        async def one(number: int) -> None:
            await asyncio.sleep(ramp_s * number)
            if time.monotonic() < deadline:
                await Applicant(session, endpoint, stats, number, run_tag, token).converse()

        started = time.perf_counter()
        try:
            await asyncio.wait_for(asyncio.gather(*(one(n) for n in range(users))), timeout=duration_s + 120)
        except asyncio.TimeoutError:
            print("loadtest: stopped at the time bound; unfinished conversations count as they stand",
                  file=sys.stderr)
        wall = time.perf_counter() - started
    return stats, wall


async def stored_user_events(url: str, token: str, senders: list[str]) -> dict[str, int]:
    """User events stored per conversation, through Rasa's tracker API (any replica: one store)."""
    found: dict[str, int] = {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        semaphore = asyncio.Semaphore(8)

        async def one(sender: str) -> None:
            async with semaphore:
                async with session.get(f"{url.rstrip('/')}/conversations/{sender}/tracker",
                                       params={"token": token, "include_events": "ALL"}) as response:
                    response.raise_for_status()
                    tracker = await response.json(content_type=None)
            found[sender] = sum(1 for e in tracker.get("events") or [] if e.get("event") == "user")

        await asyncio.gather(*(one(s) for s in senders))
    return found


def oversold(database_url: str) -> tuple[int, int]:
    """(slots holding more active bookings than seats, seats taken beyond capacity) in the bookings store."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(database_url)
    try:
        seats = "SUM(b.party)" if "party" in {c["name"] for c in inspect(engine).get_columns("bookings")} \
            else "COUNT(*)"
        with engine.connect() as connection:
            rows = connection.execute(text(
                f"SELECT b.station_id, b.start, {seats} AS taken, MAX(s.seats_per_slot) AS capacity "
                f"FROM bookings b JOIN stations s ON s.id = b.station_id WHERE b.status = 'booked' "
                f"GROUP BY b.station_id, b.start")).all()
            counts = connection.execute(text(
                "SELECT COUNT(*) FROM slot_counts c JOIN stations s ON s.id = c.station_id "
                "WHERE c.booked > s.seats_per_slot")).scalar() or 0
    finally:
        engine.dispose()
    over = [(taken - capacity) for _, _, taken, capacity in rows if taken > capacity]
    return max(len(over), int(counts)), sum(over)


def cancel_bookings(bookings: list[tuple[str, str]], env: dict[str, str]) -> int:
    import subprocess

    juzhu = str(Path(sys.executable).parent / "juzhu")
    done = 0
    for code, phone in bookings:
        result = subprocess.run([juzhu, "cancel", code, "--phone", phone, "--json"], env=env, cwd=ROOT,
                                capture_output=True, text=True)
        done += result.returncode == 0
    return done


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), 0 when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def role_of(name: str) -> str:
    return "".join(c for c in name if not c.isdigit())


def measure(pids: dict[str, int]) -> dict[str, float]:
    return {name: cpu_seconds(pid) for name, pid in pids.items()}


def usage(pids: dict[str, int], before: dict[str, float], messages: int) -> dict[str, dict[str, float]]:
    """Per role (rasa, action, balancer): CPU ms per message and the largest RSS of one process."""
    out: dict[str, dict[str, float]] = {}
    for name, pid in pids.items():
        role = out.setdefault(role_of(name), {"cpu_ms_per_msg": 0.0, "rss_mb_max": 0.0, "processes": 0})
        role["cpu_ms_per_msg"] += 1000 * (cpu_seconds(pid) - before.get(name, 0.0)) / max(1, messages)
        role["rss_mb_max"] = max(role["rss_mb_max"], rss_mb(pid))
        role["processes"] += 1
    return out


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))]


def run_once(label: str, url: str, token: str, database_url: str, args: argparse.Namespace,
             env: dict[str, str], pids: Optional[dict[str, int]] = None) -> dict[str, Any]:
    run_tag = uuid.uuid4().hex[:6]
    before = measure(pids or {})
    stats, wall = asyncio.run(load(url, args.users, args.duration_s, args.ramp_s, run_tag, token))
    used = usage(pids or {}, before, len(stats.latencies))
    stored = asyncio.run(stored_user_events(url, token, sorted(stats.answered)))
    lost = sum(max(0, answered - stored.get(sender, 0)) for sender, answered in stats.answered.items())
    slots_over, seats_over = oversold(database_url)
    cancelled = 0 if args.keep else cancel_bookings(stats.bookings, {**env, "DATABASE_URL": database_url})
    row = {"target": label, "users": args.users, "conversations": stats.conversations, "sent": stats.sent,
           "answered": sum(stats.answered.values()), "stored": sum(stored.values()), "lost": lost,
           "msg_per_s": len(stats.latencies) / wall if wall else float("nan"),
           "p50_ms": percentile(stats.latencies, 50) * 1000, "p95_ms": percentile(stats.latencies, 95) * 1000,
           "errors": stats.errors, "empty": stats.empty, "busy": stats.busy, "bookings": len(stats.bookings),
           "booking_refused": stats.refused, "refusals": dict(stats.refusals.most_common(5)), "slots_oversold": slots_over, "seats_oversold": seats_over,
           "cancelled_after": cancelled, "wall_s": wall, "processes": used}
    return row


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| target | users | msg/s | p50 ms | p95 ms | sent | stored | lost | bookings | seats oversold | "
             "errors | empty | 系统繁忙 |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r['target']} | {r['users']} | {r['msg_per_s']:.1f} | {r['p50_ms']:.0f} | "
                     f"{r['p95_ms']:.0f} | {r['sent']} | {r['stored']} | {r['lost']} | {r['bookings']} | "
                     f"{r['seats_oversold']} | {r['errors']} | {r['empty']} | {r['busy']} |")
    return "\n".join(lines)


def fresh_database(server_url: str, name: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT",
                           connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return str(url.set(database=name))


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("RASA_URL", "http://127.0.0.1:5005"),
                        help="the running Rasa, or balancer (default $RASA_URL or http://127.0.0.1:5005)")
    parser.add_argument("--users", type=int, default=20, help=f"simulated applicants (default 20, at most {MAX_USERS})")
    parser.add_argument("--duration-s", type=float, default=300,
                        help=f"no conversation starts after this (default 300, at most {MAX_DURATION_S})")
    parser.add_argument("--ramp-s", type=float, default=0.0, help="seconds between two applicants' starts")
    parser.add_argument("--start", choices=("none", "run", "cluster"), default="none",
                        help="none (default): use --url; run: start a `make run`-like action server + Rasa "
                             "on free ports; cluster: start a cluster per --replicas value on free ports")
    parser.add_argument("--replicas", type=int, nargs="+", default=[int(os.environ.get("REPLICAS") or 2)],
                        help="with --start cluster: replica counts to measure one after the other")
    parser.add_argument("--database-url", default=None,
                        help="the bookings database of the target (default $DATABASE_URL, else var/juzhu.db)")
    parser.add_argument("--keep", action="store_true", help="keep the loadtest's bookings")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if not 1 <= args.users <= MAX_USERS or not 0 < args.duration_s <= MAX_DURATION_S or not 0 <= args.ramp_s <= 10:
        parser.error(f"--users 1..{MAX_USERS}, --duration-s up to {MAX_DURATION_S}, --ramp-s 0..10")
    if urlparse(args.url).hostname not in LOOPBACK:
        print(f"loadtest: refusing {args.url}: the loadtest only talks to loopback", file=sys.stderr)
        return 2

    from bot.platform.secrets import rasa_token

    rows: list[dict[str, Any]] = []
    env = dict(os.environ)
    if args.start == "none":
        import rasa_servers

        if not rasa_servers.url_ok(args.url.rstrip("/") + "/"):
            print(f"loadtest: nothing answers at {args.url}: start `make run` or `make cluster` first "
                  f"(or use --start run / --start cluster)", file=sys.stderr)
            return 2
        from bot.processes.cluster import running_cluster_state

        cluster = running_cluster_state()
        if cluster and cluster["rasa_url"].rstrip("/") == args.url.rstrip("/"):
            database_url = args.database_url or cluster["database_url"]
            label = f"make cluster ({cluster['replicas']} replicas) at {args.url}"
        else:
            database_url = (args.database_url or os.environ.get("DATABASE_URL")
                            or f"sqlite:///{ROOT / 'var' / 'juzhu.db'}")
            label = "running server at " + args.url
        rows.append(run_once(label, args.url, rasa_token(), database_url, args, env))
    elif args.start == "run":
        import rasa_servers

        work = Path(tempfile.mkdtemp(prefix="juzhu-loadtest-"))
        database_url = f"sqlite:///{work / 'juzhu.db'}"
        servers_env = {"DATABASE_URL": database_url, "CONVERSATIONS_DATABASE_URL": f"sqlite:///{work / 'conv.db'}"}
        print("loadtest: starting a `make run`-like action server + Rasa (SQLite) on free ports …", file=sys.stderr,
              flush=True)
        servers = rasa_servers.start(ROOT / "models" / "juzhu.tar.gz", env=servers_env, log_dir=work)
        try:
            pids = {s.name: s.process.pid for s in servers.servers if s.process}
            rows.append(run_once("make run (1 Rasa, SQLite)", servers.rasa_url, servers.token, database_url, args,
                                 {**env, **servers_env}, pids))
        finally:
            servers.stop()
    else:
        from bot.processes.cluster import DEFAULT_DATABASE_URL, Cluster, Ports

        for replicas in args.replicas:
            database_url = fresh_database(os.environ.get("LOADTEST_POSTGRES_URL") or DEFAULT_DATABASE_URL,
                                          "juzhu_loadtest")
            print(f"loadtest: starting a cluster of {replicas} replica(s) on free ports (database juzhu_loadtest) …",
                  file=sys.stderr, flush=True)
            cluster = Cluster(replicas, model=str(ROOT / "models" / "juzhu.tar.gz"), ports=Ports.free(replicas),
                              database_url=database_url, work_dir=ROOT / "var" / "loadtest-cluster",
                              web=False, telegram=False, quiet=True)
            try:
                cluster.start()
                pids = {p.name: p.process.pid for p in cluster.processes if p.alive}
                rows.append(run_once(f"make cluster, {replicas} replica(s)", cluster.rasa_url,
                                     cluster.environment()["RASA_TOKEN"], database_url, args, env, pids))
            finally:
                cluster.stop()
    print(f"loadtest: {args.users} simulated applicants (interview, a question, a booking race), "
          f"at most {args.duration_s:.0f} s")
    print(table(rows))
    for r in rows:
        print(f"{r['target']}: {r['conversations']} conversations, {r['bookings']} bookings made, "
              f"{r['booking_refused']} bookings given up (seats gone at each try), {r['lost']} messages lost, "
              f"{r['seats_oversold']} seats oversold, {r['errors']} errors, "
              f"{r['cancelled_after']} bookings cancelled afterwards")
        for role, use in (r.get("processes") or {}).items():
            print(f"  {role}: {use['processes']} process(es), {use['cpu_ms_per_msg']:.1f} ms CPU per message "
                  f"(all of them), largest RSS {use['rss_mb_max']:.0f} MB")
        if r["refusals"]:
            print("  bookings not made, last reply: " + "; ".join(f"{n}x {t}" for t, n in r["refusals"].items()))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(rows, indent=2, ensure_ascii=False), encoding="utf-8")
    return 1 if any(r["lost"] or r["seats_oversold"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
