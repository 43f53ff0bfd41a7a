"""The garbage collector's threshold while a push runs, and what it finds afterwards."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from delivery_worker import TOKEN, fast_options
from telegram import Bot
from telegram.request import RequestData
from test_delivery import prepare as seed_chats

from bot.delivery.collector import PUSH_THRESHOLD, Collections
from bot.delivery.engine import push_due
from bot.fake_telegram import FakeRequest, FakeTelegram
from bot.services import Services

NOW = datetime(2026, 3, 10, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai: 08:00's push is due


@pytest.fixture
def thresholds() -> Iterator[tuple[int, int, int]]:
    """The interpreter's thresholds before the test, put back after it whatever happens."""
    found = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        yield gc.get_threshold()
    finally:
        gc.set_threshold(*found)


class ThresholdSeen(FakeRequest):
    """The fake Bot API, noting the youngest generation's threshold at every call."""

    def __init__(self, fake: FakeTelegram) -> None:
        super().__init__(fake, latency=0.001)
        self.seen: list[int] = []

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *t: Any, **k: Any
    ) -> tuple[int, bytes]:
        self.seen.append(gc.get_threshold()[0])
        return await super().do_request(url, method, request_data, *t, **k)


def test_overlapping_pushes_raise_it_once_and_the_last_one_puts_it_back(
    thresholds: tuple[int, int, int],
) -> None:
    collections = Collections()
    with collections.pushing():
        assert gc.get_threshold() == (PUSH_THRESHOLD, 10, 10)
        with collections.pushing():  # a correction while the tick's push runs
            assert gc.get_threshold() == (PUSH_THRESHOLD, 10, 10)
        assert gc.get_threshold() == (PUSH_THRESHOLD, 10, 10)  # the first still runs
    assert gc.get_threshold() == thresholds


def test_a_push_that_fails_puts_it_back(thresholds: tuple[int, int, int]) -> None:
    collections = Collections()
    with pytest.raises(RuntimeError), collections.pushing():
        raise RuntimeError("the push broke")
    assert gc.get_threshold() == thresholds
    with collections.pushing():  # and the next push raises it again
        assert gc.get_threshold()[0] == PUSH_THRESHOLD


@pytest.mark.parametrize("found", [(0, 10, 10), (100_000, 5, 5)])
def test_a_collector_turned_off_or_set_higher_is_left_alone(
    thresholds: tuple[int, int, int], found: tuple[int, int, int]
) -> None:
    gc.set_threshold(*found)
    with Collections().pushing():
        assert gc.get_threshold() == found
    assert gc.get_threshold() == found


async def test_a_push_sends_with_the_threshold_raised_and_ends_with_it_restored(
    services: Services, db_path: Path, thresholds: tuple[int, int, int]
) -> None:
    fake = FakeTelegram(TOKEN)
    seed_chats(db_path, fake, 3)  # due at 08:00 in Shanghai for the day before NOW
    request = ThresholdSeen(fake)
    bot = Bot(TOKEN, request=request)
    await bot.initialize()
    request.seen.clear()  # getMe, before the push
    try:
        report = await push_due(services, bot, now=NOW, options=fast_options(), bots=[bot])
    finally:
        await bot.shutdown()
    assert report.messages == 3
    assert request.seen == [PUSH_THRESHOLD] * 3
    assert gc.get_threshold() == thresholds
