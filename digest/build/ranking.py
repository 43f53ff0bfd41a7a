"""Make posts from different lists comparable, merge near-duplicates, group them by theme."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
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
STORY_RARE = 3  # posts naming a thing at most this often: it may identify one event
STORY_COMMON = 8  # a name on more posts than this says nothing about a story
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
        """Item scores summed, the nth item from one list counting 1/n.

        A theme on several lists leads a run of one list's posts: four posts at 2 points
        on "HN newest" are less of the day's news than posts high on four lists.
        """
        per_source: Counter[str] = Counter()
        total = 0.0
        for item in sorted(self.items, key=lambda i: -i.score):
            per_source[item.lead.seen.post.source] += 1
            total += item.score / per_source[item.lead.seen.post.source]
        return total

    @property
    def posts(self) -> list[ScoredPost]:
        return [post for item in self.items for post in item.posts]


def normalise_heat(seen: Sequence[SeenPost]) -> list[ScoredPost]:
    """Percentile within each source, so 100 HN points and 1,000 juejin heat compare.

    Mid-rank percentile: a post scores the share of its source's figures below it,
    plus half of those equal to it, so twenty posts tied at 1 point score 0.5, not
    1.0, and a lone post scores 0.5. Where a source gives heat figures, a post without
    one scores 0 (below them on no evidence but its absence). Where it gives none, the
    list's own order speaks: the best rank scores highest (juejin and V2EX archives,
    RSS); without ranks either, every post scores 0.5.
    """
    by_source: dict[str, list[SeenPost]] = defaultdict(list)
    for item in seen:
        by_source[item.post.source].append(item)
    scored: list[ScoredPost] = []
    for items in by_source.values():
        figures = sorted(item.heat for item in items if item.heat is not None)
        if not figures:
            scored.extend(_by_rank(items))
            continue
        for item in items:
            if item.heat is None:
                scored.append(ScoredPost(item, 0.0))
                continue
            below = sum(1 for figure in figures if figure < item.heat)
            equal = sum(1 for figure in figures if figure == item.heat)
            scored.append(ScoredPost(item, (below + equal / 2) / len(figures)))
    scored.sort(key=_hottest_first)
    return scored


def _by_rank(items: Sequence[SeenPost]) -> list[ScoredPost]:
    ranks = sorted(item.rank for item in items if item.rank is not None)
    if not ranks:
        return [ScoredPost(item, 0.5) for item in items]
    scored = []
    for item in items:
        if item.rank is None:
            scored.append(ScoredPost(item, 0.0))
            continue
        worse = sum(1 for rank in ranks if rank > item.rank)
        equal = sum(1 for rank in ranks if rank == item.rank)
        scored.append(ScoredPost(item, (worse + equal / 2) / len(ranks)))
    return scored


def source_rank(post: ScoredPost, posts: Sequence[ScoredPost]) -> int:
    """1-based place of ``post`` on its own source's list among ``posts`` (榜首 = 1)."""
    same = [p for p in posts if p.seen.post.source == post.seen.post.source]
    return 1 + sum(1 for p in same if _hottest_first(p) < _hottest_first(post))


def _hottest_first(post: ScoredPost) -> tuple[float, float, int, str, str]:
    rank = post.seen.rank if post.seen.rank is not None else 1_000_000
    return (
        -post.score,
        -(post.seen.heat or 0.0),
        rank,
        post.seen.post.source,
        post.seen.post.post_id,
    )


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
    """Union posts that are the same story: same link, alike titles, or shared rare names."""
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
    names = [_story_names(p) for p in posts]
    frequency: Counter[str] = Counter(name for found in names for name in found)
    for i, j in sorted(candidates):
        if find(i) == find(j):
            continue
        if jaccard(tokens[i], tokens[j]) >= SIMILAR_TITLES or phrases[i] & phrases[j]:
            union(i, j)
    for i, j in combinations(range(len(posts)), 2):
        if find(i) != find(j) and _same_story(posts[i], posts[j], names, i, j, frequency):
            union(i, j)
    groups: dict[int, list[ScoredPost]] = defaultdict(list)
    for i, post in enumerate(posts):
        groups[find(i)].append(post)
    items = [Item(sorted(members, key=_hottest_first)) for members in groups.values()]
    items.sort(key=lambda item: _hottest_first(item.lead))
    return items


def _story_names(post: ScoredPost) -> frozenset[str]:
    """Latin names in a title that could identify one event ("spacex", "k3", "litellm")."""
    return frozenset(
        w
        for w in _latin_words(post.seen.post.title)
        if len(w) >= 2
        and any(c.isalpha() for c in w)
        and (len(w) >= 4 or any(c.isdigit() for c in w))
        and w not in STOPWORDS | _COMMON_WORDS | _STORY_NOISE
    )


def _same_story(
    a: ScoredPost,
    b: ScoredPost,
    names: Sequence[frozenset[str]],
    i: int,
    j: int,
    frequency: Counter[str],
) -> bool:
    """Posts on different lists naming the same rare things report the same event.

    Across sources and languages a title shares names, not wording: "SpaceX 收购
    Cursor" and "SpaceX to buy Cursor for $60B". A name is rare when at most
    STORY_RARE posts of the window carry it; two shared names, one of them
    rare, make a story ("claude" is on too many posts to count, "spacex" is not). A
    GitHub repository named in another list's title is one ("BerriAI/litellm" and
    "Litellm 1.82.7 … compromised").
    Posts of one list are left to the title rules: two juejin articles on one product
    are two articles.
    """
    if a.seen.post.source == b.seen.post.source:
        return False
    shared = names[i] & names[j]
    distinct = {w for w in shared if frequency[w] <= STORY_COMMON}
    rare = {w for w in distinct if frequency[w] <= STORY_RARE}
    if rare and len(distinct) >= 2:
        return True
    for repo, other, k in ((a, b, j), (b, a, i)):
        if repo.seen.post.source == "github" and "/" in repo.seen.post.title:
            name = repo.seen.post.title.rsplit("/", 1)[-1].lower()
            if len(name) >= 5 and name in names[k] and frequency[name] <= STORY_RARE:
                return True
            if _names_repository(name, other.seen.post.title, frequency):
                return True
    return False


def _names_repository(name: str, title: str, frequency: Counter[str]) -> bool:
    """A title that spells a repository's dashed name as words ("Hermes Agent" for
    hermes-agent), one of them a rare name, is about that repository."""
    parts = [part for part in re.split(r"[-_.]+", name) if part]
    if len(parts) < 2:
        return False
    words = _latin_words(title)
    runs = {tuple(words[n : n + len(parts)]) for n in range(len(words) - len(parts) + 1)}
    return tuple(parts) in runs and any(0 < frequency[part] <= STORY_RARE for part in parts)


def group_by_theme(items: Sequence[Item], themes: Sequence[Theme]) -> list[ThemeGroup]:
    """Themes by keywords; unmatched items clustered by a shared word, else Other.

    Groups come hottest first (sum of item scores), ties by size then taxonomy order.
    """
    order = {theme.id: position for position, theme in enumerate(themes)}
    by_id = {theme.id: theme for theme in themes}
    groups: dict[str, ThemeGroup] = {}
    unmatched: list[Item] = []
    chatter: list[Item] = []
    for item in items:
        theme_id = _item_theme(item, themes)
        if theme_id is not None and by_id[theme_id].chatter:
            chatter.append(item)
            continue
        if theme_id is None and OPEN_SOURCE in by_id and _is_repository(item):
            theme_id = OPEN_SOURCE  # a trending repository about nothing more specific
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
    leftovers = sorted([*leftovers, *chatter], key=lambda item: _hottest_first(item.lead))
    if leftovers:
        ranked.append(ThemeGroup(OTHER, leftovers))
    return ranked


def _is_repository(item: Item) -> bool:
    return any(post.seen.post.source == "github" for post in item.posts)


def _item_theme(item: Item, themes: Sequence[Theme]) -> str | None:
    """A story's theme: what its titles say together; briefs only when titles say nothing.

    Several lists titling one event agree on its topic ("… on PyPI are compromised"),
    where a repository's description says what the project is in general.
    """
    if len(item.posts) == 1:
        post = item.lead.seen.post
        return assign_theme(post.title, post.brief, themes, repository=_is_repository(item))
    order = {theme.id: position for position, theme in enumerate(themes)}
    for with_briefs in (False, True):
        totals: dict[str, float] = defaultdict(float)
        for member in item.posts:
            post = member.seen.post
            for theme_id, score in theme_scores(
                post.title,
                post.brief if with_briefs else None,
                themes,
                repository=post.source == "github",
            ).items():
                totals[theme_id] += score
        if totals:
            return min(totals, key=lambda t: (-totals[t], order[t]))
    return None


OPEN_SOURCE = "open-source"
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


# Words in many unrelated titles that are not names ("launch", "release", "tool").
_STORY_NOISE = frozenset(
    "launch launches release released releases tool tools model models agent agents "
    "code coding open source app apps new data system systems api apis guide "
    "skill skills plugin plugins".split()
)

_COMMON_WORDS = frozenset(
    "that this with from your have will what about into more than just like make using "
    "used does only over been they them their there when where which while would could "
    "should year years time first last best good great small big open free http https "
    "html www com".split()
)
