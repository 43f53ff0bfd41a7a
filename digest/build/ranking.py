"""Make posts from different lists comparable, merge near-duplicates, group them by theme."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from ..store.store import SeenPost
from .themes import (
    OTHER,
    STOPWORDS,
    Theme,
    assign_theme,
    jaccard,
    theme_scores,
    title_tokens,
)

SIMILAR_TITLES = 0.5  # Jaccard of title tokens at which two posts are the same story
SHARED_PHRASE = (
    3  # consecutive distinctive Latin words that name one thing ("android studio panda")
)
RARE_TOKEN = 40  # tokens on more posts than this are too common to suggest a duplicate
_TRACKING = re.compile(r"^(utm_|spm$|from$|ref$|source$|share|fbclid$|gclid$)")


@dataclass(frozen=True, slots=True)
class ScoredPost:
    """A post with its heat normalised within its source and window (0 to 1]."""

    seen: SeenPost
    score: float

    @property
    def key(self) -> tuple[str, str]:
        return self.seen.key


@dataclass(slots=True)
class Item:
    """One story: one post, or near-duplicates merged (lead post first)."""

    posts: list[ScoredPost]

    @property
    def lead(self) -> ScoredPost:
        return self.posts[0]

    @property
    def score(self) -> float:
        return self.lead.score


@dataclass(slots=True)
class ThemeGroup:
    """A theme and its items, hottest first."""

    theme: Theme
    items: list[Item] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(item.score for item in self.items)

    @property
    def posts(self) -> list[ScoredPost]:
        return [post for item in self.items for post in item.posts]


def normalise_heat(seen: Sequence[SeenPost]) -> list[ScoredPost]:
    """Percentile of heat within each source, so 100 HN points and 1,000 juejin heat compare.

    Mid-rank percentile: a post scores the share of its source's figures below it,
    plus half of those equal to it, so twenty posts tied at 1 point score 0.5, not
    1.0, and a lone post scores 0.5. A post without a
    heat figure scores 0 when its source gives figures for others (it is below
    them on no evidence but its absence), and 0.5 when the source gives none.
    """
    by_source: dict[str, list[SeenPost]] = defaultdict(list)
    for item in seen:
        by_source[item.post.source].append(item)
    scored: list[ScoredPost] = []
    for items in by_source.values():
        figures = sorted(item.heat for item in items if item.heat is not None)
        for item in items:
            if item.heat is None:
                scored.append(ScoredPost(item, 0.0 if figures else 0.5))
                continue
            below = sum(1 for figure in figures if figure < item.heat)
            equal = sum(1 for figure in figures if figure == item.heat)
            scored.append(ScoredPost(item, (below + equal / 2) / len(figures)))
    scored.sort(key=_hottest_first)
    return scored


def _hottest_first(post: ScoredPost) -> tuple[float, float, str, str]:
    return (-post.score, -(post.seen.heat or 0.0), post.seen.post.source, post.seen.post.post_id)


def normalise_url(url: str | None) -> str | None:
    """Scheme, www., fragment, trailing slash and tracking parameters do not make a new link."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not _TRACKING.match(k)))
    path = parts.path.rstrip("/") or ""
    return f"{host}{path}" + (f"?{query}" if query else "")


def _latin_words(title: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9][a-z0-9.+#-]*", title.lower()) if w]


def _phrases(title: str) -> frozenset[tuple[str, ...]]:
    """Runs of SHARED_PHRASE consecutive distinctive Latin words ("android studio panda")."""
    words = _latin_words(title)
    found = set()
    for start in range(len(words) - SHARED_PHRASE + 1):
        run = tuple(words[start : start + SHARED_PHRASE])
        if all(w not in STOPWORDS and not w.isdigit() for w in run):
            found.add(run)
    return frozenset(found)


def merge_duplicates(posts: Sequence[ScoredPost]) -> list[Item]:
    """Union posts that are the same story: same link after normalisation, or alike titles."""
    parent = list(range(len(posts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    by_url: dict[str, int] = {}
    tokens = [title_tokens(p.seen.post.title) for p in posts]
    phrases = [_phrases(p.seen.post.title) for p in posts]
    postings: dict[str, list[int]] = defaultdict(list)
    for i, post in enumerate(posts):
        url = normalise_url(post.seen.post.url)
        if url:
            if url in by_url:
                union(by_url[url], i)
            else:
                by_url[url] = i
        for token in tokens[i]:
            postings[token].append(i)
    # Only posts sharing a rare token can be alike: this keeps a large window near-linear.
    candidates = {
        (i, j)
        for members in postings.values()
        if len(members) <= RARE_TOKEN
        for n, i in enumerate(members)
        for j in members[n + 1 :]
    }
    for i, j in sorted(candidates):
        if find(i) == find(j):
            continue
        if jaccard(tokens[i], tokens[j]) >= SIMILAR_TITLES or phrases[i] & phrases[j]:
            union(i, j)
    groups: dict[int, list[ScoredPost]] = defaultdict(list)
    for i, post in enumerate(posts):
        groups[find(i)].append(post)
    items = [Item(sorted(members, key=_hottest_first)) for members in groups.values()]
    items.sort(key=lambda item: _hottest_first(item.lead))
    return items


def group_by_theme(items: Sequence[Item], themes: Sequence[Theme]) -> list[ThemeGroup]:
    """Themes by keywords; unmatched items clustered by a shared word, else Other.

    Groups come hottest first (sum of item scores), ties by size then taxonomy order.
    """
    order = {theme.id: position for position, theme in enumerate(themes)}
    by_id = {theme.id: theme for theme in themes}
    groups: dict[str, ThemeGroup] = {}
    unmatched: list[Item] = []
    for item in items:
        theme_id = _item_theme(item, themes)
        if theme_id is None:
            unmatched.append(item)
            continue
        groups.setdefault(theme_id, ThemeGroup(by_id[theme_id])).items.append(item)
    for group in _cluster(unmatched):
        order[group.theme.id] = len(order)
        groups[group.theme.id] = group
    ranked = sorted(
        groups.values(), key=lambda g: (-g.score, -len(g.items), order.get(g.theme.id, 0))
    )
    leftovers = [item for item in unmatched if not any(item in g.items for g in ranked)]
    if leftovers:
        ranked.append(ThemeGroup(OTHER, leftovers))
    return ranked


def _item_theme(item: Item, themes: Sequence[Theme]) -> str | None:
    if len(item.posts) == 1:
        post = item.lead.seen.post
        return assign_theme(post.title, post.brief, themes)
    totals: dict[str, float] = defaultdict(float)
    for member in item.posts:
        for theme_id, score in theme_scores(
            member.seen.post.title, member.seen.post.brief, themes
        ).items():
            totals[theme_id] += score
    if not totals:
        return None
    order = {theme.id: position for position, theme in enumerate(themes)}
    return min(totals, key=lambda t: (-totals[t], order[t]))


_CLUSTER_WORD = re.compile(r"^[a-z][a-z0-9.+#-]{3,}$")


def _cluster(items: Sequence[Item]) -> list[ThemeGroup]:
    """Items that share a distinctive Latin word (4+ letters) form a topic of their own."""
    holders: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        for word in set(_latin_words(item.lead.seen.post.title)):
            if _CLUSTER_WORD.match(word) and word not in _COMMON_WORDS | STOPWORDS:
                holders[word].append(item)
    clusters: list[ThemeGroup] = []
    claimed: set[int] = set()
    for word, members in sorted(holders.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        fresh = [item for item in members if id(item) not in claimed]
        if len(fresh) < 2:
            continue
        claimed.update(id(item) for item in fresh)
        theme = Theme(f"topic-{word}", f"话题：{word}", f"Topic: {word}")
        clusters.append(ThemeGroup(theme, fresh))
    return clusters


_COMMON_WORDS = frozenset(
    "that this with from your have will what about into more than just like make using "
    "used does only over been they them their there when where which while would could "
    "should year years time first last best good great small big open free http https "
    "html www com".split()
)
