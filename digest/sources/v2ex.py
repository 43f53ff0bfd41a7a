"""V2EX hot topics (the site's public ``topics/hot.json``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..errors import SourceError
from ..models import Post, clean_text, make_post
from .base import FetchResult, collect_items
from .http import RetryPolicy, request
from .options import check_known, int_option
from .payload import as_object, decode_json, get_field, get_optional, type_name

API_URL = "https://www.v2ex.com/api/topics/hot.json"
OPTIONS = ("limit",)
BRIEF_CHARS = 200


@dataclass(slots=True)
class V2exSource:
    """Today's hot topics; heat is the reply count (V2EX publishes no other figure)."""

    name: str = "v2ex"
    limit: int = 20
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    kind: str = field(default="v2ex", init=False)

    @classmethod
    def from_options(
        cls, name: str, options: Mapping[str, object], retry: RetryPolicy | None = None
    ) -> V2exSource:
        check_known(name, options, OPTIONS)
        return cls(
            name=name, limit=int_option(name, options, "limit", 20), retry=retry or RetryPolicy()
        )

    async def fetch(self, client: httpx.AsyncClient) -> FetchResult:
        response = await request(client, self.name, API_URL, retry=self.retry)
        return parse_hot_topics(
            decode_json(response, self.name), source=self.name, limit=self.limit
        )


def parse_hot_topics(payload: object, *, source: str, limit: int | None = None) -> FetchResult:
    """Posts from the bare JSON array ``hot.json`` returns."""
    if isinstance(payload, dict) and (payload.get("message") or payload.get("error")):
        # Rate limiting and bans come back as {"message": ...} objects, not a list.
        message = payload.get("message") or payload.get("error")
        raise SourceError(f"{source}: API error: {clean_text(message, 200)}")
    if not isinstance(payload, list):
        raise SourceError(f"{source}: payload is {type_name(payload)}, not a list of topics")

    def parse(item: object, rank: int) -> Post:
        return _parse_topic(as_object(item, "topic"), rank, source)

    return collect_items(source, payload[:limit] if limit else payload, parse)


def _parse_topic(topic: Mapping[str, Any], rank: int, source: str) -> Post:
    if topic.get("deleted"):
        raise ValueError("topic was deleted")
    topic_id = get_field(topic, "id", int)
    member = get_optional(topic, "member", dict) or {}
    node = get_optional(topic, "node", dict) or {}
    return make_post(
        source=source,
        post_id=topic_id,
        title=get_field(topic, "title", str),
        url=https_url(get_optional(topic, "url", str) or f"https://www.v2ex.com/t/{topic_id}"),
        author=get_optional(member, "username", str),
        heat=get_optional(topic, "replies", int),
        rank=rank,
        category=get_optional(node, "title", str),
        brief=clean_text(get_optional(topic, "content", str), BRIEF_CHARS),
        published_at=get_optional(topic, "created", int),
    )


def https_url(url: str) -> str:
    """V2EX served ``http://`` and protocol-relative links for years; it is https-only now."""
    if url.startswith("//"):
        return "https:" + url
    if url.startswith("http://"):
        return "https://" + url.removeprefix("http://")
    return url
