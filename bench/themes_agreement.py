"""Label agreement: how far two people's theme labels of one day agree (the F1 ceiling).

Each `bench/days/<day>.relabel.toml` is a second, blind labelling of a day that has gold
labels (written from titles and descriptions, without the gold file or any digest). Its
pairwise F1 against the gold, scored exactly as `themes.py` scores a digest (the relabel
in the digest's place: the posts it puts under a theme, off-topic gold posts each a group
of their own), is what a perfect matcher that thinks like the second person would get.
The digest of the day is then scored against each labelling and against either (a post
is right when it matches one of the two). Not a test; CI does not run bench/.

    uv run python bench/themes_agreement.py
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.themes_days import (
    DAYS,
    OTHER,
    Gold,
    Key,
    build_day,
    load_gold,
    pairwise_f1,
    score_day,
)


def agreement(labels: Gold, gold: Gold) -> tuple[float, float, float, float, float]:
    """(P, R, F1) of ``labels`` scored against ``gold``, per-post agreement, on/off agreement."""
    predicted = {k: t for k, t in labels.themes.items() if t != OTHER}
    gold_group = {k: (t if t != OTHER else f"{OTHER}:{k}") for k, t in gold.themes.items()}
    precision, recall, f1 = pairwise_f1(predicted, gold_group)
    keys = gold.themes.keys() & labels.themes.keys()
    same = sum(labels.themes[k] == gold.themes[k] for k in keys) / len(keys)
    on_off = sum((labels.themes[k] == OTHER) == (gold.themes[k] == OTHER) for k in keys)
    return precision, recall, f1, same, on_off / len(keys)


def either(gold: Gold, second: Gold) -> Gold:
    """The gold labels, with the second labeller's theme accepted too (as the sample's `also`)."""
    also: dict[Key, frozenset[str]] = {
        k: gold.also.get(k, frozenset()) | {second.themes[k]}
        for k in gold.themes
        if k in second.themes and second.themes[k] not in (gold.themes[k], OTHER)
    }
    return replace(gold, also={**gold.also, **also})


def main() -> None:
    header = (
        f"{'day':<11} {'posts':>5} {'P':>5} {'R':>5} {'F1':>5} {'F1 rev':>6} "
        f"{'same':>5} {'on/off':>6} | {'digest F1 vs gold':>17} {'vs relabel':>10} "
        f"{'vs either':>9}"
    )
    print("\nLabel agreement: blind relabel scored against the gold (and the reverse)\n")
    print(header)
    print("-" * len(header))
    for relabel_path in sorted(DAYS.glob("*.relabel.toml")):
        day = relabel_path.name.split(".")[0]
        gold = load_gold(DAYS / f"{day}.gold.toml")
        second = load_gold(relabel_path)
        if set(gold.themes) != set(second.themes):
            raise SystemExit(f"{relabel_path.name}: not the same posts as the gold file")
        p, r, f1, same, on_off = agreement(second, gold)
        reverse = agreement(gold, second)[2]
        digest = build_day(DAYS / f"{day}.jsonl")
        vs_gold = score_day(day, digest, gold).f1
        vs_second = score_day(day, digest, second).f1
        vs_either = score_day(day, digest, either(gold, second)).f1
        print(
            f"{day:<11} {len(gold.themes):>5} {p:>5.2f} {r:>5.2f} {f1:>5.2f} {reverse:>6.2f} "
            f"{same:>5.2f} {on_off:>6.2f} | {vs_gold:>17.2f} {vs_second:>10.2f} {vs_either:>9.2f}"
        )
        pairs = Counter(
            " / ".join(sorted((gold.themes[k], second.themes[k])))
            for k in gold.themes
            if gold.themes[k] != second.themes[k]
        )
        print("  " + ", ".join(f"{pair} {n}" for pair, n in pairs.most_common()))
    print(
        "\nP/R/F1: pairs of the relabel's themed posts against the gold groups, as themes.py "
        "scores a digest; F1 rev: the gold scored against the relabel; same: posts with the "
        "same theme id (off-topic included); on/off: posts both call on- or off-topic; "
        "below each day, the theme pairs the two labellers split (either way round)."
    )


if __name__ == "__main__":
    main()
