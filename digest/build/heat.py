"""The figures of a digest's heat chart: its themes' heat over the last days, its top posts.

Read from the store and the digest's own data (never from its prose), so the chart
shows what the digest cites, with the same normalisation the builder ranks by.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from ..document import Digest
from ..follow.lookup import without_excluded
from ..store.store import Store
from .builder import BuildOptions
from .histories import StoryHistories
from .ranking import group_by_theme, merge_duplicates, normalise_heat
from .themes import OTHER_ID

CHART_DAYS = 7
CHART_THEMES = 5
CHART_POSTS = 6


@dataclass(frozen=True, slots=True)
class ThemeSeries:
    """One theme's heat per day, 0 to 100 (100: the hottest theme-day of the chart)."""

    theme_id: str
    zh: str
    en: str
    values: tuple[float, ...]

    def label(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


@dataclass(frozen=True, slots=True)
class TopPost:
    """A cited post and its heat percentile within its source on the digest's day (0-100)."""

    index: int
    source: str
    title: str
    score: float


@dataclass(frozen=True, slots=True)
class HeatChart:
    """What one chart shows: a digest's date and version, the days, the series, the posts."""

    date: str
    version: int
    days: tuple[dt.date, ...]
    themes: tuple[ThemeSeries, ...]
    posts: tuple[TopPost, ...]
    weekly: bool = False  # a week's chart: its posts are the stories longest on the lists

    @property
    def is_empty(self) -> bool:
        return not self.themes and not self.posts


def heat_chart(
    store: Store, digest: Digest, options: BuildOptions, histories: StoryHistories | None = None
) -> HeatChart:
    """The chart of ``digest``: its top themes over the :data:`CHART_DAYS` days to its date.

    A theme's heat on a day is the sum of its posts' heat percentiles in that day's
    window (as the builder scores them), so a theme many lists carry outweighs one
    lone hot post; the series are scaled together so the chart's peak is 100.
    ``histories``: the days' story histories, kept across a push's filters and charts.
    """
    day = dt.date.fromisoformat(digest.date)
    days = tuple(day - dt.timedelta(days=back) for back in range(CHART_DAYS - 1, -1, -1))
    wanted = [t for t in digest.facts.get("themes", []) if t.get("id") != OTHER_ID]
    labels = [
        (str(t["id"]), str(t.get("zh", t["id"])), str(t.get("en", t["id"])))
        for t in wanted[:CHART_THEMES]
    ]
    # The digest's own window: past its build time when posts came in late (day.py).
    end = dt.datetime.fromisoformat(digest.footer.window_end)
    themes, today = theme_heat(store, labels, days, options, histories, last_end=end)
    return HeatChart(digest.date, digest.version, days, themes, _top_posts(digest, today))


def theme_heat(
    store: Store,
    labels: Sequence[tuple[str, str, str]],
    days: Sequence[dt.date],
    options: BuildOptions,
    histories: StoryHistories | None = None,
    last_end: dt.datetime | None = None,
) -> tuple[tuple[ThemeSeries, ...], dict[tuple[str, str], float]]:
    """Each theme's heat per day (``labels``: id, zh, en), scaled to a peak of 100, and
    every post's percentile on the last day.

    Each day's posts are those its digest reads (the operator's ``exclude`` applied),
    merged into stories with that day's history, as its digest merges them: a chart
    never splits a story its digest shows as one item (nor themes its posts apart).
    ``last_end``: where the last day's window ends, if not at its build time.
    """
    histories = histories or StoryHistories()
    ids = {theme_id for theme_id, _, _ in labels}
    heat: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(days))
    last: dict[tuple[str, str], float] = {}
    for position, one_day in enumerate(days):
        start, end = options.window(one_day)
        if last_end is not None and position == len(days) - 1:
            end = last_end
        window = without_excluded(store.posts_in_window(start, end), options.exclude)
        scored = normalise_heat([s for s in window if options.wants(s.post.source)])
        last = {post.key: post.score for post in scored}
        if not scored:
            continue  # no post, no story: nor a history to read
        history = histories.history(store, start, window)
        for group in group_by_theme(merge_duplicates(scored, history), options.themes):
            if group.theme.id in ids:
                heat[group.theme.id][position] += sum(p.score for p in group.posts)
    peak = max((v for values in heat.values() for v in values), default=0.0) or 1.0
    series = tuple(
        ThemeSeries(theme_id, zh, en, tuple(round(100 * v / peak, 1) for v in heat[theme_id]))
        for theme_id, zh, en in labels
    )
    return series, last


def _top_posts(digest: Digest, scores: dict[tuple[str, str], float]) -> tuple[TopPost, ...]:
    """The digest's sources hottest first by percentile (raw heat does not compare)."""
    posts = [
        TopPost(e.index, e.source, e.title, round(100 * scores.get((e.source, e.post_id), 0), 1))
        for e in digest.sources
    ]
    posts.sort(key=lambda p: (-p.score, p.index))
    return tuple(posts[:CHART_POSTS])
