"""Small pure-Python text classifiers for bench/themes_learned.py: naive Bayes, softmax regression.

Features are CJK character bigrams and Latin words (digest.build.themes.title_tokens) of
the title, a repository's dashed name read as words, the words of its brief, and the
source. Training is deterministic: the same examples give the same model.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from digest.build.themes import title_tokens

ALPHA = 1.0  # naive Bayes: Laplace smoothing, the textbook default, not tuned
EPOCHS, RATE, L2 = 15, 0.2, 1e-4  # logistic regression: textbook values, not tuned
SEED = 0  # the order SGD visits the examples in
_REPO_SEPARATORS = re.compile(r"[-_./]+")
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
