"""Benchmark: /digest from other users while an admin's /rebuild waits on a slow LLM endpoint.

Four parties: the fake Bot API (``harness.py fake``, ``--latency`` per call), an LLM
endpoint on 127.0.0.1 that answers each request after ``--llm-delay`` seconds (30 by
default; answers from ``tests/fake_llm.py``), the bot (``hotdigest run --no-schedule``
with ``[llm]`` pointed at that endpoint) and this script. The admin sends /rebuild; once
the endpoint has the build's first request, ``--users`` users send /digest every
``--interval`` seconds (on average) until the build is over. The figure is the bot's
share of each /digest (update handed to the bot → reply received by the fake), p50 and
p99, as in ``commands.py``.

``--root DIR`` runs the bot from another checkout (the anchor: ``git worktree add
/tmp/anchor-h13 <commit>``), with this environment's Python and libraries.

Run: ``uv run python bench/rebuild.py [--users 50] [--llm-delay 30] [--root DIR]``.
The last line is ``KEY=VALUE ...``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
from commands import summary, wait_for
from figures import key_values, machine
from harness import ROOT, FakeProcess, bot_environment, seed_store

sys.path.insert(0, str(ROOT / "tests"))
from fake_llm import FakeLlm, Reply, answering, serve, valid_answer

ADMIN = 900


def slow_llm(delay: float, answered: list[float]) -> FakeLlm:
    answer = answering(valid_answer)

    def respond(request: dict[str, Any]) -> Reply:
        time.sleep(delay)  # the endpoint's own thread (ThreadingHTTPServer)
        answered.append(time.monotonic())
        return answer(request)

    return FakeLlm(respond)


async def users_digest(base: str, users: int, interval: float, done: threading.Event) -> int:
    """Every user sends /digest every ~``interval`` s until ``done``; returns how many."""
    rng, sent = random.Random(7), 0
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def user(user_id: int) -> None:
            nonlocal sent
            await asyncio.sleep(rng.uniform(0, interval))
            while not done.is_set():
                payload = {"chat_id": user_id, "user_id": user_id, "text": "/digest"}
                (await client.post("/_fake/user_message", json=payload)).raise_for_status()
                sent += 1
                await asyncio.sleep(interval * rng.uniform(0.5, 1.5))

        await asyncio.gather(*(user(1000 + n) for n in range(users)))
    return sent


def start_bot(
    args: argparse.Namespace, scratch: Path, llm_url: str, fake: FakeProcess, log: IO[str]
) -> subprocess.Popen[bytes]:
    """``hotdigest run --no-schedule`` on the sample store, its ``[llm]`` at ``llm_url``."""
    db_path, config = scratch / "bench.db", scratch / "hotdigest.toml"
    seed_store(db_path, 0)
    config.write_text(
        f'[llm]\nenabled = true\nbase_url = "{llm_url}"\nmodel = "slow"\n'
        f"timeout = {args.llm_delay * 2:g}\n",
        encoding="utf-8",
    )
    env = {**bot_environment(db_path, fake.url), "HOTDIGEST_ADMINS": str(ADMIN)}
    env |= {"HOTDIGEST_CONFIG": str(config), "PYTHONPATH": str(args.root)}
    command = [sys.executable, "-c", "from bot.cli import main; main()", "run", "--no-schedule"]
    return subprocess.Popen(command, cwd=args.root, env=env, stdout=log, stderr=subprocess.STDOUT)


@dataclass
class Run:
    """What happened from the admin's /rebuild until the build was over."""

    asked: bool  # whether the bot asked the LLM (the anchor never does)
    sent: int  # /digest commands the users sent meanwhile
    started: float  # time.monotonic() at /rebuild
    seconds: float


def rebuild_while_users_ask(args: argparse.Namespace, fake: FakeProcess, llm: FakeLlm) -> Run:
    """Warm the bot up, send /rebuild, and have the users ask /digest until it is over."""
    base = fake.base
    commands = lambda: httpx.get(f"{base}/_fake/commands").json()["result"]  # noqa: E731
    wait_for(lambda: commands() and fake.stats()["requests"] > 4, 60, "the bot to start")
    for user_id in range(901, 906):  # warm up: templates compiled, digest loaded once
        warm = {"chat_id": user_id, "user_id": user_id, "text": "/digest"}
        httpx.post(f"{base}/_fake/user_message", json=warm).raise_for_status()
    wait_for(lambda: fake.stats()["sent"] >= 5, 60, "the warm-up replies")
    rebuild = {"chat_id": ADMIN, "user_id": ADMIN, "text": "/rebuild"}
    started = time.monotonic()
    httpx.post(f"{base}/_fake/user_message", json=rebuild).raise_for_status()
    wait_for(lambda: llm.requests or time.monotonic() - started > 10, 30, "the build")
    asked = len(llm.requests) > 0  # the anchor never asks the LLM
    done = threading.Event()

    def finished() -> bool:
        texts = httpx.get(f"{base}/_fake/messages", params={"chat_id": ADMIN}).json()
        last = (texts.get("result") or [{}])[-1].get("text", "")
        return bool(last) and not last.startswith("⏳") and fake.stats()["sent"] > 0

    def watch() -> None:
        wait_for(finished, args.llm_delay * 8 + 60, "the rebuild")
        done.set()

    # Without an LLM request (the anchor) there is nothing to wait for: measure as
    # long as the LLM build would take.
    timer = threading.Timer(args.llm_delay * 3, done.set)
    watcher = threading.Thread(target=watch) if asked else timer
    watcher.start()
    sent = asyncio.run(users_digest(base, args.users, args.interval, done))
    watcher.join()
    seconds = time.monotonic() - started
    time.sleep(2)  # the last replies
    return Run(asked, sent, started, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--interval", type=float, default=5.0, help="mean seconds between")
    parser.add_argument("--llm-delay", type=float, default=30.0)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per Bot API call")
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout the bot runs from")
    args = parser.parse_args()
    print(machine(), f"bot from {args.root}")
    answered: list[float] = []
    llm = slow_llm(args.llm_delay, answered)
    with tempfile.TemporaryDirectory(prefix="hotdigest-bench-") as scratch, serve(llm) as url:
        fake = FakeProcess(latency=args.latency, limits=False, timings=True)
        log = (Path(scratch) / "bot.log").open("w")
        bot = start_bot(args, Path(scratch), url, fake, log)
        try:
            run = rebuild_while_users_ask(args, fake, llm)
        finally:
            bot.send_signal(signal.SIGINT)
            bot.wait(timeout=30)
            log.close()
            result = fake.stop()
    report(args, run, llm, answered, result["timings"])


def report(
    args: argparse.Namespace,
    run: Run,
    llm: FakeLlm,
    answered: list[float],
    timings: list[dict[str, Any]],
) -> None:
    """Print the /digest figures during the rebuild, then the ``KEY=VALUE`` line."""
    asked, sent, started, seconds = run.asked, run.sent, run.started, run.seconds
    marks = [m for m in timings if m["chat"] >= 1000]
    f = summary(marks, "/digest")
    print(
        f"/rebuild with the LLM asked: {asked}, {len(llm.requests)} LLM requests, {seconds:.0f}s;"
        f" {sent} /digest from {args.users} users meanwhile"
    )
    print(
        f"/digest n={f['n']} e2e p50 {f['e2e_p50']:.1f} ms p99 {f['e2e_p99']:.1f} ms | "
        f"bot's share p50 {f['bot_p50']:.1f} ms p99 {f['bot_p99']:.1f} ms max {f['bot_max']:.1f} ms"
    )
    slowest = sorted(marks, key=lambda m: m.get("asked", 0) - m.get("handed", 0))[-10:]
    print(
        "slowest 10 (s after /rebuild, ms):",
        ", ".join(
            f"+{m['handed'] - started:.1f}s {1000 * (m['asked'] - m['handed']):.0f}"
            for m in slowest
            if "handed" in m and "asked" in m
        ),
        "| LLM answers at",
        ", ".join(f"+{t - started:.1f}s" for t in answered),
    )
    figures = {"llm_asked": asked, "llm_requests": len(llm.requests), "digests": f["n"]}
    figures |= {f"digest_{k}_ms": round(f[k], 1) for k in ("bot_p50", "bot_p99", "bot_max")}
    print(key_values(figures))


if __name__ == "__main__":
    main()
