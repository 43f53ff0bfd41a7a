"""Benchmark: what planning and preparing a delivery tick's push costs the bot at N chats.

Subscribes ``--chats`` private chats in the store (as ``bench/memory.py`` does: brief
mode, 08:00 in Shanghai), then the bot's code, in a process of its own, plans the tick
at 08:00:10 the next morning (``plan_due``, every chat due, a dry run: nothing recorded)
and prepares the push (``prepare``: every view rendered, the jobs sorted) without
sending it. Reports the wall time of each, and the longest the event loop was blocked
meanwhile (a probe on the loop wakes every 5 ms: what a command reply would wait), and
the process's peak RSS.

With ``--anchor DIR`` (a checkout of the code before a change, with its own ``uv sync``)
the same runs with that code first, on a store it seeded itself, and both are printed.

``--cadence both`` (or ``weekly``) subscribes every chat to the weekly push too, its slot
on Monday at 08:00 (no week is built: the plan works out each chat's week and finds none).

Run: ``uv run python bench/planning.py [--chats 100000] [--cadence daily] [--anchor DIR]``
The last line is ``KEY=VALUE ...``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from figures import add_figures, checkouts, key_values, load_average, machine
from harness import ROOT, bot_python, seed_with

TICK = datetime(2026, 2, 16, 0, 0, 10, tzinfo=UTC)  # 08:00:10 in Shanghai, the day after
PROBE = 0.005


async def tick(db_path: Path) -> dict[str, Any]:
    """Plan and prepare the tick's push as the bot does, probing the loop meanwhile."""
    from bot.config import Settings
    from bot.delivery.engine import plan_due
    from bot.delivery.prepare import prepare
    from bot.services import Services

    services = Services.create(replace(Settings(), db_path=db_path))
    blocked, asked = 0.0, time.perf_counter()

    async def probe() -> None:
        nonlocal blocked, asked
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(PROBE)
            blocked = max(blocked, time.perf_counter() - asked - PROBE)

    probing = asyncio.create_task(probe())
    try:
        began = time.perf_counter()
        plan = await plan_due(services, now=TICK, record=False)
        planned = time.perf_counter()
        extra = (
            {"charts": services.charts} if "charts" in inspect.signature(prepare).parameters else {}
        )
        prepared, failed = await prepare(
            services.store, services.renderer, plan.jobs, services.options, record=False, **extra
        )
        done = time.perf_counter()
        # A block that ends the run ends before the probe wakes: its sleep counts too.
        blocked = max(blocked, done - asked - PROBE)
    finally:
        probing.cancel()
        await services.close()
    return {
        "jobs": len(plan.jobs),
        "prepared": len(prepared),
        "failed": len(failed),
        "plan_s": round(planned - began, 2),
        "prepare_s": round(done - planned, 2),
        "loop_blocked_s": round(blocked, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def measure(chats: int, code: Path | None, cadence: str = "daily") -> dict[str, Any]:
    """Seed a store with the checkout's own code, then run :func:`tick` in its process."""
    with tempfile.TemporaryDirectory(prefix="hotdigest-bench-") as scratch:
        db_path = Path(scratch) / "bench.db"
        seed_with(db_path, chats, mode="brief", code=code)
        if cadence != "daily":  # the week's slot is Monday 08:00 too (no week is built)
            with contextlib.closing(sqlite3.connect(db_path)) as db, db:
                db.execute("UPDATE chats SET cadence = ?, week_day = 1", [cadence])
        done = subprocess.run(
            [bot_python(code), str(Path(__file__).resolve()), "--child", str(db_path)],
            cwd=code or ROOT,
            capture_output=True,
            text=True,
            env=dict(os.environ),
            check=False,
        )
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise RuntimeError(f"the planning process exited with {done.returncode}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=100_000)
    parser.add_argument("--anchor", type=Path, help="a checkout of the code to compare with")
    parser.add_argument("--cadence", choices=["daily", "weekly", "both"], default="daily")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        with contextlib.suppress(ImportError):  # as `hotdigest` starts; the anchor may predate it
            from bot.entry import keep_numpy_out

            keep_numpy_out()
        print(json.dumps(asyncio.run(tick(args.child))))
        return
    print(machine(), "|", load_average())
    line: dict[str, object] = {"chats": args.chats, "cadence": args.cadence}
    for name, code in checkouts(args.anchor).items():
        f = measure(args.chats, code, args.cadence)
        print(
            f"{name:>6}: {f['jobs']:,} jobs planned in {f['plan_s']} s, prepared in "
            f"{f['prepare_s']} s; the event loop blocked for {f['loop_blocked_s']} s at most; "
            f"peak RSS {f['peak_rss_mb']} MB"
        )
        add_figures(line, name, f)
    print("after:", load_average())
    print(key_values(line))


if __name__ == "__main__":
    main()
