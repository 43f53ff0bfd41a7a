"""Benchmark: the operations side of a running bot (issue 18).

Three measurements, each printed beside its target:

- ``health``: ``/healthz`` and ``/metrics`` answer times while the bot pushes to
  ``--chats`` chats (3 messages each) through the fake Bot API in its own process; the
  push runs with the flood limits off (paid broadcast pace) so the bot's event loop is
  as busy as it gets, which is harder on the probes than a 30 msg/s push (``--paced``:
  Telegram's pace, 30 msg/s; 10,000 chats then take 17 minutes). Probes that saw the
  push queue non-empty count as "during the push"; the anchor is the same probes in
  the bot's first 4 idle seconds before it starts pushing, in the same run. Each probe
  is timed by the client and by the server (its ``Server-Timing`` header: from the
  request's arrival to the reply, and from accept to the reply).
- ``backup``: a ``--rows``-snapshot store (about 1 GB at 6M rows) is backed up with
  ``backup_database`` while a client plays commands on the bot's store thread (a read
  and a write every 20 ms); reports the slowest store call during the backup, beside
  the same calls with no backup running.
- ``prune``: ``--prune-rows`` old snapshots are pruned with the bot's job function
  (``prune_store``, adaptive batches) while the same command client runs; reports each
  batch's transaction (the write lock's hold: BEGIN IMMEDIATE to COMMIT) and its CPU
  time, the slowest command, and as the anchor the client's one-row write transactions
  timed the same way on the same thread in the same run.

Run: ``uv run python bench/ops.py health [--chats 10000]``,
``uv run python bench/ops.py store [--rows 6000000] [--prune-rows 10000000]``.
The store files go to a scratch directory (``--dir``) and are deleted after.
The last line of each is ``KEY=VALUE ...``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import sqlite3
import tempfile
import threading
import time
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar

import httpx
from figures import key_values, machine, percentile
from harness import HOST, PushRun, measure_push

from bot.services import StoreRunner
from bot.upkeep import prune_store
from digest import Post, Store, backup_database, prune_steps

T = TypeVar("T")
IDLE_SECONDS = 4.0
HEALTH_TARGET_MS = 10.0
COMMAND_TARGET_MS = 100.0
LOCK_TARGET_MS = 50.0
NOW = datetime(2027, 3, 1, tzinfo=UTC)


# -- health and metrics during a push -----------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


# path, ms, queue busy, when, server's ms (request arrived to reply), accept to reply
Sample = tuple[str, float, bool, float, float, float]


def probe_loop(base: str, done: threading.Event, samples: list[Sample]) -> None:
    """GET /healthz and /metrics in turn until ``done``."""
    with httpx.Client(base_url=base, timeout=5) as client:
        while not done.is_set():
            for path in ("/healthz", "/metrics"):
                started = time.perf_counter()
                try:
                    answer = client.get(path)
                except httpx.TransportError:  # the bot process is not up yet
                    time.sleep(0.05)
                    continue
                ms = 1000 * (time.perf_counter() - started)
                busy = path == "/metrics" and _queue_depth(answer.text) > 0
                # The server's own accept-to-reply time, from its Server-Timing header.
                timing = answer.headers.get("Server-Timing", "request;dur=-1, handle;dur=-1")
                waited, handled = (float(m.partition("dur=")[2]) for m in timing.split(","))
                samples.append((path, ms, busy, started, handled, waited + handled))
            time.sleep(0.02)


def _queue_depth(text: str) -> float:
    for line in text.splitlines():
        if line.startswith("hotdigest_push_queue_depth "):
            return float(line.split()[1])
    return 0.0


def push_while_probing(args: argparse.Namespace) -> tuple[PushRun, list[Sample]]:
    """A push with ``/healthz`` and ``/metrics`` served beside it, probed in turn throughout."""
    port = free_port()
    samples: list[Sample] = []
    done = threading.Event()
    prober = threading.Thread(target=probe_loop, args=(f"http://{HOST}:{port}", done, samples))
    prober.start()
    try:
        paced = ["--idle=5"] if args.paced else ["--idle=5", "--senders=4", "--connections=32"]
        run = measure_push(
            args.chats,
            latency=args.latency,
            limits=args.paced,
            rate=None if args.paced else 1000.0,
            paid=not args.paced,
            timeout=3600,
            extra=[f"--metrics={HOST}:{port}", *paced],
        )
    finally:
        done.set()
        prober.join()
    return run, samples


def bench_health(args: argparse.Namespace) -> None:
    run, samples = push_while_probing(args)
    # A /healthz probe just before a /metrics probe that saw the queue busy ran during it too.
    pushing = [s for n, s in enumerate(samples) if s[2] or _next_busy(samples, n)]
    during, served, accepted = ([s[i] for s in pushing] for i in (1, 4, 5))
    # The bot waits 5 s (--idle) before it plans the push: its first 4 s are the anchor.
    first = samples[0][3] if samples else 0.0
    idle_samples = [s for s in samples if s[3] - first < IDLE_SECONDS]
    idle, idle_served, idle_accepted = ([s[i] for s in idle_samples] for i in (1, 4, 5))
    bot = run.bot
    print(
        f"push: {run.messages:,} messages to {bot['delivered']:,} of {run.chats:,} chats in "
        f"{bot['wall_s']:.1f}s ({run.messages / bot['wall_s']:.0f}/s)"
    )
    for name, values in (
        ("during the push", during),
        ("idle bot, same run", idle),
        ("during the push, server: request to reply", served),
        ("idle bot, server: request to reply", idle_served),
        ("during the push, server: accept to reply", accepted),
        ("idle bot, server: accept to reply", idle_accepted),
    ):
        if values:
            print(
                f"probes {name}: {len(values)}, p50 {percentile(values, 0.5):.2f} ms, "
                f"p99 {percentile(values, 0.99):.2f} ms, max {max(values):.2f} ms "
                f"(target <= {HEALTH_TARGET_MS:.0f} ms)"
            )
    print(
        key_values(
            {
                "chats": run.chats,
                "messages": run.messages,
                "push_seconds": round(bot["wall_s"], 1),
                "probes_during": len(during),
                "p50_ms": round(percentile(during, 0.5), 2) if during else -1,
                "p99_ms": round(percentile(during, 0.99), 2) if during else -1,
                "max_ms": round(max(during), 2) if during else -1,
                "idle_p50_ms": round(percentile(idle, 0.5), 2) if idle else -1,
                "idle_p99_ms": round(percentile(idle, 0.99), 2) if idle else -1,
                "server_p99_ms": round(percentile(served, 0.99), 2) if served else -1,
                "server_max_ms": round(max(served), 2) if served else -1,
                "load1": round(os.getloadavg()[0], 1),
                "target_ms": HEALTH_TARGET_MS,
            }
        )
    )


def _next_busy(samples: list[Sample], n: int) -> bool:
    return n + 1 < len(samples) and samples[n][0] == "/healthz" and samples[n + 1][2]


# -- a store of millions of snapshots --------------------------------------------------


def seed_snapshots(path: Path, old: int, recent: int) -> None:
    """``old`` snapshots from 700 days back, ``recent`` ones from a week back.

    As ingests write them: a fetch every 3 minutes sees 100 posts, and every 48 fetches
    half the list is new posts (so a post has a few hundred snapshots, in runs).
    """
    store = Store.open(path)
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    insert = """
        WITH RECURSIVE n(i) AS (SELECT :first UNION ALL SELECT i + 1 FROM n WHERE i < :last)
        INSERT INTO snapshots (source, post_id, fetched_at, rank, heat)
        SELECT 'bench', CAST((i / 100 / 48) * 50 + i % 100 AS TEXT),
               strftime('%Y-%m-%dT%H:%M:%SZ', :start, '+' || (i / 100 * 3) || ' minutes'),
               i % 100 + 1, (i * 7919) % 5000
        FROM n
    """
    for rows, start in ((old, NOW - timedelta(days=700)), (recent, NOW - timedelta(days=7))):
        done = 0
        while done < rows:  # a million at a time: one transaction's WAL stays small
            chunk = min(1_000_000, rows - done)
            values = {
                "first": done,
                "last": done + chunk - 1,
                "start": f"{start:%Y-%m-%d %H:%M:%S}",
            }
            conn.execute(insert, values)
            conn.commit()
            done += chunk
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


class Commands:
    """A reader and writer playing commands on the bot's store thread every ``every`` s."""

    def __init__(self, runner: StoreRunner, every: float = 0.02) -> None:
        self.runner, self.every = runner, every
        self.waits: list[float] = []
        self.writes: list[float] = []  # ms each write's transaction took, on the store thread
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def play(self) -> None:
        n = 0
        while not self._stop.is_set():
            n += 1
            call = partial(_read, n) if n % 2 else partial(_write, n)
            started = time.perf_counter()
            took = await self.runner.run(call)
            self.waits.append(1000 * (time.perf_counter() - started))
            if took is not None:
                self.writes.append(took)
            await asyncio.sleep(self.every)


def _read(n: int, store: Store) -> None:
    store.get_post("bench", str(n % 1000))  # what /sources n reads


def _write(n: int, store: Store) -> float:
    """A one-row write, as /subscribe: the anchor of a write transaction's time (ms)."""
    started = time.perf_counter()
    store.save_posts([Post("bench", "cmd", f"edit {n}")], NOW)
    return 1000 * (time.perf_counter() - started)


async def with_commands(runner: StoreRunner, work: Awaitable[T]) -> tuple[T, Commands]:
    """Await ``work`` while commands run; its result and the commands' times."""
    commands = Commands(runner)
    player = asyncio.create_task(commands.play())
    try:
        result = await work
    finally:
        commands.stop()
        await player
    return result, commands


async def store_bench(args: argparse.Namespace, scratch: Path) -> dict[str, object]:
    db, copy = scratch / "big.db", scratch / "copy.db"
    began = time.perf_counter()
    seed_snapshots(
        db, args.prune_rows, args.rows - args.prune_rows if args.rows > args.prune_rows else 100_000
    )
    size = db.stat().st_size
    print(f"seeded {size / 2**30:.2f} GB in {time.perf_counter() - began:.0f}s")
    runner = StoreRunner(db)
    try:
        anchor = (await with_commands(runner, asyncio.sleep(5.0)))[1].waits
        report, played = await with_commands(runner, asyncio.to_thread(backup_database, db, copy))
        waits = played.waits
        copy.unlink()
        print(
            f"backup: {size / 2**30:.2f} GB in {report.seconds:.1f}s (verified); commands: "
            f"{len(waits)}, p50 {percentile(waits, 0.5):.1f} ms, max {max(waits):.1f} ms "
            f"(target <= {COMMAND_TARGET_MS:.0f} ms; without a backup: p50 "
            f"{percentile(anchor, 0.5):.1f} ms, max {max(anchor):.1f} ms)"
        )

        started = time.perf_counter()
        steps = prune_steps(NOW, keep_days=400)
        pruned, prune_commands = await with_commands(runner, prune_store(runner, steps))
        prune_waits, writes = prune_commands.waits, prune_commands.writes
        prune_seconds = time.perf_counter() - started
    finally:
        await runner.close()
    deleted = pruned.deleted["snapshots"]
    longest = 1000 * pruned.longest
    print(
        f"prune: {deleted:,} snapshots in {pruned.batches:,} batches, {prune_seconds:.0f}s; "
        f"commands: max {max(prune_waits):.1f} ms"
    )
    batch_ms, cpu_ms = ([1000 * s for s in values] for values in (pruned.seconds, pruned.cpu))
    for name, values in (
        (f"batch transactions (target <= {LOCK_TARGET_MS:.0f} ms)", batch_ms),
        ("their CPU time", cpu_ms),
        ("anchor, same run: a one-row write transaction", writes),
    ):
        print(f"{name}: {_spread(values)}")
    return {
        "store_gb": round(size / 2**30, 2),
        "backup_s": round(report.seconds, 1),
        "backup_cmd_max_ms": round(max(waits), 1),
        "anchor_cmd_max_ms": round(max(anchor), 1),
        "cmd_target_ms": COMMAND_TARGET_MS,
        "pruned": deleted,
        "prune_batches": pruned.batches,
        "prune_s": round(prune_seconds, 1),
        "batch_p99_ms": round(1000 * percentile(pruned.seconds, 0.99), 1),
        "longest_batch_ms": round(longest, 1),
        "batch_cpu_max_ms": round(max(cpu_ms), 1),
        "anchor_write_p99_ms": round(percentile(writes, 0.99), 1),
        "anchor_write_max_ms": round(max(writes), 1),
        "load1": round(os.getloadavg()[0], 1),
        "prune_cmd_max_ms": round(max(prune_waits), 1),
        "lock_target_ms": LOCK_TARGET_MS,
    }


def _spread(values: list[float]) -> str:
    return (
        f"{len(values)}, p50 {percentile(values, 0.5):.1f} ms, "
        f"p99 {percentile(values, 0.99):.1f} ms, max {max(values):.1f} ms"
    )


def bench_store(args: argparse.Namespace) -> None:
    free = shutil.disk_usage(args.dir or tempfile.gettempdir()).free
    print(f"{free / 2**30:.0f} GB free for the scratch store")
    with tempfile.TemporaryDirectory(prefix="hotdigest-ops-", dir=args.dir) as scratch:
        figures = asyncio.run(store_bench(args, Path(scratch)))
    print(key_values(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    health = commands.add_parser("health", help="/healthz and /metrics during a push")
    health.add_argument("--chats", type=int, default=10_000)
    health.add_argument("--latency", type=float, default=0.05, help="seconds per Bot API call")
    health.add_argument(
        "--paced", action="store_true", help="Telegram's 30 msg/s instead of paid broadcast"
    )
    store = commands.add_parser("store", help="a backup and a prune beside commands")
    store.add_argument("--rows", type=int, default=10_100_000, help="snapshots in the store")
    store.add_argument("--prune-rows", type=int, default=10_000_000, help="of them, old ones")
    store.add_argument("--dir", help="scratch directory (default: the system's temp)")
    args = parser.parse_args()
    print(machine())
    # The machine is shared: its load says how much of a tail is other people's work.
    print("load average (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    if args.command == "health":
        bench_health(args)
    else:
        bench_store(args)


if __name__ == "__main__":
    main()
