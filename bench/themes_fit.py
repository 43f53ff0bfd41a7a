"""Whether the default selection (max_posts) still fits one brief push on every labelled day.

Issue 14 sizes the digest for one Telegram push in brief mode plus the full sections:
prints, per day, the posts the digest cites (of the day's posts), the messages of the
brief push and of the full view, and the posts left out. Deterministic, no timing.

    uv run python bench/themes_fit.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from themes_days import build_day, labelled_days, load_gold  # noqa: E402

from digest import MAX_POSTS  # noqa: E402
from digest.render.renderer import Renderer  # noqa: E402


def main() -> None:
    renderer = Renderer()
    print(f"max_posts = {MAX_POSTS} (default)\n")
    print(f"{'day':<18} {'posts':>5} {'cited':>5} {'brief msgs':>10} {'chars':>6} {'full msgs':>9}")
    worst = 0
    for name, posts, gold in labelled_days():
        digest = build_day(posts)
        push, full = renderer.telegram(digest, "push"), renderer.telegram(digest, "full")
        worst = max(worst, len(push))
        day_posts = len(load_gold(gold).themes)
        print(
            f"{name:<18} {day_posts:>5} {len(digest.sources):>5} {len(push):>10} "
            f"{max(map(len, push)):>6} {len(full):>9}"
        )
    print(f"\nbrief push: at most {worst} message(s) on any labelled day")


if __name__ == "__main__":
    main()
