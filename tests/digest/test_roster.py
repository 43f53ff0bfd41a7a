"""Chats held compactly for a push: read back equal to what was put in, and planned
from their rows without making each one."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from types import FrameType

import pytest
from test_ledger import SINCE, T0, digest_for, plan

from digest import Store, save_digest
from digest.push.ledger import PUSH
from digest.push.planning import PushJob, PushPlan, RosterJobs
from digest.push.roster import Roster
from digest.push.subscriptions import Subscription, Subscriptions

BASE = Subscription(
    chat_id=1, chat_type="private", language="zh", push_time=time(8), timezone="Asia/Shanghai"
)
CHATS = [
    BASE,
    Subscription(
        2,
        "supergroup",
        "en",
        time(9, 30),
        "Europe/Berlin",
        title="群 · Topic",
        mode="full",
        sections=("summary",),
        include_sources=("hn",),
        active=True,
        subscribed_at=datetime(2026, 2, 1, 7, 5, 9, tzinfo=UTC),
        chart=True,
        thread_id=77,
        link_preview="headline",
        cadence="both",
        week_day=7,
        week_time=time(20),
        week_chart=False,
    ),
    Subscription(
        -1001234567890,
        "channel",
        "zh",
        time(8),
        "Asia/Shanghai",
        active=True,
        subscribed_at=datetime(1, 1, 1, tzinfo=UTC),
        exclude_sources=("v2ex",),
        inactive_reason="kicked",
        migrated_to=5,
    ),
    Subscription(
        2**40,
        "private",
        "zh",
        time(8),
        "Asia/Shanghai",
        active=True,
        subscribed_at=datetime(2026, 11, 29, 23, 59, 59, tzinfo=UTC),
    ),
]


def test_a_roster_reads_back_every_field_of_every_chat() -> None:
    roster = Roster(CHATS)
    assert len(roster) == len(CHATS)
    assert list(roster) == CHATS
    assert roster[-1] == CHATS[-1] and roster[1:3] == CHATS[1:3]
    assert roster[1].subscribed_at is not None and roster[1].subscribed_at.tzinfo == UTC
    with pytest.raises(IndexError):
        roster[len(CHATS)]


def test_roster_jobs_are_the_push_jobs_they_stand_for() -> None:
    roster = Roster(CHATS)
    jobs = RosterJobs(roster)
    jobs.add(3, "2026-02-15", 2)
    jobs.add(0, "2026-02-14", 1)
    jobs.add(1, "2026-02-15", 2)
    resumed = PushJob(CHATS[2], "2026-02-15", 1, PUSH, frozenset({1}))
    jobs.extra.append(resumed)
    assert list(jobs) == [
        PushJob(CHATS[3], "2026-02-15", 2),
        PushJob(CHATS[0], "2026-02-14", 1),
        PushJob(CHATS[1], "2026-02-15", 2),
        resumed,
    ]
    assert len(jobs) == 4 and jobs[-1] is resumed and jobs[1:2] == [jobs[1]]
    assert not RosterJobs(roster)


def test_a_roster_read_from_the_store_is_its_active_chats(store: Store) -> None:
    chats = Subscriptions(store)
    for chat in CHATS:
        chats.save(replace(chat, active=True), SINCE)
    chats.save(replace(CHATS[3], chat_id=9, active=False), SINCE)  # not in the roster
    assert list(Roster.active(store)) == chats.active() and len(chats.active()) == 4


def subscriptions_made(run: Callable[[], object]) -> int:
    """How many ``Subscription``s ``run`` makes, counted as the interpreter calls
    their ``__init__`` (a profile hook: nothing of ours replaced)."""
    made = 0
    init = Subscription.__init__.__code__

    def count(frame: FrameType, event: str, _: object) -> None:
        nonlocal made
        made += event == "call" and frame.f_code is init

    sys.setprofile(count)
    try:
        run()
    finally:
        sys.setprofile(None)
    return made


@pytest.mark.parametrize("waiting", [40, 120])
def test_a_plan_makes_a_subscription_only_for_the_chats_due(store: Store, waiting: int) -> None:
    """Three chats due at 08:00, the others at 08:45 not yet (half of them weekly, their
    week not built): the plan decides from the chats' rows, so the Subscriptions it makes
    do not grow with the chats (a few per combination of settings); the chats due are
    made when their jobs are read."""
    save_digest(store, digest_for("2026-03-09"), T0)
    chats = Subscriptions(store)
    for chat_id in range(1, 4 + waiting):
        at = time(8) if chat_id <= 3 else time(8, 45)
        cadence = "weekly" if chat_id > 3 and chat_id % 2 else "daily"
        sub = Subscription(chat_id, "private", "zh", at, "Asia/Shanghai", active=True)
        since = SINCE + timedelta(seconds=chat_id)
        chats.save(replace(sub, subscribed_at=since, cadence=cadence), SINCE)
    planned: list[PushPlan] = []
    made = subscriptions_made(lambda: planned.append(plan(store, T0)))
    assert made <= 12  # 3 combinations of settings, each made up to 4 times
    jobs = planned[0].jobs
    assert subscriptions_made(lambda: list(jobs)) == len(jobs) == 3
    assert [job.chat.chat_id for job in jobs] == [1, 2, 3]
    assert jobs[0].chat.subscribed_at == SINCE + timedelta(seconds=1)
