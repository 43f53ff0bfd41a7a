"""Benchmark: /digest answered while a 10,000-chat push runs at Telegram's flood ceiling.

Three processes: the fake Bot API (Telegram's flood limits on, ``--latency`` per call,
private chats 1..N), the bot (this file run as ``busy.py bot``: the application built as
``hotdigest run`` builds it, polling for updates, and at the same time pushing the
sample digest to ``--chats`` subscribers in brief mode, one message each, as
``hotdigest push --date`` does) and this script. Once the push is under way, ``--users``
users each send /digest ``--rounds`` times, a random 0.5x-1.5x ``--interval`` seconds
apart; the push is stopped after the last answer. Reports /digest's latency from the
user's message reaching the fake to the answer recorded by it (two round trips of
``--latency`` included), p50 and p99, and the push's messages/s meanwhile.

With ``--anchor DIR`` (a checkout of the code before a change, with its own ``uv sync``)
the same run is made with that code's bot first; both are printed side by side.

Run: ``uv run python bench/busy.py [--chats 10000] [--users 50] [--rounds 4] [--anchor DIR]``
The last line is ``KEY=VALUE ...``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
from figures import (
    add_figures,
    checkouts,
    comparison_parser,
    key_values,
    load_average,
    machine,
    percentile,
)
from harness import DAY, ROOT, TOKEN, FakeProcess, bot_python, seed_with

FIRST_USER = 500_001
START = 300  # messages the push sends (ten seconds at Telegram's pace) before users play
PUSH_RATE = 30  # messages a second, Telegram's ceiling, which the bot keeps to


def least_chats(args: argparse.Namespace) -> int:
    """Chats enough for the push to run until the users' last /digest is answered: START,
    then the play's longest span (and the 10 s left for answers) at PUSH_RATE."""
    return START + int((args.rounds * args.interval * 1.5 + 10) * PUSH_RATE)


async def play(base: str, users: int, rounds: int, interval: float, seed: int) -> int:
    """Every user sends /digest ``rounds`` times; returns how many were sent."""
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def user(user_id: int) -> None:
            for _ in range(rounds):
                await asyncio.sleep(interval * rng.uniform(0.5, 1.5))
                payload = {"chat_id": user_id, "user_id": user_id, "text": "/digest"}
                (await client.post("/_fake/user_message", json=payload)).raise_for_status()

        await asyncio.gather(*(user(FIRST_USER + n) for n in range(users)))
    return users * rounds


def run_busy(code: Path | None, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hotdigest-bench-") as scratch:
        db_path = Path(scratch) / "bench.db"
        seed_with(db_path, args.chats, mode="brief", code=code)  # the anchor's own schema
        fake = FakeProcess(latency=args.latency, limits=True, chats=args.chats, timings=True)
        command = [bot_python(code), __file__, "bot", f"--db={db_path}", f"--url={fake.url}"]
        log = (Path(scratch) / "bot.log").open("w")  # the anchor logs every refused reply
        bot = subprocess.Popen(command, cwd=code or ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 600
            while (sent := int(fake.stats()["sent"])) < START:  # the push is under way
                if (status := bot.poll()) is not None:
                    raise RuntimeError(f"the bot exited ({status}) after {sent} messages")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the bot's push sent {sent} of {START} messages in 600 s")
                time.sleep(0.2)
            before, began = fake.stats(), time.monotonic()
            asked = asyncio.run(play(fake.base, args.users, args.rounds, args.interval, args.seed))
            time.sleep(10)  # answers still on their way (or retrying after a 429)
            after, seconds = fake.stats(), time.monotonic() - began
        finally:
            bot.send_signal(signal.SIGTERM)
            bot.wait(timeout=60)
            log.close()
            result = fake.stop()
    marks = [m for m in result["timings"] if m["chat"] >= FIRST_USER and "recorded" in m]
    e2e = [m["recorded"] - m["said"] for m in marks] or [float("nan")]
    # The bot's share: from getUpdates handing the update over to the answer arriving.
    own = [m["asked"] - m["handed"] for m in marks if "handed" in m] or [float("nan")]
    sent = int(after["sent"]) - int(before["sent"])
    return {
        "asked": asked,
        "answered": len(marks),
        "p50_s": round(percentile(e2e, 0.5), 3),
        "p99_s": round(percentile(e2e, 0.99), 3),
        "max_s": round(max(e2e), 3),
        "bot_p99_s": round(percentile(own, 0.99), 3),
        "push_per_s": round((sent - len(marks)) / seconds, 2),
        "served_429": int(after["served_429"]) - int(before["served_429"]),
    }


def describe(name: str, f: dict[str, Any]) -> str:
    return (
        f"{name:>6}: /digest {f['answered']} of {f['asked']} answered, p50 {f['p50_s']} s, "
        f"p99 {f['p99_s']} s, max {f['max_s']} s (the bot's share p99 {f['bot_p99_s']} s); "
        "the push meanwhile "
        f"{f['push_per_s']} messages/s; {f['served_429']} 429s served"
    )


# -- the bot process -------------------------------------------------------------------


async def serve_and_push(args: argparse.Namespace) -> None:
    """The application polling for updates while it pushes DAY's digest, until SIGTERM."""
    from bot.app import build_application, running
    from bot.config import Settings
    from bot.context import services_of
    from bot.delivery.engine import DeliveryOptions, push_due

    settings = replace(
        Settings(), db_path=Path(args.db), telegram_token=TOKEN, telegram_base_url=args.url
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    application = build_application(settings, schedule=False)
    async with running(application):
        assert application.updater is not None
        await application.updater.start_polling()
        options = DeliveryOptions.from_settings(settings)
        push = asyncio.create_task(
            push_due(
                services_of(application),
                application.bot,
                day=DAY,
                options=options,
                stop=stop.is_set,
            )
        )
        await stop.wait()
        await push
        await application.updater.stop()


def main() -> None:
    parser = comparison_parser(__doc__)
    parser.add_argument("role", nargs="?", choices=["bot"], help="(internal) the bot process")
    parser.add_argument("--db")
    parser.add_argument("--url")
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=4, help="/digest per user")
    parser.add_argument("--interval", type=float, default=5.0, help="mean seconds between")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    if args.role == "bot":
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        asyncio.run(serve_and_push(args))
        return
    if args.chats < (least := least_chats(args)):
        parser.error(
            f"--chats {args.chats} is too few: the push sends {START} messages before the "
            f"users start, then about {PUSH_RATE} a second, and must still run when the "
            f"last /digest is answered; use --chats {least} or more (or fewer --rounds, "
            "a shorter --interval)"
        )
    print(machine(), "|", load_average())
    line: dict[str, object] = {"chats": args.chats, "latency_ms": round(args.latency * 1000)}
    for name, code in checkouts(args.anchor).items():
        figures = run_busy(code, args)
        print(describe(name, figures))
        add_figures(line, name, figures)
    print("after:", load_average())
    print(key_values(line))


if __name__ == "__main__":
    main()
