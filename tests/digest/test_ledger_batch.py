"""A batch of ledger writes in a few statements does what one statement per write does."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from digest import Store
from digest.clock import to_iso
from digest.push.ledger import Claim, Finish, Ledger, PartKey
from digest.push.ledger_batch import apply_batch

T0 = datetime(2026, 3, 10, 0, 30, tzinfo=UTC)
STATUSES = ("sent", "retry", "failed", "deactivated")


def _op(chat: int, part: int, status: str | None) -> Claim | Finish:
    key = PartKey("2026-03-09", 1, chat, part, thread_id=chat % 2)
    if status is None:
        return Claim(key, 3)
    return Finish(key, status, message_id=chat * 10 + part, error=f"e{chat}")


ops = st.builds(_op, st.integers(1, 4), st.integers(1, 3), st.none() | st.sampled_from(STATUSES))


def _rows(store: Store) -> list[tuple[object, ...]]:
    return store.db.execute(
        "SELECT date, version, chat_id, thread_id, part, parts, kind, status, attempts, "
        "message_id, error, updated_at FROM deliveries ORDER BY chat_id, thread_id, part"
    ).fetchall()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(ops, min_size=1, max_size=8), min_size=1, max_size=6))
def test_batches_match_one_write_at_a_time(batches: list[list[Claim | Finish]]) -> None:
    batched, single = Store.memory(), Store.memory()
    try:
        for batch in batches:
            one_by_one = [Ledger(single).apply([op], T0)[0] for op in batch]
            if len({op.key for op in batch}) == len(batch):  # the batch path takes it
                result = apply_batch(batched.db.conn, batch, to_iso(T0))
                assert result is not None  # it ran: a fallback would pass unnoticed
            else:  # a part named twice: the one-by-one path, which Ledger.apply falls to
                assert apply_batch(batched.db.conn, batch, to_iso(T0)) is None
                result = Ledger(batched).apply(batch, T0)
            assert result == one_by_one
            assert _rows(batched) == _rows(single)
    finally:
        batched.close()
        single.close()


def test_a_batch_is_a_few_statements_and_says_which_claims_it_won() -> None:
    store = Store.memory()
    ledger = Ledger(store)
    taken = [Claim(PartKey("2026-03-09", 1, 1, 1), 2), Claim(PartKey("2026-03-09", 1, 2, 1), 2)]
    assert ledger.apply(taken, T0) == [True, True]
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    batch = [
        Finish(taken[0].key, "sent", message_id=5),
        Claim(taken[1].key, 2),  # in flight: someone else's
        Claim(PartKey("2026-03-09", 1, 3, 1), 2),
        Finish(PartKey("2026-03-09", 1, 9, 1), "sent", message_id=6),  # no such row
    ]
    assert apply_batch(store.db.conn, batch, "2026-03-10T00:30:00+00:00") == [
        True,
        False,
        True,
        False,
    ]
    assert len(statements) == 5  # BEGIN IMMEDIATE, the read, the claims, the outcomes, COMMIT
    assert ledger.counts("2026-03-09") == {("push", "sent"): 1, ("push", "sending"): 2}


def test_a_part_named_twice_is_left_to_the_one_by_one_path() -> None:
    store = Store.memory()
    key = PartKey("2026-03-09", 1, 1, 1)
    assert apply_batch(store.db.conn, [Claim(key, 1), Finish(key, "failed")], "x") is None
