"""Which week a weekly subscriber's slot gets, and when (issue 17)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import sqlite_utils
from week_store import WEEK, seed_fortnight

from digest import (
    BuildOptions,
    PushPlan,
    Store,
    Subscription,
    Subscriptions,
    build_week,
    digest_versions,
    load_themes,
    plan_pushes,
)
from digest.push.schedule import Schedule
from digest.push.weekly import week_ending_by, week_slot
from digest.store.schema import MIGRATIONS

SCHEDULE = Schedule(time(18, 30), "Asia/Shanghai", timedelta(hours=12))
SUNDAY_BUILD = datetime(2026, 2, 15, 10, 30, tzinfo=UTC)  # 18:30 in Shanghai, end of W07


def chat(**changes: object) -> Subscription:
    base = Subscription(
        chat_id=1,
        chat_type="private",
        language="zh",
        push_time=time(8),
        timezone="Asia/Shanghai",
        active=True,
        cadence="weekly",
        subscribed_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_slot_gets_the_newest_week_whose_sunday_build_has_passed() -> None:
    assert week_ending_by(SUNDAY_BUILD, SCHEDULE) == "2026-W07"
    assert week_ending_by(SUNDAY_BUILD - timedelta(seconds=1), SCHEDULE) == "2026-W06"
    assert week_ending_by(SUNDAY_BUILD + timedelta(days=3), SCHEDULE) == "2026-W07"
    assert week_ending_by(datetime(2026, 1, 4, 12, tzinfo=UTC), SCHEDULE) == "2026-W01"


def test_the_newest_passed_weekly_slot() -> None:
    monday_0900 = datetime(2026, 2, 16, 1, 0, tzinfo=UTC)
    slot = week_slot(chat(week_time=time(9)), monday_0900, SCHEDULE)
    assert slot is not None and (slot.moment, slot.week) == (monday_0900, "2026-W07")
    before = week_slot(chat(week_time=time(9)), monday_0900 - timedelta(minutes=1), SCHEDULE)
    assert before is not None and before.moment == monday_0900 - timedelta(days=7)
    assert before.week == "2026-W06"
    sunday = week_slot(chat(week_day=7, week_time=time(20)), monday_0900, SCHEDULE)
    assert sunday is not None and sunday.week == "2026-W07"  # 20:00 is after the build
    berlin = week_slot(chat(timezone="Europe/Berlin"), monday_0900 + timedelta(hours=8), SCHEDULE)
    assert berlin is not None and berlin.moment == datetime(2026, 2, 16, 7, 0, tzinfo=UTC)
    late = chat(subscribed_at=monday_0900 + timedelta(minutes=1))
    assert week_slot(late, monday_0900 + timedelta(hours=1), SCHEDULE) is None


def test_weekly_plan_due_late_and_daily_chats(store: Store) -> None:
    seed_fortnight(store)
    build_week(store, WEEK, BuildOptions(themes=load_themes()), SUNDAY_BUILD)
    subs = Subscriptions(store)
    for sub in (chat(chat_id=1), chat(chat_id=2, cadence="daily"), chat(chat_id=3, week_day=3)):
        subs.save(sub, SUNDAY_BUILD)
    monday = datetime(2026, 2, 16, 1, 0, tzinfo=UTC)
    plan = weekly_plan(store, monday)
    assert [(j.chat.chat_id, j.date, j.version) for j in plan.jobs] == [(1, "2026-W07", 1)]
    later = monday + timedelta(days=1)  # chat 1's slot is now 24 h past: skipped, recorded
    plan = weekly_plan(store, later)
    assert list(plan.jobs) == [] and [s[:2] for s in plan.skipped] == [(1, "2026-W07")]
    assert weekly_plan(store, later).skipped == ()  # once


def weekly_plan(store: Store, now: datetime) -> PushPlan:
    """The push plan at ``now`` (no daily digest is stored: only weeks are due)."""
    return plan_pushes(store, now, SCHEDULE, stamp=now, stale_before=now)


def test_a_store_from_before_the_weekly_digest_migrates_its_chats_to_daily(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    db.table("_meta").create({"key": str, "value": str}, pk="key")
    for number, migration in enumerate(MIGRATIONS[:10], start=1):  # the schema of issue 16
        migration(db)
        db.execute("INSERT OR REPLACE INTO _meta VALUES ('schema_version', ?)", [str(number)])
    db.table("chats").insert(
        {"chat_id": 5, "chat_type": "private", "language": "zh", "push_time": "08:00"}
        | {"timezone": "Asia/Shanghai", "mode": "brief", "active": 1, "chart": 1}
    )
    db.conn.commit()
    db.close()
    store = Store.open(path)
    try:
        found = Subscriptions(store).get(5)
        assert found is not None and found.chart and found.daily and not found.weekly
        assert (found.week_day, found.week_time, found.week_chart) == (1, None, True)
        assert digest_versions(store, weeks=True) == []
    finally:
        store.close()
