"""ingest_sources: concurrent fetches, one Fetch row per source, failures contained."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from digest.sources import FetchResult, JuejinSource, RetryPolicy, Source, V2exSource
from digest.sources.ingest import IngestResult, ingest_sources
from digest.store.store import Store

FIXTURES = Path(__file__).parent.parent / "fixtures" / "sources"
NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


async def no_sleep(seconds: float) -> None:
    return None


RETRY = RetryPolicy(sleep=no_sleep, rand=lambda: 0.0)


def handler(request: httpx.Request) -> httpx.Response:
    if request.url.host == "www.v2ex.com":
        return httpx.Response(200, text=(FIXTURES / "v2ex_topics_hot.json").read_text("utf-8"))
    return httpx.Response(502)


class BrokenSource:
    """A collector with a bug (not a SourceError)."""

    name = "broken"
    kind = "test"

    async def fetch(self, client: httpx.AsyncClient) -> FetchResult:
        raise KeyError("oops")


async def test_one_failing_source_does_not_stop_the_good_one(store: Store) -> None:
    progress: list[IngestResult] = []
    sources: list[Source] = [JuejinSource(retry=RETRY), V2exSource(retry=RETRY)]
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        results = await ingest_sources(
            store, sources, client, now=lambda: NOW, on_result=progress.append
        )

    juejin, v2ex = results
    assert (juejin.source, juejin.ok, juejin.posts) == ("juejin", False, 0)
    assert juejin.error is not None and "HTTP 502 Bad Gateway after 3 attempts" in juejin.error
    assert (v2ex.ok, v2ex.posts, v2ex.skipped, v2ex.error) == (True, 9, (), None)
    assert sorted(r.source for r in progress) == ["juejin", "v2ex"]

    assert store.count_posts() == 9
    stored = store.get_post("v2ex", "310976")
    assert stored is not None and stored.heat == 90 and stored.last_seen_at == NOW
    health = store.source_health()
    assert health["v2ex"].ok and health["v2ex"].posts == 9
    assert not health["juejin"].ok
    assert health["juejin"].error == juejin.error


async def test_a_collector_bug_is_recorded_then_raised(store: Store) -> None:
    sources: list[Source] = [BrokenSource(), V2exSource(retry=RETRY)]
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(KeyError, match="oops"):
            await ingest_sources(store, sources, client, now=lambda: NOW)
    assert store.count_posts() == 9
    broken = store.source_health()["broken"]
    assert not broken.ok and broken.error == "broken: internal error (KeyError)"


async def test_duplicate_source_names_are_refused(store: Store) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ValueError, match="unique"):
            await ingest_sources(store, [V2exSource(), V2exSource()], client)


async def test_no_sources_is_nothing_to_do(store: Store) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        assert await ingest_sources(store, [], client) == []
    assert store.fetches() == []
