"""`bench/themes.py --stories`: each labelled day's same-story pairs, and why they merged or not.

For every day with story labels it lists the gold pairs the matcher missed (with what the
two titles share), the gold pairs it found (with the rule that linked them), and the pairs
it merged that are not in the gold (with the rule), each marked when a post of the pair is
not in the digest. A merged pair not in the gold may still be one story the labeller did
not pair: judge it, never edit the gold to fit.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import time
from itertools import combinations
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.themes_days import Key, build_day, day_store, labelled_days, load_gold
from digest import BuildOptions, load_themes
from digest.build.ranking import normalise_heat
from digest.build.stories import StoryEvidence, merge_duplicates
from digest.build.story_history import StoryHistory, read_history
from digest.build.story_items import ScoredPost
from digest.build.story_markers import GUIDE_WORDS, event_kinds, event_words, guide_words, is_guide


def _window(posts: Path) -> tuple[list[ScoredPost], StoryHistory]:
    """The day's window and story history as the builder reads them (build_day's store)."""
    store, seen = day_store(posts)
    options = BuildOptions(themes=load_themes(), build_time=time(18, 30))
    start, end = options.window(seen.astimezone(ZoneInfo(options.timezone)).date())
    window = store.posts_in_window(start, end)
    return normalise_heat(window), read_history(store, start, window)


def _cited(posts: Path) -> set[Key]:
    return {(e.source, e.post_id) for e in build_day(posts).sources}


def print_stories(held_out: set[str], exclude: Collection[str] = ()) -> None:
    """The story pairs of every day with story labels (held-out days are not listed,
    excluded days not even scored)."""
    for name, posts, gold_path in labelled_days(exclude):
        gold = load_gold(gold_path)
        if name in held_out:
            print(f"\n{name}: held out, story pairs not listed")
            continue
        window, history = _window(posts)
        evidence = StoryEvidence(window, history)
        where = {p.key: n for n, p in enumerate(window)}
        merged = {
            frozenset(pair)
            for item in merge_duplicates(window, history)
            for pair in combinations([p.key for p in item.posts], 2)
        }
        groups = gold.stories or []  # the sample has no story labels: all it merges is listed
        wanted = {frozenset(p) for g in groups for p in combinations(sorted(g), 2)}
        cited = _cited(posts)
        lines = []
        for pair in sorted(wanted | merged, key=sorted):
            a, b = sorted(pair)
            i, j = where[a], where[b]
            mark = "" if pair <= cited else " [not both in the digest]"
            if pair in wanted and pair in merged:
                status, why = "found ", evidence.link(i, j) or "(through a third post)"
            elif pair in wanted:
                status, why = "MISSED", evidence.explain(i, j)
            else:
                status, why = "EXTRA ", evidence.link(i, j) or "(through a third post)"
            lines.append(f"  {status} {gold.titles[a][:40]} / {gold.titles[b][:40]}: {why}{mark}")
        print(f"\n{name} same-story pairs:")
        print("\n".join(lines) if lines else "  (none labelled, none merged)")


def print_markers(held_out: set[str], exclude: Collection[str] = ()) -> None:
    """How often each story marker (digest/build/story_markers.py) stands in the labelled
    days' titles, and the gold-pair titles each guide word turns into guides (a guide links
    by no name, so each such title may cost a gold pair: read which)."""
    titles: list[str] = []
    paired: set[str] = set()
    for name, _, gold_path in labelled_days(exclude):
        if name in held_out:
            continue
        gold = load_gold(gold_path)
        titles += gold.titles.values()
        paired.update(gold.titles[key] for group in gold.stories or [] for key in group)
    print(f"\nStory markers over {len(titles)} titles ({len(paired)} in gold story groups):")
    for kind in event_kinds():
        hits = [t for t in titles if kind in event_words(t)]
        print(f"  event {kind:<12} {len(hits):>4} titles, {len(paired.intersection(hits))} paired")
    for word in GUIDE_WORDS:
        hits = [t for t in titles if word in guide_words(t)]
        costly = sorted(t for t in paired.intersection(hits) if is_guide(t))
        print(f"  guide {word:<12} {len(hits):>4} titles, guides in gold pairs: {costly or '-'}")
