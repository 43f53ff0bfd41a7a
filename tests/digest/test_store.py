"""The SQLite store: schema and migrations, upserts, snapshots, window queries, fetch health."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest import Fetch, Post, Store, StoreError, day_window
from digest.store.schema import MIGRATIONS, schema_version

T0 = datetime(2026, 2, 15, 10, 0, tzinfo=UTC)


def hot(post_id: str = "1", source: str = "juejin", **fields: object) -> Post:
    values: dict[str, object] = {"title": f"post {post_id}"}
    values.update(fields)
    return Post(source=source, post_id=post_id, **values)  # type: ignore[arg-type]


def snapshots(
    store: Store, source: str, post_id: str
) -> list[tuple[str, int | None, float | None]]:
    return store.db.execute(
        "SELECT fetched_at, rank, heat FROM snapshots WHERE source = ? AND post_id = ? "
        "ORDER BY fetched_at",
        [source, post_id],
    ).fetchall()


# -- schema ------------------------------------------------------------------


def test_new_store_has_the_current_schema_version(store: Store) -> None:
    assert schema_version(store.db) == len(MIGRATIONS)
    assert {"posts", "snapshots", "fetches"} <= set(store.db.table_names())


def test_reopening_a_file_keeps_data_and_does_not_migrate_again(db_path: Path) -> None:
    first = Store.open(db_path)
    first.save_posts([hot("1", heat=5)], T0)
    first.close()

    # A migration applied twice would fail ("table posts already exists") or wipe rows.
    again = Store.open(db_path)
    try:
        assert schema_version(again.db) == len(MIGRATIONS)
        assert again.count_posts() == 1
        versions = again.db.execute(
            "SELECT count(*) FROM _meta WHERE key = 'schema_version'"
        ).fetchone()
        assert versions == (1,)
    finally:
        again.close()


def test_file_store_uses_wal(db_path: Path) -> None:
    opened = Store.open(db_path)
    try:
        assert opened.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        opened.close()


def test_file_store_creates_missing_directories(tmp_path: Path) -> None:
    opened = Store.open(tmp_path / "a" / "b" / "hot.db")
    opened.close()
    assert (tmp_path / "a" / "b" / "hot.db").is_file()


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"this is not sqlite, " * 100)
    with pytest.raises(StoreError, match=r"bogus\.db"):
        Store.open(bogus)


def test_a_database_from_a_newer_hotdigest_is_refused(db_path: Path) -> None:
    Store.open(db_path).close()
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "UPDATE _meta SET value = ? WHERE key = 'schema_version'", [str(len(MIGRATIONS) + 1)]
        )
    conn.close()
    with pytest.raises(StoreError, match="schema"):
        Store.open(db_path)


# -- upserts and snapshots ------------------------------------------------------


def test_upsert_keeps_first_seen_and_moves_last_seen_heat_and_rank(store: Store) -> None:
    store.save_posts([hot("1", heat=100, rank=5)], T0)
    store.save_posts([hot("1", heat=250, rank=2, title="renamed")], T0 + timedelta(hours=1))

    seen = store.get_post("juejin", "1")
    assert seen is not None
    assert seen.first_seen_at == T0
    assert seen.last_seen_at == T0 + timedelta(hours=1)
    assert (seen.heat, seen.rank, seen.post.title) == (250, 2, "renamed")
    assert store.count_posts() == 1


def test_a_later_sighting_without_a_field_does_not_blank_it(store: Store) -> None:
    store.save_posts(
        [
            hot(
                "1",
                url="https://a.example/1",
                author="ann",
                heat=100,
                rank=3,
                category="AI",
                tags=("llm",),
                brief="about",
                published_at=T0 - timedelta(days=1),
            )
        ],
        T0,
    )
    store.save_posts([hot("1")], T0 + timedelta(hours=1))

    seen = store.get_post("juejin", "1")
    assert seen is not None
    assert seen.post == hot(
        "1",
        url="https://a.example/1",
        author="ann",
        heat=100,
        rank=3,
        category="AI",
        tags=("llm",),
        brief="about",
        published_at=T0 - timedelta(days=1),
    )
    assert seen.last_seen_at == T0 + timedelta(hours=1)


def test_an_older_sighting_imported_later_neither_overwrites_nor_blanks(store: Store) -> None:
    newer = hot(
        "1",
        title="new title",
        url="https://a.example/new",
        heat=300,
        rank=1,
        category="new-cat",
        tags=("new",),
        brief="new brief",
    )
    store.save_posts([newer], T0)
    older = hot(
        "1",
        title="old title",
        url="https://a.example/old",
        author="ann",
        heat=10,
        rank=9,
        category="old-cat",
        tags=("old",),
        brief="old brief",
    )
    store.save_posts([older], T0 - timedelta(days=1))

    seen = store.get_post("juejin", "1")
    assert seen is not None
    # Every field the newer sighting knew stays; the one it lacked (author) is filled in.
    assert seen.post == hot(
        "1",
        title="new title",
        url="https://a.example/new",
        author="ann",
        heat=300,
        rank=1,
        category="new-cat",
        tags=("new",),
        brief="new brief",
    )
    assert seen.first_seen_at == T0 - timedelta(days=1)
    assert seen.last_seen_at == T0


def test_one_snapshot_per_sighting(store: Store) -> None:
    store.save_posts([hot("1", heat=1, rank=3)], T0)
    store.save_posts([hot("1", heat=2, rank=2)], T0 + timedelta(hours=1))
    store.save_posts([hot("1", rank=1)], T0 + timedelta(hours=2))
    # The same fetch saved twice is still one snapshot.
    store.save_posts([hot("1", rank=1)], T0 + timedelta(hours=2))

    assert snapshots(store, "juejin", "1") == [
        ("2026-02-15T10:00:00Z", 3, 1.0),
        ("2026-02-15T11:00:00Z", 2, 2.0),
        ("2026-02-15T12:00:00Z", 1, None),
    ]


def test_same_id_in_two_sources_is_two_posts(store: Store) -> None:
    store.save_posts([hot("1", source="juejin"), hot("1", source="v2ex")], T0)
    assert store.count_posts() == 2


def test_get_post_of_an_unknown_key_is_none(store: Store) -> None:
    assert store.get_post("juejin", "nope") is None


# -- window queries ---------------------------------------------------------------


def test_window_is_start_inclusive_end_exclusive(store: Store) -> None:
    start, end = T0, T0 + timedelta(hours=1)
    store.save_posts([hot("before")], start - timedelta(seconds=1))
    store.save_posts([hot("at-start")], start)
    store.save_posts([hot("inside")], end - timedelta(seconds=1))
    store.save_posts([hot("at-end")], end)

    ids = {item.post.post_id for item in store.posts_in_window(start, end)}
    assert ids == {"at-start", "inside"}


def test_window_sorts_by_heat_with_unknown_heat_last(store: Store) -> None:
    store.save_posts(
        [hot("a"), hot("b", heat=5), hot("c", heat=500), hot("d", heat=0), hot("e")], T0
    )
    order = [item.post.post_id for item in store.posts_in_window(T0, T0 + timedelta(hours=1))]
    assert order[:3] == ["c", "b", "d"]
    assert set(order[3:]) == {"a", "e"}


def test_window_reports_peak_heat_best_rank_and_sightings_inside_it(store: Store) -> None:
    store.save_posts([hot("1", heat=900, rank=1)], T0 - timedelta(days=1))  # outside
    store.save_posts([hot("1", heat=100, rank=4)], T0)
    store.save_posts([hot("1", heat=300, rank=6)], T0 + timedelta(hours=1))
    store.save_posts([hot("1", heat=200, rank=2)], T0 + timedelta(hours=2))

    (item,) = store.posts_in_window(T0, T0 + timedelta(hours=3))
    assert (item.heat, item.rank, item.sightings) == (300, 2, 3)


def test_window_filters_by_source(store: Store) -> None:
    store.save_posts([hot("1", source="juejin"), hot("2", source="v2ex")], T0)
    found = store.posts_in_window(T0, T0 + timedelta(hours=1), sources=["v2ex"])
    assert [(item.post.source, item.post.post_id) for item in found] == [("v2ex", "2")]


def test_window_query_uses_the_fetched_at_index(store: Store) -> None:
    store.save_posts([hot("1", heat=1)], T0)
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    try:
        store.posts_in_window(T0, T0 + timedelta(hours=1))
    finally:
        store.db.conn.set_trace_callback(None)
    (query,) = [
        s for s in statements if "snapshots" in s and s.lstrip().upper().startswith("SELECT")
    ]

    plan = " | ".join(row[-1] for row in store.db.execute("EXPLAIN QUERY PLAN " + query))
    assert "idx_snapshots_fetched_at" in plan
    assert "SCAN snapshots" not in plan.replace("USING COVERING INDEX", "")


# Posts seen at these UTC moments, checked against local calendar days.
ZONE_SIGHTINGS = {
    "sh-early": datetime(2026, 2, 14, 16, 30, tzinfo=UTC),  # 2-15 00:30 Shanghai
    "la-late": datetime(2026, 2, 16, 7, 30, tzinfo=UTC),  # 2-15 23:30 Los Angeles
    "mid": datetime(2026, 2, 15, 10, 0, tzinfo=UTC),  # 2-15 everywhere here
    "sh-next": datetime(2026, 2, 15, 16, 0, tzinfo=UTC),  # 2-16 00:00 Shanghai
    "la-prev": datetime(2026, 2, 15, 7, 59, tzinfo=UTC),  # 2-14 23:59 Los Angeles
    # Berlin, spring forward on 2026-03-29 (23 h) and fall back on 2026-10-25 (25 h).
    "spring-first": datetime(2026, 3, 28, 23, 0, tzinfo=UTC),  # 3-29 00:00 CET
    "spring-last": datetime(2026, 3, 29, 21, 59, tzinfo=UTC),  # 3-29 23:59 CEST
    "spring-next": datetime(2026, 3, 29, 22, 30, tzinfo=UTC),  # 3-30 00:30 CEST
    "fall-prev": datetime(2026, 10, 24, 21, 59, tzinfo=UTC),  # 10-24 23:59 CEST
    "fall-first": datetime(2026, 10, 24, 22, 0, tzinfo=UTC),  # 10-25 00:00 CEST
    "fall-last": datetime(2026, 10, 25, 22, 30, tzinfo=UTC),  # 10-25 23:30 CET
    "fall-next": datetime(2026, 10, 25, 23, 0, tzinfo=UTC),  # 10-26 00:00 CET
}


@pytest.mark.parametrize(
    ("zone_name", "day", "hours", "expected"),
    [
        ("Asia/Shanghai", date(2026, 2, 15), 24, {"sh-early", "la-prev", "mid"}),
        ("America/Los_Angeles", date(2026, 2, 15), 24, {"mid", "sh-next", "la-late"}),
        ("Europe/Berlin", date(2026, 2, 15), 24, {"mid", "sh-next", "la-prev"}),
        ("Europe/Berlin", date(2026, 3, 29), 23, {"spring-first", "spring-last"}),
        ("Europe/Berlin", date(2026, 10, 25), 25, {"fall-first", "fall-last"}),
    ],
)
def test_day_window_picks_the_local_day(
    store: Store, zone_name: str, day: date, hours: int, expected: set[str]
) -> None:
    store.save_sightings((hot(name), moment) for name, moment in ZONE_SIGHTINGS.items())

    start, end = day_window(day, ZoneInfo(zone_name))
    assert end - start == timedelta(hours=hours)
    assert start.utcoffset() == timedelta(0)
    assert {item.post.post_id for item in store.posts_in_window(start, end)} == expected


# -- fetch history ------------------------------------------------------------------


def fetch(source: str, minutes: int, ok: bool, posts: int = 0, error: str | None = None) -> Fetch:
    started = T0 + timedelta(minutes=minutes)
    return Fetch(source, started, started + timedelta(seconds=3), ok, posts, error)


def test_source_health_is_the_latest_fetch_of_each_source(store: Store) -> None:
    store.record_fetch(fetch("juejin", 0, True, 20))
    store.record_fetch(fetch("juejin", 60, False, error="HTTP 503"))
    store.record_fetch(fetch("v2ex", 30, True, 12))

    health = store.source_health()
    assert set(health) == {"juejin", "v2ex"}
    assert health["juejin"] == fetch("juejin", 60, False, error="HTTP 503")
    assert health["v2ex"] == fetch("v2ex", 30, True, 12)
    assert store.fetches()[0] == fetch("juejin", 60, False, error="HTTP 503")


def test_last_success_ignores_failures(store: Store) -> None:
    store.record_fetch(fetch("juejin", 0, True, 20))
    store.record_fetch(fetch("juejin", 60, False, error="timeout"))
    store.record_fetch(fetch("github", 0, False, error="HTTP 429"))

    assert store.last_success("juejin") == T0 + timedelta(seconds=3)
    assert store.last_success("github") is None
    assert store.last_success("never-fetched") is None


# -- round-trip property ----------------------------------------------------------------

tricky_text = st.one_of(
    st.text(min_size=1, max_size=80),
    st.sampled_from(
        [
            "<script>alert('x')</script> & <b>bold</b> &amp;",
            "🚀 火箭 👩‍👩‍👧‍👦 family 🇨🇳",
            "שלום עולם مرحبا بالعالم",
            "zero\u200bwidth\u200cjoin\u200dhere\u2060\ufeff",
            "\u202eRTL override\u202c",
            "line\nbreak\ttab\r\n",
            "nul\x00byte",
        ]
    ),
).filter(lambda text: text.strip() != "")

optional_text = st.none() | tricky_text
moments = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.timezones()
)

posts = st.builds(
    Post,
    source=st.sampled_from(["juejin", "hackernews", "v2ex", "github", "rss:博客"]),
    post_id=tricky_text,
    title=tricky_text,
    url=st.none()
    | st.just("https://example.com/a?b=1&c=<2>")
    | st.from_regex(r"https://[a-z]{1,10}\.example/[a-z0-9%/_-]{0,30}", fullmatch=True),
    author=optional_text,
    heat=st.none()
    | st.floats(min_value=0, allow_nan=False, allow_infinity=False)
    | st.integers(min_value=0, max_value=10**12).map(float),
    rank=st.none() | st.integers(min_value=1, max_value=10_000),
    category=optional_text,
    tags=st.lists(tricky_text, max_size=4).map(tuple),
    brief=optional_text,
    published_at=st.none() | moments,
)


@settings(max_examples=150)
@given(post=posts, seen_at=moments)
def test_any_post_round_trips(post: Post, seen_at: datetime) -> None:
    store = Store.memory()  # one per example: an earlier example must not be upserted into
    try:
        store.save_sightings([(post, seen_at)])
        seen = store.get_post(post.source, post.post_id)
    finally:
        store.close()
    assert seen is not None
    assert seen.post == post
    assert seen.first_seen_at == seen.last_seen_at == seen_at.astimezone(UTC).replace(microsecond=0)
