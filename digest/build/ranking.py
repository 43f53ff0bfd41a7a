"""Make posts from different lists comparable, group stories by theme (stories.py merges)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..store.store import SeenPost

# The story types and matcher live in stories.py; the builders reach them through here.
from .stories import merge_duplicates as merge_duplicates
from .story_items import Item as Item
from .story_items import ScoredPost as ScoredPost
from .story_items import hottest_first
from .story_names import COMMON_WORDS
from .themes import (
    OTHER,
    STOPWORDS,
    Theme,
    assign_theme,
    best_theme,
    latin_words,
    theme_evidence,
)


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
    scored.sort(key=hottest_first)
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
    return 1 + sum(1 for p in same if hottest_first(p) < hottest_first(post))


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
    leftovers = sorted([*leftovers, *chatter], key=lambda item: hottest_first(item.lead))
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
    for with_briefs in (False, True):
        totals: dict[str, float] = defaultdict(float)
        specific: set[str] = set()
        for member in item.posts:
            post = member.seen.post
            brief = post.brief if with_briefs else None
            repository = post.source == "github"
            scores, matched = theme_evidence(post.title, brief, themes, repository=repository)
            specific |= matched
            for theme_id, score in scores.items():
                totals[theme_id] += score
        if totals:
            # The boundary rule of single posts holds for stories: "AI" said by every
            # title does not outweigh "coding agents" said by one.
            return best_theme(totals, specific, themes)
    return None


OPEN_SOURCE = "open-source"
_CLUSTER_WORD = re.compile(r"^[a-z][a-z0-9.+#-]{3,}$")


def _cluster(items: Sequence[Item]) -> list[ThemeGroup]:
    """Titles that share a distinctive Latin word (4+ letters) form a topic of their own.

    Two titles of one merged story count as two ("jQuery 4.0 正式发布" and "jQuery 4.0
    发布：是否仍值得使用？" were a jQuery topic before they were one story).
    """
    holders: dict[str, list[Item]] = defaultdict(list)
    titles: Counter[tuple[str, int]] = Counter()  # (word, item): its titles with the word
    for item in items:
        for post in item.posts:
            for word in set(latin_words(post.seen.post.title)):
                if _CLUSTER_WORD.match(word) and word not in COMMON_WORDS | STOPWORDS:
                    if not titles[word, id(item)]:
                        holders[word].append(item)
                    titles[word, id(item)] += 1
    clusters: list[ThemeGroup] = []
    claimed: set[int] = set()
    for word, members in sorted(holders.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        fresh = [item for item in members if id(item) not in claimed]
        if sum(titles[word, id(item)] for item in fresh) < 2:
            continue
        claimed.update(id(item) for item in fresh)
        theme = Theme(f"topic-{word}", f"话题：{word}", f"Topic: {word}")
        clusters.append(ThemeGroup(theme, fresh))
    return clusters
