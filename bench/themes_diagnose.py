"""Where theme F1 goes: a confusion matrix and each disagreement's kind, per labelled day.

Used by bench/themes.py (`--confusion`, `--kinds`). A held-out day gets counts only: its
posts are never listed, so it stays a day nothing was fitted to.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from bench.themes_days import CUT, OTHER, DayScore, Key, pairwise_f1
from digest import load_themes
from digest.build.themes import Theme, theme_scores

AI = frozenset({"ai-coding", "ai-models"})
KINDS = (
    "right",
    "off-topic themed",
    "cut from the digest",
    "no keyword (unthemed)",
    "chatter word (unthemed)",
    "unthemed, gold theme scored",
    "AI coding/models boundary",
    "gold theme lost a tie",
    "gold theme outscored",
    "gold theme not matched",
    "repository, nothing matched",
    "story or cluster theme",
)


def print_confusion(scores: Sequence[DayScore]) -> None:
    """Gold theme (rows) against the digest's theme (columns) over every post of every day."""
    cells = Counter((gold, ours) for s in scores for *_, gold, ours in s.outcomes)
    ours_ids = sorted({o for _, o in cells}, key=_order)
    gold_ids = sorted({g for g, _ in cells}, key=_order)
    short = {t: _short(t) for t in {*ours_ids, *gold_ids}}
    print("\nConfusion over all days: gold theme (rows) x digest theme (columns), posts\n")
    print(f"{'gold/ours':<12}" + "".join(f"{short[o]:>6}" for o in ours_ids) + f"{'recall':>8}")
    for g in gold_ids:
        row = [cells[(g, o)] for o in ours_ids]
        right = cells[(g, g)] / sum(row) if sum(row) else 0.0
        print(f"{short[g]:<12}" + "".join(f"{n if n else '.':>6}" for n in row) + f"{right:>8.2f}")
    col = [sum(cells[(g, o)] for g in gold_ids) for o in ours_ids]
    prec = [cells[(o, o)] / n if n else 0.0 for o, n in zip(ours_ids, col, strict=True)]
    print(f"{'precision':<12}" + "".join(f"{p:>6.2f}" for p in prec))
    print("  " + ", ".join(f"{v}={k}" for k, v in sorted(short.items(), key=lambda kv: kv[1])))


def print_one_ai_theme(scores: Sequence[DayScore]) -> None:
    """Each day's F1 with AI coding and AI and models read as one theme, labels and digest alike.

    Not a score of the digest (the labels keep the two apart): what the boundary costs.
    """
    one = {theme: "ai" if theme in AI else theme for theme in AI | {OTHER, CUT}}
    cells = []
    for s in scores:
        predicted = {(a, b): one.get(o, o) for a, b, _, o in s.outcomes if o not in (OTHER, CUT)}
        gold = {
            (a, b): one.get(g, g) if g != OTHER else f"{OTHER}:{a}:{b}" for a, b, g, _ in s.outcomes
        }
        cells.append(f"{s.name.split()[-1][5:]} {s.f1:.2f}->{pairwise_f1(predicted, gold)[2]:.2f}")
    print("\nF1 if the two AI themes were one (labels and digest alike): " + ", ".join(cells))


def print_kinds(
    scores: Sequence[DayScore], posts: Sequence[Path], verbose: bool, held_out: Iterable[str]
) -> None:
    """Each day's posts by kind of (dis)agreement; titles only for days not held out."""
    themes = load_themes()
    hidden = set(held_out)
    table: list[tuple[str, Counter[str], list[str]]] = []
    for score, path in zip(scores, posts, strict=True):
        texts = _texts(path)
        counts: Counter[str] = Counter()
        listed: list[str] = []
        for source, post_id, gold, ours in score.outcomes:
            title, brief = texts[(source, post_id)]
            kind = classify(gold, ours, title, brief, source == "github", themes)
            counts[kind] += 1
            if kind != "right":
                listed.append(f"  {kind}: {title[:50]} | gold {gold} | ours {ours}")
        table.append((score.name.split()[-1], counts, listed))
    print("\nDisagreements by kind, posts per day (see bench/README.md for the kinds)\n")
    print(f"{'kind':<28}" + "".join(f"{day[5:]:>7}" for day, _, _ in table) + f"{'all':>6}")
    for kind in KINDS:
        row = [c[kind] for _, c, _ in table]
        print(f"{kind:<28}" + "".join(f"{n if n else '.':>7}" for n in row) + f"{sum(row):>6}")
    if verbose:
        for day, _, listed in table:
            print(f"\n{day}:" + (" held out, posts not listed" if day in hidden else ""))
            if day not in hidden:
                print("\n".join(listed))


def classify(
    gold: str, ours: str, title: str, brief: str | None, repository: bool, themes: Sequence[Theme]
) -> str:
    """The kind of one post's outcome, from the post's own keyword scores."""
    if gold == ours or (gold == OTHER and ours == CUT):
        return "right"
    if ours == CUT:
        return "cut from the digest"
    if gold == OTHER:
        return "off-topic themed"
    scores = theme_scores(title, brief, themes, repository=repository)
    chatter = {t.id for t in themes if t.chatter}
    if ours == OTHER:
        if chatter & scores.keys():
            return "chatter word (unthemed)"
        return "unthemed, gold theme scored" if gold in scores else "no keyword (unthemed)"
    if gold in AI and ours in AI:
        return "AI coding/models boundary"
    if ours not in scores:
        if repository and not scores:
            return "repository, nothing matched"  # Open source by default
        return "story or cluster theme"  # the item's theme is not this post's own best
    if gold not in scores:
        return "gold theme not matched"
    return "gold theme lost a tie" if scores[gold] == scores[ours] else "gold theme outscored"


def _texts(path: Path) -> dict[Key, tuple[str, str | None]]:
    texts = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        post = json.loads(line)
        texts[(post["source"], post["post_id"])] = (post["title"], post.get("brief"))
    return texts


def _order(theme_id: str) -> tuple[int, str]:
    ids = [t.id for t in load_themes()] + [OTHER, CUT]
    return (ids.index(theme_id), "") if theme_id in ids else (len(ids), theme_id)


def _short(theme_id: str) -> str:
    return {"ai-coding": "aicod", "ai-models": "aimod", "open-source": "oss", CUT: "cut"}.get(
        theme_id, theme_id.removeprefix("topic-")[:5]
    )
