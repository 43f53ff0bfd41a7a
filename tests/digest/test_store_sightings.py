"""The store's per-post sighting reads (days on the lists, first rank): one query for all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from digest import Post, Store

T0 = datetime(2026, 2, 15, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def hot(post_id: str, source: str = "juejin", **fields: object) -> Post:
    return Post(source=source, post_id=post_id, title=f"post {post_id}", **fields)  # type: ignore[arg-type]


def traced(store: Store) -> list[str]:
    ran: list[str] = []
    store.db.conn.set_trace_callback(ran.append)
    return ran


def test_sighting_days_counts_distinct_utc_days_in_the_range_in_one_query(store: Store) -> None:
    store.save_posts([hot("a"), hot("b", source="v2ex")], T0)
    store.save_posts([hot("a")], T0 + timedelta(hours=1))  # same day: counts once
    store.save_posts([hot("a")], T0 + DAY)
    store.save_posts([hot("a"), hot("b", source="v2ex")], T0 - DAY)  # before the range
    store.save_posts([hot("a")], T0 + 3 * DAY)  # at the end: outside [since, end)
    keys = [("juejin", "a"), ("v2ex", "b"), ("juejin", "never"), ("v2ex", "a")]
    ran = traced(store)
    found = store.sighting_days(keys, T0, T0 + 3 * DAY)
    store.db.conn.set_trace_callback(None)
    assert found == {("juejin", "a"): 2, ("v2ex", "b"): 1, ("juejin", "never"): 0, ("v2ex", "a"): 0}
    assert len([s for s in ran if "snapshots" in s]) == 1
    assert store.sighting_days([], T0, T0 + DAY) == {}


def test_first_ranks_is_the_rank_of_the_earliest_ranked_sighting(store: Store) -> None:
    store.save_posts([hot("a", rank=1)], T0 - DAY)  # before the range
    store.save_posts([hot("a"), hot("b", rank=9)], T0)  # a: no rank yet
    store.save_posts([hot("a", rank=7), hot("b", rank=2)], T0 + timedelta(hours=2))
    store.save_posts([hot("a", rank=3)], T0 + timedelta(hours=4))
    store.save_posts([hot("c")], T0)  # never ranked
    keys = [("juejin", "a"), ("juejin", "b"), ("juejin", "c"), ("juejin", "gone")]
    ran = traced(store)
    found = store.first_ranks(keys, T0, T0 + DAY)
    store.db.conn.set_trace_callback(None)
    assert found == {("juejin", "a"): 7, ("juejin", "b"): 9}
    assert len([s for s in ran if "snapshots" in s]) == 1
