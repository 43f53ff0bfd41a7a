"""Benchmark: how long /digest and /sources take to answer while 200 users use the bot.

Three processes: the fake Bot API (Telegram's flood limits on, ``--latency`` per Bot API
call), the bot (``hotdigest run --no-schedule`` on a store holding the sample and its
digest) and this script, which plays ``--users`` users through the fake's
``/_fake/user_message``. Each user sends ``--rounds`` commands, /digest and /sources in
turn, waiting a random 0.5x-1.5x ``--interval`` seconds before each (200 users every
10 s on average: 20 commands/s, under the 30 replies/s Telegram allows a bot).

For every command the fake notes when the user's message arrived, when getUpdates
handed it to the bot, when the bot's reply arrived and when it was recorded, so it
reports, as p50 and p99:

- ``e2e``: user message to reply recorded, what the brief asks for; it includes the
  fake's latency twice (getUpdates' answer and the reply's);
- ``bot``: update handed to the bot to its reply arriving, the bot's own share.

Run: ``uv run python bench/commands.py [--users 200] [--rounds 6] [--interval 10]
[--latency 0.05] [--no-limits]``. The last line is ``KEY=VALUE ...``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from figures import key_values, machine, percentile
from harness import FakeProcess, bot_environment, cpu_seconds, seed_store

COMMANDS = ("/digest", "/sources")


async def play(
    base: str, users: int, rounds: int, interval: float, seed: int, first_user: int = 1000
) -> int:
    """Every user sends ``rounds`` commands; returns how many were sent."""
    rng = random.Random(seed)
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def user(user_id: int) -> None:
            first = rng.randrange(2)
            await asyncio.sleep(rng.uniform(0, interval))  # users start spread out
            for n in range(rounds):
                text = COMMANDS[(first + n) % 2]
                payload = {"chat_id": user_id, "user_id": user_id, "text": text}
                answer = await client.post("/_fake/user_message", json=payload)
                answer.raise_for_status()
                await asyncio.sleep(interval * rng.uniform(0.5, 1.5))

        await asyncio.gather(*(user(first_user + n) for n in range(users)))
    return users * rounds


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.1)


def summary(marks: list[dict[str, Any]], command: str) -> dict[str, float]:
    done = [m for m in marks if m["text"] == command and "recorded" in m and "handed" in m]
    e2e = [1000 * (m["recorded"] - m["said"]) for m in done]
    own = [1000 * (m["asked"] - m["handed"]) for m in done]
    return {
        "n": len(done),
        "e2e_p50": percentile(e2e, 0.5),
        "e2e_p99": percentile(e2e, 0.99),
        "bot_p50": percentile(own, 0.5),
        "bot_p99": percentile(own, 0.99),
        "bot_max": max(own),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=6, help="commands per user")
    parser.add_argument("--interval", type=float, default=10.0, help="mean seconds between")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per Bot API call")
    parser.add_argument("--limits", action="store_true", help="the fake enforces flood limits")
    parser.add_argument(
        "--wrap", default="", help="prefix for the bot's command, e.g. 'py-spy record -o p.svg --'"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(machine())
    hotdigest = Path(sys.executable).with_name("hotdigest")
    with tempfile.TemporaryDirectory(prefix="hotdigest-bench-") as scratch:
        db_path = Path(scratch) / "bench.db"
        seed_store(db_path, 0)
        fake = FakeProcess(latency=args.latency, limits=args.limits, timings=True)
        log = (Path(scratch) / "bot.log").open("w")
        bot = subprocess.Popen(
            [*shlex.split(args.wrap), str(hotdigest), "run", "--no-schedule"],
            env=bot_environment(db_path, fake.url),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = fake.base
            commands = lambda: httpx.get(f"{base}/_fake/commands").json()["result"]  # noqa: E731
            wait_for(lambda: commands() and fake.stats()["requests"] > 4, 60, "the bot to start")
            # Warm up (templates compiled, digest loaded once) with users not measured.
            asyncio.run(play(base, 5, 2, 1.5, seed=args.seed + 1, first_user=900))
            wait_for(lambda: fake.stats()["sent"] >= 10, 60, "the warm-up replies")
            cpu_before, started = cpu_seconds(bot.pid), time.monotonic()
            sent = asyncio.run(play(base, args.users, args.rounds, args.interval, args.seed))
            wait_for(lambda: fake.stats()["sent"] >= 10 + sent, 120, "every reply")
            cpu = cpu_seconds(bot.pid) - cpu_before
            seconds = time.monotonic() - started
            stats = fake.stats()
        finally:
            bot.send_signal(signal.SIGINT)  # as Ctrl-C: run_polling stops cleanly
            bot.wait(timeout=30)
            log.close()
            result = fake.stop()
        bot_log = (Path(scratch) / "bot.log").read_text()
    report(args, sent, seconds, cpu, stats, bot_log, result["timings"])


def report(
    args: argparse.Namespace,
    sent: int,
    seconds: float,
    cpu: float,
    stats: dict[str, Any],
    bot_log: str,
    timings: list[dict[str, Any]],
) -> None:
    """Print the run's figures per command, then the ``KEY=VALUE`` line."""
    errors = [line for line in bot_log.splitlines() if "level=ERROR" in line]
    marks = [m for m in timings if m["chat"] >= 1000]
    figures = {name: summary(marks, "/" + name) for name in ("digest", "sources")}
    print(
        f"{sent} commands from {args.users} users in {seconds:.0f}s "
        f"({sent / seconds:.1f}/s); bot CPU {1000 * cpu / sent:.2f} ms per command; "
        f"{stats['served_429']} 429s; {len(errors)} errors logged"
    )
    for name, f in figures.items():
        print(
            f"/{name:<8} n={f['n']:<5} e2e p50 {f['e2e_p50']:6.1f} ms  p99 {f['e2e_p99']:6.1f} ms"
            f" | bot's share p50 {f['bot_p50']:6.1f} ms  p99 {f['bot_p99']:6.1f} ms"
            f"  max {f['bot_max']:6.1f} ms"
        )
    line: dict[str, object] = {
        "users": args.users,
        "commands": sent,
        "per_s": round(sent / seconds, 1),
        "latency_ms": round(args.latency * 1000),
    }
    for name, f in figures.items():
        for key in ("e2e_p50", "e2e_p99", "bot_p50", "bot_p99"):
            line[f"{name}_{key}_ms"] = round(f[key], 1)
    line["bot_cpu_ms_per_command"] = round(1000 * cpu / sent, 2)
    line["served_429"] = stats["served_429"]
    print(key_values(line))


if __name__ == "__main__":
    main()
