"""The ledger's rule that a week waits for its day: which days hold a week's claim back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest import Claimed, Store
from digest.clock import to_iso
from digest.push.ledger import CORRECTION, PUSH, Claim, Finish, Ledger, PartKey
from digest.push.ledger_batch import apply_batch

T0 = datetime(2026, 3, 16, 1, 30, tzinfo=UTC)  # Monday of 2026-W12
STALE = T0 - timedelta(minutes=2)
WEEK, DAY = "2026-W11", "2026-03-15"  # the week, and its Sunday


def week(chat: int = 4, part: int = 1, thread: int = 0, name: str = WEEK) -> Claim:
    return Claim(PartKey(name, 1, chat, part, thread), 2)


def day_rows(
    ledger: Ledger,
    *statuses: str,
    day: str = DAY,
    at: datetime = T0,
    chat: int = 4,
    thread: int = 0,
    kind: str = PUSH,
) -> None:
    """A day's push of three parts to a chat (topic), its first parts in ``statuses``."""
    for part, status in enumerate(statuses, start=1):
        k = PartKey(day, 1, chat, part, thread)
        ledger.apply([Claim(k, 3, kind)], at)
        if status != "sending":
            ledger.apply([Finish(k, status, message_id=part)], at)


@pytest.mark.parametrize(
    "statuses",
    [("sending",), ("sent",), ("sent", "retry"), ("sent", "unconfirmed"), ("sent", "sending")],
)
def test_a_week_waits_while_its_day_is_open(store: Store, statuses: tuple[str, ...]) -> None:
    ledger = Ledger(store)
    day_rows(ledger, *statuses)  # parts in flight, or parts left that nobody claimed yet
    assert ledger.apply([week()], T0, STALE) == [Claimed.WAIT]
    assert ledger.apply([week(part=2)], T0, STALE) == [Claimed.WAIT]
    assert ledger.counts(WEEK) == {}  # nothing claimed: no row to leave behind


@pytest.mark.parametrize(
    "statuses",
    [
        ("sent", "sent", "sent"),  # delivered
        ("sent", "unconfirmed", "sent"),
        ("sent", "failed"),  # given up: the week is still sent
        ("deactivated",),
        ("migrated",),
    ],
)
def test_a_week_goes_once_its_day_is_through(store: Store, statuses: tuple[str, ...]) -> None:
    ledger = Ledger(store)
    day_rows(ledger, *statuses)
    assert ledger.apply([week()], T0, STALE) == [Claimed.YES]
    assert ledger.apply([week()], T0, STALE) == [Claimed.HELD]  # and only once


def test_a_day_skipped_holds_nothing_back(store: Store) -> None:
    ledger = Ledger(store)
    ledger.skip(DAY, 1, 4, "too late", T0)
    assert ledger.apply([week()], T0, STALE) == [Claimed.YES]


def test_only_the_same_chat_and_topics_push_of_a_day_of_its_range_holds_it(store: Store) -> None:
    ledger = Ledger(store)
    day_rows(ledger, "sending", chat=5)  # another chat
    day_rows(ledger, "sending", thread=7)  # another topic of the chat
    day_rows(ledger, "sending", kind=CORRECTION)  # a correction is not the day's push
    day_rows(ledger, "sending", day="2026-03-08")  # the Sunday before the week
    day_rows(ledger, "sending", day="2026-03-23")  # after the Sunday after the week
    assert ledger.apply([week()], T0, STALE) == [Claimed.YES]
    day_rows(ledger, "sending", day="2026-03-09")  # the week's Monday
    assert ledger.apply([week(part=2)], T0, STALE) == [Claimed.WAIT]
    assert ledger.apply([week(thread=7)], T0, STALE) == [Claimed.WAIT]  # that topic's day


def test_the_sunday_after_the_week_and_a_week_across_new_year(store: Store) -> None:
    ledger = Ledger(store)
    day_rows(ledger, "sent", day="2026-03-22")
    assert ledger.apply([week()], T0, STALE) == [Claimed.WAIT]
    # 2026-W01 starts on 2025-12-29; "2025-W52" sorts between its days and is no day.
    day_rows(ledger, "sending", day="2025-12-29", chat=6)
    assert ledger.apply([week(chat=6, name="2026-W01")], T0, STALE) == [Claimed.WAIT]
    ledger.apply([Claim(PartKey("2025-W52", 1, 7, 1), 3)], T0)
    assert ledger.apply([week(chat=7, name="2026-W01")], T0, STALE) == [Claimed.YES]


def test_a_dead_pushers_day_holds_the_week_only_until_it_is_stale(store: Store) -> None:
    ledger = Ledger(store)
    day_rows(ledger, "sent", "sending", at=T0 - timedelta(minutes=3))  # its pusher stopped
    assert ledger.apply([week()], T0, STALE) == [Claimed.YES]
    day_rows(ledger, "sent", "sending", at=T0 - timedelta(minutes=1), chat=5)  # may be alive
    assert ledger.apply([week(chat=5)], T0, STALE) == [Claimed.WAIT]
    assert ledger.apply([week(chat=5)], T0 + timedelta(minutes=2), T0) == [Claimed.YES]


def test_claims_that_only_record_never_wait(store: Store) -> None:
    ledger = Ledger(store)
    day_rows(ledger, "sending")
    ledger.fail(week().key, PUSH, "would not render", T0)  # no stale bound: no rule
    assert ledger.counts(WEEK) == {(PUSH, "failed"): 1}


def test_a_batch_waits_as_one_claim_at_a_time_does(store: Store) -> None:
    ledger = Ledger(store)
    day_rows(ledger, "sent", "sending")
    day_rows(ledger, "sent", "sent", "sent", chat=5)
    batch = [week(4), week(5), Claim(PartKey(DAY, 1, 6, 1), 3)]
    assert apply_batch(store.db.conn, batch, to_iso(T0), to_iso(STALE)) == [
        Claimed.WAIT,
        Claimed.YES,
        Claimed.YES,
    ]
    # The day's last outcome beside the week's claim: in order, one at a time.
    last = Finish(PartKey(DAY, 1, 4, 2), "sent", message_id=2)
    assert apply_batch(store.db.conn, [last, week(4)], to_iso(T0), to_iso(STALE)) is None


STATUSES = ("sent", "retry", "failed", "sending")


def _op(chat: int, part: int, status: str | None, weekly: bool) -> Claim | Finish:
    if weekly:
        return week(chat, part, thread=chat % 2)
    k = PartKey(DAY, 1, chat, part, chat % 2)
    return Claim(k, 3) if status is None else Finish(k, status, message_id=part)


ops = st.builds(
    _op, st.integers(1, 3), st.integers(1, 3), st.none() | st.sampled_from(STATUSES), st.booleans()
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(ops, min_size=1, max_size=6), min_size=1, max_size=6))
def test_batches_with_weeks_match_one_write_at_a_time(batches: list[list[Claim | Finish]]) -> None:
    batched, single = Store.memory(), Store.memory()
    try:
        for batch in batches:
            one_by_one = [Ledger(single).apply([op], T0, STALE)[0] for op in batch]
            assert Ledger(batched).apply(batch, T0, STALE) == one_by_one
            rows = "SELECT * FROM deliveries ORDER BY date, chat_id, thread_id, part"
            assert batched.db.execute(rows).fetchall() == single.db.execute(rows).fetchall()
    finally:
        batched.close()
        single.close()
