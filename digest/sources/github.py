"""GitHub trending repositories, scraped from the github.com/trending HTML page."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote

import httpx

from ..errors import SourceError
from ..models import Post, clean_text, make_post, parse_heat
from .base import FetchResult, collect_items
from .http import BROWSER_USER_AGENT, RetryPolicy, request
from .options import check_known, int_option, str_option

PAGE_URL = "https://github.com/trending"
REPO_URL = "https://github.com/{}"
SINCE = ("daily", "monthly", "weekly")
OPTIONS = ("language", "limit", "since")
# "1,582 stars today", "12,345 stars this week", "1 star this month"
_PERIOD_STARS = re.compile(r"([\d,]+)\s+stars?\s+(?:today|this week|this month)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class TrendingRepo:
    """One ``<article class="Box-row">`` as found on the page, before validation."""

    href: str | None = None
    description: str | None = None
    language: str | None = None
    stars: str | None = None
    text: str = ""


@dataclass(slots=True)
class GitHubSource:
    """Trending repositories; heat is the stars gained in the period ("N stars today")."""

    name: str = "github"
    language: str = ""
    since: str = "daily"
    limit: int = 25
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    kind: str = field(default="github", init=False)

    @classmethod
    def from_options(
        cls, name: str, options: Mapping[str, object], retry: RetryPolicy | None = None
    ) -> GitHubSource:
        check_known(name, options, OPTIONS)
        return cls(
            name=name,
            language=str_option(name, options, "language", ""),
            since=str_option(name, options, "since", "daily", choices=SINCE),
            limit=int_option(name, options, "limit", 25),
            retry=retry or RetryPolicy(),
        )

    async def fetch(self, client: httpx.AsyncClient) -> FetchResult:
        url = PAGE_URL
        if self.language:
            # GitHub's language slugs are lower-case and URL-quoted ("c++" -> "c%2B%2B").
            url = f"{PAGE_URL}/{quote(self.language.lower(), safe='')}"
        response = await request(
            client,
            self.name,
            url,
            retry=self.retry,
            params={"since": self.since},
            # The anonymous-bot variant of the page has been served without the list.
            headers={"User-Agent": BROWSER_USER_AGENT, "Accept": "text/html"},
        )
        return parse_trending(response.text, source=self.name, limit=self.limit)


def parse_trending(html: str, *, source: str, limit: int | None = None) -> FetchResult:
    """Posts from the trending page; SourceError when it lists no repositories at all."""
    repos = scan_trending(html)
    if not repos:
        raise SourceError(f"{source}: no trending repositories found: page layout changed?")

    def parse(repo: TrendingRepo, rank: int) -> Post:
        return _parse_repo(repo, rank, source)

    return collect_items(source, repos[:limit] if limit else repos, parse)


def _parse_repo(repo: TrendingRepo, rank: int, source: str) -> Post:
    if not repo.href:
        raise ValueError("no repository link in the heading")
    parts = [part for part in repo.href.split("?")[0].split("/") if part]
    if len(parts) != 2:
        raise ValueError(f"heading link {repo.href!r} is not /owner/name")
    full_name = "/".join(parts)
    found = _PERIOD_STARS.search(repo.text)
    return make_post(
        source=source,
        post_id=full_name,
        title=full_name,
        url=REPO_URL.format(full_name),
        author=parts[0],
        heat=parse_heat(found.group(1)) if found else None,
        rank=rank,
        category=repo.language,
        brief=repo.description,
    )


def scan_trending(html: str) -> list[TrendingRepo]:
    """Every ``Box-row`` article of the page, in page order."""
    scanner = _TrendingScanner()
    scanner.feed(html)
    scanner.close()
    return scanner.repos


class _TrendingScanner(HTMLParser):
    """Collects the few parts of each Box-row the digest needs.

    A capture runs from an opening tag to the first closing tag of the same
    name; none of the captured elements nests another of its own kind.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.repos: list[TrendingRepo] = []
        self._row: dict[str, str] | None = None
        self._text: list[str] = []
        self._in_h2 = False
        self._capture: tuple[str, str] | None = None  # (field, closing tag)
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        if tag == "article" and "Box-row" in attr.get("class", "").split():
            self._row, self._text = {}, []
            return
        if self._row is None or self._capture is not None:
            return
        if tag == "h2":
            self._in_h2 = True
        elif tag == "a" and self._in_h2 and "href" not in self._row:
            self._row["href"] = attr.get("href", "")
        elif tag == "p" and "description" not in self._row:
            self._start("description", "p")
        elif tag == "span" and attr.get("itemprop") == "programmingLanguage":
            self._start("language", "span")
        elif tag == "a" and attr.get("href", "").endswith("/stargazers"):
            self._start("stars", "a")

    def handle_endtag(self, tag: str) -> None:
        if self._row is None:
            return
        if self._capture is not None and tag == self._capture[1]:
            self._row[self._capture[0]] = " ".join("".join(self._buffer).split())
            self._capture = None
        elif tag == "h2":
            self._in_h2 = False
        elif tag == "article":
            self._finish()

    def handle_data(self, data: str) -> None:
        if self._row is None:
            return
        self._text.append(data)
        if self._capture is not None:
            self._buffer.append(data)

    def close(self) -> None:
        super().close()
        if self._row is not None:  # a truncated page: keep the last, unclosed row
            self._finish()

    def _start(self, name: str, closing: str) -> None:
        self._capture, self._buffer = (name, closing), []

    def _finish(self) -> None:
        row = self._row or {}
        self.repos.append(
            TrendingRepo(
                href=row.get("href") or None,
                description=clean_text(row.get("description"), 1000),
                language=clean_text(row.get("language"), 100),
                stars=clean_text(row.get("stars"), 40),
                text=" ".join("".join(self._text).split()),
            )
        )
        self._row, self._capture, self._in_h2 = None, None, False
