"""Benchmark: composing a weekly digest, beside a daily one of the same store (the anchor).

Fills a temporary store with two weeks of sightings: ``--sources`` lists of
``--per-list`` posts, fetched ``--fetches`` times a day, about a third of each list new
every day (the rest stays on, and climbs or falls), then times ``compose_week`` for the
second week and ``compose_digest`` for its Sunday in the same run. Then it times what a
push of that week does for chats with ``--filters`` different source filters: each
filter's view (``filtered_view``) and chart figures (``digest_chart``), with one
``PushReader`` for the whole push (the store's reads of the week made once, and each
chart day's story history; an older checkout's ``WeekReader``). Prints the
number of SQL statements each step ran, and the load average before and after.

Run: ``uv run python bench/week.py [--per-list 50] [--sources 5] [--fetches 24] [--runs 3]
[--filters 8]``
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from digest import (
    BuildOptions,
    Digest,
    Store,
    compose_digest,
    compose_week,
    digest_chart,
    filtered_view,
    load_themes,
    make_post,
)

try:  # the push's reader (days' story histories and weeks' reads), else the weeks' alone
    from digest import PushReader as Reader
except ImportError:  # an older checkout ("before")
    try:
        from digest import WeekReader as Reader  # type: ignore[assignment]
    except ImportError:  # before the week's reads were shared
        Reader = None  # type: ignore[assignment,misc]

MONDAY = date(2026, 2, 2)  # 2026-W06, then 2026-W07 is measured
WORDS = ["大模型", "Rust", "开源", "GPU", "Postgres", "前端", "LLM", "Kubernetes", "安全漏洞"]
WORDS += ["React", "Linux", "职场", "浏览器", "SQLite", "startup", "编译器", "面试", "Go"]


def fill(store: Store, sources: int, per_list: int, fetches: int, rng: random.Random) -> int:
    """Sightings of 14 days; returns how many were written."""
    written = 0
    lists = {f"src{s}": [f"d0-{k}" for k in range(per_list)] for s in range(sources)}
    for day in range(14):
        for name, ids in lists.items():  # a third of each list is new each day
            keep = rng.sample(ids, len(ids) - per_list // 3)
            lists[name] = keep + [f"d{day}-{k}" for k in range(per_list - len(keep))]
        for fetch in range(fetches):
            seen = datetime.combine(MONDAY + timedelta(days=day), datetime.min.time(), UTC)
            seen += timedelta(minutes=fetch * 24 * 60 // fetches)
            posts = [
                make_post(
                    source=name,
                    post_id=post_id,
                    title=f"{' '.join(rng.sample(WORDS, 3))} {post_id}",
                    heat=rng.randint(1, 5000),
                    rank=rank,
                )
                for name, ids in lists.items()
                for rank, post_id in enumerate(rng.sample(ids, len(ids)), start=1)
            ]
            written += store.save_posts(posts, seen)
    return written


def timed(call: object, runs: int) -> list[tuple[float, float]]:
    """(wall, CPU) milliseconds of each run: CPU time moves less with the machine's load."""
    found = []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        call()  # type: ignore[operator]
        found.append(((time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000))
    return found


def push_views(store: Store, digest: Digest, options: BuildOptions, filters: int) -> None:
    """Each filter's view and chart figures, as one push prepares them."""
    reader = Reader() if Reader is not None else None
    names = sorted({entry.source for entry in digest.sources})
    for n in range(filters):
        sources: tuple[tuple[str, ...], tuple[str, ...]] = ((), (names[n % len(names)],))
        if n >= len(names):
            sources = ((names[n % len(names)], names[(n + 1) % len(names)]), ())
        narrowed = replace(options, include_sources=sources[0], exclude_sources=sources[1])
        if reader is None:
            filtered_view(store, digest, options, sources)
            digest_chart(store, digest, narrowed)
        else:
            filtered_view(store, digest, options, sources, reader)
            digest_chart(store, digest, narrowed, reader)


def statements(store: Store, call: object) -> int:
    """How many SQL statements ``call`` ran on ``store``'s connection."""
    ran: list[str] = []
    store.db.conn.set_trace_callback(ran.append)
    call()  # type: ignore[operator]
    store.db.conn.set_trace_callback(None)
    return len(ran)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", type=int, default=5)
    parser.add_argument("--per-list", type=int, default=50)
    parser.add_argument("--fetches", type=int, default=24)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--filters", type=int, default=8)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("shared reads:", Reader.__name__ if Reader is not None else "no")
    options = BuildOptions(themes=load_themes())
    now = datetime(2026, 2, 16, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "week.db")
        written = fill(store, args.sources, args.per_list, args.fetches, random.Random(7))
        sunday = MONDAY + timedelta(days=13)
        week = timed(lambda: compose_week(store, "2026-W07", options, now), args.runs)
        day = timed(lambda: compose_digest(store, sunday, options, now), args.runs)
        digest = compose_week(store, "2026-W07", options, now)
        views = timed(lambda: push_views(store, digest, options, args.filters), args.runs)
        counts = (
            statements(store, lambda: compose_week(store, "2026-W07", options, now)),
            statements(store, lambda: compose_digest(store, sunday, options, now)),
            statements(store, lambda: push_views(store, digest, options, args.filters)),
        )
        store.close()
    print(f"{written:,} sightings; the week's digest cites {len(digest.sources)} posts")
    for name, runs, count in (
        ("compose_week 2026-W07", week, counts[0]),
        (f"anchor, compose_digest {sunday}", day, counts[1]),
        (f"push views, {args.filters} filters (view + chart)", views, counts[2]),
    ):
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        shown = ", ".join(f"{r[0]:.0f}" for r in runs)
        print(f"{name}: median {wall:.0f} ms wall ({shown}), {cpu:.0f} ms CPU, {count} statements")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
