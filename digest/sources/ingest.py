"""Fetch every configured source concurrently and store what each one produced."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from ..clock import utcnow
from ..errors import SourceError
from ..models import Post
from ..store.store import Fetch, Store
from .base import FetchResult, Source

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IngestResult:
    """How one source fared in one ingest run."""

    source: str
    ok: bool
    posts: int
    skipped: tuple[str, ...] = ()
    error: str | None = None
    seconds: float = 0.0


@dataclass(slots=True)
class _Outcome:
    result: IngestResult
    started_at: datetime
    finished_at: datetime
    posts: list[Post] = field(default_factory=list)
    unexpected: BaseException | None = None


async def ingest_sources(
    store: Store,
    sources: Sequence[Source],
    client: httpx.AsyncClient,
    *,
    now: Callable[[], datetime] = utcnow,
    on_result: Callable[[IngestResult], None] | None = None,
) -> list[IngestResult]:
    """Fetch all sources at once; store each one's posts and a Fetch row.

    A failing source is recorded and never stops the others. Every store call
    happens here, in the calling coroutine, after the fetches: the store is
    bound to its thread and the fetches only touch the network.

    :param now: the clock for fetch times and for the posts' ``seen_at``.
    :param on_result: called as each source finishes (before anything is stored).
    """
    names = [source.name for source in sources]
    if len(set(names)) != len(names):
        raise ValueError(f"source names must be unique: {names}")

    async def run(source: Source) -> _Outcome:
        outcome = await _fetch_one(source, client, now)
        if on_result is not None:
            on_result(outcome.result)
        return outcome

    outcomes = await asyncio.gather(*(run(source) for source in sources))
    for outcome in outcomes:
        _store_outcome(store, outcome)
    # A bug in one collector is not a source failure: it was recorded like one so
    # the other sources' posts are kept, but it surfaces with its traceback.
    for outcome in outcomes:
        if outcome.unexpected is not None:
            raise outcome.unexpected
    return [outcome.result for outcome in outcomes]


async def _fetch_one(
    source: Source, client: httpx.AsyncClient, now: Callable[[], datetime]
) -> _Outcome:
    started_at, clock = now(), time.perf_counter()
    fetched: FetchResult | None = None
    error: str | None = None
    unexpected: BaseException | None = None
    try:
        fetched = await source.fetch(client)
    except SourceError as exc:
        error = str(exc)
    except Exception as exc:
        # Broad on purpose, and not swallowed: ingest_sources re-raises it once
        # the other sources' posts are safely stored.
        error = f"{source.name}: internal error ({type(exc).__name__})"
        unexpected = exc
    seconds = time.perf_counter() - clock
    posts = fetched.posts if fetched else []
    result = IngestResult(
        source=source.name,
        ok=fetched is not None,
        posts=len(posts),
        skipped=tuple(fetched.skipped) if fetched else (),
        error=error,
        seconds=round(seconds, 3),
    )
    if error:
        log.warning("source %s failed after %.1fs: %s", source.name, seconds, error)
    else:
        log.info(
            "source %s: %d posts, %d skipped in %.1fs",
            source.name,
            len(posts),
            len(result.skipped),
            seconds,
        )
    return _Outcome(result, started_at, now(), posts, unexpected)


def _store_outcome(store: Store, outcome: _Outcome) -> None:
    result = outcome.result
    if outcome.posts:
        store.save_posts(outcome.posts, outcome.finished_at)
    store.record_fetch(
        Fetch(
            source=result.source,
            started_at=outcome.started_at,
            finished_at=outcome.finished_at,
            ok=result.ok,
            posts=result.posts,
            error=result.error,
        )
    )
