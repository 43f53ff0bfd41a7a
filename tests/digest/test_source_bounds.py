"""Hostile sources on a real local server: every fetch bounded in time and in body size."""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import AsyncIterator

import pytest
from hostile_http import HostileServer, serving

from digest import Store, ingest_sources, make_http_client, make_source
from digest.errors import SourceError
from digest.sources.http import RetryPolicy, request

FAST_RETRY = RetryPolicy(attempts=2, base_delay=0.1, rand=lambda: 0.0)
MARGIN = 3.0  # seconds on top of a budget, for a loaded 2-core machine


@pytest.fixture
async def hostile() -> AsyncIterator[tuple[HostileServer, str]]:
    server = HostileServer(bomb_bytes=20_000_000)
    async with serving(server) as url:
        yield server, url


async def fetch(url: str, timeout: float = 0.5, max_body: int = 1_000_000) -> tuple[float, str]:
    """Seconds until the request to ``url`` failed (it must fail), and why."""
    started = time.monotonic()
    async with make_http_client(timeout, max_body) as client:
        with pytest.raises(SourceError) as failed:
            await request(client, "hostile", url, retry=FAST_RETRY)
    return time.monotonic() - started, str(failed.value)


async def test_a_dripping_body_is_cut_at_the_timeout(hostile: tuple[HostileServer, str]) -> None:
    server, url = hostile  # 60 bytes at one per 0.2 s: 12 s, every read well in time
    seconds, error = await fetch(f"{url}/drip", timeout=0.5)
    assert seconds < 2 * 0.5 + 0.1 + MARGIN
    assert "timed out" in error
    assert server.requests == ["/drip", "/drip"]


async def test_a_huge_body_is_refused_while_it_streams(
    hostile: tuple[HostileServer, str],
) -> None:
    server, url = hostile
    seconds, error = await fetch(f"{url}/huge", timeout=30)
    assert "body over 1,000,000 bytes" in error
    assert server.requests == ["/huge"]  # too big is not retried
    assert seconds < MARGIN


async def test_a_gzip_bomb_is_stopped_while_it_inflates(
    hostile: tuple[HostileServer, str],
) -> None:
    server, url = hostile
    assert len(server.bomb) < 100_000  # 20 MB once inflated
    tracemalloc.start()
    try:
        _, error = await fetch(f"{url}/bomb", timeout=30)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8_000_000  # the 1 MB cap, a chunk, copies; never the 20 MB
    assert "body over 1,000,000 bytes (decoded)" in error


async def test_retry_after_99999_is_not_waited(hostile: tuple[HostileServer, str]) -> None:
    server, url = hostile
    retry = RetryPolicy()  # the sources' own: 3 attempts, Retry-After capped at 60 s
    started = time.monotonic()
    async with make_http_client(2.0) as client:
        with pytest.raises(SourceError, match="over the time budget"):
            await request(client, "hostile", f"{url}/429", retry=retry)
    assert time.monotonic() - started < MARGIN
    assert server.requests == ["/429"]


async def test_a_body_within_the_cap_is_read(hostile: tuple[HostileServer, str]) -> None:
    server, url = hostile
    server.json_body = b'{"code": 200, "data": []}'
    async with make_http_client(5.0, max_body_bytes=len(server.json_body)) as client:
        response = await request(client, "ok", f"{url}/json", retry=FAST_RETRY)
    assert response.json() == {"code": 200, "data": []}


async def test_a_5000_digit_integer_is_one_bad_item(
    hostile: tuple[HostileServer, str], store: Store
) -> None:
    server, url = hostile
    items = [
        {"id": n, "title": f"Post {n}", "url": f"https://e.com/{n}", "hot": 10} for n in range(5)
    ]
    body = json.dumps({"code": 200, "data": items}).replace(
        '"hot": 10}', '"hot": ' + "9" * 5000 + "}", 1
    )
    server.json_body = body.encode()
    source = make_source("dailyhot", "weibo", {"url": f"{url}/json"})
    async with make_http_client(5.0) as client:
        [result] = await ingest_sources(store, [source], client)
    assert result.ok and result.posts == 4 and len(result.skipped) == 1
    assert "heat" in result.skipped[0]
