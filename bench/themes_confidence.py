"""What leaving weakly evidenced posts unthemed would do to theme F1 and coverage, per day.

Builds each labelled day's digest as bench/themes.py does, then, for each rule, takes
out of their themes the items the rule calls weak (as if the digest had listed them
without a theme) and scores the days again. A simulation on the built digest, not a
rebuild: an item taken out does not join a topic cluster. Not a test; CI does not run
bench/.

    uv run python bench/themes_confidence.py --held-out 2026-06-03,2026-02-25,2026-03-11,2026-08-12
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from themes_days import build_day, labelled_days, load_gold, score_day  # noqa: E402

from digest import load_themes  # noqa: E402
from digest.build.themes import OTHER_ID, Theme, theme_scores  # noqa: E402

THEMES = load_themes()
SPECIFIC = tuple(replace(t, keywords=tuple(k for k in t.keywords if not k.generic)) for t in THEMES)
Evidence = tuple[str, dict[str, float], dict[str, float], bool]  # theme, scores, specific, repo
Rule = Callable[[Evidence], bool]


def evidence(theme: str, posts: list[dict[str, str]]) -> Evidence:
    """An item's scores as the builder weighs them (titles first for a story of several)."""

    def total(themes: tuple[Theme, ...], briefs: bool) -> dict[str, float]:
        found: dict[str, float] = defaultdict(float)
        for p in posts:
            brief = p.get("brief") if briefs else None
            repo = p["source"] == "github"
            for k, v in theme_scores(p["title"], brief, themes, repository=repo).items():
                found[k] += v
        return dict(found)

    repo = any(p["source"] == "github" for p in posts)
    if len(posts) == 1:
        return theme, total(THEMES, True), total(SPECIFIC, True), repo
    return theme, total(THEMES, False) or total(THEMES, True), total(SPECIFIC, True), repo


def _second(scores: dict[str, float], theme: str) -> float:
    return max((v for k, v in scores.items() if k != theme), default=0.0)


RULES: dict[str, Rule] = {
    "none (as built)": lambda e: False,
    "tie with another theme": lambda e: e[0] in e[1] and _second(e[1], e[0]) == e[1][e[0]],
    "score <= 1 (one word)": lambda e: e[0] in e[1] and e[1][e[0]] <= 1,
    "margin < 1": lambda e: e[0] in e[1] and e[1][e[0]] - _second(e[1], e[0]) < 1,
    "share of score < 0.5": lambda e: e[0] in e[1] and e[1][e[0]] / sum(e[1].values()) < 0.5,
    "generic words only (posts)": lambda e: e[0] in e[1] and not e[3] and e[0] not in e[2],
    "generic words only (all)": lambda e: e[0] in e[1] and e[0] not in e[2],
    "repository, no match": lambda e: e[0] not in e[1] and e[3],
}


def main() -> None:
    held = sys.argv[sys.argv.index("--held-out") + 1].split(",") if "--held-out" in sys.argv else []
    days = []
    for name, posts_path, gold_path in labelled_days():
        if name.split()[-1] in held:
            continue
        lines = posts_path.read_text(encoding="utf-8").splitlines()
        posts = {(p["source"], p["post_id"]): p for p in map(json.loads, lines)}
        digest = build_day(posts_path)
        gold = load_gold(gold_path)
        by_index = {e.index: (e.source, e.post_id) for e in digest.sources}
        items = []
        for group in digest.facts["themes"]:  # type: ignore[union-attr]
            for item in group["items"]:
                if group["id"] != OTHER_ID:
                    keys = [by_index[i] for i in item]
                    found = evidence(group["id"], [posts[k] for k in keys])
                    right = group["id"] in {gold.themes[keys[0]], *gold.also[keys[0]]}
                    items.append((set(item), found, right))
        days.append((name, digest, gold, items))
    print(f"F1/coverage per day when the rule's items are left unthemed (held out: {held})\n")
    print(
        f"{'rule':<28}"
        + "".join(f"{n.split()[-1][5:]:>11}" for n, *_ in days)
        + "  F1 min  mean  cov min"
    )
    for label, rule in RULES.items():
        cells = []
        for name, digest, gold, items in days:
            weak = set().union(*(ix for ix, e, _ in items if rule(e)))
            kept = [
                {**g, "items": [it for it in g["items"] if not set(it) & weak]}
                for g in digest.facts["themes"]  # type: ignore[union-attr]
            ]
            s = score_day(name, replace(digest, facts={**digest.facts, "themes": kept}), gold)
            cells.append((s.f1, s.coverage))
        f1s, covs = [c[0] for c in cells], [c[1] for c in cells]
        row = "".join(f"  {f:.2f}/{c:.2f}" for f, c in cells)
        print(f"{label:<28}{row}  {min(f1s):.3f} {sum(f1s) / len(f1s):.3f}  {min(covs):.2f}")
    print("\nThemed items whose theme the labels accept, by the rule that calls them weak:\n")
    for label, rule in RULES.items():
        judged = [right for *_, items in days for _, e, right in items if rule(e)]
        print(f"  {label:<28} {sum(judged):>4} of {len(judged)}")
    clear = [right for *_, items in days for _, e, right in items if _clear(e)]
    print(
        f"  {'one title word or more, no tie, not generic only':<28} {sum(clear)} of {len(clear)}"
    )


def _clear(e: Evidence) -> bool:
    return e[0] in e[2] and e[1][e[0]] > 1 and _second(e[1], e[0]) < e[1][e[0]]


if __name__ == "__main__":
    main()
