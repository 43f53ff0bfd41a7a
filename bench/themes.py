"""Theme matching on the sample: the shipped matcher against character n-grams and jieba.

Scores each approach on the hand-labelled gold set (bench/themes_gold.toml) for the 44
posts of data/sample/posts.jsonl and prints a table, the misassignments of each approach,
and a last line of KEY=VALUE pairs. Not a test; CI does not run bench/.

    uv run python bench/themes.py                 # jieba skipped unless installed
    uv run python bench/themes.py -v --held-out 2026-06-03   # disagreements, but not that day's
    uv run python bench/themes.py --stories       # same-story pairs missed, found, extra, and why,
                                                  # and how often each story marker stands
    uv run --with jieba python bench/themes.py    # jieba installed ephemerally
    uv run python bench/themes.py --confusion --kinds   # gold x digest themes, misses by kind
    uv run python bench/themes.py --exclude 2026-05-13,2026-02-18   # days kept for later
    uv run python bench/themes.py --before main --unseen 2025-11-18,2025-12-05
                                  # story figures over all days and those, this tree and main
"""

from __future__ import annotations

import json
import sys
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.themes_days import (  # noqa: E402
    DayScore,
    labelled_days,
    print_scores,
    score_all,
    score_revision,
)
from bench.themes_diagnose import print_confusion, print_kinds, print_one_ai_theme  # noqa: E402
from digest.build.themes import OTHER_ID, Theme, assign_theme, load_themes, title_tokens  # noqa: E402

POSTS = ROOT / "data" / "sample" / "posts.jsonl"
GOLD = Path(__file__).resolve().parent / "themes_gold.toml"
ROUNDS = 7  # timing: best of this many passes over the sample

Matcher = Callable[[str, str | None], str | None]


@dataclass(frozen=True, slots=True)
class Case:
    title: str
    brief: str | None
    accept: frozenset[str]  # gold theme plus any defensible second theme


@dataclass(slots=True)
class Result:
    name: str
    correct: int = 0
    themed: int = 0
    total: int = 0
    us_per_post: float = 0.0
    setup_ms: float = 0.0
    misses: list[tuple[Case, str]] = field(default_factory=list)


def load_cases(themes: Sequence[Theme]) -> list[Case]:
    gold = tomllib.loads(GOLD.read_text(encoding="utf-8"))["posts"]
    by_key = {(g["source"], g["post_id"]): g for g in gold}
    known = {t.id for t in themes} | {OTHER_ID}
    cases = []
    for line in POSTS.read_text(encoding="utf-8").splitlines():
        post = json.loads(line)
        entry = by_key.pop((post["source"], post["post_id"]), None)
        if entry is None:
            raise SystemExit(f"no gold label for {post['source']} {post['post_id']}")
        accept = frozenset([entry["theme"], *entry.get("also", [])])
        if unknown := accept - known:
            raise SystemExit(f"unknown theme ids {sorted(unknown)} for {post['post_id']}")
        cases.append(Case(post["title"], post.get("brief"), accept))
    if by_key:
        raise SystemExit(f"gold labels for posts not in the sample: {sorted(by_key)}")
    return cases


# (a) the shipped approach -------------------------------------------------------------


def shipped(themes: Sequence[Theme]) -> Matcher:
    chatter = {t.id for t in themes if t.chatter}  # off-topic: the digest files it under Other

    def match(title: str, brief: str | None) -> str | None:
        found = assign_theme(title, brief, themes)
        return None if found in chatter else found

    return match


def shipped_title_only(themes: Sequence[Theme]) -> Matcher:
    """The same matcher without briefs: the like-for-like comparison with (b) and (c)."""
    full = shipped(themes)
    return lambda title, brief: full(title, None)


# (b) character n-grams ------------------------------------------------------------------


def raw_keywords(theme: Theme) -> list[str]:
    # Keyword.text is normalized (lower case, no spaces next to CJK, "!" stripped).
    return [keyword.text for keyword in theme.keywords]


def ngrams(themes: Sequence[Theme]) -> Matcher:
    """CJK bigrams + Latin words for titles and keywords; the largest overlap wins."""
    vocab = [
        (theme.id, frozenset().union(*(title_tokens(k) for k in raw_keywords(theme))))
        for theme in themes
    ]

    def match(title: str, brief: str | None) -> str | None:
        tokens = title_tokens(title)
        best, best_score = None, 0
        for theme_id, words in vocab:  # strict ">" keeps ties in taxonomy order
            if (score := len(tokens & words)) > best_score:
                best, best_score = theme_id, score
        return best

    return match


# (c) a segmenter: jieba -----------------------------------------------------------------


def segmenter(themes: Sequence[Theme]) -> Matcher:
    """jieba tokens of the title; the theme whose keyword token runs cover most tokens."""
    import logging

    import jieba  # not a project dependency: uv run --with jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()

    def cut(text: str) -> tuple[str, ...]:
        return tuple(t for t in jieba.lcut(text.lower()) if t.strip())

    vocab = [(theme.id, [cut(k) for k in raw_keywords(theme)]) for theme in themes]

    def match(title: str, brief: str | None) -> str | None:
        tokens = cut(title)
        best, best_score = None, 0
        for theme_id, keywords in vocab:
            covered: set[int] = set()
            for seq in keywords:
                n = len(seq)
                for i in range(len(tokens) - n + 1):
                    if tokens[i : i + n] == seq:
                        covered.update(range(i, i + n))
            if len(covered) > best_score:
                best, best_score = theme_id, len(covered)
        return best

    return match


# scoring --------------------------------------------------------------------------------


def evaluate(name: str, build: Callable[[], Matcher], cases: Sequence[Case]) -> Result:
    started = time.perf_counter()
    matcher = build()
    result = Result(name, setup_ms=(time.perf_counter() - started) * 1000, total=len(cases))
    for case in cases:
        got = matcher(case.title, case.brief)
        result.themed += got is not None
        if (got or OTHER_ID) in case.accept:
            result.correct += 1
        else:
            result.misses.append((case, got or f"({OTHER_ID})"))
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for case in cases:
            matcher(case.title, case.brief)
        best = min(best, time.perf_counter() - started)
    result.us_per_post = best / len(cases) * 1e6
    return result


def print_results(results: list[tuple[str, Result]], posts: int) -> None:
    """The approaches side by side, then each one's misassigned posts."""
    header = f"{'approach':<36} {'accuracy':>8} {'correct':>8} {'coverage':>8} {'us/post':>8}"
    print(f"\nTheme matching on {posts} sample posts (gold: bench/themes_gold.toml)\n")
    print(header)
    print("-" * len(header))
    for _, r in results:
        print(
            f"{r.name:<36} {r.correct / r.total:>8.1%} {f'{r.correct}/{r.total}':>8} "
            f"{r.themed / r.total:>8.1%} {r.us_per_post:>8.1f}"
        )
    for _, r in results:
        if r.setup_ms >= 1:
            print(f"  setup of {r.name}: {r.setup_ms:.0f} ms")

    for _, r in results:
        print(f"\nMisassigned by {r.name} ({len(r.misses)}):")
        for case, got in r.misses:
            gold = " or ".join(sorted(case.accept))
            print(f"  {case.title[:60]}  | gold {gold} | got {got}")


def _listed(flag: str) -> list[str]:
    """The comma-separated values of ``flag`` on the command line (none when absent)."""
    return sys.argv[sys.argv.index(flag) + 1].split(",") if flag in sys.argv else []


def print_diagnoses(scores: list[DayScore], held_out: list[str], exclude: list[str]) -> None:
    """What --confusion, --kinds and --stories ask for, after the table of days."""
    if "--confusion" in sys.argv:
        print_confusion(scores)
        print_one_ai_theme(scores)
    if "--kinds" in sys.argv:
        days = [posts for _, posts, _ in labelled_days(exclude)]
        print_kinds(scores, days, verbose="-v" in sys.argv, held_out=held_out)
    if "--stories" in sys.argv:
        from bench.themes_stories import print_markers, print_stories

        print_stories(set(held_out), exclude)
        print_markers(set(held_out), exclude)


def main() -> None:
    exclude = _listed("--exclude")
    scores = score_all(exclude=exclude)
    before = [score_revision(rev, exclude) for rev in _listed("--before")][:1]
    held_out = _listed("--held-out")
    print_scores(
        scores,
        verbose="-v" in sys.argv,
        before=before[0] if before else [],
        held_out=held_out,
        unseen=_listed("--unseen"),
    )
    print_diagnoses(scores, held_out, exclude)
    themes = load_themes()
    cases = load_cases(themes)
    topical = tuple(t for t in themes if not t.chatter)
    approaches: list[tuple[str, str, Callable[[], Matcher]]] = [
        ("shipped", "(a) shipped: keywords, title+brief", lambda: shipped(themes)),
        ("shipped_title", "(a') shipped, title only", lambda: shipped_title_only(themes)),
        ("ngram", "(b) CJK bigrams + Latin words", lambda: ngrams(topical)),
        ("jieba", "(c) jieba segmenter", lambda: segmenter(topical)),
    ]
    results: list[tuple[str, Result]] = []
    skipped = []
    for key, name, build in approaches:
        try:
            results.append((key, evaluate(name, build, cases)))
        except ModuleNotFoundError as exc:
            skipped.append(key)
            print(
                f"note: {name} skipped ({exc.name} not installed; "
                "run with `uv run --with jieba python bench/themes.py`)"
            )

    print_results(results, len(cases))

    # (a') only isolates the effect of briefs; the contest is between (a), (b) and (c).
    contenders = [kr for kr in results if kr[0] != "shipped_title"]
    winner = max(contenders, key=lambda kr: (kr[1].correct, -kr[1].us_per_post))[0]
    pairs = [f"posts={len(cases)}"]
    for s in scores:
        day = s.name.split()[-1]
        pairs += [f"f1[{day}]={s.f1:.2f}", f"coverage[{day}]={s.coverage:.2f}"]
    tp, pred = sum(s.story_tp for s in scores), sum(s.story_pred for s in scores)
    gold = sum(s.story_gold for s in scores)
    pairs += [f"story_precision={tp / pred if pred else 1:.2f}", f"story_recall={tp / gold:.2f}"]
    for key, r in results:
        pairs += [
            f"{key}_acc={r.correct / r.total:.3f}",
            f"{key}_cov={r.themed / r.total:.3f}",
            f"{key}_us={r.us_per_post:.1f}",
        ]
    pairs += [f"{key}=skipped" for key in skipped]
    pairs.append(f"winner={winner}")
    print()
    print(" ".join(pairs))


if __name__ == "__main__":
    main()
