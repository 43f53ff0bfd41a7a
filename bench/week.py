"""Benchmark: composing a weekly digest, beside a daily one of the same store (the anchor).

Fills a temporary store with two weeks of sightings: ``--sources`` lists of
``--per-list`` posts, fetched ``--fetches`` times a day, about a third of each list new
every day (the rest stays on, and climbs or falls), then times ``compose_week`` for the
second week and ``compose_digest`` for its Sunday in the same run.

Run: ``uv run python bench/week.py [--per-list 50] [--sources 5] [--fetches 24] [--runs 3]``
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from digest import BuildOptions, Store, compose_digest, compose_week, load_themes, make_post

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


def timed(call: object, runs: int) -> list[float]:
    found = []
    for _ in range(runs):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        found.append((time.perf_counter() - started) * 1000)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", type=int, default=5)
    parser.add_argument("--per-list", type=int, default=50)
    parser.add_argument("--fetches", type=int, default=24)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    options = BuildOptions(themes=load_themes())
    now = datetime(2026, 2, 16, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "week.db")
        written = fill(store, args.sources, args.per_list, args.fetches, random.Random(7))
        sunday = MONDAY + timedelta(days=13)
        week = timed(lambda: compose_week(store, "2026-W07", options, now), args.runs)
        day = timed(lambda: compose_digest(store, sunday, options, now), args.runs)
        digest = compose_week(store, "2026-W07", options, now)
        store.close()
    print(f"{written:,} sightings; the week's digest cites {len(digest.sources)} posts")
    print(f"compose_week 2026-W07: median {statistics.median(week):.0f} ms, runs {week}")
    print(f"anchor, compose_digest {sunday}: median {statistics.median(day):.0f} ms, runs {day}")


if __name__ == "__main__":
    main()
