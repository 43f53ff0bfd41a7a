"""What a weekly digest learns from the week's stored posts and snapshots (not the dailies).

The first step of the weekly digest (issue 17): the facts only. The week's window is the
seven daily windows of its Monday to Sunday laid end to end, so a post counts in the
week exactly when it counts in one of its days' digests. Reuses the builder's public
pieces (``BuildOptions.window``, the ranking) and nothing of the daily build's own path.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from ..clock import to_iso
from ..errors import UsageError
from ..follow.lookup import without_excluded
from ..store.store import SeenPost, Store
from .builder import BuildOptions
from .heat import CHART_POSTS, CHART_THEMES, HeatChart, TopPost, theme_heat
from .ranking import ScoredPost, group_by_theme, merge_duplicates, normalise_heat
from .themes import OTHER_ID, assign_theme

_WEEK = re.compile(r"(\d{4})-W(\d{2})")
TOP_STORIES = 10
TOP_PER_SOURCE = 3
TOP_CLIMBERS = 5


@dataclass(frozen=True, slots=True)
class WeekStory:
    """A post of the week: on how many days it was seen, its peak heat and best rank."""

    post: SeenPost
    days: int
    score: float  # heat percentile within its source over the week, 0 to 1
    first_rank: int | None = None  # its rank when the week first saw it

    @property
    def climb(self) -> int:
        """Places gained on its list: first rank of the week minus its best (0 if none)."""
        if self.first_rank is None or self.post.rank is None:
            return 0
        return max(0, self.first_rank - self.post.rank)


@dataclass(frozen=True, slots=True)
class WeekTheme:
    theme_id: str
    zh: str
    en: str
    now: int  # posts in the week
    before: int  # posts in the previous week

    @property
    def change(self) -> int:
        return self.now - self.before


@dataclass(frozen=True, slots=True)
class WeekFacts:
    """Everything a weekly writer may state, all read from the store."""

    week: str  # ISO week, e.g. 2026-W07
    days: tuple[dt.date, ...]  # Monday to Sunday
    window_start: dt.datetime
    window_end: dt.datetime
    posts: int
    previous_posts: int
    per_source: dict[str, int]
    stories: tuple[WeekStory, ...]  # longest on the lists, then hottest
    themes: tuple[WeekTheme, ...]  # rising first, falling last
    top_by_source: dict[str, tuple[WeekStory, ...]]
    climbers: tuple[WeekStory, ...] = ()  # most places gained on their lists
    previous_keys: frozenset[tuple[str, str]] = frozenset()  # posts of the week before
    all_stories: tuple[WeekStory, ...] = ()  # every post of the week, hottest first

    @property
    def empty(self) -> bool:
        """Nothing to write about: no post, or only chatter (which never heads the week)."""
        return not self.stories


def week_chart(
    store: Store,
    facts: WeekFacts,
    options: BuildOptions,
    numbers: Mapping[tuple[str, str], int] | None = None,
) -> HeatChart:
    """The week's chart: its most active themes day by day, and its longest-running stories.

    Drawn by the daily chart's renderer; the chart's date is the week's name, and each
    story is numbered as its weekly digest numbers it (``numbers``: by post key), else by
    its place among the week's stories.
    """
    numbers = numbers or {}
    active = sorted(facts.themes, key=lambda t: (-t.now, t.theme_id))[:CHART_THEMES]
    labels = [(t.theme_id, t.zh, t.en) for t in active if t.now]
    themes, _ = theme_heat(store, labels, facts.days, options)
    posts = tuple(
        TopPost(
            numbers.get(s.post.key, n),
            s.post.post.source,
            s.post.post.title,
            round(100 * s.score, 1),
        )
        for n, s in enumerate(facts.stories[:CHART_POSTS], start=1)
    )
    return HeatChart(facts.week, 0, facts.days, themes, posts, weekly=True)


def parse_week(text: str) -> tuple[str, tuple[dt.date, ...]]:
    """``YYYY-Www`` → its canonical name and its days, Monday first (UsageError if not one)."""
    match = _WEEK.fullmatch(text.strip())
    if match is None:
        raise UsageError(f"not an ISO week (YYYY-Www): {text[:20]!r}")
    year, number = int(match[1]), int(match[2])
    try:
        monday = dt.date.fromisocalendar(year, number, 1)
    except ValueError as exc:
        raise UsageError(f"{year} has no week {number}") from exc
    return f"{year}-W{number:02d}", tuple(monday + dt.timedelta(days=n) for n in range(7))


def week_name(day: dt.date) -> str:
    """The ISO week ``day`` falls in, as ``YYYY-Www``."""
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def week_window(days: tuple[dt.date, ...], options: BuildOptions) -> tuple[dt.datetime, ...]:
    """[start, end) in UTC: Monday's daily window's start to Sunday's daily window's end."""
    return options.window(days[0])[0], options.window(days[-1])[1]


def week_facts(store: Store, week: str, options: BuildOptions) -> WeekFacts:
    """The facts of ``week`` (``YYYY-Www``), against the week before it."""
    name, days = parse_week(week)
    start, end = week_window(days, options)
    seen = _seen(store, start, end, options)
    previous = _seen(store, start - (end - start), start, options)
    scored = normalise_heat(seen)
    spans = store.sighting_days([s.key for s in seen], start, end)
    firsts = _first_ranks(store, [s.key for s in seen], start, end)
    hottest = [WeekStory(p.seen, spans.get(p.key, 0), p.score, firsts.get(p.key)) for p in scored]
    # Chatter (cars, credit cards, holidays) never heads a theme; nor does it head a week.
    stories = sorted(
        (s for s in hottest if not is_chatter(s.post, options)), key=_longest_then_hottest
    )
    by_source: dict[str, list[WeekStory]] = {}
    for story in sorted(stories, key=lambda s: (-s.score, -(s.post.heat or 0), s.post.key)):
        by_source.setdefault(story.post.post.source, []).append(story)
    climbers = sorted((s for s in stories if s.climb), key=lambda s: (-s.climb, s.post.key))
    return WeekFacts(
        week=name,
        days=days,
        window_start=start,
        window_end=end,
        posts=len(seen),
        previous_posts=len(previous),
        per_source=dict(sorted(Counter(s.post.source for s in seen).items())),
        stories=tuple(stories[:TOP_STORIES]),
        themes=_themes(scored, normalise_heat(previous), options),
        top_by_source={k: tuple(v[:TOP_PER_SOURCE]) for k, v in sorted(by_source.items())},
        climbers=tuple(climbers[:TOP_CLIMBERS]),
        previous_keys=frozenset(s.key for s in previous),
        all_stories=tuple(hottest),
    )


def _first_ranks(
    store: Store, keys: list[tuple[str, str]], start: dt.datetime, end: dt.datetime
) -> dict[tuple[str, str], int]:
    """Each post's rank at its first ranked sighting in [start, end): one pass over the
    week's snapshots, newest first, so the earliest sighting is the one left standing."""
    wanted = set(keys)
    rows = store.db.execute(
        "SELECT source, post_id, rank FROM snapshots WHERE fetched_at >= ? AND fetched_at < ? "
        "AND rank IS NOT NULL ORDER BY fetched_at DESC",
        [to_iso(start), to_iso(end)],
    )
    return {(s, p): int(rank) for s, p, rank in rows if (s, p) in wanted}


def _seen(
    store: Store, start: dt.datetime, end: dt.datetime, options: BuildOptions
) -> list[SeenPost]:
    seen = [s for s in store.posts_in_window(start, end) if options.wants(s.post.source)]
    return without_excluded(seen, options.exclude)


def is_chatter(seen: SeenPost, options: BuildOptions) -> bool:
    """Whether a post is off-topic talk by the taxonomy (a theme marked ``chatter``)."""
    post = seen.post
    theme_id = assign_theme(
        post.title, post.brief, options.themes, repository=post.source == "github"
    )
    return any(theme.id == theme_id and theme.chatter for theme in options.themes)


def _longest_then_hottest(story: WeekStory) -> tuple[int, int, float, tuple[str, str]]:
    rank = story.post.rank if story.post.rank is not None else 10**9
    return (-story.days, rank, -story.score, story.post.key)


def _themes(
    now: list[ScoredPost], before: list[ScoredPost], options: BuildOptions
) -> tuple[WeekTheme, ...]:
    def counts(scored: list[ScoredPost]) -> Counter[str]:
        groups = group_by_theme(merge_duplicates(scored), options.themes) if scored else []
        return Counter({g.theme.id: len(g.posts) for g in groups})

    this_week, last_week = counts(now), counts(before)
    themes = [
        WeekTheme(t.id, t.zh, t.en, this_week[t.id], last_week[t.id])
        for t in options.themes
        if t.id != OTHER_ID and (this_week[t.id] or last_week[t.id])
    ]
    return tuple(sorted(themes, key=lambda t: (-t.change, -t.now, t.theme_id)))
