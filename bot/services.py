"""The services a running bot shares: the store on its own thread, settings, build options,
and the outbox every message the bot sends goes through."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from digest import (
    BuildOptions,
    ChartDrawer,
    Digest,
    Renderer,
    SourceFilter,
    Store,
    digest_chart,
    filtered_view,
    utcnow,
)

from .config import Settings, build_options
from .delivery.collector import Collections
from .delivery.options import limits_of
from .delivery.outbox import Outbox
from .health import Health
from .metrics import Metrics
from .views import DigestViews

T = TypeVar("T")
log = logging.getLogger(__name__)


class StoreRunner:
    """Runs store calls on one worker thread that opens and owns the SQLite connection.

    sqlite3 connections refuse other threads, and one writer avoids lock contention;
    the event loop never blocks on the database.
    """

    def __init__(self, db_path: Path | str) -> None:
        self.db_path = db_path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hotdigest-store")
        self._store: Store | None = None

    def _open(self) -> Store:
        if self._store is None:
            path = str(self.db_path)
            self._store = Store.memory() if path == ":memory:" else Store.open(path)
        return self._store

    async def run(self, func: Callable[[Store], T]) -> T:
        """Call ``func(store)`` on the store thread and wait for its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: func(self._open()))

    async def close(self) -> None:
        def close_store() -> None:
            if self._store is not None:
                self._store.close()
                self._store = None

        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, close_store)
        self._executor.shutdown(wait=True)


@dataclass
class Services:
    """Created in post_init, closed in post_shutdown; reached as ``context.services``."""

    settings: Settings
    store: StoreRunner
    options: BuildOptions
    outbox: Outbox  # the one send path: replies, edits, pushes, corrections, notices
    # The one Jinja2 environment: digests and bot replies (templates read once).
    renderer: Renderer = field(default_factory=Renderer)
    views: DigestViews = field(default_factory=DigestViews)
    # What the scheduled jobs take as "now": the demo shifts it to fire a push at once.
    clock: Callable[[], datetime] = utcnow
    # One digest build at a time (scheduled, catch-up, before a push, /rebuild): two at
    # once could store the same new input twice.
    build_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Held from an ingest's fetch to its alert run: the minute's alert run leaves the
    # posts coming in to that run, so a chat gets one message per ingest.
    ingest_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    metrics: Metrics = field(default_factory=Metrics)
    health: Health | None = None  # what /healthz judges, with `run --metrics`
    # Charts are drawn in a child process (kept a while between charts): matplotlib and
    # numpy never load in the bot.
    charts: ChartDrawer = field(default_factory=ChartDrawer)
    # The garbage collector's threshold while pushes run (bot.delivery.collector).
    collections: Collections = field(default_factory=Collections)

    @classmethod
    def create(
        cls, settings: Settings, metrics: Metrics | None = None, health: Health | None = None
    ) -> Services:
        return cls(
            settings=settings,
            store=StoreRunner(settings.db_path),
            options=build_options(settings),
            outbox=Outbox(limits_of(settings)),
            metrics=metrics or Metrics(),
            health=health,
        )

    async def as_seen_by(self, digest: Digest, sources: SourceFilter) -> Digest:
        """``digest`` as a chat with the source filter ``sources`` (include, exclude) sees
        it: the view its push showed, so /digest, /sources and their buttons cite the
        same numbered sources as the pushed message."""
        if sources == ((), ()):
            return digest
        if (kept := self.views.filtered(digest, sources)) is not None:
            return kept
        seen = await self.store.run(
            lambda store: filtered_view(store, digest, self.options, sources)
        )
        self.views.keep_filtered(digest, sources, seen)
        return seen

    async def chart(self, digest: Digest, language: str, sources: SourceFilter = ((), ())) -> bytes:
        """The digest's heat chart as PNG for a chat with the source filter ``sources``:
        figures on the store thread (once per digest and filter, for every language),
        drawn in the chart process (``ChartError`` when it fails), each kept."""
        if (kept := self.views.chart(digest, language, sources)) is not None:
            return kept
        narrowed = self.options.for_sources(sources) if sources != ((), ()) else self.options
        chart = self.views.figures(digest, sources)  # another language's read
        if chart is None:
            chart = await self.store.run(lambda store: digest_chart(store, digest, narrowed))
            self.views.keep_figures(digest, sources, chart)
        png = await self.charts.draw(chart, language)
        self.views.keep_chart(digest, language, sources, png)
        return png

    async def close(self) -> None:
        self.outbox.close()
        try:
            await self.charts.aclose()
        finally:  # the store closes even when the chart child would not end
            await self.store.close()
