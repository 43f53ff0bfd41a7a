"""Benchmark: digest build time as the store grows, and upsert throughput.

Fills a store file with N synthetic posts, ``--window-posts`` of them in each day
going back as far as N needs (a store grows by adding days, not by denser days),
so the digest's own window always holds the same number of posts, then times
``compose_digest`` for that window. A build should grow with its window, not with
the store. Also times the import path (``Store.save_sightings``) in posts/s.

Run: ``uv run python bench/build.py [--sizes 10000,100000,1000000] [--window-posts 500]``
The last line is ``KEY=VALUE ...``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from digest import BuildOptions, Store, compose_digest, load_themes, make_post

DAY = date(2026, 2, 15)
WORDS_ZH = [
    "大模型",
    "开源",
    "前端",
    "架构",
    "Rust",
    "数据库",
    "性能优化",
    "面试",
    "Flutter",
    "鸿蒙",
    "Kubernetes",
    "安全漏洞",
    "AI 编程",
    "浏览器",
    "编译器",
    "云原生",
    "职场",
]
WORDS_EN = [
    "Show HN:",
    "Postgres",
    "LLM",
    "compiler",
    "startup",
    "GPU",
    "Linux",
    "privacy",
    "React",
    "SQLite",
    "outage",
    "layoffs",
    "Rust",
    "WebAssembly",
    "Go",
    "Kafka",
]
SOURCES = ("juejin", "hackernews", "v2ex", "github")


def synthetic_post(rng: random.Random, n: int) -> object:
    words = rng.sample(WORDS_ZH if n % 2 else WORDS_EN, 3)
    source = SOURCES[n % len(SOURCES)]
    return make_post(
        source=source,
        post_id=str(n),
        title=f"{' '.join(words)} #{n}",
        url=f"https://example.com/{source}/{n}",
        heat=None if n % 7 == 0 else rng.randint(1, 5000),
    )


def fill(store: Store, size: int, window_posts: int, seed: int = 7) -> float:
    """Store ``size`` posts, ``window_posts`` of them inside DAY's window; returns posts/s."""
    rng = random.Random(seed)
    options = BuildOptions()
    start, end = options.window(DAY)
    batch: list[tuple[object, datetime]] = []
    began = time.perf_counter()
    for n in range(size):
        if n < window_posts:
            seen = start + timedelta(seconds=rng.randrange(int((end - start).total_seconds())))
        else:  # an earlier day, as many posts per day as the window holds
            day_back = 1 + (n - window_posts) // window_posts
            seen = start - timedelta(days=day_back - 1, seconds=rng.randrange(1, 86400))
        batch.append((synthetic_post(rng, n), seen))
        if len(batch) == 10_000:
            store.save_sightings(batch)  # type: ignore[arg-type]
            batch.clear()
    store.save_sightings(batch)  # type: ignore[arg-type]
    return size / (time.perf_counter() - began)


def time_build(store: Store, repeats: int = 5) -> tuple[float, float]:
    options = BuildOptions(themes=load_themes())
    now = datetime(2026, 2, 15, 11, 0, tzinfo=UTC)
    runs = []
    for _ in range(repeats):
        began = time.perf_counter()
        compose_digest(store, DAY, options, now)
        runs.append((time.perf_counter() - began) * 1000)
    return statistics.median(runs), min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--window-posts", type=int, default=500)
    args = parser.parse_args()
    figures = []
    print(
        f"{'stored posts':>13} {'window':>7} {'upsert posts/s':>15} {'build ms (median)':>18} "
        f"{'build ms (min)':>15}"
    )
    with tempfile.TemporaryDirectory() as scratch:
        for size in (int(s) for s in args.sizes.split(",")):
            store = Store.open(Path(scratch) / f"bench-{size}.db")
            rate = fill(store, size, args.window_posts)
            median, best = time_build(store)
            store.close()
            print(
                f"{size:>13,} {args.window_posts:>7} {rate:>15,.0f} {median:>18.1f} {best:>15.1f}"
            )
            figures.append((size, rate, median))
    print(
        " ".join(
            f"build_ms_{size}={median:.1f} upsert_per_s_{size}={rate:.0f}"
            for size, rate, median in figures
        )
    )


if __name__ == "__main__":
    main()
