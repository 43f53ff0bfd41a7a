"""Matcher variants scored on every labelled day, and chosen leave-one-day-out.

Each variant is the working tree's `digest/` and `data/` with a few literal text edits
(a constant's value, a rule switched), scored in a fresh interpreter by
`themes_days.score_tree`, all in one run with the tree as it is ("as is"). For each day
the variant with the highest F1 summed over the *other* days is chosen, and the day is
scored with it: the leave-one-day-out mean is what choosing among these variants gains on
a day the choice never saw. Deterministic (no timing).

    uv run python bench/themes_loo.py [EXPERIMENT ...]      # default: every experiment
    uv run --with jieba python bench/themes_loo.py jieba    # the segmenter (not a dependency)
    uv run python bench/themes_loo.py narrowing code owner glued language chatter  # h14match
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from importlib.util import find_spec
from pathlib import Path
from tempfile import TemporaryDirectory

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from bench.themes_days import DayScore, score_tree  # noqa: E402
from bench.themes_reading import READING  # noqa: E402

Edit = tuple[str, str, str]  # file under the tree, old text, new text
THEMES = "digest/build/themes.py"
TAXONOMY = "data/themes.toml"
_YIELDS = 'yields = ["ai-models"]\n'
_GIVEAWAYS = '\n            "就送", "即送", "免费送", "评论送", "已送", "送$",'


def _constant(name: str, now: str, values: Sequence[str]) -> list[tuple[str, tuple[Edit, ...]]]:
    """Variants of one constant of digest/build/themes.py."""
    return [(f"{name} {v}", ((THEMES, f"{name} = {now}", f"{name} = {v}"),)) for v in values]


_JIEBA = """
def _jieba_kept(text, matches, rule):
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    spans, pos = [], 0
    for token in jieba.lcut(text):
        spans.append((pos, pos + len(token)))
        pos += len(token)
    cuts = {edge for span in spans for edge in span}
    kept = []
    for start, end, keyword in matches:
        if not any("\\u4e00" <= char <= "\\u9fff" for char in keyword):
            kept.append((start, end, keyword))
        elif rule == "aligned" and start in cuts and end in cuts:
            kept.append((start, end, keyword))
        elif rule == "inside" and not any(
            a <= start and end <= b and b - a > end - start for a, b in spans
        ):
            kept.append((start, end, keyword))
    return kept


def jaccard("""


def _jieba(rule: str) -> tuple[Edit, ...]:
    return (
        (
            THEMES,
            "matches = sorted(index.matches(text),",
            f"matches = sorted(_jieba_kept(text, index.matches(text), {rule!r}),",
        ),
        (THEMES, "def jaccard(", _JIEBA.lstrip()),
    )


# name -> variants (name, edits); the tree as it is is always the first variant.
EXPERIMENTS: dict[str, list[tuple[str, tuple[Edit, ...]]]] = {
    # The brief's (a repository's description's) weight against the title's 2.
    "brief": _constant("BRIEF_WEIGHT", "1.0", ("0.5", "1.5", "2.0")),
    # What a generic ("!") keyword counts: "AI", "agent", "Claude", "前端" …
    "generic": _constant("GENERIC_FACTOR", "0.5", ("0.25", "0.75", "1.0")),
    # Cloud and operations gives way to AI and models when both score (`yields`).
    "yields": [("no yields", ((TAXONOMY, _YIELDS, ""),))],
    # Money giveaways (留言就送$10, 评论送 10 刀) as chatter, like 注册就送 and 先送为敬.
    "giveaways": [("no giveaway words", ((TAXONOMY, _GIVEAWAYS, ""),))],
    # Chinese keywords only where jieba's segmentation agrees (needs `uv run --with jieba`):
    # "aligned" keeps a CJK keyword match only when both its ends are word boundaries,
    # "not inside" drops only a match strictly inside one longer word (面试 in 面试官).
    "jieba": [
        ("jieba aligned", _jieba("aligned")),
        ("jieba not inside", _jieba("inside")),
    ],
    # How the matcher reads owners, languages, glued words, 代码 and chatter (h14match).
    **READING,
}


def score_variant(edits: Sequence[Edit]) -> list[DayScore]:
    with TemporaryDirectory() as tmp:
        tree = Path(tmp)
        for part in ("digest", "data"):
            shutil.copytree(ROOT / part, tree / part)
        for name, old, new in edits:
            path = tree / name
            text = path.read_text(encoding="utf-8")
            if old not in text:
                raise SystemExit(f"{name}: {old!r} not found")
            path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return score_tree(tree)


def leave_one_out(table: dict[str, list[float]]) -> list[tuple[str, float]]:
    """Per day: the variant whose F1 summed over the other days is highest, and its F1 there.

    Ties go to the earlier variant (the tree as it is first).
    """
    names = list(table)
    days = len(table[names[0]])
    chosen = []
    for day in range(days):
        best = max(names, key=lambda n: (sum(table[n]) - table[n][day], -names.index(n)))
        chosen.append((best, table[best][day]))
    return chosen


def print_experiment(name: str, variants: list[tuple[str, tuple[Edit, ...]]]) -> None:
    scored = {"as is": score_variant(())}
    scored.update((label, score_variant(edits)) for label, edits in variants)
    days = [s.name.split()[-1] for s in scored["as is"]]
    table = {label: [s.f1 for s in scores] for label, scores in scored.items()}
    chosen = leave_one_out(table)
    labels = list(table)
    print(f"\n{name}: F1 per day (coverage min in the last row), leave-one-day-out choice\n")
    print(f"{'day':<11}" + "".join(f"{label:>20}" for label in labels) + f"{'LOO':>8}  chosen")
    for i, day in enumerate(days):
        cells = "".join(f"{table[label][i]:>20.3f}" for label in labels)
        print(f"{day:<11}{cells}{chosen[i][1]:>8.3f}  {chosen[i][0]}")
    n = len(days)
    print(
        f"{'mean':<11}"
        + "".join(f"{sum(table[label]) / n:>20.3f}" for label in labels)
        + f"{sum(f for _, f in chosen) / n:>8.3f}"
    )
    print(
        f"{'>= 0.85':<11}"
        + "".join(f"{sum(f >= 0.85 for f in table[label]):>20}" for label in labels)
        + f"{sum(f >= 0.85 for _, f in chosen):>8}"
    )
    print(
        f"{'cov min':<11}"
        + "".join(f"{min(s.coverage for s in scored[label]):>20.2f}" for label in labels)
    )
    ups = {
        label: (
            sum(a > b + 1e-9 for a, b in zip(table[label], table["as is"], strict=True)),
            sum(a < b - 1e-9 for a, b in zip(table[label], table["as is"], strict=True)),
        )
        for label in labels[1:]
    }
    print("up/down vs as is: " + ", ".join(f"{k} {u}/{d}" for k, (u, d) in ups.items()))


def main() -> None:
    # jieba is no dependency: its experiment runs by default only where it is installed.
    everything = [n for n in EXPERIMENTS if n != "jieba" or find_spec("jieba") is not None]
    wanted = sys.argv[1:] or everything
    for name in wanted:
        print_experiment(name, EXPERIMENTS[name])


if __name__ == "__main__":
    main()
