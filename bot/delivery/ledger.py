"""The push run's ledger writes: claims and outcomes, group-committed on the store thread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial

from digest import Claim, Finish, Ledger, PartKey, PushJob, Store

from ..services import StoreRunner


class LedgerWriter:
    """Group commit: ledger writes that arrive while one batch commits share the next one.

    At 30 messages a second each part's claim and finish would otherwise be two commits
    of their own; a batch is one transaction on the store thread.
    """

    def __init__(self, store: StoreRunner, stamp: Callable[[], datetime]) -> None:
        self.store = store
        self.stamp = stamp
        self._pending: list[tuple[Claim | Finish, asyncio.Future[bool]]] = []
        self._task: asyncio.Task[None] | None = None

    async def write(self, op: Claim | Finish) -> bool:
        """Apply one claim (True: this pusher holds the part) or outcome."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((op, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            ops, stamp = [op for op, _ in batch], self.stamp()
            try:
                results = await self.store.run(partial(_apply, ops, stamp))
            except Exception as exc:  # handed to every waiter, which re-raises it
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                future.set_result(result)


def fail_jobs(store: Store, failed: Sequence[tuple[PushJob, str]], stamp: datetime) -> None:
    """Record jobs that cannot be sent at all (their digest is missing or unrenderable)."""
    ledger = Ledger(store)
    for job, reason in failed:
        ledger.fail(PartKey(job.date, job.version, job.chat.chat_id, 1), job.kind, reason, stamp)


def _apply(ops: list[Claim | Finish], stamp: datetime, store: Store) -> list[bool]:
    return Ledger(store).apply(ops, stamp)
