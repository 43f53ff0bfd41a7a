"""What every source is: a name, a kind and an async fetch returning posts and skips."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, Self, TypeVar

import httpx

from ..errors import SourceError
from ..models import Post
from .http import RetryPolicy
from .options import check_known, int_option, url_option

T = TypeVar("T")

# What parsing one bad item may raise: ValueError from the field checks and
# make_post, OverflowError from absurd numbers (a 400-digit heat or timestamp).
ITEM_ERRORS = (ValueError, OverflowError)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The posts one fetch produced, and one reason per item it had to skip."""

    posts: list[Post] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


class Source(Protocol):
    """A hot list that can be fetched over a shared client."""

    name: str
    kind: str

    async def fetch(self, client: httpx.AsyncClient) -> FetchResult:
        """Fetch and parse the list; raise SourceError when the payload is unusable."""
        ...


URL_OPTIONS = ("limit", "url")


@dataclass(slots=True)
class UrlSource:
    """What a source that is one URL (a DailyHotApi route, a feed) holds and is configured by."""

    url: str
    name: str
    limit: int = 30
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def from_options(
        cls, name: str, options: Mapping[str, object], retry: RetryPolicy | None = None
    ) -> Self:
        check_known(name, options, URL_OPTIONS)
        return cls(
            url=url_option(name, options),
            name=name,
            limit=int_option(name, options, "limit", 30),
            retry=retry or RetryPolicy(),
        )


def collect_items(
    source: str,
    items: Sequence[T],
    parse: Callable[[T, int], Post],
    *,
    first_rank: int = 1,
) -> FetchResult:
    """Parse each item with its 1-based position; skip and report the bad ones.

    An item is bad when ``parse`` raises one of ITEM_ERRORS or repeats an earlier
    item's post_id. When there were items and
    every one was bad, the payload itself is unusable (a changed API, the wrong
    endpoint), which is a SourceError rather than a quiet empty success.
    """
    result = FetchResult()
    first_seen: dict[str, int] = {}
    for position, item in enumerate(items, start=first_rank):
        try:
            post = parse(item, position)
        except ITEM_ERRORS as exc:
            result.skipped.append(f"item {position}: {exc}")
            continue
        # A list that repeats an entry would record two sightings at one moment.
        if post.post_id in first_seen:
            result.skipped.append(
                f"item {position}: duplicate of item {first_seen[post.post_id]} ({post.post_id})"
            )
            continue
        first_seen[post.post_id] = position
        result.posts.append(post)
    ensure_usable(source, len(items), result)
    return result


def ensure_usable(source: str, total: int, result: FetchResult) -> None:
    """Raise SourceError when ``total`` items yielded no post at all."""
    if total and not result.posts:
        raise SourceError(
            f"{source}: none of the {total} items is usable (first: {result.skipped[0]})"
        )
