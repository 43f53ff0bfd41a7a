"""A week waits for its day, whoever pushes it: two pushers on one store, one sending a
chat's day, the other given the chat's day and week by its plan (stops 23 and 24)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from delivery_worker import TOKEN, fast_options, push_on_fake
from telegram import Bot
from test_delivery_follow_up import DAY, MONDAY_0930, ledger_rows, seed
from test_delivery_topics import fast_services
from week_store import WEEK

from bot.delivery.engine import deliver, plan_due
from bot.delivery.options import DeliveryOptions, PushReport
from bot.fake_telegram import FakeRequest, FakeTelegram
from bot.services import Services
from digest import PushPlan, Store
from digest.clock import utcnow
from digest.push.ledger import Claim, Ledger, PartKey

SECTIONS = ("summary", "highlights", "sources")  # a message each: several parts a push


@pytest.fixture
async def fast(db_path: Path) -> AsyncIterator[Services]:
    made = fast_services(db_path)  # no pace of its own: its week would go in milliseconds
    yield made
    await made.close()


async def planned(services: Services, options: DeliveryOptions) -> PushPlan:
    """The plan of a pusher that found the chat due for its day and its week."""
    plan = await plan_due(services, now=MONDAY_0930, options=options)
    assert sorted(job.date for job in plan.jobs) == [DAY, WEEK]
    return plan


async def run_plan(
    services: Services, fake: FakeTelegram, plan: PushPlan, options: DeliveryOptions
) -> PushReport:
    """Send ``plan`` through the fake, as a pusher whose plan was made earlier would."""
    bot = Bot(TOKEN, request=FakeRequest(fake, latency=0.002))
    await bot.initialize()
    try:
        return await deliver(services, bot, plan.jobs, options, bots=[bot], plan=plan)
    finally:
        await bot.shutdown()


async def first_message(fake: FakeTelegram, chat_id: int) -> None:
    while not fake.sent(chat_id):
        await asyncio.sleep(0.01)


def arrivals(db_path: Path, fake: FakeTelegram, chat_id: int) -> list[tuple[str, int]]:
    """The chat's messages in the order they arrived, as the ledger's (date, part)."""
    store = Store.open(db_path)
    try:
        rows = store.db.execute(
            "SELECT message_id, date, part FROM deliveries WHERE chat_id = ? AND status = 'sent'",
            [chat_id],
        ).fetchall()
    finally:
        store.close()
    parts = {message_id: (date, part) for message_id, date, part in rows}
    return [parts[r["message_id"]] for r in fake.sent(chat_id)]


def week(parts: int) -> list[tuple[str, int]]:
    return [(WEEK, n) for n in range(1, parts + 1)]


def sent_parts(db_path: Path, date: str) -> int:
    rows = ledger_rows(db_path, date)
    assert rows and {status for *_, status in rows} == {"sent"}, rows
    return len(rows)


async def test_a_week_waits_while_another_pusher_sends_its_day(
    services: Services, fast: Services, db_path: Path
) -> None:
    """Pusher B planned the chat's day and week; pusher A (Telegram's pace: a part a
    second) has sent the day's first part when B starts. B's claim of the day fails, and
    its week waits in the ledger until A's day is whole: before, B sent the week at once,
    between A's first day part and its second."""
    fake = FakeTelegram(TOKEN, limits=None)
    seed(db_path, fake, 4, sections=SECTIONS)
    options = fast_options()
    plan_b = await planned(fast, options)
    pusher_a = asyncio.create_task(push_on_fake(services, fake, now=MONDAY_0930, senders=1))
    await asyncio.wait_for(first_message(fake, 4), 60)
    report_b = await asyncio.wait_for(run_plan(fast, fake, plan_b, options), 120)
    report_a = await asyncio.wait_for(pusher_a, 120)
    assert report_b.busy >= 1  # the day was A's
    assert report_a.delivered + report_b.delivered == 2  # the day, and the week once
    assert report_a.failed == report_b.failed == 0
    day_parts, week_parts = sent_parts(db_path, DAY), sent_parts(db_path, WEEK)
    assert day_parts >= 2 and week_parts >= 2
    # The day whole, then the week; each part once.
    expected = [(DAY, n) for n in range(1, day_parts + 1)] + week(week_parts)
    assert arrivals(db_path, fake, 4) == expected


async def test_a_week_waits_for_a_dead_pushers_day_only_until_it_is_stale(
    fast: Services, db_path: Path
) -> None:
    """The pusher that claimed the day's first part died: its claim stays ``sending``.
    The week waits while that pusher could still be alive (``stale_after``), then goes,
    whole; the day's row is left for the next plan's recovery."""
    fake = FakeTelegram(TOKEN, limits=None)
    seed(db_path, fake, 4, sections=SECTIONS)
    stale = timedelta(seconds=1)
    options = fast_options(stale_after=stale)
    plan = await planned(fast, options)
    day = next(job for job in plan.jobs if job.date == DAY)
    held = PartKey(DAY, day.version, 4, 1)
    claimed_at = time.monotonic()
    await fast.store.run(lambda s: Ledger(s).apply([Claim(held, 3)], utcnow()))
    report = await asyncio.wait_for(run_plan(fast, fake, plan, options), 60)  # not for good
    assert (report.busy, report.delivered, report.failed) == (1, 1, 0)
    assert arrivals(db_path, fake, 4) == week(sent_parts(db_path, WEEK))
    assert fake.sent(4)[0]["time"] - claimed_at >= stale.total_seconds()  # it did wait
    assert ledger_rows(db_path, DAY) == [(4, 1, "sending")]  # untouched


async def test_a_week_never_waits_for_a_day_that_ended_or_another_chats_day(
    fast: Services, db_path: Path
) -> None:
    """The day another pusher holds for a different chat, or a day that failed in this
    chat, hold nothing back: the week goes, where a wait for either would last an hour."""
    fake = FakeTelegram(TOKEN, limits=None)
    seed(db_path, fake, 4, sections=SECTIONS)
    options = fast_options(stale_after=timedelta(hours=1))
    plan = await planned(fast, options)
    day = next(job for job in plan.jobs if job.date == DAY)
    other, failed = PartKey(DAY, day.version, 5, 1), PartKey(DAY, day.version, 4, 1)
    now = utcnow()
    await fast.store.run(lambda s: Ledger(s).apply([Claim(other, 3)], now))
    await fast.store.run(lambda s: Ledger(s).fail(failed, "push", "would not render", now))
    report = await asyncio.wait_for(run_plan(fast, fake, plan, options), 60)
    assert (report.busy, report.delivered) == (1, 1)
    assert arrivals(db_path, fake, 4) == week(sent_parts(db_path, WEEK))
    assert ledger_rows(db_path, DAY) == [(4, 1, "failed"), (5, 1, "sending")]
