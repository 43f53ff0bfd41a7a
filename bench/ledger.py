"""Benchmark: what the push ledger's writes cost per message, alone (no sends, no loop).

A push claims each part before it leaves and records its outcome after
(``digest/push/ledger.py``); the bot group-commits both on its store thread
(``bot/delivery/ledger.py``), a batch being whatever arrived while the last one committed.
This replays that stream on a file store in WAL mode, as a push of ``--chats`` chats ×
``--parts`` parts writes it (each outcome ``--in-flight`` claims after its own claim), in
batches of each ``--batch`` size, and prints the store thread's CPU per message (one
claim and one outcome): the part of ``bench/send_path.py``'s push CPU that the ledger
takes, whatever the transport.

``--week`` also replays the same stream for a week's push (``2026-W07``) to chats that
each got their day's push first, as the bot writes it: every week claim asks whether the
chat's day is still open (``digest/push/ledger_weeks.py``). The day's figure, in the same
run, is its anchor.

Run: ``uv run python bench/ledger.py [--chats 10000] [--parts 3] [--batch 16 48 128]
[--week]``. The last line is ``KEY=VALUE ...``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from figures import key_values, load_average, machine

from digest.push.ledger import Claim, Finish, Ledger, PartKey
from digest.store.store import Store

NOW = datetime(2026, 2, 16, 1, 30, tzinfo=UTC)
STALE = NOW - timedelta(minutes=2)  # the bot's stale_after


def stream(chats: int, parts: int, in_flight: int, day: str = "2026-02-15") -> list[Claim | Finish]:
    """A push's ledger writes in the order it makes them: claims, each part's outcome
    ``in_flight`` claims later (the sends still out when it comes back)."""
    keys = [
        PartKey(day, 1, chat, part) for part in range(1, parts + 1) for chat in range(1, chats + 1)
    ]
    ops: list[Claim | Finish] = []
    for n, key in enumerate(keys):
        ops.append(Claim(key, parts, "push"))
        if n >= in_flight:
            ops.append(Finish(keys[n - in_flight], "sent", 1000 + n))
    ops.extend(Finish(key, "sent", 1) for key in keys[-in_flight:])
    return ops


def replay(
    ops: list[Claim | Finish], batch: int, messages: int, before: Sequence[Claim | Finish] = ()
) -> float:
    """Milliseconds of this thread's CPU per message to write ``ops`` in ``batch``es, with
    the week's rule on, after ``before`` (untimed: the chats' day, all sent)."""
    with tempfile.TemporaryDirectory(prefix="hotdigest-ledger-") as scratch:
        ledger = Ledger(Store.open(Path(scratch) / "ledger.db"))
        for start in range(0, len(before), batch):
            ledger.apply(before[start : start + batch], NOW)
        began = time.thread_time()
        for start in range(0, len(ops), batch):
            changed = ledger.apply(ops[start : start + batch], NOW, STALE)
            if not all(changed):
                raise RuntimeError("a claim or outcome of a fresh push changed no row")
        return 1000 * (time.thread_time() - began) / messages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--parts", type=int, default=3)
    parser.add_argument("--in-flight", type=int, default=256, help="the push's sends in flight")
    parser.add_argument("--batch", type=int, nargs="+", default=[16, 48, 128])
    parser.add_argument("--week", action="store_true", help="also a week's push after the day")
    args = parser.parse_args()
    print(machine())
    print(f"before: {load_average()}")
    ops = stream(args.chats, args.parts, args.in_flight)
    messages = args.chats * args.parts
    figures: dict[str, object] = {}
    for size in args.batch:
        per_message = replay(ops, size, messages)
        print(f"batches of {size:>4}: {per_message:.4f} ms of CPU per message (claim + outcome)")
        figures[f"ledger_cpu_ms_batch_{size}"] = round(per_message, 4)
        if args.week:
            week = stream(args.chats, args.parts, args.in_flight, "2026-W07")
            weekly = replay(week, size, messages, before=ops)
            print(f"  a week's push after each chat's day: {weekly:.4f} ms (its day's: above)")
            figures[f"ledger_week_cpu_ms_batch_{size}"] = round(weekly, 4)
    print(f"after: {load_average()}")
    print(key_values(figures))


if __name__ == "__main__":
    main()
