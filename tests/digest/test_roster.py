"""Chats held compactly for a push: read back equal to what was put in."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from digest.push.ledger import PUSH
from digest.push.planning import PushJob, RosterJobs
from digest.push.roster import Roster
from digest.push.subscriptions import Subscription

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
