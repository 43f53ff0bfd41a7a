"""A story's posts: a post scored within its source and window, a story of them, and the
order of hottest first."""

from __future__ import annotations

from dataclasses import dataclass

from ..store.store import SeenPost


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


def hottest_first(post: ScoredPost) -> tuple[float, float, int, str, str]:
    """Sort key: score, then raw heat, then list rank; source and id break ties."""
    rank = post.seen.rank if post.seen.rank is not None else 1_000_000
    return (
        -post.score,
        -(post.seen.heat or 0.0),
        rank,
        post.seen.post.source,
        post.seen.post.post_id,
    )
