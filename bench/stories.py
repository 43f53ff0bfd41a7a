"""Time the same-story matcher (merge_duplicates) on every labelled day's posts at once.

The posts of bench/days/ and the sample (about 1,000, many days in one window, as a
weekly digest sees them) go through merge_duplicates of this tree and, as the anchor in
the same run, of commit REV (`git archive` of its digest/, run in a fresh interpreter).
Prints best-of-N wall time, posts, items and the load average before and after; and,
for a tree with a story history, the time of building one from HISTORY_POSTS titles and
merging with it (what a build adds, less the store read).

    uv run python bench/stories.py --before main [--rounds 5]
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from tempfile import TemporaryDirectory

ROOT = Path(__file__).resolve().parent.parent

# Run with sys.argv[1] (a tree holding digest/) first on the path.
_TIME = """
import json, sys, time
from datetime import UTC, datetime
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from digest import make_post
from digest.build.ranking import merge_duplicates, normalise_heat
from digest.store.store import SeenPost
root, rounds = Path(sys.argv[2]), int(sys.argv[3])
files = sorted((root / "bench" / "days").glob("*.jsonl")) + [root / "data/sample/posts.jsonl"]
posts = []
for path in files:
    for line in path.read_text(encoding="utf-8").splitlines():
        p = json.loads(line)
        posts.append(make_post(source=p["source"], post_id=path.stem + p["post_id"],
                               title=p["title"], url=p.get("url"), brief=p.get("brief")))
at = datetime(2026, 1, 1, tzinfo=UTC)
seen = normalise_heat([SeenPost(p, at, at, None, None) for p in posts])
best = float("inf")
for _ in range(rounds):
    started = time.perf_counter()
    items = merge_duplicates(seen)
    best = min(best, time.perf_counter() - started)
# The history read of a build (read_history's titles, HISTORY_POSTS of them), where the tree has it.
import importlib.util
history_ms = "-"
if importlib.util.find_spec("digest.build.story_history"):
    from digest.build import stories, story_history
    titles = ([p.title for p in posts] * 3)[: story_history.HISTORY_POSTS]
    spent = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        history = story_history.StoryHistory.of_titles(titles)
        stories.merge_duplicates(seen, history)
        spent = min(spent, time.perf_counter() - started)
    history_ms = f"{spent * 1000:.1f}"
print(len(seen), len(items), f"{best * 1000:.1f}", history_ms)
"""


def _time(tree: Path, rounds: int) -> tuple[str, str, str, str]:
    run = subprocess.run(
        [sys.executable, "-c", _TIME, str(tree), str(ROOT), str(rounds)],
        capture_output=True,
        check=True,
        text=True,
        cwd=tree,
    )
    posts, items, ms, history_ms = run.stdout.split()
    return posts, items, ms, history_ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", default="main")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    load_before = os.getloadavg()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", args.before, "digest"], capture_output=True, check=True
    ).stdout
    with TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        anchor = _time(Path(tmp), args.rounds)
        now = _time(ROOT, args.rounds)
    load_after = os.getloadavg()
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    print(f"{'tree':<16} {'posts':>6} {'items':>6} {'best ms':>9} {'+history ms':>12}")
    print(f"{args.before:<16} {anchor[0]:>6} {anchor[1]:>6} {anchor[2]:>9} {anchor[3]:>12}")
    print(f"{'this tree':<16} {now[0]:>6} {now[1]:>6} {now[2]:>9} {now[3]:>12}")
    print(
        f"posts={now[0]} items={now[1]} ms={now[2]} history_ms={now[3]} anchor_items={anchor[1]} "
        f"anchor_ms={anchor[2]} load_before={load_before[0]:.2f} load_after={load_after[0]:.2f}"
    )


if __name__ == "__main__":
    main()
