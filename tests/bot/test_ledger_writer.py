"""The push's ledger writes: a sent part's outcome is posted without waiting, then drained."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.delivery.ledger import LedgerWriter
from bot.services import StoreRunner
from digest import Claim, Finish, Ledger, PartKey

NOW = datetime(2026, 2, 15, 10, 0, tzinfo=UTC)


async def test_posted_outcomes_are_committed_by_drain(tmp_path: Path) -> None:
    runner = StoreRunner(tmp_path / "ledger.db")
    writer = LedgerWriter(runner, lambda: NOW)
    keys = [PartKey("2026-02-15", 1, chat, 1) for chat in range(1, 6)]
    try:
        for key in keys:
            assert await writer.write(Claim(key, 1))  # a claim is awaited: it must commit first
            writer.post(Finish(key, "sent", 100 + key.chat_id))
        await writer.drain()
        counts = await runner.run(lambda s: Ledger(s).counts("2026-02-15"))
        assert counts == {("push", "sent"): 5}
        assert not await writer.write(Claim(keys[0], 1))  # sent: never claimed again
    finally:
        await runner.close()


async def test_a_posted_write_that_failed_is_raised_by_drain(tmp_path: Path) -> None:
    runner = StoreRunner(tmp_path / "ledger.db")
    writer = LedgerWriter(runner, lambda: NOW, gather=0)
    key = PartKey("2026-02-15", 1, 7, 1)
    assert await writer.write(Claim(key, 1))
    await runner.close()  # the store is gone before the outcome is written
    writer.post(Finish(key, "sent", 1))
    with pytest.raises(RuntimeError, match="shutdown"):
        await writer.drain()
    await writer.drain()  # raised once


async def test_a_cancelled_waiter_leaves_the_rest_of_its_batch_answered(tmp_path: Path) -> None:
    # A push stopped mid-claim cancels its waiter; setting that future's result raised
    # InvalidStateError in the flush task, and the batch's other claims waited forever.
    runner = StoreRunner(tmp_path / "ledger.db")
    writer = LedgerWriter(runner, lambda: NOW, gather=0.05)
    first = asyncio.create_task(writer.write(Claim(PartKey("2026-02-15", 1, 1, 1), 1)))
    second = asyncio.create_task(writer.write(Claim(PartKey("2026-02-15", 1, 2, 1), 1)))
    try:
        await asyncio.sleep(0.01)  # both queued in one batch, still gathering
        first.cancel()
        assert await asyncio.wait_for(second, 30)
        assert await writer.write(Claim(PartKey("2026-02-15", 1, 3, 1), 1))  # still flushing
    finally:
        await runner.close()


async def test_only_the_first_batch_waits_to_gather(tmp_path: Path) -> None:
    # Writes that arrive while a batch commits go in the next batch at once; a wait before
    # every batch added `gather` to each claim made while the store was busy.
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # records the gathering, takes no time
        waits.append(seconds)

    runner = StoreRunner(tmp_path / "ledger.db")
    writer = LedgerWriter(runner, lambda: NOW, gather=2.0, sleep=sleep)
    release = threading.Event()
    busy = asyncio.ensure_future(runner.run(lambda _: release.wait(60)))  # the store thread
    try:
        first = asyncio.ensure_future(writer.write(Claim(PartKey("2026-02-15", 1, 1, 1), 1)))
        for _ in range(3):  # its batch gathered and waits for the busy store thread
            await asyncio.sleep(0)
        assert waits == [2.0]
        second = asyncio.ensure_future(writer.write(Claim(PartKey("2026-02-15", 1, 2, 1), 1)))
        await asyncio.sleep(0)
        release.set()
        assert await asyncio.wait_for(first, 30)
        assert await asyncio.wait_for(second, 30)
        assert waits == [2.0]  # the second batch went at once, without gathering again
        await busy
    finally:
        release.set()
        await runner.close()
