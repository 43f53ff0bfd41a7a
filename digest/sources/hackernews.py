"""Hacker News front page, from the official Firebase API or from Algolia's search API."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..errors import SourceError
from ..models import Post, make_post
from .base import ITEM_ERRORS, FetchResult, collect_items, ensure_usable
from .http import RetryPolicy, request
from .options import check_known, int_option, str_option
from .payload import (
    as_object,
    decode_json,
    envelope,
    get_field,
    get_optional,
    list_field,
    type_name,
)

FIREBASE_URL = "https://hacker-news.firebaseio.com/v0"
ALGOLIA_URL = "https://hn.algolia.com/api/v1/search"
ITEM_URL = "https://news.ycombinator.com/item?id={}"
APIS = ("algolia", "firebase")
OPTIONS = ("api", "concurrency", "limit")


@dataclass(slots=True)
class HackerNewsSource:
    """The top ``limit`` front-page stories; heat is the story's score (points).

    Firebase needs one request per story (run ``concurrency`` at a time);
    Algolia answers in one request but may lag the live front page a little.
    """

    name: str = "hackernews"
    api: str = "firebase"
    limit: int = 30
    concurrency: int = 8
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    kind: str = field(default="hackernews", init=False)

    @classmethod
    def from_options(
        cls, name: str, options: Mapping[str, object], retry: RetryPolicy | None = None
    ) -> HackerNewsSource:
        check_known(name, options, OPTIONS)
        return cls(
            name=name,
            api=str_option(name, options, "api", "firebase", choices=APIS),
            limit=int_option(name, options, "limit", 30),
            concurrency=int_option(name, options, "concurrency", 8, maximum=32),
            retry=retry or RetryPolicy(),
        )

    async def fetch(self, client: httpx.AsyncClient) -> FetchResult:
        if self.api == "algolia":
            return await self._fetch_algolia(client)
        return await self._fetch_firebase(client)

    async def _fetch_firebase(self, client: httpx.AsyncClient) -> FetchResult:
        response = await request(
            client, self.name, f"{FIREBASE_URL}/topstories.json", retry=self.retry
        )
        ids = parse_story_ids(decode_json(response, self.name), source=self.name)[: self.limit]
        gate = asyncio.Semaphore(self.concurrency)

        async def one(story_id: int) -> object:
            async with gate:
                url = f"{FIREBASE_URL}/item/{story_id}.json"
                try:
                    response = await request(client, self.name, url, retry=self.retry)
                    return decode_json(response, self.name)
                except SourceError as exc:
                    # One unreachable story is a skipped item, not a failed source.
                    return exc

        items = await asyncio.gather(*(one(story_id) for story_id in ids))
        result = FetchResult()
        for rank, (story_id, item) in enumerate(zip(ids, items, strict=True), start=1):
            if isinstance(item, SourceError):
                reason = str(item).removeprefix(f"{self.name}: ")
                result.skipped.append(f"item {rank} (id {story_id}): {reason}")
                continue
            try:
                result.posts.append(parse_item(item, rank=rank, source=self.name))
            except ITEM_ERRORS as exc:
                result.skipped.append(f"item {rank} (id {story_id}): {exc}")
        ensure_usable(self.name, len(ids), result)
        return result

    async def _fetch_algolia(self, client: httpx.AsyncClient) -> FetchResult:
        response = await request(
            client,
            self.name,
            ALGOLIA_URL,
            retry=self.retry,
            params={"tags": "front_page", "hitsPerPage": self.limit},
        )
        return parse_algolia(decode_json(response, self.name), source=self.name, limit=self.limit)


def parse_story_ids(payload: object, *, source: str) -> list[int]:
    """The ``topstories.json`` list: story ids, best first."""
    if not isinstance(payload, list):
        raise SourceError(f"{source}: topstories is {type_name(payload)}, not a list of ids")
    ids = [i for i in payload if isinstance(i, int) and not isinstance(i, bool)]
    if payload and not ids:
        raise SourceError(f"{source}: topstories holds no integer ids")
    return ids


def parse_item(payload: object, *, rank: int, source: str) -> Post:
    """One Firebase ``item/<id>.json``; ValueError when it is not a live story."""
    if payload is None:
        raise ValueError("item is null (deleted or not yet visible)")
    item = as_object(payload, "item")
    if item.get("deleted"):
        raise ValueError("story was deleted")
    if item.get("dead"):
        raise ValueError("story is dead (flagged or killed)")
    kind = get_field(item, "type", str)
    if kind != "story":
        raise ValueError(f"item is a {kind}, not a story")
    story_id = get_field(item, "id", int)
    return make_post(
        source=source,
        post_id=story_id,
        title=get_field(item, "title", str),
        # Ask HN and Show HN text posts have no url; the discussion is the post.
        url=get_optional(item, "url", str) or ITEM_URL.format(story_id),
        author=get_optional(item, "by", str),
        heat=get_optional(item, "score", int),
        rank=rank,
        published_at=get_optional(item, "time", int),
    )


def parse_algolia(payload: object, *, source: str, limit: int | None = None) -> FetchResult:
    """Posts from an Algolia ``search`` response (``hits`` in front-page order)."""
    hits = list_field(envelope(payload, source), "hits", source)

    def parse(hit: object, rank: int) -> Post:
        return _parse_hit(as_object(hit, "hit"), rank, source)

    return collect_items(source, hits[:limit] if limit else hits, parse)


def _parse_hit(hit: Mapping[str, Any], rank: int, source: str) -> Post:
    story_id = get_field(hit, "objectID", str)
    return make_post(
        source=source,
        post_id=story_id,
        title=get_field(hit, "title", str),
        url=get_optional(hit, "url", str) or ITEM_URL.format(story_id),
        author=get_optional(hit, "author", str),
        heat=get_optional(hit, "points", int),
        rank=rank,
        published_at=get_optional(hit, "created_at", str) or get_optional(hit, "created_at_i", int),
    )
