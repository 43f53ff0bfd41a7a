"""Many users at once, 429s and a running push, through PTB against the fake's flood limits."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from pathlib import Path

import pytest
from bot_harness import DAY, NOW, bot_running, seed, wait_until
from delivery_worker import add_chat, push_on_fake
from telegram import Update

from bot.config import Settings
from bot.context import services_of
from bot.fake_telegram import FakeTelegram, FloodLimits
from digest import Store

# The fake allows 100 messages a second; the bot keeps 75 (see delivery_worker.TEST_RATE
# for why not the fake's own figure). Telegram's limits are 30/s; these keep tests short.
FAKE_LIMITS = FloodLimits(per_second=100)
RATE = 75.0


@pytest.fixture
def paced(settings: Settings) -> Settings:
    return replace(settings, messages_per_second=RATE)


def users(fake: FakeTelegram, first: int, count: int) -> list[int]:
    made = list(range(first, first + count))
    for user in made:
        fake.add_user(user, f"User {user}", "en")
        fake.add_chat(user)
    return made


async def deliver_updates(fake: FakeTelegram, queue: asyncio.Queue[object], bot: object) -> None:
    """Hand every pending update to the application at once, as one getUpdates would."""
    updates = fake.pending_updates(0, 10_000)
    for raw in updates:
        await queue.put(Update.de_json(raw, bot))  # type: ignore[arg-type]
    if updates:
        fake.pending_updates(updates[-1]["update_id"] + 1, 1)


def answered(fake: FakeTelegram, chats: list[int]) -> dict[int, int]:
    return {chat: len(fake.sent(chat)) for chat in chats}


async def test_a_burst_of_users_gets_every_answer_and_none_is_given_up(
    db_path: Path, paced: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    seed(db_path)
    fake = FakeTelegram("123456:TEST-TOKEN", limits=FAKE_LIMITS)
    crowd = users(fake, 5000, 300)  # 4 seconds of replies at the bot's pace
    async with bot_running(fake, paced) as bot:
        for user in crowd:
            fake.user_sends(user, user, "/start")
        began = time.perf_counter()
        await deliver_updates(fake, bot.app.update_queue, bot.app.bot)
        await wait_until(lambda: len(fake.sent()) >= len(crowd), timeout=60)
        took = time.perf_counter() - began
        await asyncio.sleep(0.2)  # nothing more arrives: no reply was sent twice
    assert answered(fake, crowd) == {user: 1 for user in crowd}
    served_429 = fake.stats()["served_429"]
    assert served_429 <= len(crowd) // 100  # the pace kept the fake's limit
    assert took >= (len(crowd) - 2) / FAKE_LIMITS.per_second  # never faster than the fake allows
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_429_in_one_chat_holds_that_chat_and_no_other(
    db_path: Path, paced: Settings
) -> None:
    seed(db_path)
    fake = FakeTelegram("123456:TEST-TOKEN", limits=FAKE_LIMITS)
    refused, *others = users(fake, 6000, 21)
    fake.inject(refused, "flood", times=2, retry_after=2)  # refused twice, then accepted
    async with bot_running(fake, paced) as bot:
        for user in (refused, *others):
            fake.user_sends(user, user, "/help")
        began = time.perf_counter()
        await deliver_updates(fake, bot.app.update_queue, bot.app.bot)
        await wait_until(lambda: all(fake.sent(user) for user in others), timeout=10)
        others_took = time.perf_counter() - began
        await wait_until(lambda: fake.sent(refused), timeout=20)
        refused_took = time.perf_counter() - began
    assert others_took < 1.5  # not behind the refused chat's 2 + 2 seconds
    assert refused_took >= 4.0  # it waited out both retry_after, and was not given up
    assert answered(fake, [refused, *others]) == {u: 1 for u in (refused, *others)}
    assert fake.stats()["served_429"] == 2


async def test_replies_go_ahead_of_a_running_push(db_path: Path, paced: Settings) -> None:
    seed(db_path)
    fake = FakeTelegram("123456:TEST-TOKEN", limits=FAKE_LIMITS)
    subscribers = list(range(1, 301))
    store = Store.open(db_path)
    for chat_id in subscribers:
        add_chat(store, chat_id)
        fake.add_chat(chat_id)
    store.close()
    (reader,) = users(fake, 7000, 1)
    async with bot_running(fake, paced) as bot:
        services = services_of(bot.app)
        push = asyncio.create_task(push_on_fake(services, fake, now=NOW, day=DAY.isoformat()))
        await wait_until(lambda: len(fake.sent()) >= 60, timeout=20)  # the push is under way
        fake.user_sends(reader, reader, "/digest")
        began = time.perf_counter()
        await deliver_updates(fake, bot.app.update_queue, bot.app.bot)
        await wait_until(lambda: fake.sent(reader), timeout=20)
        waited = time.perf_counter() - began
        still_pushing = not push.done()
        report = await push
    assert still_pushing and report.delivered == len(subscribers)
    # 128 push senders wait for their turns; behind them the reply would wait 1.7 s.
    assert waited < 0.5, f"{waited:.2f}s"
    assert fake.stats()["served_429"] == 0
