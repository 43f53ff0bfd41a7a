"""Jobs that keep a long-running bot healthy: the store check, the daily backup and pruning.

The store check (every ``VITALS_SECONDS``) feeds ``/healthz`` and the gauges. The daily
maintenance at ``store.maintenance_time`` backs the store up (with ``backup.dir``) on a
thread of its own, which never waits for the bot's store thread, then prunes old rows a
batch at a time on the store thread: a command waits for one batch at most.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from telegram.ext import Application, CallbackContext, JobQueue

from digest import (
    BatchSizer,
    PruneStep,
    Store,
    StoreError,
    backup_into,
    checkpoint_file,
    prune_steps,
    set_autocheckpoint,
    store_vitals,
    timed_prune_batch,
    zone,
)

from .config import Settings
from .context import services_of
from .health import VITALS_SECONDS
from .services import Services, StoreRunner

log = logging.getLogger(__name__)

VITALS_JOB = "vitals"
MAINTENANCE_JOB = "maintenance"
PRUNE_PAUSE = 0.01  # seconds between batches: queued commands go first
CHECKPOINT_SECONDS = 1.0  # between WAL checkpoints while pruning

App = Application[Any, Any, Any, Any, Any, Any]
Context = CallbackContext[Any, Any, Any, Any]


@dataclass
class PruneReport:
    deleted: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    longest: float = 0.0  # seconds of the slowest batch (its transaction)
    seconds: list[float] = field(default_factory=list)  # every batch's, in order
    cpu: list[float] = field(default_factory=list)  # every batch's CPU seconds, in order

    def batched(self, table: str, deleted: int, seconds: float, cpu: float) -> None:
        self.deleted[table] += deleted
        self.batches += 1
        self.longest = max(self.longest, seconds)
        self.seconds.append(seconds)
        self.cpu.append(cpu)


def register_upkeep(
    application: App, settings: Settings, *, vitals: bool, maintenance: bool
) -> None:
    """Add the store check (``vitals``) and the daily backup and pruning (``maintenance``)."""
    queue: JobQueue[Any] | None = application.job_queue
    if queue is None:
        raise RuntimeError('the JobQueue needs "python-telegram-bot[job-queue]"')
    if vitals:
        queue.run_repeating(
            vitals_job,
            interval=VITALS_SECONDS,
            first=0,
            name=VITALS_JOB,
            job_kwargs={"id": VITALS_JOB, "replace_existing": True, "coalesce": True},
        )
    if maintenance:
        queue.run_daily(
            maintenance_job,
            time=settings.maintenance_time.replace(tzinfo=zone(settings.timezone)),
            name=MAINTENANCE_JOB,
            job_kwargs={
                "id": MAINTENANCE_JOB,
                "replace_existing": True,
                "coalesce": True,
                "misfire_grace_time": 3600,
                "max_instances": 1,
            },
        )


async def vitals_job(context: Context) -> None:
    """Check that the store takes a write, and read the figures the metrics show."""
    services = services_of(context.application)
    await check_vitals(services)


async def check_vitals(services: Services) -> None:
    now = services.clock()
    try:
        vitals = await services.store.run(lambda store: store_vitals(store, now))
    except StoreError as exc:
        log.error("store check failed: %s", exc)
        if services.health is not None:
            services.health.checked(None, str(exc))
        return
    services.metrics.observe(vitals)
    if services.health is not None:
        services.health.checked(vitals)


async def maintenance_job(context: Context) -> None:
    """The daily backup (when ``backup.dir`` is set), then pruning of old rows."""
    services = services_of(context.application)
    settings, now = services.settings, services.clock()
    if settings.backup_dir is not None:
        await daily_backup(settings, now)
    report = await prune_store(services.store, prune_steps(now, settings.keep_days))
    log.info(
        "pruned %s in %d batches (longest %.0f ms)",
        ", ".join(f"{n} {table}" for table, n in report.deleted.items()),
        report.batches,
        report.longest * 1000,
    )


async def daily_backup(settings: Settings, now: datetime) -> None:
    assert settings.backup_dir is not None
    try:
        report, removed = await asyncio.to_thread(
            backup_into, settings.db_path, settings.backup_dir, settings.backup_keep, now
        )
    except StoreError as exc:  # the bot goes on; the log and the next day tell
        log.error("daily backup failed: %s", exc)
        return
    log.info(
        "backup %s: %d bytes in %.1fs, %d old removed",
        report.path,
        report.bytes,
        report.seconds,
        len(removed),
    )


async def prune_store(
    store: StoreRunner,
    steps: list[PruneStep],
    sizer: BatchSizer | None = None,
    pause: float = PRUNE_PAUSE,
) -> PruneReport:
    """Delete what ``steps`` cover, one short transaction per store call.

    The WAL is checkpointed on a connection of its own rather than by a batch's commit,
    so the store thread is free for commands while pages are copied, and only once every
    ``CHECKPOINT_SECONDS``: a checkpoint after every batch made the batch after it wait
    for the disk (its fsync), up to 430 ms with 1 ms of CPU (bench/README.md).
    """
    sizer = sizer or BatchSizer()
    report = PruneReport()
    on_file = str(store.db_path) != ":memory:"
    if on_file:
        previous = await store.run(partial(set_autocheckpoint, pages=0))
    try:
        await _prune(store, steps, sizer, pause, report, on_file)
    finally:
        if on_file:
            await asyncio.to_thread(checkpoint_file, store.db_path)
            await store.run(partial(set_autocheckpoint, pages=previous))
    return report


async def _prune(
    store: StoreRunner,
    steps: list[PruneStep],
    sizer: BatchSizer,
    pause: float,
    report: PruneReport,
    checkpoint: bool,
) -> None:
    checkpointed = time.monotonic()
    for step in steps:
        report.deleted[step.table] = 0
        while True:
            limit = sizer.size
            deleted, seconds, cpu = await store.run(partial(_batch, step, limit))
            sizer.timed(seconds)
            report.batched(step.table, deleted, seconds, cpu)
            if checkpoint and time.monotonic() - checkpointed >= CHECKPOINT_SECONDS:
                await asyncio.to_thread(checkpoint_file, store.db_path)
                checkpointed = time.monotonic()
            if deleted < limit:
                break
            await asyncio.sleep(pause)


def _batch(step: PruneStep, limit: int, store: Store) -> tuple[int, float, float]:
    return timed_prune_batch(store, step, limit)
