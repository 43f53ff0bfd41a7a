"""Does vocabulary mined from labelled days generalise? Leave-one-day-out theme F1.

For each labelled day, candidate keywords are mined from the gold labels of every *other*
day (`mine`): a word of titles, repository names and GitHub descriptions that at least
MIN_POSTS posts on at least MIN_DAYS days carry, at least MIN_SHARE of them labelled
with one theme, becomes a keyword of that theme unless the taxonomy already has it. The
day is then built exactly as the bot builds it (bench/themes_days.build_day) with the
taxonomy plus those keywords and scored (pairwise F1, coverage); "before" is the same day
with the taxonomy alone. The mean over days of "after" is the honest figure: no day's
score comes from words mined from it. The thresholds were fixed before the first run.

    uv run python bench/themes_vocab.py [--show]   # --show: the words mined from all days
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from themes_days import Gold, build_day, labelled_days, load_gold, score_day  # noqa: E402

from digest import BuildOptions, load_themes  # noqa: E402
from digest.build.themes import (  # noqa: E402
    OTHER_ID,
    STOPWORDS,
    Keyword,
    Theme,
    keyword_index,
    normalize,
)

UNSEEN = ("2026-05-13", "2026-02-18")  # labelled for one scoring at the end: never mined
MIN_POSTS, MIN_DAYS, MIN_SHARE = 3, 2, 0.8  # fixed before the first run
_WORD = re.compile(r"[a-z][a-z0-9+#]{2,}")
_CJK = re.compile(r"[\u3400-\u9fff]+")
_SEPARATORS = re.compile(r"[-_./]+")


@dataclass(frozen=True, slots=True)
class Day:
    name: str
    posts_path: Path
    posts: list[dict[str, str]]
    gold: Gold


def words(post: dict[str, str]) -> set[str]:
    """Latin words (3+ letters) and CJK bigrams of the title, repository name and brief."""
    title = post["title"]
    if post["source"] == "github":
        title = _SEPARATORS.sub(" ", title)
    found: set[str] = set()
    for text in (title, post.get("brief") or ""):
        lowered = normalize(text)
        found.update(w for w in _WORD.findall(lowered) if w not in STOPWORDS)
        for run in _CJK.findall(lowered):
            found.update(run[i : i + 2] for i in range(len(run) - 1))
    return found


@dataclass(frozen=True, slots=True)
class Rule:
    """How words are mined and weighed (the defaults are the rule fixed before any run)."""

    min_posts: int = MIN_POSTS
    min_days: int = MIN_DAYS
    min_share: float = MIN_SHARE
    generic: bool = False  # a mined word counts half, as a keyword marked "!"
    min_letters: int = 3  # Latin words shorter than this are not mined
    # Only these words may be mined (None: any). A reader's pass over the words mined
    # from all days: general vocabulary kept, names of one project and CJK fragments
    # ("大模" of 大模型) dropped; each word still counts on a day only if the *other*
    # days mine it.
    allow: frozenset[str] | None = None


def mine(days: Iterable[Day], themes: Sequence[Theme], rule: Rule = Rule()) -> dict[str, str]:
    """Word -> theme for words the labels of ``days`` tie to one theme (see the module doc)."""
    known = keyword_index(themes).owners
    # A repository trending on three days is one post, not three: counting it once keeps
    # words that name one project ("whimsy" of one description) out.
    holders: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    seen_on: dict[tuple[str, str], set[str]] = defaultdict(set)
    for day in days:
        for post in day.posts:
            key = (post["source"], post["post_id"])
            label = day.gold.themes.get(key)
            if label is None:
                continue
            for word in words(post):
                if word.isascii() and len(word) < rule.min_letters:
                    continue
                holders[word, label].add(key)
                seen_on[word, label].add(day.name)
    by_theme: dict[str, Counter[str]] = defaultdict(Counter)
    for (word, label), keys in holders.items():
        by_theme[word][label] = len(keys)
    mined = {}
    for word, labels in by_theme.items():
        theme, count = labels.most_common(1)[0]
        if theme == OTHER_ID or word in known or (rule.allow and word not in rule.allow):
            continue
        share = count / sum(labels.values())
        days_seen = len(seen_on[word, theme])
        if count >= rule.min_posts and days_seen >= rule.min_days and share >= rule.min_share:
            mined[word] = theme
    return mined


def with_words(
    themes: Sequence[Theme], mined: dict[str, str], generic: bool = False
) -> tuple[Theme, ...]:
    """The taxonomy with each mined word appended to its theme (a lower-case noun)."""
    extra: dict[str, list[Keyword]] = defaultdict(list)
    for word, theme in sorted(mined.items()):
        extra[theme].append(Keyword(word, generic=generic, noun=word.isascii()))
    return tuple(replace(t, keywords=t.keywords + tuple(extra[t.id])) for t in themes)


def load_days() -> list[Day]:
    days = []
    for name, posts_path, gold_path in labelled_days(exclude=UNSEEN):
        lines = posts_path.read_text(encoding="utf-8").splitlines()
        days.append(Day(name, posts_path, [json.loads(x) for x in lines], load_gold(gold_path)))
    return days


def scored(day: Day, themes: tuple[Theme, ...]) -> tuple[float, float]:
    options = BuildOptions(themes=themes, build_time=time(18, 30))
    score = score_day(day.name, build_day(day.posts_path, options), day.gold)
    return score.f1, score.coverage


GENERAL = frozenset(
    "inference multimodal speech opus image foundation jquery kingbase 周刊".split()
)
RULES = (  # the first is the rule fixed before any run; the others came after seeing it
    Rule(),
    Rule(generic=True),
    Rule(min_posts=4, min_days=3, min_share=0.9),
    Rule(min_posts=4, min_days=3, min_share=0.9, generic=True),
    Rule(min_posts=5, min_days=3, min_share=0.9, min_letters=4),
    Rule(min_posts=5, min_days=3, min_share=0.9, min_letters=4, generic=True),
    Rule(min_posts=4, min_days=3, min_share=0.9, allow=GENERAL),
)


def leave_one_out(
    days: list[Day], themes: tuple[Theme, ...], rule: Rule
) -> list[tuple[int, tuple[float, float]]]:
    """Per day: how many words were mined from the other days, and its F1 and coverage."""
    rows = []
    for day in days:
        mined = mine((d for d in days if d is not day), themes, rule)
        rows.append((len(mined), scored(day, with_words(themes, mined, rule.generic))))
    return rows


def main() -> None:
    themes = load_themes()
    days = load_days()
    base = [scored(day, themes) for day in days]
    mean_base = sum(f1 for f1, _ in base) / len(base)
    print(f"Leave-one-day-out vocabulary, {len(days)} days (not {', '.join(UNSEEN)})\n")
    table = {day.name: [f"{f1:.2f}/{cov:.2f}"] for day, (f1, cov) in zip(days, base, strict=True)}
    for n, rule in enumerate(RULES):
        rows = leave_one_out(days, themes, rule)
        mean = sum(r[1][0] for r in rows) / len(rows)
        up = sum(r[1][0] > b[0] + 0.0005 for r, b in zip(rows, base, strict=True))
        down = sum(r[1][0] < b[0] - 0.0005 for r, b in zip(rows, base, strict=True))
        for day, row in zip(days, rows, strict=True):
            table[day.name].append(f"{row[1][0]:.2f}/{row[1][1]:.2f}")
        print(
            f"rule {n} {rule}: {sum(r[0] for r in rows) / len(rows):.0f} words a fold; "
            f"mean F1 {mean_base:.3f} -> {mean:.3f} ({mean - mean_base:+.3f}), up on {up}, "
            f"down on {down}; lowest coverage {min(r[1][1] for r in rows):.2f}"
        )
    print(
        f"\n{'day':<18} {'taxonomy':>9}"
        + "".join(f" {'rule ' + str(n):>9}" for n in range(len(RULES)))
    )
    for name, cells in table.items():
        print(f"{name:<18}" + "".join(f" {c:>9}" for c in cells))
    if "--show" in sys.argv:
        rule = RULES[int(sys.argv[sys.argv.index("--show") + 1])]
        for word, theme in sorted(mine(days, themes, rule).items(), key=lambda kv: kv[::-1]):
            print(f"  {theme:<12} {word}")


if __name__ == "__main__":
    main()
