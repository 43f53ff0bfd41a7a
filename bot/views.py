"""Digests and their rendered Telegram pages, kept in memory for the next command."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, TypeVar

from digest import Digest, HeatChart, SourceFilter

T = TypeVar("T")


class DigestViews:
    """Digests and their rendered pages, kept for the next command (least recently used go).

    A stored digest version never changes, so neither do its pages. Without this, each
    /digest parsed the stored JSON and rendered its view with Jinja2 on a worker thread:
    half of its CPU, and two thread hops that queue behind other chats' work
    (``bench/commands.py``).
    """

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self._digests: OrderedDict[tuple[str, int], Digest] = OrderedDict()
        self._pages: OrderedDict[tuple[str, int, str, str, str], list[str]] = OrderedDict()
        # Heat charts as PNG (a chart costs ~150 ms of CPU; a push reuses one per language).
        self._charts: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        # Their figures, the same in every language: read once per digest and filter.
        self._figures: OrderedDict[tuple[Any, ...], HeatChart] = OrderedDict()
        # A digest as chats with a source filter see it (rebuilt from their sources: a
        # build's worth of CPU, so once per digest and filter).
        self._filtered: OrderedDict[tuple[Any, ...], Digest] = OrderedDict()

    def digest(self, day: str, version: int) -> Digest | None:
        return self._get(self._digests, (day, version))

    def keep_digest(self, digest: Digest) -> None:
        self._put(self._digests, (digest.date, digest.version), digest)

    def pages(self, digest: Digest, view: str, lang: str) -> list[str] | None:
        return self._get(self._pages, _page_key(digest, view, lang))

    def keep_pages(self, digest: Digest, view: str, lang: str, pages: list[str]) -> None:
        self._put(self._pages, _page_key(digest, view, lang), pages)

    def chart(self, digest: Digest, lang: str, sources: SourceFilter) -> bytes | None:
        return self._get(self._charts, (*_page_key(digest, "chart", lang), sources))

    def keep_chart(self, digest: Digest, lang: str, sources: SourceFilter, png: bytes) -> None:
        self._put(self._charts, (*_page_key(digest, "chart", lang), sources), png)

    def figures(self, digest: Digest, sources: SourceFilter) -> HeatChart | None:
        return self._get(self._figures, (*_page_key(digest, "figures", ""), sources))

    def keep_figures(self, digest: Digest, sources: SourceFilter, chart: HeatChart) -> None:
        self._put(self._figures, (*_page_key(digest, "figures", ""), sources), chart)

    def filtered(self, digest: Digest, sources: SourceFilter) -> Digest | None:
        return self._get(self._filtered, (*_page_key(digest, "filtered", ""), sources))

    def keep_filtered(self, digest: Digest, sources: SourceFilter, seen: Digest) -> None:
        self._put(self._filtered, (*_page_key(digest, "filtered", ""), sources), seen)

    @staticmethod
    def _get(cache: OrderedDict[Any, T], key: Any) -> T | None:
        found = cache.get(key)
        if found is not None:
            cache.move_to_end(key)
        return found

    def _put(self, cache: OrderedDict[Any, T], key: Any, value: T) -> None:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > self.size:
            cache.popitem(last=False)


def _page_key(digest: Digest, view: str, lang: str) -> tuple[str, int, str, str, str]:
    # The fingerprint too: a digest not read from this store (a test's, a demo's) may
    # share a date and version with a stored one.
    return (digest.date, digest.version, digest.fingerprint, view, lang)
