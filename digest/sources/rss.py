"""Any RSS or Atom feed, read with feedparser and fetched conditionally (ETag / Last-Modified)."""

from __future__ import annotations

import calendar
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser  # type: ignore[import-untyped]  # ships no type information
import httpx

from ..errors import SourceError
from ..models import Post, clean_text, make_post
from .base import FetchResult, UrlSource, collect_items
from .http import request
from .payload import html_to_text

BRIEF_CHARS = 300
# hnrss.org writes the story's points into each description ("<p>Points: 12</p>").
_POINTS = re.compile(r"\bPoints:\s*(\d+)\b")
# The rest of an hnrss description is link boilerplate, not a summary of the story.
_HNRSS_BOILERPLATE = re.compile(
    r"(Article URL|Comments URL):\s*\S+|Points:\s*\d+|#\s*Comments:\s*\d+", re.IGNORECASE
)


@dataclass(slots=True)
class RssSource(UrlSource):
    """Entries of one feed in feed order; no rank, since feed order is usually just time.

    The validators of the last good response are kept on the object, so a
    long-lived source (the bot's) asks "anything new?" and a 304 costs nothing.
    """

    name: str = "rss"
    kind: str = field(default="rss", init=False)
    etag: str | None = field(default=None, init=False)
    last_modified: str | None = field(default=None, init=False)

    async def fetch(self, client: httpx.AsyncClient) -> FetchResult:
        headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9"}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        response = await request(client, self.name, self.url, retry=self.retry, headers=headers)
        if response.status_code == 304:
            return FetchResult()
        result = parse_feed(
            response.content,
            source=self.name,
            limit=self.limit,
            content_type=response.headers.get("content-type"),
            location=str(response.url),
        )
        # Only remember validators once the body proved to be a usable feed.
        self.etag = response.headers.get("ETag") or self.etag
        self.last_modified = response.headers.get("Last-Modified") or self.last_modified
        return result


def parse_feed(
    body: bytes,
    *,
    source: str,
    limit: int | None = None,
    content_type: str | None = None,
    location: str | None = None,
) -> FetchResult:
    """Posts from an RSS/Atom document; SourceError when the body is not a feed."""
    headers = {"content-type": content_type or "application/xml"}
    if location:
        headers["content-location"] = location
    # A stream, never bytes or str: feedparser would treat those as a URL or a
    # local file name to open when they happen to look like one.
    feed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    entries = list(feed.entries)
    if not entries and (feed.get("bozo") or not feed.get("version")):
        problem = feed.get("bozo_exception")
        why = f": {clean_text(problem, 120)}" if problem else " (an HTML page?)"
        raise SourceError(f"{source}: body is not an RSS or Atom feed{why}")

    def parse(entry: Any, position: int) -> Post:
        return _parse_entry(entry, source)

    # A truncated feed (bozo) still yields the entries before the cut; keep them.
    return collect_items(source, entries[:limit] if limit else entries, parse)


def _parse_entry(entry: Mapping[str, Any], source: str) -> Post:
    link = entry.get("link")
    post_id = entry.get("id") or link
    if not post_id:
        raise ValueError("entry has neither an id/guid nor a link")
    summary = html_to_text(entry.get("summary") or "")
    points = _POINTS.search(summary)
    return make_post(
        source=source,
        post_id=post_id,
        title=entry.get("title"),
        url=link,
        author=entry.get("author"),
        heat=int(points.group(1)) if points else None,
        tags=[tag.get("term") for tag in entry.get("tags") or [] if tag.get("term")],
        brief=clean_text(_HNRSS_BOILERPLATE.sub(" ", summary), BRIEF_CHARS),
        published_at=_entry_time(entry),
    )


def _entry_time(entry: Mapping[str, Any]) -> datetime | None:
    """feedparser normalises dates to UTC ``struct_time``; prefer published over updated."""
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
