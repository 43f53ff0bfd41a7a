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

from ..errors import UsageError
from ..follow.lookup import without_excluded
from ..store.store import SeenPost, Store
from .builder import BuildOptions
from .heat import CHART_POSTS, CHART_THEMES, HeatChart, TopPost, theme_heat
from .histories import StoryHistories
from .ranking import ScoredPost, ThemeGroup, group_by_theme, merge_duplicates, normalise_heat
from .story_history import StoryHistory, read_history
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
    groups: tuple[ThemeGroup, ...] = ()  # all of them by theme, same stories merged

    @property
    def empty(self) -> bool:
        """Nothing to write about: no post, or only chatter (which never heads the week)."""
        return not self.stories


def week_chart(
    store: Store,
    facts: WeekFacts,
    options: BuildOptions,
    numbers: Mapping[tuple[str, str], int] | None = None,
    histories: StoryHistories | None = None,
) -> HeatChart:
    """The week's chart: its most active themes day by day, and its longest-running stories.

    Drawn by the daily chart's renderer; the chart's date is the week's name, and each
    story is numbered as its weekly digest numbers it (``numbers``: by post key), else by
    its place among the week's stories (``histories``: the days' story histories, kept).
    """
    numbers = numbers or {}
    active = sorted(facts.themes, key=lambda t: (-t.now, t.theme_id))[:CHART_THEMES]
    labels = [(t.theme_id, t.zh, t.en) for t in active if t.now]
    themes, _ = theme_heat(store, labels, facts.days, options, histories)
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


@dataclass(frozen=True, slots=True)
class WeekReads:
    """What the store knows of a week for every source filter: its posts and the week
    before's (the operator's ``exclude`` applied, no chat's filter), each post's days on
    the lists and first rank, and which posts are chatter by the taxonomy. A chat's
    filter narrows these; it needs no read (nor theme matching) of its own."""

    name: str
    days: tuple[dt.date, ...]
    window: tuple[dt.datetime, dt.datetime]
    seen: tuple[SeenPost, ...]
    previous: tuple[SeenPost, ...]
    spans: Mapping[tuple[str, str], int]
    firsts: Mapping[tuple[str, str], int]
    chatter: frozenset[tuple[str, str]]
    history: StoryHistory  # which names are new to the lists, as a day's build reads it


def read_week(store: Store, week: str, options: BuildOptions) -> WeekReads:
    """The store's reads of ``week`` (``YYYY-Www``): five queries however many posts."""
    name, days = parse_week(week)
    start, end = week_window(days, options)
    seen = without_excluded(store.posts_in_window(start, end), options.exclude)
    previous = store.posts_in_window(start - (end - start), start)
    keys = [s.key for s in seen]
    return WeekReads(
        name,
        days,
        (start, end),
        tuple(seen),
        tuple(without_excluded(previous, options.exclude)),
        store.sighting_days(keys, start, end),
        store.first_ranks(keys, start, end),
        frozenset(s.key for s in seen if is_chatter(s, options)),
        read_history(store, start, seen),
    )


ReadKey = tuple[str, tuple[dt.datetime, ...], tuple[str, ...]]  # week, window, exclude


class WeekReader:
    """Each week's reads and facts, made once for the holder's lifetime (one push run):
    every source filter of a week is narrowed from the same reads, and a filter's chart
    reuses the facts its view was composed from. One holder serves one set of build
    options, apart from the chats' source filters."""

    def __init__(self) -> None:
        self.read: dict[ReadKey, WeekReads] = {}
        self.found: dict[tuple[ReadKey, tuple[str, ...], tuple[str, ...]], WeekFacts] = {}

    def reads(self, store: Store, week: str, options: BuildOptions) -> WeekReads:
        key = self._key(week, options)
        if key not in self.read:
            self.read[key] = read_week(store, week, options)
        return self.read[key]

    def facts(self, store: Store, week: str, options: BuildOptions) -> WeekFacts:
        """``week_facts`` of ``week`` for the sources ``options`` wants."""
        key = (self._key(week, options), options.include_sources, options.exclude_sources)
        if key not in self.found:
            self.found[key] = week_facts(store, week, options, self.reads(store, week, options))
        return self.found[key]

    @staticmethod
    def _key(week: str, options: BuildOptions) -> ReadKey:
        name, days = parse_week(week)
        return (name, week_window(days, options), options.exclude)


def week_facts(
    store: Store, week: str, options: BuildOptions, reads: WeekReads | None = None
) -> WeekFacts:
    """The facts of ``week`` (``YYYY-Www``), against the week before it, for the sources
    ``options`` wants (``reads``: the week's reads, if already made)."""
    reads = reads or read_week(store, week, options)
    start, end = reads.window
    seen = [s for s in reads.seen if options.wants(s.post.source)]
    previous = [s for s in reads.previous if options.wants(s.post.source)]
    scored = normalise_heat(seen)
    spans, firsts = reads.spans, reads.firsts
    hottest = [WeekStory(p.seen, spans.get(p.key, 0), p.score, firsts.get(p.key)) for p in scored]
    # Chatter (cars, credit cards, holidays) never heads a theme; nor does it head a week.
    stories = sorted(
        (s for s in hottest if s.post.key not in reads.chatter), key=_longest_then_hottest
    )
    by_source: dict[str, list[WeekStory]] = {}
    for story in sorted(stories, key=lambda s: (-s.score, -(s.post.heat or 0), s.post.key)):
        by_source.setdefault(story.post.post.source, []).append(story)
    climbers = sorted((s for s in stories if s.climb), key=lambda s: (-s.climb, s.post.key))
    # The costliest step (stories, themes): made once. Stories are merged with the
    # store's history, as a day's are, so a week groups what its days grouped.
    groups = (
        group_by_theme(merge_duplicates(scored, reads.history), options.themes) if scored else []
    )
    return WeekFacts(
        week=reads.name,
        days=reads.days,
        window_start=start,
        window_end=end,
        posts=len(seen),
        previous_posts=len(previous),
        per_source=dict(sorted(Counter(s.post.source for s in seen).items())),
        stories=tuple(stories[:TOP_STORIES]),
        themes=_themes(groups, _grouped(normalise_heat(previous), options), options),
        top_by_source={k: tuple(v[:TOP_PER_SOURCE]) for k, v in sorted(by_source.items())},
        climbers=tuple(climbers[:TOP_CLIMBERS]),
        previous_keys=frozenset(s.key for s in previous),
        all_stories=tuple(hottest),
        groups=tuple(groups),
    )


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


def _grouped(scored: list[ScoredPost], options: BuildOptions) -> list[ThemeGroup]:
    return group_by_theme(merge_duplicates(scored), options.themes) if scored else []


def _themes(
    now: list[ThemeGroup], before: list[ThemeGroup], options: BuildOptions
) -> tuple[WeekTheme, ...]:
    this_week = Counter({g.theme.id: len(g.posts) for g in now})
    last_week = Counter({g.theme.id: len(g.posts) for g in before})
    themes = [
        WeekTheme(t.id, t.zh, t.en, this_week[t.id], last_week[t.id])
        for t in options.themes
        if t.id != OTHER_ID and (this_week[t.id] or last_week[t.id])
    ]
    return tuple(sorted(themes, key=lambda t: (-t.change, -t.now, t.theme_id)))
