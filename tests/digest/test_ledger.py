"""The push ledger: claims, finishes, recovery, and which pushes a run plans."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from digest import (
    SECTION_IDS,
    Block,
    Digest,
    Footer,
    Section,
    SourceEntry,
    Statement,
    Store,
    save_digest,
)
from digest.push.ledger import CORRECTION, PUSH, Claim, Finish, Ledger, PartKey
from digest.push.planning import PushJob, correction_jobs, follow_migration, plan_pushes
from digest.push.schedule import Schedule
from digest.push.subscriptions import Subscription, Subscriptions

T0 = datetime(2026, 3, 10, 0, 30, tzinfo=UTC)
SCHEDULE = Schedule(time(18, 30), "Asia/Shanghai", timedelta(hours=12))
SINCE = datetime(2026, 1, 1, tzinfo=UTC)


def key(chat: int, part: int = 1, day: str = "2026-03-09", version: int = 1) -> PartKey:
    return PartKey(day, version, chat, part)


def digest_for(day: str) -> Digest:
    sections = {
        lang: tuple(Section(s, s, (Block((Statement("x"),)),)) for s in SECTION_IDS)
        for lang in ("zh", "en")
    }
    footer = Footer(day, "Asia/Shanghai", day, day, ())
    post = (SourceEntry(1, "hackernews", "p1", "A post", "https://example.com/1", 10.0),)
    return Digest(day, 1, day, "zh", Statement("x", (1,)), post, sections, footer)


def chat(store: Store, chat_id: int, zone: str = "Asia/Shanghai", at: time = time(8, 0)) -> None:
    sub = Subscription(chat_id, "private", "zh", at, zone, active=True, subscribed_at=SINCE)
    Subscriptions(store).save(sub, SINCE)


def plan(store: Store, now: datetime, *, record: bool = True, stamp: datetime = T0):  # type: ignore[no-untyped-def]
    return plan_pushes(
        store, now, SCHEDULE, stamp=stamp, stale_before=stamp - timedelta(minutes=2), record=record
    )


def test_a_part_is_claimed_once_and_again_only_after_a_retry(store: Store) -> None:
    ledger = Ledger(store)
    assert ledger.apply([Claim(key(1), 2)], T0) == [True]
    assert ledger.apply([Claim(key(1), 2)], T0) == [False]  # in flight: nobody else sends it
    ledger.apply([Finish(key(1), "retry", error="Timed out")], T0)
    assert ledger.apply([Claim(key(1), 2)], T0) == [True]
    ledger.apply([Finish(key(1), "sent", message_id=7)], T0)
    assert ledger.apply([Claim(key(1), 2)], T0) == [False]
    row = store.db.execute("SELECT status, attempts, message_id, error FROM deliveries").fetchone()
    assert row == ("sent", 2, 7, None)


def test_parts_left_sending_by_a_dead_pusher_become_unconfirmed(store: Store) -> None:
    ledger = Ledger(store)
    ledger.apply([Claim(key(1), 1), Claim(key(2), 1)], T0)
    ledger.apply([Claim(key(3), 1)], T0 + timedelta(minutes=5))
    assert ledger.recover(T0 + timedelta(minutes=1), T0 + timedelta(minutes=6)) == 2
    statuses = dict(store.db.execute("SELECT chat_id, status FROM deliveries").fetchall())
    assert statuses == {1: "unconfirmed", 2: "unconfirmed", 3: "sending"}
    assert ledger.recipients("2026-03-09", 1) == [(1, 0), (2, 0)]  # they may have arrived


def test_unfinished_lists_pushes_with_parts_to_go_and_nothing_that_ended_them(
    store: Store,
) -> None:
    ledger = Ledger(store)
    ledger.apply([Claim(key(c, p), 3) for c in (1, 2, 3) for p in (1, 2)], T0)
    ledger.apply([Finish(key(c, 1), "sent", message_id=1) for c in (1, 2, 3)], T0)
    ledger.apply([Finish(key(1, 2), "unconfirmed"), Finish(key(2, 2), "failed", error="no")], T0)
    ledger.apply([Finish(key(3, 2), "retry", error="Timed out")], T0)
    found = {p.chat_id: p for p in ledger.unfinished("2026-03-09")}
    assert set(found) == {1, 3}  # chat 2's push ended with a failure
    assert found[1].delivered == {1, 2} and not found[1].in_flight
    assert found[3].delivered == {1} and found[3].statuses[2] == "retry"
    assert ledger.skip("2026-03-09", 1, 1, "too late", T0)
    assert not ledger.skip("2026-03-09", 1, 1, "too late", T0)  # recorded once
    assert {p.chat_id for p in ledger.unfinished("2026-03-09")} == {3}


def test_counts_and_failures_say_what_happened(store: Store) -> None:
    ledger = Ledger(store)
    ledger.apply([Claim(key(c), 1) for c in (1, 2, 3)], T0)
    ledger.apply([Finish(key(1), "sent", 1), Finish(key(2), "deactivated", error="blocked")], T0)
    ledger.apply([Finish(key(3), "failed", error="Bad Gateway (4 attempts)")], T0)
    assert ledger.counts("2026-03-09") == {
        (PUSH, "sent"): 1,
        (PUSH, "deactivated"): 1,
        (PUSH, "failed"): 1,
    }
    assert [(f.chat_id, f.status, f.error) for f in ledger.failures("2026-03-09")] == [
        (2, "deactivated", "blocked"),
        (3, "failed", "Bad Gateway (4 attempts)"),
    ]
    assert ledger.chats("2026-03-09") == 3 and ledger.latest_date() == "2026-03-09"


def test_a_plan_covers_chats_in_shanghai_berlin_and_los_angeles(store: Store) -> None:
    for day in ("2026-03-27", "2026-03-28", "2026-03-29"):
        save_digest(store, digest_for(day), T0)
    chat(store, 1, "Asia/Shanghai", time(8, 0))  # 00:00 UTC: yesterday's digest
    chat(store, 2, "Europe/Berlin", time(2, 30))  # skipped by the jump: 03:30 CEST
    chat(store, 3, "Europe/Berlin", time(12, 0))  # waits for the build in summer
    chat(store, 4, "America/Los_Angeles", time(8, 0))  # its own date, 15:00 UTC
    due = {
        now: {(j.chat.chat_id, j.date) for j in plan(store, now, record=False).jobs}
        for now in (
            datetime(2026, 3, 29, 0, 0, tzinfo=UTC),
            datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
            datetime(2026, 3, 29, 10, 0, tzinfo=UTC),
        )
    }
    assert due == {
        datetime(2026, 3, 29, 0, 0, tzinfo=UTC): {(1, "2026-03-28"), (4, "2026-03-28")},
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC): {
            (1, "2026-03-28"),
            (2, "2026-03-28"),
            (4, "2026-03-28"),
        },
        # 12:00 CEST: chat 3's slot has come and its digest (03-29) exists here.
        datetime(2026, 3, 29, 10, 0, tzinfo=UTC): {
            (1, "2026-03-28"),
            (2, "2026-03-28"),
            (3, "2026-03-29"),
        },
    }


def test_planning_records_late_pushes_and_resumes_cut_short_ones(store: Store) -> None:
    save_digest(store, digest_for("2026-03-09"), T0)
    for chat_id in (1, 2, 3):
        chat(store, chat_id)
    ledger = Ledger(store)
    ledger.apply([Claim(key(2, 1), 2), Finish(key(2, 1), "sent", 5)], T0)
    ledger.apply([Claim(key(3, 1), 2)], T0 - timedelta(minutes=10))  # its pusher died
    early = plan(store, datetime(2026, 3, 10, 1, 30, tzinfo=UTC))  # catch-up at 09:30
    assert early.recovered == 1
    assert {(j.chat.chat_id, j.delivered) for j in early.jobs} == {
        (1, frozenset()),
        (2, frozenset({1})),
        (3, frozenset({1})),  # unconfirmed counts as delivered: never resent
    }
    assert early.skipped == ()
    late = plan(store, datetime(2026, 3, 10, 12, 30, tzinfo=UTC))  # 20:30: too late
    assert list(late.jobs) == []
    assert {c for c, _, _ in late.skipped} == {1, 2, 3}
    assert plan(store, datetime(2026, 3, 10, 12, 30, tzinfo=UTC)).skipped == ()  # once


def test_a_dry_run_writes_nothing_and_new_subscribers_wait_for_their_next_slot(
    store: Store,
) -> None:
    save_digest(store, digest_for("2026-03-09"), T0)
    chat(store, 1)
    Subscriptions(store).save(
        Subscription(2, "private", "zh", time(8, 0), "Asia/Shanghai", active=True,
                     subscribed_at=datetime(2026, 3, 10, 1, 0, tzinfo=UTC)),
        T0,
    )  # fmt: skip
    dry = plan(store, datetime(2026, 3, 10, 12, 30, tzinfo=UTC), record=False)
    assert [c for c, _, _ in dry.skipped] == [1]
    assert store.db.execute("SELECT count(*) FROM deliveries").fetchone() == (0,)


def test_corrections_go_to_active_chats_that_got_the_old_version(store: Store) -> None:
    for chat_id in (1, 2, 3, 4):
        chat(store, chat_id)
    ledger = Ledger(store)
    ledger.apply([Claim(key(c), 1) for c in (1, 2, 3)], T0)
    ledger.apply([Finish(key(1), "sent", 1), Finish(key(2), "unconfirmed")], T0)
    ledger.apply([Finish(key(3), "failed", error="no")], T0)
    Subscriptions(store).deactivate(2, "unsubscribed", T0)
    jobs = correction_jobs(store, "2026-03-09", 1, 2)
    assert [(j.chat.chat_id, j.version, j.kind) for j in jobs] == [(1, 2, CORRECTION)]


@pytest.mark.parametrize("moved_by_handler", [False, True])
def test_a_migrated_group_moves_once_and_gets_the_push_again(
    store: Store, moved_by_handler: bool
) -> None:
    group = Subscription(-5, "group", "en", time(8, 0), "UTC", active=True, subscribed_at=SINCE)
    chats = Subscriptions(store)
    chats.save(group, SINCE)
    if moved_by_handler:
        chats.migrate(-5, -1005, T0)
    job = PushJob(replace(group), "2026-03-09", 1)
    moved = follow_migration(store, job, -1005, T0)
    assert moved is not None and moved.chat_id == -1005 and moved.active
    assert not chats.get(-5).active  # type: ignore[union-attr]
    Ledger(store).apply([Claim(key(-1005), 1)], T0)
    assert follow_migration(store, job, -1005, T0) is None  # it already has this digest


def deliveries(store: Store, dates: list[str]) -> None:
    store.db["deliveries"].insert_all(
        {"date": d, "version": 1, "chat_id": n, "part": 1, "parts": 1, "kind": PUSH,
         "status": "sent", "attempts": 1, "updated_at": "2026-01-01T00:00:00Z"}
        for n, d in enumerate(dates)
    )  # fmt: skip


@pytest.mark.parametrize(
    ("dates", "latest"),
    [
        ([], None),
        (["2026-W07", "2025-W52"], None),  # weeks only
        (["2026-02-15", "2026-W07", "2026-W08"], "2026-02-15"),
        (["2026-12-31", "2027-W01", "2026-W53"], "2026-12-31"),  # a newer year's week
        (["2025-12-29", "2026-W01", "2025-W52", "2026-W09"], "2025-12-29"),
        (["2026-03-09", "2026-03-10", "2026-03-10"], "2026-03-10"),
    ],
)
def test_latest_date_is_the_newest_days(store: Store, dates: list[str], latest: str | None) -> None:
    deliveries(store, dates)
    assert Ledger(store).latest_date() == latest
    days = [d for d in dates if "-W" not in d]
    assert latest == (max(days) if days else None)  # what NOT GLOB '*-W*' answered


def test_latest_date_does_not_walk_the_weeks_rows(store: Store) -> None:
    def steps(week_rows: int) -> int:
        store.db.execute("DELETE FROM deliveries")
        deliveries(store, ["2026-02-15"] + ["2026-W07", "2026-W08"] * (week_rows // 2))
        counted = [0]

        def tick() -> int:
            counted[0] += 1
            return 0  # go on

        store.db.conn.set_progress_handler(tick, 1)  # one call per SQLite VM instruction
        assert Ledger(store).latest_date() == "2026-02-15"
        store.db.conn.set_progress_handler(None, 1)
        return counted[0]

    # Seeks: the work does not grow with the week rows above the newest day (NOT GLOB
    # walked every one of them down the index: about 8 instructions a row).
    assert steps(4000) == steps(2) < 100
