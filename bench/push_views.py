"""Benchmark: what a day's push reads to give chats with different source filters their view.

Fills a temporary store with real titles: one labelled day of ``bench/days/`` (the
push's day, ``--day``) and, on the days before it, every other labelled day twice over
(some 4,000 posts: the push's day has the full 3,000-title story history a running bot
has). Then, in a fresh interpreter for each tree, times what a push does for chats with
``--filters`` different source filters: each filter's view (``filtered_view``), then the
views and each filter's chart figures (``digest_chart``), with one per-push reader (this
tree's ``PushReader``; an older tree's ``WeekReader``, which served weeks only), and as
the anchor in the same run, the full day's ``compose_digest``. The same script runs on a
``git archive`` of ``--before`` (default main) first. Prints wall and CPU medians, how
many times the story history was read (``Store.titles_first_seen``), and the load
average before and after.

Run: ``uv run python bench/push_views.py [--before main] [--filters 8] [--runs 5]
[--day 2026-08-12]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from tempfile import TemporaryDirectory

ROOT = Path(__file__).resolve().parent.parent

# Run as: python -c _TIME <tree holding digest/ and data/> <days folder> <day> <filters> <runs>
_TIME = r"""
import json, statistics, sys, tempfile, time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from digest import BuildOptions, Store, build_digest, compose_digest, digest_chart
from digest import filtered_view, load_themes, make_post
try:
    from digest import PushReader as Reader
except ImportError:  # before the per-push reader: the week's reader, which days ignore
    from digest import WeekReader as Reader
days, day = Path(sys.argv[2]), date.fromisoformat(sys.argv[3])
filters, runs = int(sys.argv[4]), int(sys.argv[5])
options = BuildOptions(themes=load_themes())

def posts_of(path, suffix=""):
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [make_post(source=r["source"], post_id=r["post_id"] + suffix, title=r["title"],
                      url=r.get("url"), heat=r.get("heat"), rank=r.get("rank"),
                      brief=r.get("brief")) for r in rows]

def at(one_day):  # 17:00 in Shanghai, inside the 18:30 window
    return datetime.combine(one_day, datetime.min.time(), UTC) + timedelta(hours=9)

def cost(call):
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000

with tempfile.TemporaryDirectory() as folder:
    store = Store.open(Path(folder) / "push.db")
    others = sorted(p for p in days.glob("*.jsonl") if p.stem != day.isoformat())
    for copy in range(2):
        for back, path in enumerate(others, start=1 + copy * len(others)):
            store.save_posts(posts_of(path, f"~{copy}"), at(day - timedelta(days=back)))
    store.save_posts(posts_of(days / f"{day.isoformat()}.jsonl"), at(day))
    built = at(day) + timedelta(hours=2)
    digest = build_digest(store, day, options, built).digest
    names = sorted({entry.source for entry in digest.sources})
    chosen = []
    for n in range(filters):
        chosen.append(((), (names[n % len(names)],)) if n < len(names)
                      else ((names[n % len(names)], names[(n + 1) % len(names)]), ()))

    def views(charts):
        reader = Reader()
        for include, exclude in chosen:
            filtered_view(store, digest, options, (include, exclude), reader)
            if charts:
                narrowed = replace(options, include_sources=include, exclude_sources=exclude)
                digest_chart(store, digest, narrowed, reader)

    from digest.build.story_history import read_history
    start, end = options.window(day)
    window = store.posts_in_window(start, end)
    found = {}
    for name, call in (("anchor", lambda: compose_digest(store, day, options, built)),
                       ("history", lambda: read_history(store, start, window)),
                       ("views", lambda: views(False)), ("charts", lambda: views(True))):
        timings = [cost(call) for _ in range(runs)]
        ran = []
        store.db.conn.set_trace_callback(ran.append)
        call()
        store.db.conn.set_trace_callback(None)
        found[name] = {"wall": statistics.median(t[0] for t in timings),
                       "cpu": statistics.median(t[1] for t in timings),
                       "history_reads": sum("first_seen_at <" in s for s in ran)}
    found["posts"] = int(digest.facts["window_posts"])
    found["stored"] = store.db.execute("SELECT count(*) FROM posts").fetchone()[0]
    found["filters"] = [list(f) for f in chosen]
    store.close()
print(json.dumps(found))
"""


def measure(tree: Path, args: argparse.Namespace) -> dict[str, object]:
    days = str(ROOT / "bench" / "days")
    run = subprocess.run(
        [sys.executable, "-c", _TIME, str(tree), days, args.day, str(args.filters), str(args.runs)],
        capture_output=True,
        check=True,
        text=True,
        cwd=tree,
    )
    found: dict[str, object] = json.loads(run.stdout)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", default="main")
    parser.add_argument("--filters", type=int, default=8)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--day", default="2026-08-12")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with TemporaryDirectory() as tmp:
        packed = Path(tmp) / "before.tar"  # the tree of --before: its digest/ and data/
        git = ["git", "-C", str(ROOT), "archive", "-o", str(packed), args.before]
        subprocess.run([*git, "digest", "data"], check=True)
        with tarfile.open(packed) as tar:
            tar.extractall(tmp, filter="data")
        before = measure(Path(tmp), args)
    now = measure(ROOT, args)
    load_after = os.getloadavg()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in load_before)}")
    print(f"day {args.day}: {now['posts']} posts in its window, {now['stored']} stored")
    print(f"{args.filters} filters: {now['filters']}")
    print(f"{'tree':<12} {'step':<28} {'wall ms':>8} {'CPU ms':>8} {'history reads':>14}")
    steps = (
        ("anchor", "anchor: compose_digest (day)"),
        ("history", "one story history read"),
        ("views", f"views, {args.filters} filters"),
        ("charts", f"views + charts, {args.filters}"),
    )
    for label, found in ((args.before, before), ("this tree", now)):
        for key, step in steps:
            figures = found[key]
            assert isinstance(figures, dict)
            print(
                f"{label:<12} {step:<28} {figures['wall']:>8.1f} {figures['cpu']:>8.1f}"
                f" {figures['history_reads']:>14}"
            )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in load_after)}")
    print(
        " ".join(
            f"{tree}_{key}_cpu_ms={found[key]['cpu']:.1f}"  # type: ignore[index]
            for tree, found in (("before", before), ("now", now))
            for key, _ in steps
        )
        + f" load_before={load_before[0]:.2f} load_after={load_after[0]:.2f}"
    )


if __name__ == "__main__":
    main()
