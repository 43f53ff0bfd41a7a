"""Keyword edits chosen by data, scored leave-one-day-out: the honest figure for a taxonomy round.

A pool of edits to a base taxonomy (data/themes.toml at --base): removing generic words
suspected of misleading (REMOVALS, listed before this script's first run), and adding the
words bench/themes_vocab.py mines (rule 2: 4 posts on 3 days, 90% one theme). For each
labelled day, the edits are chosen from the *other* days only: an edit is kept when its
F1 gains over the other days (each edit alone on the base) sum to more than zero, and
added words must be mined from the other days too. The kept edits are then applied
together to the day, which is scored once. The mean over days is what such a round
gains on days it was not fitted to; the edits chosen on all days are what it ships.

    uv run python bench/themes_select.py [--base f7f84cf] [--strict]
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from tempfile import TemporaryDirectory

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from themes_vocab import Day, Rule, load_days, mine, scored  # noqa: E402

from digest import load_themes  # noqa: E402
from digest.build.themes import Keyword, Theme, normalize  # noqa: E402

BASE = "f7f84cf"  # main when this round started
STRICT = "--strict" in sys.argv
MINED = Rule(min_posts=4, min_days=3, min_share=0.9)
Edit = tuple[str, str, bool]  # theme id, normalized keyword, True = add


def _words(table: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """(theme id, normalized keyword) for each "a|b|c" list of a theme."""
    return tuple(
        (theme, normalize(word)) for theme, words in table.items() for word in words.split("|")
    )


REMOVALS = _words(
    {
        "ai-coding": "code|代码|用 AI|harness|prompt|prompts|提示词|Claude|skill|skills",
        "ai-models": "agent|agents|agentic|Claude|token|AI",
        "chatter": "福利|推广|额度",
        "mobile": "app",
        "frontend": "web|组件",
        "startups": "产品|上线",
        "career": "程序员|教程|tutorial|成长|hiring",
        "dev-tools": "GitHub|Git|插件|plugin",
        "open-source": "star|stars|repository|仓库",
        "cloud-ops": "server|servers",
    }
)
# Words a reader would file under a theme, written after reading the open days' misses
# (never the unseen days'): each is still kept only if the other days gain from it.
# (Not "Oracle": the company's news is as often careers or business as its database.)
ADDITIONS = _words(
    {
        "career": "年终总结|年度总结|年总结|年度复盘",
        "security": "OSINT|forensic|forensics|disassembler",
        "dev-tools": "macOS|Windows 11|Mac",
        "hardware": "Mac mini|MacBook|synthesizer|development board",
        "startups": "is hiring",
        "science": "vaccine|peer review|researchers",
        "backend": "protobuf|Protocol Buffers|日志|状态机|MinIO",
        "mobile": "RecyclerView|RecycleView|uniapp",
    }
)
# Mined words that name one organisation or are not vocabulary ("commands", "image" of a
# container): never added, whatever they gain. jQuery is frontend, but the story tests
# (tests/digest/test_stories.py) use its release as the title pair no keyword matches.
VETO = frozenset("commands image 腾讯 hkuds kingbase 据库 大模 写代 用技 星云 jquery".split())


def base_taxonomy(revision: str) -> tuple[Theme, ...]:
    text = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{revision}:data/themes.toml"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "themes.toml"
        path.write_text(text, encoding="utf-8")
        return load_themes(path, mode="replace")


def edited(themes: Sequence[Theme], edits: Sequence[Edit]) -> tuple[Theme, ...]:
    """``themes`` with each keyword removed from or added to its theme."""
    result = []
    for theme in themes:
        keywords = theme.keywords
        for theme_id, word, add in edits:
            if theme_id != theme.id:
                continue
            if add:
                keywords += (Keyword(word, generic=False, noun=word.isascii()),)
            else:
                keywords = tuple(k for k in keywords if k.text != word)
        result.append(replace(theme, keywords=keywords))
    return tuple(result)


def main() -> None:
    revision = sys.argv[sys.argv.index("--base") + 1] if "--base" in sys.argv else BASE
    themes = base_taxonomy(revision)
    days = load_days()
    base = {day.name: scored(day, themes)[0] for day in days}
    pools: dict[str, list[Edit]] = {}
    for day in [*days, None]:
        words = mine((d for d in days if d is not day), themes, MINED)
        name = day.name if day else "all days"
        pools[name] = [
            *((t, w, False) for t, w in REMOVALS),
            *((t, w, True) for t, w in ADDITIONS),
            *((t, w, True) for w, t in words.items() if w not in VETO),
        ]
    gain: dict[tuple[Edit, str], float] = {}
    for edit in sorted({e for pool in pools.values() for e in pool}):
        for day in days:
            gain[edit, day.name] = scored(day, edited(themes, [edit]))[0] - base[day.name]
    print(f"Edits chosen leave-one-day-out, base taxonomy at {revision}, {len(days)} days\n")
    print(f"{'day':<18} {'edits':>5} {'F1 base':>8} {'F1 after':>8}")
    after = {}
    for day in days:
        chosen = _chosen(pools[day.name], [d for d in days if d is not day], gain)
        after[day.name] = scored(day, edited(themes, chosen))[0]
        print(f"{day.name:<18} {len(chosen):>5} {base[day.name]:>8.3f} {after[day.name]:>8.3f}")
    mean_base = sum(base.values()) / len(days)
    mean_after = sum(after.values()) / len(days)
    up = sum(after[n] > base[n] + 0.0005 for n in base)
    down = sum(after[n] < base[n] - 0.0005 for n in base)
    print(
        f"\nleave-one-out mean F1: base {mean_base:.3f}, chosen edits {mean_after:.3f} "
        f"({mean_after - mean_base:+.3f}); up on {up}, down on {down} of {len(days)} days"
    )
    print("\nEdits chosen on all days (F1 gain summed over days, each edit alone):")
    for edit in _chosen(pools["all days"], days, gain):
        total = sum(gain[edit, d.name] for d in days)
        print(f"  {'add' if edit[2] else 'remove':<6} {edit[0]:<12} {edit[1]:<14} {total:+.3f}")


def _chosen(
    pool: Sequence[Edit], days: Sequence[Day], gain: dict[tuple[Edit, str], float]
) -> list[Edit]:
    """The edits whose gains on ``days`` pass the rule in use (CRITERIA[--strict])."""
    chosen = []
    for edit in pool:
        gains = [gain[edit, d.name] for d in days]
        up, down = sum(g > 0.0005 for g in gains), sum(g < -0.0005 for g in gains)
        if STRICT:  # chosen after the first rule's figures: a clear gain, more days up
            if sum(gains) >= 0.02 and up > 2 * down:
                chosen.append(edit)
        elif sum(gains) > 0.0005:  # the rule fixed before the first run
            chosen.append(edit)
    return chosen


if __name__ == "__main__":
    main()
