"""What the builder learns from the store before any sentence is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from .ranking import ScoredPost, ThemeGroup

Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class SourceCount:
    source: str
    posts: int
    cited: int
    with_heat: int


@dataclass(frozen=True, slots=True)
class ThemeTrend:
    theme_id: str
    zh: str
    en: str
    now: int
    before: int  # posts in the previous window
    week: float = 0.0  # posts per day over the earlier days of the last 7 that have data


@dataclass(slots=True)
class BuildFacts:
    """Everything a writer may state, all read from the store.

    ``groups`` are the themes the digest shows (trimmed), hottest first, with
    Other last. ``previous`` maps each post of the previous window to its peak heat.
    """

    day: date
    language: str
    window_start: datetime
    window_end: datetime
    groups: list[ThemeGroup]
    window_posts: int
    per_source: list[SourceCount]
    previous: dict[Key, float | None] = field(default_factory=dict)
    previous_posts: int = 0
    dropped: int = 0
    days_seen: dict[Key, int] = field(default_factory=dict)
    theme_trends: list[ThemeTrend] = field(default_factory=list)
    history_days: int = 0  # earlier days of the last 7 with posts: trends need a few
    places: dict[Key, int] = field(default_factory=dict)  # 1 = top of its own list
    source_names: dict[str, str] = field(default_factory=dict)  # display names by source
    left_out: list[ScoredPost] = field(
        default_factory=list
    )  # window posts not cited, hottest first

    @property
    def cited_posts(self) -> list[ScoredPost]:
        return [post for group in self.groups for post in group.posts]

    def is_new(self, post: ScoredPost) -> bool:
        """First seen inside this window and absent from the previous one."""
        return post.key not in self.previous and post.seen.first_seen_at >= self.window_start
