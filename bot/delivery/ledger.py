"""The push run's ledger writes: claims and outcomes, group-committed on the store thread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial

from digest import Claim, Claimed, Finish, Ledger, PartKey, PushJob, Store

from ..services import StoreRunner
from .limits import Sleep
from .options import GATHER


class LedgerWriter:
    """Group commit: ledger writes that arrive within ``gather`` seconds, or while one batch
    commits, share the next one (one transaction on the store thread).

    :param stale_after: a pusher silent this long has stopped. Given, a week's part waits
        while its chat's day is sent by a pusher that has not (``Claimed.WAIT``).
    """

    def __init__(
        self,
        store: StoreRunner,
        stamp: Callable[[], datetime],
        gather: float = GATHER,
        sleep: Sleep = asyncio.sleep,
        stale_after: timedelta | None = None,
    ) -> None:
        self.store = store
        self.stamp = stamp
        self.gather = gather
        self.sleep = sleep
        self.stale_after = stale_after
        self._pending: list[tuple[Claim | Finish, asyncio.Future[Claimed | bool]]] = []
        self._posted: set[asyncio.Future[Claimed | bool]] = set()  # not yet committed
        self._failure: BaseException | None = None  # the first posted write that failed
        self._task: asyncio.Task[None] | None = None

    async def write(self, op: Claim | Finish) -> Claimed | bool:
        """Apply one claim (``Claimed.YES``: this pusher holds the part) or outcome."""
        return await self._queue(op)

    def post(self, op: Claim | Finish) -> None:
        """Queue one write without waiting for it (a sent part's outcome: its sender goes
        on to the next part while the batch commits); :meth:`drain` waits for them, and
        raises the first that failed. Had the bot died before the outcome committed, the
        part stays ``sending``, then ``unconfirmed``: never sent twice, as for a crash
        mid-request."""
        future = self._queue(op)
        self._posted.add(future)
        future.add_done_callback(self._landed)

    async def drain(self) -> None:
        """Wait until every posted write is committed; raise the first failure."""
        if self._posted:
            await asyncio.wait(set(self._posted))
        failure, self._failure = self._failure, None
        if failure is not None:
            raise failure

    def _queue(self, op: Claim | Finish) -> asyncio.Future[Claimed | bool]:
        future: asyncio.Future[Claimed | bool] = asyncio.get_running_loop().create_future()
        self._pending.append((op, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush())
        return future

    def _landed(self, future: asyncio.Future[Claimed | bool]) -> None:
        self._posted.discard(future)
        failure = None if future.cancelled() else future.exception()
        if failure is not None and self._failure is None:
            self._failure = failure

    async def _flush(self) -> None:
        # Only the first batch waits to gather: writes that arrive while a batch commits
        # go in the next one at once (a wait before each would add it to every claim).
        if self.gather:
            await self.sleep(self.gather)
        while self._pending:
            batch, self._pending = self._pending, []
            ops, stamp = [op for op, _ in batch], self.stamp()
            stale = None if self.stale_after is None else stamp - self.stale_after
            try:
                results = await self.store.run(partial(_apply, ops, stamp, stale))
            except Exception as exc:  # handed to every waiter, which re-raises it
                for _, future in batch:
                    if not future.done():  # a cancelled waiter (a push stopped) has gone
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)


def fail_jobs(store: Store, failed: Sequence[tuple[PushJob, str]], stamp: datetime) -> None:
    """Record jobs that cannot be sent at all (their digest is missing or unrenderable)."""
    ledger = Ledger(store)
    for job, reason in failed:
        ledger.fail(PartKey(job.date, job.version, job.chat.chat_id, 1), job.kind, reason, stamp)


def _apply(
    ops: list[Claim | Finish], stamp: datetime, stale: datetime | None, store: Store
) -> list[Claimed | bool]:
    return Ledger(store).apply(ops, stamp, stale)
