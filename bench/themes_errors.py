"""Where the pairwise theme F1 is lost: each day's lost pairs split by cause, and in total.

Pairwise F1 (bench/themes_days.py) counts pairs of the posts the digest themes: a false
positive is two posts under one of our themes that the labels put apart, a false negative
two posts the labels group that we put under different themes. Every lost pair has at
least one *misfiled* post (themed, but not under its gold theme); a pair is charged to its
misfiled post, half to each when both are. A misfiled post's charge is then read by

- the confusion cell it sits in (gold theme -> our theme: which pair of themes),
- the kind of miss (bench/themes_diagnose.py: the AI boundary, the gold theme not
  matched by any keyword, outscored, a lost tie, a trending repository that matched
  nothing (Open source by default), a story's or topic cluster's theme, an off-topic
  post themed),
- whether it is a single post or part of a multi-post story, a repository or not.

Also printed: false positives as merges (two gold groups under one of our themes) and
false negatives as splits (one gold group across two of ours), which gold groups no
theme of ours holds together (granularity), what unthemed and cut posts cost (coverage
only: pairwise F1 is over themed posts), how much the formula's weighting makes of it
(pairs per misfiled post against the size of the groups), and what one AI theme would
score, both read as one in labels and digest alike and shipped against today's labels.

    uv run python bench/themes_errors.py [--top N] [--days] [--held-out DAY,DAY]

`--days` prints the per-day table only; a `--held-out` day is counted but its posts are
never listed (a day kept for scoring, not for reading).
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from bench.themes_days import (  # noqa: E402
    CUT,
    OTHER,
    DayScore,
    Key,
    build_day,
    labelled_days,
    load_gold,
    pairwise_f1,
    score_day,
)
from bench.themes_diagnose import AI, _texts, classify  # noqa: E402
from digest import Digest, load_themes  # noqa: E402


@dataclass(frozen=True, slots=True)
class Charge:
    """Lost pairs charged to one misfiled post."""

    day: str
    key: Key
    title: str
    gold: str
    ours: str
    kind: str
    shape: str  # "single", "story" (a multi-post item), each with ", repository" when GitHub
    fp: float  # false-positive pairs charged (wrongly grouped with posts of ``ours``)
    fn: float  # false-negative pairs charged (kept apart from posts of ``gold``)


@dataclass(slots=True)
class DayErrors:
    name: str
    f1: float
    tp: int
    fp: int
    fn: int
    themed: int
    misfiled: int
    unthemed: int  # labelled on-topic posts under Other
    cut: int  # labelled on-topic posts not in the digest
    largest: int  # size of the day's largest gold group among themed posts
    charges: list[Charge]
    merges: Counter[tuple[str, str, str]]  # (our theme, gold a, gold b): false-positive pairs
    splits: Counter[tuple[str, str, str]]  # (gold theme, ours a, ours b): false-negative pairs


def _items(digest: Digest) -> dict[Key, int]:
    """Each cited post's item size (1 for a single post, n for a story of n posts)."""
    by_index = {entry.index: (entry.source, entry.post_id) for entry in digest.sources}
    sizes: dict[Key, int] = {}
    themes = digest.facts.get("themes", [])
    assert isinstance(themes, list)
    for group in themes:
        for item in group["items"]:
            sizes.update((by_index[i], len(item)) for i in item)
    return sizes


def day_errors(score: DayScore, posts: Path, sizes: dict[Key, int]) -> DayErrors:
    """The day's lost pairs, each charged to its misfiled post(s)."""
    themes = load_themes()
    texts = _texts(posts)
    ours = {(s, p): o for s, p, _, o in score.outcomes if o not in (OTHER, CUT)}
    gold = {(s, p): g for s, p, g, _ in score.outcomes}
    group = {k: (g if g != OTHER else f"{OTHER}:{k}") for k, g in gold.items()}
    misfiled = {k for k in ours if group[k] != ours[k]}
    fp: Counter[Key] = Counter()
    fn: Counter[Key] = Counter()
    merges: Counter[tuple[str, str, str]] = Counter()
    splits: Counter[tuple[str, str, str]] = Counter()
    tp = 0
    for a, b in combinations(sorted(ours), 2):
        same_ours, same_gold = ours[a] == ours[b], group[a] == group[b]
        if same_ours and same_gold:
            tp += 1
            continue
        if not same_ours and not same_gold:
            continue
        owners = [k for k in (a, b) if k in misfiled]
        counter = fp if same_ours else fn
        for k in owners:
            counter[k] += 1 / len(owners)
        if same_ours:
            first, second = sorted((gold[a], gold[b]))
            merges[(ours[a], first, second)] += 1
        else:
            first, second = sorted((ours[a], ours[b]))
            splits[(gold[a], first, second)] += 1
    charges = []
    for k in sorted(misfiled):
        title, brief = texts[k]
        repository = k[0] == "github"
        kind = classify(gold[k], ours[k], title, brief, repository, themes)
        shape = ("story" if sizes.get(k, 1) > 1 else "single") + (
            ", repository" if repository else ""
        )
        charges.append(Charge(score.name, k, title, gold[k], ours[k], kind, shape, fp[k], fn[k]))
    sizes_by_gold = Counter(gold[k] for k in ours if gold[k] != OTHER)
    return DayErrors(
        name=score.name.split()[-1],
        f1=score.f1,
        tp=tp,
        fp=sum(merges.values()),
        fn=sum(splits.values()),
        themed=len(ours),
        misfiled=len(misfiled),
        unthemed=sum(1 for _, _, g, o in score.outcomes if g != OTHER and o == OTHER),
        cut=sum(1 for _, _, g, o in score.outcomes if g != OTHER and o == CUT),
        largest=max(sizes_by_gold.values(), default=0),
        charges=charges,
        merges=merges,
        splits=splits,
    )


def all_errors() -> tuple[list[DayScore], list[DayErrors]]:
    """Every labelled day built once: its score and its lost pairs."""
    scores, days = [], []
    for name, posts, gold_path in labelled_days():
        digest = build_day(posts)
        scores.append(score_day(name, digest, load_gold(gold_path)))
        days.append(day_errors(scores[-1], posts, _items(digest)))
    return scores, days


def _table(title: str, rows: dict[str, float], total: float, top: int) -> None:
    print(f"\n{title}\n")
    for label, pairs in sorted(rows.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {pairs:>7.1f}  {pairs / total:>5.1%}  {label}")


def print_days(days: Sequence[DayErrors]) -> None:
    header = (
        f"{'day':<10} {'F1':>5} {'themed':>6} {'misfiled':>8} {'TP':>5} {'FP':>5} {'FN':>5} "
        f"{'lost/post':>9} {'largest':>7} {'AI bnd':>7} {'off-top':>7} {'not mat':>7} "
        f"{'outsc+tie':>9} {'repo':>5} {'story':>6} {'other':>6} {'unthemed':>8} {'cut':>4}"
    )
    print("\nLost pairs per day (FP + FN), charged to misfiled posts by kind\n")
    print(header)
    print("-" * len(header))
    for d in days:
        by = Counter[str]()
        for c in d.charges:
            by[_bucket(c.kind)] += c.fp + c.fn
        lost = d.fp + d.fn
        print(
            f"{d.name:<10} {d.f1:>5.2f} {d.themed:>6} {d.misfiled:>8} {d.tp:>5} {d.fp:>5} "
            f"{d.fn:>5} {lost / d.misfiled if d.misfiled else 0:>9.1f} {d.largest:>7} "
            f"{by['AI boundary']:>7.0f} {by['off-topic themed']:>7.0f} "
            f"{by['gold theme not matched']:>7.0f} {by['outscored or tie']:>9.0f} "
            f"{by['repository, nothing matched']:>5.0f} {by['story or cluster theme']:>6.0f} "
            f"{by['other']:>6.0f} {d.unthemed:>8} {d.cut:>4}"
        )


def _bucket(kind: str) -> str:
    if kind == "AI coding/models boundary":
        return "AI boundary"
    if kind in ("gold theme outscored", "gold theme lost a tie"):
        return "outscored or tie"
    known = {"off-topic themed", "gold theme not matched", "repository, nothing matched"}
    return kind if kind in known | {"story or cluster theme"} else "other"


def print_totals(days: Sequence[DayErrors], top: int) -> None:
    charges = [c for d in days for c in d.charges]
    total = sum(c.fp + c.fn for c in charges)
    fp, fn = sum(d.fp for d in days), sum(d.fn for d in days)
    print(f"\nAll days: {total:.0f} lost pairs ({fp} false positives, {fn} false negatives), ")
    print(f"{len(charges)} misfiled posts, {sum(d.tp for d in days)} right pairs")
    rows: dict[str, float] = defaultdict(float)
    for c in charges:
        rows[c.kind] += c.fp + c.fn
    _table("By kind of miss (pairs, share of all lost pairs)", rows, total, top)
    rows = defaultdict(float)
    for c in charges:
        rows[f"gold {c.gold} -> ours {c.ours}"] += c.fp + c.fn
    _table("By confusion cell (the misfiled post's gold theme -> our theme)", rows, total, top)
    rows = defaultdict(float)
    for c in charges:
        rows[c.shape] += c.fp + c.fn
    _table("By shape of the misfiled item", rows, total, top)
    for title, cells, pairs, label in (
        (
            "(b) merges: false-positive pairs by our theme and the two gold groups in it",
            [d.merges for d in days],
            fp,
            "ours {}: gold {} + {}",
        ),
        (
            "(a) splits: false-negative pairs by gold group and the two themes of ours it spans",
            [d.splits for d in days],
            fn,
            "gold {}: ours {} | {}",
        ),
    ):
        summed: Counter[tuple[str, str, str]] = sum(cells, Counter())
        _table(title, {label.format(*k): n for k, n in summed.items()}, pairs, top)
    print_weighting(days, charges, total)


def print_weighting(days: Sequence[DayErrors], charges: Sequence[Charge], total: float) -> None:
    """How much of the loss is the formula's weighting: big groups dominate the pairs."""
    big = sum(c.fp + c.fn for c in charges if c.gold in AI or c.ours in AI)
    print("\nWeighting: a misfiled post costs about (its gold group - 1) + (our group - 1) pairs")
    print(
        f"  lost pairs charged to posts with an AI theme on either side: {big:.0f} "
        f"({big / total:.0%}) from {sum(1 for c in charges if c.gold in AI or c.ours in AI)} "
        f"of {len(charges)} misfiled posts"
    )
    unthemed = sum(d.unthemed for d in days)
    cut = sum(d.cut for d in days)
    print(
        f"  (c) on-topic posts unthemed {unthemed}, cut {cut}: 0 pairs (F1 is over themed"
        " posts; they cost coverage only)"
    )


def print_granularity(days: Sequence[DayErrors]) -> None:
    """(e) Gold groups no single theme of ours holds: each gold theme's posts by our theme."""
    by_gold: dict[str, Counter[str]] = defaultdict(Counter)
    for d in days:
        for c in d.charges:
            by_gold[c.gold][c.ours] += 1
    print("\n(e) Misfiled posts by gold theme: where they went (posts)\n")
    for gold, went in sorted(by_gold.items(), key=lambda kv: -sum(kv[1].values())):
        spread = ", ".join(f"{t} {n}" for t, n in went.most_common(5))
        print(f"  {gold:<12} {sum(went.values()):>4}: {spread}")


def print_ai_merge(scores: Sequence[DayScore]) -> None:
    """F1 with one AI theme: read as one in labels and digest, and shipped against the labels."""
    print("\nOne AI theme: F1 now / read as one in labels and digest / shipped (labels apart)\n")
    rows = []
    for score in scores:
        ours = {(s, p): o for s, p, _, o in score.outcomes if o not in (OTHER, CUT)}
        one = {k: "ai" if t in AI else t for k, t in ours.items()}
        gold = {(s, p): g if g != OTHER else f"{OTHER}:{s}:{p}" for s, p, g, _ in score.outcomes}
        gold_one = {k: "ai" if g in AI else g for k, g in gold.items()}
        both, shipped = pairwise_f1(one, gold_one)[2], pairwise_f1(one, gold)[2]
        rows.append((score.name.split()[-1], score.f1, both, shipped))
    for day, now, both, shipped in rows:
        print(f"  {day:<10} {now:.3f}  {both:.3f}  {shipped:.3f}")
    n = len(rows)
    print(
        f"  {'mean':<10} {sum(r[1] for r in rows) / n:.3f}  {sum(r[2] for r in rows) / n:.3f}"
        f"  {sum(r[3] for r in rows) / n:.3f}   days >= 0.85: {sum(r[1] >= 0.85 for r in rows)}"
        f" / {sum(r[2] >= 0.85 for r in rows)} / {sum(r[3] >= 0.85 for r in rows)}"
    )


def print_worst(days: Sequence[DayErrors], top: int, held_out: Sequence[str] = ()) -> None:
    listed = [c for d in days if d.name not in held_out for c in d.charges]
    charges = sorted(listed, key=lambda c: -(c.fp + c.fn))
    print(f"\nThe {top} costliest misfiled posts\n")
    for c in charges[:top]:
        print(
            f"  {c.fp + c.fn:>5.1f} {c.day.split()[-1][5:]} {c.gold:>11} -> {c.ours:<11} "
            f"{c.kind:<27} {c.shape:<19} {c.title[:48]}"
        )


def main() -> None:
    top = int(sys.argv[sys.argv.index("--top") + 1]) if "--top" in sys.argv else 15
    scores, days = all_errors()
    print_days(days)
    if "--days" in sys.argv:
        return
    print_totals(days, top)
    print_granularity(days)
    held_out = (
        sys.argv[sys.argv.index("--held-out") + 1].split(",") if "--held-out" in sys.argv else []
    )
    print_worst(days, top, held_out)
    print_ai_merge(scores)


if __name__ == "__main__":
    main()
