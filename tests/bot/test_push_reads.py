"""Planning and preparing a push read its chats off the event loop, and the daily-and-
weekly split comes from the plan: a 100,000-chat roster takes a while to read, and every
read of a job makes its chat again."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, time
from pathlib import Path
from typing import overload

from delivery_worker import add_chat
from test_bot_week import BUILT, MONDAY_0930  # Monday 08:00 and 09:30 in Shanghai
from week_store import WEEK, seed_fortnight

from bot.delivery.options import schedule_of
from bot.delivery.prepare import prepare
from bot.services import Services
from digest import (
    BuildOptions,
    Digest,
    PushJob,
    RosterJobs,
    Store,
    Subscription,
    Subscriptions,
    build_week,
    load_themes,
    one_per_chat,
    plan_pushes,
)
from digest.push.roster import Roster
from digest.push.subscriptions import subscription_key


class Watched(Sequence[PushJob]):
    """Jobs that note the thread of every read of one of them."""

    def __init__(self, jobs: Sequence[PushJob]) -> None:
        self.jobs = jobs
        self.threads: set[int] = set()

    def __len__(self) -> int:
        return len(self.jobs)

    @overload
    def __getitem__(self, index: int) -> PushJob: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[PushJob]: ...
    def __getitem__(self, index: int | slice) -> PushJob | Sequence[PushJob]:
        self.threads.add(threading.get_ident())
        return self.jobs[index]


def seed(db_path: Path) -> None:
    """Chat 4 daily and weekly at 09:00 on Mondays, 5 daily only, 6 weekly only; the
    week 2026-W07 built (and the fixture's day)."""
    store = Store.open(db_path)
    try:
        seed_fortnight(store)
        assert build_week(store, WEEK, BuildOptions(themes=load_themes()), BUILT).digest
        chats = Subscriptions(store)
        for chat_id, cadence in ((4, "both"), (5, "daily"), (6, "weekly")):
            sub = add_chat(store, chat_id, push_time=time(9), mode="full")
            chats.save(replace(sub, cadence=cadence, week_day=1, week_chart=False), BUILT)
    finally:
        store.close()


def plan(services: Services, db_path: Path) -> RosterJobs:
    store = Store.open(db_path)
    try:
        schedule = schedule_of(services.settings)
        made = plan_pushes(store, MONDAY_0930, schedule, stamp=MONDAY_0930, stale_before=BUILT)
    finally:
        store.close()
    assert isinstance(made.jobs, RosterJobs)
    return made.jobs


def test_the_plan_names_the_chats_with_a_days_push_and_a_weeks(
    services: Services, db_path: Path, digest_v1: Digest
) -> None:
    seed(db_path)
    jobs = plan(services, db_path)
    assert sorted((job.chat.chat_id, job.date) for job in jobs) == [
        (4, digest_v1.date),
        (4, WEEK),
        (5, digest_v1.date),
        (6, WEEK),
    ]
    assert jobs.both == {subscription_key(4, 0)}


def test_a_weekly_chat_that_subscribed_after_its_slot_waits_for_the_next(
    services: Services, db_path: Path
) -> None:
    """The plan takes a weekly chat's slot from its settings' shape and the chat's own
    ``subscribed_at`` (its row): subscribed at 09:15 on Monday, the 09:00 slot is not its."""
    seed(db_path)
    store = Store.open(db_path)
    try:
        for chat_id, since in ((7, datetime(2026, 2, 16, 1, 15, tzinfo=UTC)), (8, BUILT)):
            sub = add_chat(store, chat_id, push_time=time(9), mode="full", since=since)
            weekly = replace(sub, cadence="weekly", week_day=1, week_chart=False)
            Subscriptions(store).save(weekly, since)
    finally:
        store.close()
    jobs = plan(services, db_path)
    assert sorted(job.chat.chat_id for job in jobs if job.date == WEEK) == [4, 6, 8]


def test_jobs_the_plan_found_no_chat_with_both_in_are_not_read_to_split_them() -> None:
    chat = _subscription(9, BUILT)
    jobs = Watched([PushJob(chat, "2026-02-15", 1), PushJob(chat, WEEK, 1)])
    assert one_per_chat(jobs, frozenset()) == (jobs, {})
    assert not jobs.threads  # not one job read
    first, after = one_per_chat(jobs)  # not known: read, and the week waits for the day
    assert [job.date for job in first] == ["2026-02-15"] and after[chat.key].date == WEEK


async def test_preparing_a_push_reads_its_jobs_off_the_event_loop(
    services: Services, db_path: Path, digest_v1: Digest
) -> None:
    seed(db_path)
    jobs = Watched(plan(services, db_path))
    charts = services.charts
    prepared, failed = await prepare(services.store, services.renderer, jobs, charts=charts)
    assert failed == []
    assert threading.get_ident() not in jobs.threads  # every read in a worker thread
    assert jobs.threads
    # The chat due for both starts with its day; its week follows it.
    assert sorted((job.chat.chat_id, job.date) for job in prepared.first) == [
        (4, digest_v1.date),
        (5, digest_v1.date),
        (6, WEEK),
    ]
    push = prepared.push(next(job for job in prepared.first if job.chat.chat_id == 4))
    assert push.then is not None and push.then.date == WEEK


def test_a_rosters_shapes_carry_their_earliest_subscriber() -> None:
    base = _subscription(1, datetime(2026, 2, 3, tzinfo=UTC))
    roster = Roster(
        [
            base,
            replace(base, chat_id=2, subscribed_at=datetime(2026, 2, 1, tzinfo=UTC)),
            replace(base, chat_id=3, language="en"),
            replace(base, chat_id=4, language="en", subscribed_at=None),
        ]
    )
    shapes = roster.shapes()
    assert [(s.language, s.subscribed_at) for s in shapes] == [
        ("zh", datetime(2026, 2, 1, tzinfo=UTC)),
        ("en", None),  # one of them never said when: any slot may be its
    ]
    assert all(s.chat_id == 0 and s.title is None for s in shapes)
    assert list(roster) == [base, *roster[1:]] and roster[3].subscribed_at is None


def _subscription(chat_id: int, since: datetime) -> Subscription:
    return Subscription(
        chat_id=chat_id,
        chat_type="private",
        language="zh",
        push_time=time(8),
        timezone="Asia/Shanghai",
        active=True,
        subscribed_at=since,
    )
