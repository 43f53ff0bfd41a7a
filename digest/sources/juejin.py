"""Juejin (掘金) article hot ranking, one request per category."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..errors import SourceError
from ..models import Post, make_post
from .base import FetchResult, collect_items
from .http import RetryPolicy, request
from .options import check_known, int_option, str_list_option
from .payload import as_object, decode_json, envelope, get_field, get_optional, list_field

API_URL = "https://api.juejin.cn/content_api/v1/content/article_rank"
POST_URL = "https://juejin.cn/post/{}"
OPTIONS = ("categories", "limit")


@dataclass(slots=True)
class JuejinSource:
    """The hot articles of one or more Juejin categories (``"1"`` is the overall list).

    ``limit`` applies per category; ``rank`` is the position within the category.
    """

    name: str = "juejin"
    categories: tuple[str, ...] = ("1",)
    limit: int = 20
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    kind: str = field(default="juejin", init=False)

    @classmethod
    def from_options(
        cls, name: str, options: Mapping[str, object], retry: RetryPolicy | None = None
    ) -> JuejinSource:
        check_known(name, options, OPTIONS)
        return cls(
            name=name,
            categories=str_list_option(name, options, "categories", ("1",)),
            limit=int_option(name, options, "limit", 20),
            retry=retry or RetryPolicy(),
        )

    async def fetch(self, client: httpx.AsyncClient) -> FetchResult:
        """Fetch every category in turn; an article listed in two keeps its first sighting."""
        result = FetchResult()
        seen: set[str] = set()
        for category in self.categories:
            response = await request(
                client,
                self.name,
                API_URL,
                retry=self.retry,
                params={"category_id": category, "type": "hot"},
            )
            parsed = parse_article_rank(
                decode_json(response, self.name),
                source=self.name,
                category=category,
                limit=self.limit,
            )
            for post in parsed.posts:
                if post.post_id not in seen:
                    seen.add(post.post_id)
                    result.posts.append(post)
            result.skipped.extend(f"category {category}: {reason}" for reason in parsed.skipped)
        return result


def parse_article_rank(
    payload: object, *, source: str, category: str, limit: int | None = None
) -> FetchResult:
    """Posts from an ``article_rank`` response envelope; SourceError if it is not one."""
    payload = envelope(payload, source)
    err_no = payload.get("err_no")
    if err_no is None:
        raise SourceError(f"{source}: field err_no missing: not a Juejin API response")
    if err_no != 0:
        raise SourceError(f"{source}: API error {err_no}: {payload.get('err_msg') or 'no message'}")
    data = list_field(payload, "data", source)
    items = data[:limit] if limit else data
    # The recommend feeds share the envelope but carry article_info items; say
    # which endpoint this looks like instead of N identical skip reasons.
    if items and all(isinstance(i, dict) and "article_info" in i for i in items):
        raise SourceError(
            f"{source}: items carry article_info, not content: "
            "a recommend-feed payload, not article_rank"
        )

    def parse(item: object, rank: int) -> Post:
        return _parse_item(as_object(item, "item"), rank, source, category)

    return collect_items(source, items, parse)


def _parse_item(item: Mapping[str, Any], rank: int, source: str, category: str) -> Post:
    content = as_object(get_field(item, "content", dict), "content")
    content_id = get_field(content, "content_id", (str, int))
    counter = get_optional(item, "content_counter", dict) or {}
    author = get_optional(item, "author", dict) or {}
    return make_post(
        source=source,
        post_id=content_id,
        title=get_field(content, "title", str),
        url=POST_URL.format(content_id),
        author=get_optional(author, "name", str),
        heat=get_optional(counter, "hot_rank", (int, float)),
        rank=rank,
        category=category,
        tags=_tag_names(item),
        brief=get_optional(content, "brief", str),
        published_at=_ctime(get_optional(content, "ctime", (int, str))),
    )


def _tag_names(item: Mapping[str, Any]) -> list[str]:
    """Tag names when the item carries them; ``content.tag_ids`` are bare ids, not names."""
    tags = item.get("tags")
    if not isinstance(tags, list):
        return []
    return [
        t["tag_name"] for t in tags if isinstance(t, dict) and isinstance(t.get("tag_name"), str)
    ]


def _ctime(value: int | str | None) -> int | None:
    """Creation time in epoch seconds; Juejin sends 0 (or "0") when it does not say."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        if not value.strip().isdigit():
            raise ValueError(f"field 'ctime' {value!r} is not epoch seconds")
        value = int(value)
    return value or None
