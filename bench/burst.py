"""Benchmark: a burst of users, each sending /start within one second, against Telegram's limits.

Three processes: the fake Bot API (Telegram's flood limits on: 30 messages/s for the bot,
one a second per chat; ``--latency`` per call), the bot (``hotdigest run --no-schedule``
on a store holding the sample digest) and this script, which has ``--users`` users each
send /start once, at a random moment within ``--within`` seconds. Reports how many got
their answer, how many were given up (no answer once the bot went quiet), the 429s the
fake served against the bot's sendMessage calls, and when the last answer came (from the
first user's message), against the target users/30 + 3 s.

With ``--anchor DIR`` (a checkout of the code before a change, with its own ``uv sync``)
the same burst is played against that code's bot first; both are printed side by side.

Run: ``uv run python bench/burst.py [--users 1000] [--within 1] [--anchor DIR]``
The last line is ``KEY=VALUE ...``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from figures import add_figures, checkouts, comparison_parser, key_values, load_average, machine
from harness import ROOT, FakeProcess, bot_command, bot_environment, seed_with

FIRST_USER = 100_001
TELEGRAM_PER_SECOND = 30


async def burst(base: str, users: int, within: float, seed: int) -> None:
    """Each user sends /start once, at a random moment within ``within`` seconds."""
    rng = random.Random(seed)
    # A burst is the point: no user waits for a connection of the script's own.
    limits = httpx.Limits(max_connections=users)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=300) as client:

        async def user(user_id: int, delay: float) -> None:
            await asyncio.sleep(delay)
            payload = {"chat_id": user_id, "user_id": user_id, "text": "/start"}
            (await client.post("/_fake/user_message", json=payload)).raise_for_status()

        moments = sorted(rng.uniform(0, within) for _ in range(users))
        await asyncio.gather(*(user(FIRST_USER + n, at) for n, at in enumerate(moments)))


def wait_quiet(fake: FakeProcess, wanted: int, quiet: float, deadline: float) -> None:
    """Until ``wanted`` messages were sent, or none for ``quiet`` seconds (the rest given up)."""
    last, changed = -1, time.monotonic()
    while time.monotonic() < deadline:
        sent = int(fake.stats()["sent"])
        if sent >= wanted:
            return
        if sent != last:
            last, changed = sent, time.monotonic()
        elif time.monotonic() - changed > quiet:
            return
        time.sleep(0.5)


def run_burst(code: Path | None, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hotdigest-bench-") as scratch:
        db_path = Path(scratch) / "bench.db"
        seed_with(db_path, 0, mode="full", code=code)  # the anchor refuses a newer schema
        fake = FakeProcess(latency=args.latency, limits=True, timings=True)
        log_path = Path(scratch) / "bot.log"
        with log_path.open("w") as log:
            bot = subprocess.Popen(
                [bot_command(code), "run", "--no-schedule"],
                env=bot_environment(db_path, fake.url),
                cwd=code or ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                started = time.monotonic()
                while fake.stats()["requests"] < 5:  # getMe, the command menus, polling
                    if time.monotonic() - started > 60:
                        raise RuntimeError("the bot did not start")
                    time.sleep(0.2)
                time.sleep(1.0)
                asyncio.run(burst(fake.base, args.users, args.within, args.seed))
                limit = time.monotonic() + 120 + 3 * args.users / TELEGRAM_PER_SECOND
                wait_quiet(fake, args.users, quiet=20.0, deadline=limit)
                stats = fake.stats()
            finally:
                bot.send_signal(signal.SIGINT)  # as Ctrl-C: run_polling stops cleanly
                bot.wait(timeout=60)
                result = fake.stop()
        errors = sum("level=ERROR" in line for line in log_path.read_text().splitlines())
    marks = [m for m in result["timings"] if m["chat"] >= FIRST_USER]
    answered = {m["chat"] for m in marks if "recorded" in m}
    first = min((m["said"] for m in marks), default=0.0)
    last = max((m["recorded"] for m in marks if "recorded" in m), default=first)
    spread = max((m["said"] for m in marks), default=first) - first
    sends = int(stats["sent"]) + int(stats["served_429"])
    return {
        "users": args.users,
        "sent_within_s": round(spread, 2),
        "answered": len(answered),
        "given_up": args.users - len(answered),
        "send_calls": sends,
        "served_429": stats["served_429"],
        "percent_429": round(100 * stats["served_429"] / sends, 2) if sends else 0.0,
        "last_answer_s": round(last - first, 1),
        "errors_logged": errors,
    }


def describe(name: str, f: dict[str, Any], target: float) -> str:
    return (
        f"{name:>6}: {f['users']:,} users' /start within {f['sent_within_s']} s: "
        f"{f['answered']:,} answered, {f['given_up']} given up; "
        f"{f['served_429']} 429s of {f['send_calls']:,} sendMessage calls "
        f"({f['percent_429']}%); last answer {f['last_answer_s']} s after the first message "
        f"(target {target:.1f} s); {f['errors_logged']} errors logged"
    )


def main() -> None:
    parser = comparison_parser(__doc__)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--within", type=float, default=1.0, help="seconds the burst spans")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(machine(), "|", load_average())
    target = args.users / TELEGRAM_PER_SECOND + 3
    line: dict[str, object] = {"users": args.users, "target_last_answer_s": round(target, 1)}
    for name, code in checkouts(args.anchor).items():
        figures = run_burst(code, args)
        print(describe(name, figures, target))
        add_figures(line, name, {k: v for k, v in figures.items() if k != "users"})
    print("after:", load_average())
    print(key_values(line))


if __name__ == "__main__":
    main()
