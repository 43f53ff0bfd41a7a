"""Fetch the sources now, from a worker thread: the bot's /ingest."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from ..store.store import Store
from . import make_http_client
from .base import Source
from .http import DEFAULT_MAX_BODY_BYTES
from .ingest import IngestResult, ingest_sources
from .proxy import Proxies


def ingest_in_thread(
    db_path: str | Path,
    sources: Sequence[Source],
    timeout: float,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    proxies: Proxies | None = None,
) -> list[IngestResult]:
    """Run ``ingest_sources`` in an event loop of this thread, with its own store and client.

    Meant for ``asyncio.to_thread``: ``ingest_sources`` writes to the store from the
    coroutine that fetched, and a sqlite3 connection (the bot's store thread) and an
    httpx client (the bot's loop) only work where they were made. This way the bot's
    loop never waits on the network or SQLite, and its store thread only on the
    short writes (SQLite serialises writers across connections).
    """

    async def run() -> list[IngestResult]:
        async with make_http_client(timeout, max_body_bytes, proxies=proxies) as client:
            return await ingest_sources(store, sources, client)

    store = Store.open(db_path)
    try:
        return asyncio.run(run())
    finally:
        store.close()
