"""Does a learned fallback generalise better than more keywords? Leave-one-day-out theme F1.

For each labelled day (the sample and bench/days/), a multinomial naive Bayes classifier
is trained on the gold labels of every *other* day (CJK character bigrams + Latin words of
the title, a repository's dashed name read as words, the words of its brief, and the
source), and combined with the keyword matcher. The day's digest is built once exactly as
the bot builds it (bench/themes_days.build_day); each of its items (a post, or a story of
several posts) is then given a theme by each combination, the digest's theme groups are
rebuilt from those themes and scored with bench/themes_days.score_day (pairwise F1 over
themed posts, coverage). So the scorer is the real one, and the keyword figures are
exactly bench/themes.py's; a combination changes only which group an item is in (an item
moved into a theme does not leave a topic cluster it would otherwise have joined, and
ranking, merging and the 60-post cut are the keyword build's).

Combinations (all fixed before the first run, none chosen from its figures):

- keywords: the digest as built (data/themes.toml, digest/build/themes.py);
- fallback: keywords decide; the classifier decides an item keywords found nothing for
  (Other that is not chatter, a topic cluster, a trending repository filed under Open
  source by default), and breaks a tie between the top themes (among the tied ones);
- blend: every item not chatter takes the theme with the highest keyword score plus
  LAMBDA times the classifier's probability ("other" competes with its probability alone);
- classifier: the classifier alone (chatter still by keywords), for reference.

    uv run python bench/themes_learned.py
"""

from __future__ import annotations

import json
import math
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from themes_days import Gold, build_day, labelled_days, load_gold, score_day  # noqa: E402

from digest import Digest, load_themes  # noqa: E402
from digest.build.themes import (  # noqa: E402
    OTHER_ID,
    REPOSITORY_EVIDENCE,
    theme_scores,
    title_tokens,
)

ALPHA = 1.0  # Laplace smoothing: the textbook default, not tuned
LAMBDA = 2.0  # blend: the classifier's certainty is worth at most one title keyword
CONFIDENT = 0.5  # "sure" fallback: the classifier decides only with a majority of its mass
EPOCHS, RATE, L2 = 15, 0.2, 1e-4  # logistic regression: textbook values, not tuned
SEED = 0  # the order SGD visits the examples in
THEMES = load_themes()
CHATTER = {t.id for t in THEMES if t.chatter}
ORDER = {t.id: n for n, t in enumerate(THEMES)}
OPEN_SOURCE = "open-source"
_REPO_SEPARATORS = re.compile(r"[-_./]+")
Key = tuple[str, str]
Post = dict[str, str]


def features(post: Post) -> list[str]:
    """Title tokens (a repository's name as words), brief tokens, and the source."""
    title = post["title"]
    if post["source"] == "github":
        title = _REPO_SEPARATORS.sub(" ", title)
    tokens = set(title_tokens(title)) | set(title_tokens(post.get("brief") or ""))
    return [*sorted(tokens), f"source:{post['source']}"]


@dataclass(frozen=True, slots=True)
class NaiveBayes:
    """Multinomial naive Bayes over token presence, Laplace-smoothed, in pure Python."""

    prior: dict[str, float]  # log P(class)
    weight: dict[str, dict[str, float]]  # class -> token -> log P(token | class)
    unseen: dict[str, float]  # class -> log P(a token not seen with the class)

    @classmethod
    def train(cls, examples: Iterable[tuple[list[str], str]]) -> NaiveBayes:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        classes: Counter[str] = Counter()
        for tokens, label in examples:
            classes[label] += 1
            counts[label].update(tokens)
        vocabulary = {t for c in counts.values() for t in c}
        total = sum(classes.values())
        weight, unseen = {}, {}
        for label, found in counts.items():
            norm = math.log(sum(found.values()) + ALPHA * len(vocabulary))
            weight[label] = {t: math.log(n + ALPHA) - norm for t, n in found.items()}
            unseen[label] = math.log(ALPHA) - norm
        prior = {label: math.log(n / total) for label, n in classes.items()}
        return cls(prior, weight, unseen)

    def probabilities(self, tokens: Sequence[str]) -> dict[str, float]:
        known = {t for w in self.weight.values() for t in w}
        used = [t for t in tokens if t in known]  # a token no class has seen says nothing
        logs = {
            c: p + sum(self.weight[c].get(t, self.unseen[c]) for t in used)
            for c, p in self.prior.items()
        }
        top = max(logs.values())
        exp = {c: math.exp(v - top) for c, v in logs.items()}
        total = sum(exp.values())
        return {c: v / total for c, v in exp.items()}


class Model(Protocol):
    def probabilities(self, tokens: Sequence[str]) -> dict[str, float]: ...


@dataclass(frozen=True, slots=True)
class Logistic:
    """Softmax regression over token presence, L2-regularised, trained by plain SGD."""

    weight: dict[str, dict[str, float]]  # token -> class -> weight ("" is the bias)
    classes: tuple[str, ...]

    @classmethod
    def train(cls, examples: Sequence[tuple[list[str], str]]) -> Logistic:
        classes = tuple(sorted({label for _, label in examples}))
        weight: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(classes, 0.0))
        order = list(range(len(examples)))
        shuffle = random.Random(SEED)  # deterministic: the same days give the same model
        for epoch in range(EPOCHS):
            shuffle.shuffle(order)
            rate = RATE / (1 + epoch)
            for n in order:
                tokens, label = examples[n]
                tokens = ["", *tokens]
                p = _softmax(weight, classes, tokens)
                for t in tokens:
                    row = weight[t]
                    for c in classes:
                        grad = p[c] - (c == label) + L2 * row[c]
                        row[c] -= rate * grad
        return cls(dict(weight), classes)

    def probabilities(self, tokens: Sequence[str]) -> dict[str, float]:
        known = ["", *(t for t in tokens if t in self.weight)]
        return _softmax(self.weight, self.classes, known)


def _softmax(
    weight: dict[str, dict[str, float]], classes: tuple[str, ...], tokens: Sequence[str]
) -> dict[str, float]:
    logits = {c: sum(weight[t][c] for t in tokens) for c in classes}
    top = max(logits.values())
    exp = {c: math.exp(v - top) for c, v in logits.items()}
    total = sum(exp.values())
    return {c: v / total for c, v in exp.items()}


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
    repository_default = not view.scores or max(view.scores.values()) < REPOSITORY_EVIDENCE
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


def leave_one_day_out(
    days: list[Day], learn: Callable[[list[tuple[list[str], str]]], Model]
) -> Results:
    """Per combination, per day: (F1, coverage) with the model trained on the other days."""
    results: Results = defaultdict(dict)
    for day in days:
        model = learn(training_set(d for d in days if d is not day))
        views = item_views(day)
        probs = [model.probabilities(v.tokens) for v in views]
        for name, combine in COMBINERS.items():
            themes = [combine(v, p) for v, p in zip(views, probs, strict=True)]
            s = score_day(day.name, regrouped(day, views, themes), day.gold)
            results[name][day.name] = (s.f1, s.coverage)
    return results


HELD_OUT = ("2026-06-03", "2026-02-25", "2026-03-11", "2026-08-12")  # never used to tune


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


def print_verdict(days: list[Day], results: Results, model: str) -> None:
    base = results["keywords"]
    pairs = []
    for n in COMBINERS:
        if n == "keywords":
            continue
        gain = [results[n][d.name][0] - base[d.name][0] for d in days]
        up = sum(g > 0.0005 for g in gain)
        down = sum(g < -0.0005 for g in gain)
        low = min(results[n][d.name][1] for d in days)
        ships = up > len(days) / 2 and sum(gain) / len(gain) >= 0.03 and low >= 0.8
        print(
            f"{n:<10} F1 up on {up}/{len(days)} days, down on {down}; "
            f"mean gain {sum(gain) / len(gain):+.3f}; lowest coverage {low:.2f}; "
            f"ship rule (up on most days, mean >= +0.03, coverage >= 0.8): "
            f"{'met' if ships else 'not met'}"
        )
        mean = sum(gain) / len(gain)
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
        results = leave_one_day_out(days, learn)
        print(f"\n{label}: {time.perf_counter() - started:.1f} s for {len(days)} folds\n")
        print_table(days, results)
        print()
        print_verdict(days, results, label.split()[0])


if __name__ == "__main__":
    main()
