"""The weekly digest: the week's facts (``week.py``) written as a digest, and its build.

One build path for ``hotdigest build --week`` and the bot's scheduled weekly build
(``build_week``): the same offline writer, LLM writer and validation as a day's
(``store_version``), stored as versions of the week's key ``YYYY-Www``. A week
without posts stores nothing, so an empty week is never the latest nor pushed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from ..document import Digest
from ..store.archive import SavedDigest, is_week, latest_digest
from ..store.build_log import empty_week_seen, record_empty_week
from ..store.store import Store
from ..writers.llm import Progress
from ..writers.llm_client import LlmConfig
from ..writers.weekly import WeekWriter
from .builder import BuildOptions, SourceFilter, filtered_digest, list_places, window_footer
from .compose import empty_digest, write_digest
from .day import COLLECTING, off_loop, store_version
from .facts import BuildFacts, Key, SourceCount, ThemeTrend
from .heat import HeatChart, heat_chart
from .histories import StoryHistories
from .ranking import ThemeGroup
from .week import (
    WeekFacts,
    WeekReader,
    parse_week,
    week_chart,
    week_name,
    week_window,
)

THEME_EXAMPLES = 2  # items shown for each of the week's rising themes


@dataclass(frozen=True, slots=True)
class WeekBuild:
    """What a build of one week did (``saved`` None: the week had no posts)."""

    week: str
    saved: SavedDigest | None
    posts: int
    llm_reason: str = ""

    @property
    def digest(self) -> Digest | None:
        return self.saved.digest if self.saved else None


def compose_week(
    store: Store, week: str, options: BuildOptions, now: datetime, reader: WeekReader | None = None
) -> Digest:
    """The weekly digest of ``week`` (version 0, unsaved); deterministic for one store.

    :param reader: keeps the week's reads and facts, when a caller needs them again.
    """
    facts = (reader or WeekReader()).facts(store, week, options)
    seen = [story.post for story in facts.all_stories]
    footer = window_footer(store, options, seen, facts.window_start, facts.window_end, now)
    if facts.empty:
        return empty_digest(facts.week, options.language, footer)
    build = _build_facts(facts, options)
    return write_digest(
        build,
        options.language,
        footer,
        voice=lambda f, lang: WeekWriter(f, lang, facts),
        key=facts.week,
        extra=lambda numbering: {"week": _week_json(facts, numbering)},
    )


def build_week(
    store: Store,
    week: str,
    options: BuildOptions,
    now: datetime,
    *,
    llm: LlmConfig | None = None,
    force: bool = False,
    retry_llm: bool = True,
    progress: Progress | None = None,
) -> WeekBuild:
    """Build ``week``'s digest (``YYYY-Www``) and store it as a new version if it changed."""
    tell = progress or (lambda stage, detail: None)
    tell(COLLECTING, "")
    offline = compose_week(store, parse_week(week)[0], options, now)
    if offline.is_empty:
        start, end = week_window(parse_week(offline.date)[1], options)
        if (newest := store.last_sighting(start, end)) is not None:  # all filtered out
            record_empty_week(store, offline.date, newest, now)
        return WeekBuild(offline.date, None, 0)
    done = store_version(store, offline, now, llm=llm, force=force, retry_llm=retry_llm, tell=tell)
    return WeekBuild(offline.date, done.saved, _posts(offline), done.reason)


async def build_week_off_loop(
    db_path: str | Path,
    week: str,
    options: BuildOptions,
    now: datetime,
    *,
    llm: LlmConfig | None = None,
    force: bool = False,
    retry_llm: bool = True,
) -> WeekBuild:
    """``build_week`` on a worker thread with its own connection, as a day's build runs
    (``build_off_loop``): an LLM build holds it for minutes, the bot's store thread not."""
    return await off_loop(
        db_path,
        lambda store: build_week(
            store, week, options, now, llm=llm, force=force, retry_llm=retry_llm
        ),
    )


def last_full_week(day: date) -> str:
    """The newest ISO week whose Sunday is ``day`` or before it."""
    return week_name(day - timedelta(days=day.isoweekday() % 7))


def week_missing(store: Store, week: str, options: BuildOptions) -> bool:
    """Whether ``week`` has posts but no stored digest (a build was missed), and no build
    since its newest sighting found them all filtered out (that one is tried again only
    when a newer sighting could change the outcome)."""
    if latest_digest(store, week) is not None:
        return False
    start, end = week_window(parse_week(week)[1], options)
    newest = store.last_sighting(start, end)
    if newest is None:
        return False
    tried = empty_week_seen(store, week)
    return tried is None or newest > tried


@dataclass(frozen=True, slots=True)
class PushReader:
    """A push run's reads of the store, each made once for all its chats: each day's
    story history (shared by every source filter's view of that day and by the charts'
    days) and each week's reads and facts."""

    histories: StoryHistories = field(default_factory=StoryHistories)
    weeks: WeekReader = field(default_factory=WeekReader)


def digest_chart(
    store: Store, digest: Digest, options: BuildOptions, reader: PushReader | None = None
) -> HeatChart:
    """Any stored digest's chart: a day's (``heat_chart``), or a week's themes day by day
    and its longest stayers (``reader``: the reads of the push, kept across filters)."""
    reader = reader or PushReader()
    if not is_week(digest.date):
        return heat_chart(store, digest, options, reader.histories)
    numbers = {(entry.source, entry.post_id): entry.index for entry in digest.sources}
    facts = reader.weeks.facts(store, digest.date, options)
    chart = week_chart(store, facts, options, numbers, reader.histories)
    return replace(chart, version=digest.version)


def filtered_view(
    store: Store,
    digest: Digest,
    options: BuildOptions,
    sources: SourceFilter,
    reader: PushReader | None = None,
) -> Digest:
    """Any digest as a chat with a source filter, ``(include, exclude)``, sees it (a day's:
    ``filtered_digest``; a week's: its week composed from those sources only), from the
    reads ``reader`` keeps, so a push with many filters reads each day's story history
    and each week once."""
    include, exclude = sources
    if not is_week(digest.date):
        histories = reader.histories if reader else None
        return filtered_digest(store, digest, options, include, exclude, histories)
    if not include and not exclude:
        return digest
    narrowed = options.for_sources(sources)
    built_at = datetime.fromisoformat(digest.footer.built_at)
    rebuilt = compose_week(store, digest.date, narrowed, built_at, reader.weeks if reader else None)
    return replace(rebuilt, version=digest.version)


def _posts(digest: Digest) -> int:
    return int(digest.facts.get("window_posts", 0))


def _build_facts(facts: WeekFacts, options: BuildOptions) -> BuildFacts:
    """The week as the daily writer's facts: its chosen stories grouped by theme."""
    groups = _groups(facts)
    seen = [story.post for story in facts.all_stories]
    cited = [post for group in groups for post in group.posts]
    cited_by = Counter(post.seen.post.source for post in cited)
    with_heat = Counter(s.post.source for s in seen if s.heat is not None)
    per_source = [
        SourceCount(source, count, cited_by[source], with_heat[source])
        for source, count in sorted(facts.per_source.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    days = {story.post.key: story.days for story in facts.all_stories}
    current = {story.post.key for story in facts.all_stories}
    return BuildFacts(
        day=facts.days[-1],
        language=options.language,
        window_start=facts.window_start,
        window_end=facts.window_end,
        groups=groups,
        window_posts=facts.posts,
        per_source=per_source,
        previous=dict.fromkeys(facts.previous_keys),
        previous_posts=facts.previous_posts,
        dropped=len(facts.previous_keys - current),
        days_seen={post.key: days.get(post.key, 0) for post in cited},
        theme_trends=[ThemeTrend(t.theme_id, t.zh, t.en, t.now, t.before) for t in facts.themes],
        history_days=1 if facts.previous_posts else 0,
        places=list_places(seen),
        source_names=dict(options.source_names),
    )


def _groups(facts: WeekFacts) -> list[ThemeGroup]:
    """The week's themes, keeping only the items the weekly digest cites: the stayers,
    the climbers, each list's top posts, and the first items of the rising themes."""
    wanted = {s.post.key for s in (*facts.stories, *facts.climbers)}
    wanted |= {s.post.key for top in facts.top_by_source.values() for s in top}
    rising = {t.theme_id for t in facts.themes[:3] if t.change > 0}
    kept = []
    for group in facts.groups:
        items = [
            item
            for n, item in enumerate(group.items)
            if any(p.key in wanted for p in item.posts)
            or (group.theme.id in rising and n < THEME_EXAMPLES)
        ]
        if items:
            kept.append(ThemeGroup(group.theme, items))
    return kept


def _week_json(facts: WeekFacts, numbering: Mapping[Key, int]) -> dict[str, Any]:
    """The week's own figures, by source number, for the bot, the chart and the LLM."""

    def numbered(stories: tuple[Any, ...]) -> list[dict[str, Any]]:
        return [
            {
                "index": numbering[s.post.key],
                "days": s.days,
                "first_rank": s.first_rank,
                "best_rank": s.post.rank,
            }
            for s in stories
            if s.post.key in numbering
        ]

    return {
        "name": facts.week,
        "days": [day.isoformat() for day in facts.days],
        "longest": numbered(facts.stories),
        "climbers": numbered(facts.climbers),
        "themes": [
            {"id": t.theme_id, "zh": t.zh, "en": t.en, "now": t.now, "before": t.before}
            for t in facts.themes
        ],
        "per_source": dict(facts.per_source),
        "top_by_source": {
            source: [numbering[s.post.key] for s in top if s.post.key in numbering]
            for source, top in facts.top_by_source.items()
        },
    }
