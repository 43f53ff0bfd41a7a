"""Does a learned fallback generalise better than more keywords? Leave-one-day-out theme F1.

For each labelled day (the sample and bench/days/), a classifier (naive Bayes, then
logistic regression: bench/themes_classifiers.py) is trained on the gold labels of every
*other* day (CJK character bigrams + Latin words of the title, a repository's dashed name
read as words, the words of its brief, and the source), and combined with the keyword
matcher. The day's digest is built once exactly as the bot builds it
(bench/themes_days.build_day); each of its items (a post, or a story of several posts) is
then given a theme by each combination, the digest's theme groups are rebuilt from those
themes and scored with bench/themes_days.score_day (pairwise F1 over themed posts,
coverage). So the scorer is the real one, and the keyword figures are exactly
bench/themes.py's; a combination changes only which group an item is in (the rest of a
topic cluster an item leaves stays as it was, and ranking, same-story merging and the
60-post cut are the keyword build's).

Combinations (fallback, blend and classifier fixed before the first run; every
constant is a textbook value, none tuned on these figures):

- keywords: the digest as built (data/themes.toml, digest/build/themes.py);
- fallback: keywords decide; the classifier decides an item keywords found nothing for
  (Other that is not chatter, a topic cluster, a trending repository filed under Open
  source by default), and breaks a tie between the top themes (among the tied ones);
- sure: the fallback, but an item keywords found nothing for moves only when the
  classifier gives its top class at least CONFIDENT (added after the first run's figures);
- unmatched: only that confident part, no tie-breaking (added after the second run's
  figures showed tie-breaking alone lost; so both are chosen with this data in view);
- blend: every item not chatter takes the theme with the highest keyword score plus
  LAMBDA times the classifier's probability ("other" competes with its probability alone);
- classifier: the classifier alone (chatter still by keywords), for reference.

    uv run python bench/themes_learned.py
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from themes_classifiers import (  # noqa: E402
    ALPHA,
    EPOCHS,
    L2,
    RATE,
    Logistic,
    Model,
    NaiveBayes,
    Post,
    features,
)
from themes_days import Gold, Key, build_day, labelled_days, load_gold, score_day  # noqa: E402

from digest import Digest, load_themes  # noqa: E402
from digest.build.themes import (  # noqa: E402
    OTHER_ID,
    theme_scores,
)

LAMBDA = 2.0  # blend: the classifier's certainty is worth at most one title keyword
CONFIDENT = 0.5  # "sure" fallback: the classifier decides only with a majority of its mass
THEMES = load_themes()
CHATTER = {t.id for t in THEMES if t.chatter}
ORDER = {t.id: n for n, t in enumerate(THEMES)}
OPEN_SOURCE = "open-source"
HELD_OUT = (  # never used to tune
    "2026-06-03",
    "2026-02-25",
    "2026-03-11",
    "2026-08-12",
    "2026-04-29",
    "2026-08-05",
    "2026-07-15",
    "2026-06-24",
)


@dataclass(frozen=True, slots=True)
class Day:
    name: str
    digest: Digest
    gold: Gold
    posts: dict[Key, Post]


@dataclass(frozen=True, slots=True)
class ItemView:
    """One digest item: its posts, the theme the build gave it, its keyword evidence."""

    indices: list[int]
    built: str  # group id in the built digest ("other", "topic-…", a theme id)
    scores: dict[str, float]  # keyword scores as the builder weighs the item
    tokens: list[str]


def keyword_scores(posts: list[Post]) -> dict[str, float]:
    """The item's keyword scores as digest/build/ranking._item_theme weighs them."""

    def total(briefs: bool) -> dict[str, float]:
        found: dict[str, float] = defaultdict(float)
        for p in posts:
            brief = p.get("brief") if briefs else None
            for k, v in theme_scores(
                p["title"], brief, THEMES, repository=p["source"] == "github"
            ).items():
                found[k] += v
        return dict(found)

    return total(True) if len(posts) == 1 else (total(False) or total(True))


def item_views(day: Day) -> list[ItemView]:
    by_index = {e.index: (e.source, e.post_id) for e in day.digest.sources}
    views = []
    for group in day.digest.facts["themes"]:  # type: ignore[union-attr]
        for item in group["items"]:
            posts = [day.posts[by_index[i]] for i in item]
            tokens = [t for p in posts for t in features(p)]
            views.append(ItemView(list(item), group["id"], keyword_scores(posts), tokens))
    return views


def keywords_found_nothing(view: ItemView) -> bool:
    """Other that is not chatter, a topic cluster, or Open source by default."""
    if view.built == OTHER_ID:
        return not CHATTER & view.scores.keys()
    if view.built.startswith("topic-"):
        return True
    repository_default = not view.scores
    return view.built == OPEN_SOURCE and repository_default


def tied(view: ItemView) -> list[str]:
    """The themes tied at the top of the item's keyword scores (empty when one leads)."""
    topical = {k: v for k, v in view.scores.items() if k not in CHATTER}
    if not topical or view.built not in topical:
        return []
    best = max(topical.values())
    top = [k for k, v in topical.items() if v == best]
    return top if len(top) > 1 else []


Combiner = Callable[[ItemView, dict[str, float]], str]


def keywords(view: ItemView, p: dict[str, float]) -> str:
    return view.built


def fallback(view: ItemView, p: dict[str, float]) -> str:
    if keywords_found_nothing(view):
        return max(p, key=lambda c: (p[c], -ORDER.get(c, -1)))
    if ties := tied(view):
        return max(ties, key=lambda c: (p.get(c, 0.0), -ORDER[c]))
    return view.built


def sure(view: ItemView, p: dict[str, float]) -> str:
    """The fallback, but where keywords found nothing only a confident classifier decides."""
    if keywords_found_nothing(view) and max(p.values()) < CONFIDENT:
        return view.built
    return fallback(view, p)


def unmatched(view: ItemView, p: dict[str, float]) -> str:
    """Only where keywords found nothing, and only a confident classifier: no tie-breaking."""
    if keywords_found_nothing(view) and max(p.values()) >= CONFIDENT:
        return max(p, key=lambda c: (p[c], -ORDER.get(c, -1)))
    return view.built


def blend(view: ItemView, p: dict[str, float]) -> str:
    if view.built == OTHER_ID and not keywords_found_nothing(view):
        return OTHER_ID  # chatter stays chatter
    topical = {k: v for k, v in view.scores.items() if k not in CHATTER}
    combined = {c: topical.get(c, 0.0) + LAMBDA * p.get(c, 0.0) for c in {*p, *topical}}
    return max(combined, key=lambda c: (combined[c], -ORDER.get(c, -1)))


def classifier(view: ItemView, p: dict[str, float]) -> str:
    if view.built == OTHER_ID and not keywords_found_nothing(view):
        return OTHER_ID
    return max(p, key=lambda c: (p[c], -ORDER.get(c, -1)))


COMBINERS: dict[str, Combiner] = {
    "keywords": keywords,
    "fallback": fallback,
    "sure": sure,
    "unmatched": unmatched,
    "blend": blend,
    "classifier": classifier,
}


def regrouped(day: Day, views: list[ItemView], themes: list[str]) -> Digest:
    """The day's digest with each item moved to the theme given, scored as built."""
    groups: dict[str, list[list[int]]] = defaultdict(list)
    for view, theme in zip(views, themes, strict=True):
        groups[theme].append(view.indices)
    facts = {**day.digest.facts, "themes": [{"id": k, "items": v} for k, v in groups.items()]}
    return replace(day.digest, facts=facts)


def load_days() -> list[Day]:
    days = []
    for name, posts_path, gold_path in labelled_days():
        lines = posts_path.read_text(encoding="utf-8").splitlines()
        posts = {(p["source"], p["post_id"]): p for p in map(json.loads, lines)}
        days.append(Day(name, build_day(posts_path), load_gold(gold_path), posts))
    return days


def training_set(days: Iterable[Day]) -> list[tuple[list[str], str]]:
    """Every labelled post of the days given, with its gold theme ("other" included)."""
    return [
        (features(day.posts[key]), label) for day in days for key, label in day.gold.themes.items()
    ]


Results = dict[str, dict[str, tuple[float, float]]]
Changes = dict[str, Counter[str]]  # combination -> "right→wrong" etc. -> items


def leave_one_day_out(
    days: list[Day], learn: Callable[[list[tuple[list[str], str]]], Model]
) -> tuple[Results, Changes]:
    """Per combination, per day: (F1, coverage) with the model trained on the other days.

    Also counts the items each combination moved out of their built group, by whether
    the labels accept the theme before and after (judged on the item's first post).
    """
    results: Results = defaultdict(dict)
    changes: Changes = defaultdict(Counter)
    for day in days:
        model = learn(training_set(d for d in days if d is not day))
        views = item_views(day)
        probs = [model.probabilities(v.tokens) for v in views]
        by_index = {e.index: (e.source, e.post_id) for e in day.digest.sources}
        held = "held-out day" if day.name.split()[-1] in HELD_OUT else "other days"
        for name, combine in COMBINERS.items():
            themes = [combine(v, p) for v, p in zip(views, probs, strict=True)]
            s = score_day(day.name, regrouped(day, views, themes), day.gold)
            results[name][day.name] = (s.f1, s.coverage)
            for view, theme in zip(views, themes, strict=True):
                if theme != view.built:
                    key = by_index[view.indices[0]]
                    accept = {day.gold.themes[key], *day.gold.also[key]}
                    was = "right" if view.built in accept else "wrong"
                    now = "right" if theme in accept else "wrong"
                    changes[name][f"{held}: {was}→{now}"] += 1
    return results, changes


def print_table(days: list[Day], results: Results) -> None:
    names = list(COMBINERS)
    header = f"{'day':<18} {'':<9}" + "".join(f" {n:>13}" for n in names)
    print(header)
    print("-" * len(header))
    for day in days:
        tag = "held out" if day.name.split()[-1] in HELD_OUT else ""
        cells = "".join(
            f" {results[n][day.name][0]:>8.3f}/{results[n][day.name][1]:.2f}" for n in names
        )
        print(f"{day.name:<18} {tag:<9}{cells}")
    for label, chosen in (
        ("mean, all", days),
        ("mean, held", [d for d in days if d.name.split()[-1] in HELD_OUT]),
    ):
        cells = ""
        for n in names:
            f1 = [results[n][d.name][0] for d in chosen]
            cov = [results[n][d.name][1] for d in chosen]
            cells += f" {sum(f1) / len(f1):>8.3f}/{min(cov):.2f}"
        print(f"{label:<28}{cells}")
    print("(each cell F1/coverage; mean rows: mean F1/lowest coverage)")


def print_verdict(days: list[Day], results: Results, changes: Changes, model: str) -> None:
    base = results["keywords"]
    held = [d for d in days if d.name.split()[-1] in HELD_OUT]
    pairs = []
    for n in COMBINERS:
        if n == "keywords":
            continue
        gain = [results[n][d.name][0] - base[d.name][0] for d in days]
        up = sum(g > 0.0005 for g in gain)
        down = sum(g < -0.0005 for g in gain)
        low = min(results[n][d.name][1] for d in days)
        mean = sum(gain) / len(gain)
        ships = up > len(days) / 2 and mean >= 0.03 and low >= 0.8
        held_gain = [results[n][d.name][0] - base[d.name][0] for d in held]
        print(
            f"{n:<10} F1 up on {up}/{len(days)} days, down on {down}; mean gain {mean:+.3f}; "
            f"lowest coverage {low:.2f}; ship rule (up on most days, mean >= +0.03, "
            f"coverage >= 0.8): {'met' if ships else 'not met'}\n"
            f"{'':<10} held-out days: {' '.join(f'{g:+.3f}' for g in held_gain)}, "
            f"mean {sum(held_gain) / len(held_gain):+.3f}\n"
            f"{'':<10} items moved: " + ", ".join(f"{k} {v}" for k, v in sorted(changes[n].items()))
        )
        pairs += [
            f"{model}_{n}_up={up}",
            f"{model}_{n}_gain={mean:+.3f}",
            f"{model}_{n}_cov={low:.2f}",
        ]
    print("\n" + " ".join(pairs))


def main() -> None:
    days = load_days()
    posts = sum(len(d.gold.themes) for d in days)
    print(
        f"Leave-one-day-out theme F1/coverage, {len(days)} days, {posts} labelled posts; "
        f"each day's model never saw it (blend lambda={LAMBDA}, sure: p >= {CONFIDENT})"
    )
    learners: list[tuple[str, Callable[[list[tuple[list[str], str]]], Model]]] = [
        (f"naive Bayes (alpha={ALPHA})", NaiveBayes.train),
        (f"logistic regression (SGD {EPOCHS} epochs, rate {RATE}, L2 {L2})", Logistic.train),
    ]
    for label, learn in learners:
        started = time.perf_counter()
        results, changes = leave_one_day_out(days, learn)
        print(f"\n{label}: {time.perf_counter() - started:.1f} s for {len(days)} folds\n")
        print_table(days, results)
        print()
        print_verdict(days, results, changes, label.split()[0])


if __name__ == "__main__":
    main()
