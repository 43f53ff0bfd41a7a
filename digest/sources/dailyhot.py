"""Any DailyHotApi-compatible route (a self-hosted aggregator of Chinese hot lists)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..errors import SourceError
from ..models import Post, clean_text, make_post
from .base import FetchResult, UrlSource, collect_items
from .http import request
from .payload import as_object, decode_json, envelope, get_field, get_optional, list_field

# DailyHotApi writes JavaScript timestamps (milliseconds); a few routes use seconds.
_MILLISECONDS_AFTER = 100_000_000_000


@dataclass(slots=True)
class DailyHotSource(UrlSource):
    """One DailyHotApi route, e.g. ``http://127.0.0.1:6688/weibo``; heat is its ``hot``."""

    name: str = "dailyhot"
    kind: str = field(default="dailyhot", init=False)

    async def fetch(self, client: httpx.AsyncClient) -> FetchResult:
        response = await request(client, self.name, self.url, retry=self.retry)
        return parse_dailyhot(decode_json(response, self.name), source=self.name, limit=self.limit)


def parse_dailyhot(payload: object, *, source: str, limit: int | None = None) -> FetchResult:
    """Posts from a ``{"code": 200, "data": [...]}`` DailyHotApi response."""
    payload = envelope(payload, source)
    code = payload.get("code")
    if code != 200:
        message = clean_text(payload.get("message") or payload.get("msg"), 200) or "no message"
        raise SourceError(f"{source}: API error {code}: {message}")
    data = list_field(payload, "data", source)

    def parse(item: object, rank: int) -> Post:
        return _parse_item(as_object(item, "item"), rank, source)

    return collect_items(source, data[:limit] if limit else data, parse)


def _parse_item(item: Mapping[str, Any], rank: int, source: str) -> Post:
    url = get_optional(item, "url", str)
    post_id = get_optional(item, "id", (str, int)) or url
    if not post_id:
        raise ValueError("item has neither an id nor a url")
    return make_post(
        source=source,
        post_id=post_id,
        title=get_field(item, "title", str),
        url=url or None,
        author=get_optional(item, "author", str),
        heat=get_optional(item, "hot", (int, float, str)),
        rank=rank,
        brief=get_optional(item, "desc", str),
        published_at=_timestamp(get_optional(item, "timestamp", (int, float, str))),
    )


def _timestamp(value: float | str | None) -> float | str | None:
    """Epoch seconds from a millisecond or second timestamp; ISO text passes through."""
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit():
            return value or None
        value = int(value)
    if not value:
        return None
    return value / 1000 if value > _MILLISECONDS_AFTER else value
