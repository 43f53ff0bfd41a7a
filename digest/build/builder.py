"""Build the daily digest from the posts of one window: facts first, then sentences."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from ..clock import local_moment, zone
from ..document import Digest, Footer
from ..follow.lookup import without_excluded
from ..store.archive import SavedDigest, save_digest
from ..store.store import SeenPost, Store
from ..writers.offline import STAYING_DAYS
from .compose import empty_digest, write_digest
from .facts import BuildFacts, Key, SourceCount, ThemeTrend
from .histories import StoryHistories
from .ranking import ScoredPost, ThemeGroup, group_by_theme, merge_duplicates, normalise_heat
from .story_history import StoryHistory
from .themes import OTHER_ID, Theme

# One brief push lists a post per line (~60 characters): 60 posts fit one 4096-character
# message, and the full sections then cover a busy day's on-topic posts.
MAX_POSTS = 60
TOP_PER_SOURCE = 3  # each list's top posts are always considered, however cold its heat

Writer = Callable[[Digest], Digest]
SourceFilter = tuple[tuple[str, ...], tuple[str, ...]]  # a chat's (include, exclude) sources


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """What a build depends on besides the store (plain values, not Settings)."""

    timezone: str = "Asia/Shanghai"
    build_time: time = time(18, 30)
    window_hours: int = 24
    language: str = "zh"
    themes: tuple[Theme, ...] = ()
    sources: tuple[str, ...] = ()  # configured source names, for the health footer
    include_sources: tuple[str, ...] = ()  # a chat's filter: only these sources (empty: all)
    exclude_sources: tuple[str, ...] = ()  # a chat's filter: never these
    max_posts: int = MAX_POSTS
    source_names: tuple[tuple[str, str], ...] = ()  # (source, display name) from the config
    exclude: tuple[str, ...] = ()  # the operator's global filter: follow expressions

    @property
    def source_filter(self) -> SourceFilter:
        return (tuple(self.include_sources), tuple(self.exclude_sources))

    def for_sources(self, sources: SourceFilter) -> BuildOptions:
        """These options as a chat with the source filter ``sources`` builds with them."""
        include, exclude = sources
        return replace(self, include_sources=tuple(include), exclude_sources=tuple(exclude))

    def wants(self, source: str) -> bool:
        """Whether a chat's source filter lets posts of ``source`` into its digest."""
        if self.include_sources and source not in self.include_sources:
            return False
        return source not in self.exclude_sources

    def window(self, day: date) -> tuple[datetime, datetime]:
        """[start, end) in UTC: ``window_hours`` ending at ``day``'s build time."""
        end = local_moment(day, self.build_time, zone(self.timezone))
        return end - timedelta(hours=self.window_hours), end


def compose_digest(
    store: Store,
    day: date,
    options: BuildOptions,
    now: datetime,
    writers: Sequence[Writer] = (),
    window_end: datetime | None = None,
    histories: StoryHistories | None = None,
) -> Digest:
    """The digest for ``day`` (version 0, unsaved): deterministic for the same store and options.

    ``writers`` may rewrite prose afterwards (an LLM writer); each gets the offline digest.
    ``window_end`` moves the window's end past the build time (posts collected since).
    ``histories`` keeps the window's story history for the next filter of the same day:
    it is the whole window's, whatever ``options``' source filter (see StoryHistories).
    """
    start, end = options.window(day)
    end = window_end or end
    window = without_excluded(store.posts_in_window(start, end), options.exclude)
    seen = [item for item in window if options.wants(item.post.source)]
    footer = window_footer(store, options, seen, start, end, now)
    if not seen:
        return empty_digest(day, options.language, footer)
    known = (histories or StoryHistories()).history(store, start, window)
    facts = _facts(store, day, options, seen, (start, end), known)
    footer = replace(footer, posts_left_out=len(facts.left_out))
    digest = write_digest(facts, options.language, footer)
    for writer in writers:
        digest = writer(digest)
    return digest


def build_digest(
    store: Store,
    day: date,
    options: BuildOptions,
    now: datetime,
    force: bool = False,
    writers: Sequence[Writer] = (),
) -> SavedDigest:
    """Compose the digest for ``day`` and store it as a new version if its input changed."""
    return save_digest(store, compose_digest(store, day, options, now, writers), now, force)


def filtered_digest(
    store: Store,
    digest: Digest,
    options: BuildOptions,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    histories: StoryHistories | None = None,
) -> Digest:
    """``digest`` as a chat with a source filter sees it: rebuilt from its sources only.

    Same date, version and build time, so its ledger rows and buttons refer to the
    stored version; the offline writer speaks for it (a filtered view has no LLM prose).
    Its story history is the stored digest's (``histories``: kept for a push's next filter).
    """
    if not include and not exclude:
        return digest
    narrowed = options.for_sources((include, exclude))
    built_at = datetime.fromisoformat(digest.footer.built_at)
    end = datetime.fromisoformat(digest.footer.window_end)
    day = date.fromisoformat(digest.date)
    rebuilt = compose_digest(store, day, narrowed, built_at, window_end=end, histories=histories)
    return replace(rebuilt, version=digest.version)


def _facts(
    store: Store,
    day: date,
    options: BuildOptions,
    seen: list[SeenPost],
    window: tuple[datetime, datetime],
    known: StoryHistory,
) -> BuildFacts:
    start, end = window
    groups = _select(_themed(seen, options.themes, known), options.max_posts)
    cited = [post for group in groups for post in group.posts]
    cited_by_source = Counter(post.seen.post.source for post in cited)
    per_source = [
        SourceCount(
            source,
            count,
            cited_by_source[source],
            sum(1 for s in seen if s.post.source == source and s.heat is not None),
        )
        for source, count in sorted(
            Counter(s.post.source for s in seen).items(), key=lambda kv: (-kv[1], kv[0])
        )
    ]
    span = end - start
    previous_seen = without_excluded(
        [
            item
            for item in store.posts_in_window(start - span, start)
            if options.wants(item.post.source)
        ],
        options.exclude,
    )
    previous = {item.key: item.heat for item in previous_seen}
    current = {item.key for item in seen}
    days = store.sighting_days([p.key for p in cited], end - timedelta(days=STAYING_DAYS), end)
    history = _history(store, options, start, span)
    return BuildFacts(
        day=day,
        language=options.language,
        window_start=start,
        window_end=end,
        groups=groups,
        window_posts=len(seen),
        per_source=per_source,
        previous=previous,
        previous_posts=len(previous_seen),
        dropped=len(set(previous) - current),
        days_seen=days,
        theme_trends=_trends(groups, previous_seen, history, options),
        history_days=len(history),
        places=list_places(seen),
        source_names=dict(options.source_names),
        left_out=[p for p in normalise_heat(seen) if p.key not in {c.key for c in cited}],
    )


def list_places(seen: Sequence[SeenPost]) -> dict[Key, int]:
    """Each post's place on its own list in this window: heat, else the list's order."""
    places: dict[Key, int] = {}
    counts: Counter[str] = Counter()
    for post in normalise_heat(seen):  # hottest first within every source
        counts[post.seen.post.source] += 1
        places[post.key] = counts[post.seen.post.source]
    return places


def _themed(
    seen: Sequence[SeenPost], themes: tuple[Theme, ...], history: StoryHistory | None = None
) -> list[ThemeGroup]:
    """Posts merged into stories (``history`` tells which names are new), then themed.

    Earlier windows are themed only to count posts per theme, and go without a history
    (one more read per window): a story the history would merge can count its posts under
    another theme there (a post alone themes as Other, merged as its story's theme), so the
    trends compare today's grouping with a slightly different one of earlier days."""
    items = merge_duplicates(normalise_heat(seen), history)
    return group_by_theme(items, themes)


def _select(groups: list[ThemeGroup], max_posts: int) -> list[ThemeGroup]:
    """Items hottest first until ``max_posts`` posts, themed before Other.

    Each source's TOP_PER_SOURCE posts are kept whatever the limit: a list whose
    heat runs cold (V2EX) still shows what tops it.
    """
    posts = [post for group in groups for post in group.posts]
    top = {
        post.key
        for source in {p.seen.post.source for p in posts}
        for post in sorted((p for p in posts if p.seen.post.source == source), key=_hottest_key)[
            :TOP_PER_SOURCE
        ]
    }
    entries = [(group.theme.id == OTHER_ID, item) for group in groups for item in group.items]
    must = {id(item) for _, item in entries if any(p.key in top for p in item.posts)}
    kept: set[int] = set(must)
    count = sum(len(item.posts) for _, item in entries if id(item) in must)
    for _, item in sorted(entries, key=lambda e: (e[0], _hottest_key(e[1].lead))):
        if id(item) in kept or count + len(item.posts) > max_posts:
            continue
        kept.add(id(item))
        count += len(item.posts)
    chosen = [ThemeGroup(g.theme, [i for i in g.items if id(i) in kept]) for g in groups]
    return [g for g in chosen if g.items]


def _hottest_key(post: ScoredPost) -> tuple[float, int, float]:
    rank = post.seen.rank if post.seen.rank is not None else 1_000_000
    return (-post.score, rank, -(post.seen.heat or 0.0))


def _history(
    store: Store, options: BuildOptions, start: datetime, span: timedelta
) -> list[Counter[str]]:
    """Posts per theme in each earlier window of the last STAYING_DAYS days that has posts."""
    windows = []
    for back in range(1, max(1, STAYING_DAYS * timedelta(days=1) // span)):
        posts = [
            p
            for p in store.posts_in_window(start - span * back, start - span * (back - 1))
            if options.wants(p.post.source)
        ]
        if posts:
            groups = _themed(posts, options.themes)
            windows.append(Counter(g.theme.id for g in groups for _ in g.posts))
    return windows


def _trends(
    groups: list[ThemeGroup],
    previous: list[SeenPost],
    history: list[Counter[str]],
    options: BuildOptions,
) -> list[ThemeTrend]:
    """Today's themes and the week's against the previous window and the week's average."""
    if not previous and not history:
        return []
    before = (
        Counter(group.theme.id for group in _themed(previous, options.themes) for _ in group.posts)
        if previous
        else Counter()
    )
    now = Counter({g.theme.id: len(g.posts) for g in groups})
    themes = {t.id: t for t in options.themes if not t.chatter}
    themes.update({g.theme.id: g.theme for g in groups if g.theme.id != OTHER_ID})
    seen_ids = set(now) | {theme_id for window in history for theme_id in window}
    trends = [
        ThemeTrend(
            theme_id,
            themes[theme_id].zh,
            themes[theme_id].en,
            now[theme_id],
            before[theme_id],
            sum(window[theme_id] for window in history) / len(history) if history else 0.0,
        )
        for theme_id in seen_ids
        if theme_id in themes
    ]
    return sorted(trends, key=lambda t: (-(t.now - t.before), t.theme_id))


def window_footer(
    store: Store,
    options: BuildOptions,
    seen: list[SeenPost],
    start: datetime,
    end: datetime,
    now: datetime,
) -> Footer:
    health = store.source_health()
    names = sorted(set(options.sources) | set(health))
    failed = tuple(n for n in names if n in health and not health[n].ok)
    stale = tuple(
        n
        for n in names
        if n in health and n not in failed and (store.last_success(n) or start) < start
    )
    tz = zone(options.timezone)
    return Footer(
        built_at=now.astimezone(tz).isoformat(timespec="seconds"),
        timezone=options.timezone,
        window_start=start.astimezone(tz).isoformat(timespec="seconds"),
        window_end=end.astimezone(tz).isoformat(timespec="seconds"),
        sources_used=tuple(sorted({s.post.source for s in seen})),
        sources_stale=stale,
        sources_failed=failed,
    )
