"""Alert planning: new posts matched per chat, claimed once ever, held, capped, filtered."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import sqlite_utils

from digest import (
    AlertOptions,
    AlertSettings,
    BuildOptions,
    Follows,
    Store,
    compose_digest,
    finish_batch,
    make_post,
    parse_expression,
    parse_group,
    plan_alerts,
    release_held,
)
from digest.clock import to_iso
from digest.store.schema import MIGRATIONS

T0 = datetime(2026, 2, 15, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
OPTIONS = AlertOptions(timezone="Asia/Shanghai")


def post(source: str, post_id: str, title: str, url: str | None = None, heat: float = 10):
    return make_post(source=source, post_id=post_id, title=title, url=url, heat=heat)


def follow(store: Store, chat_id: int, expression: str) -> None:
    Follows(store).add(chat_id, parse_expression(expression), T0)


def alerted(run_batches: list) -> dict[int, list[str]]:  # type: ignore[type-arg]
    return {b.chat_id: [i.post_id for i in b.items] for b in run_batches}


def test_new_matching_posts_become_one_batch_per_chat_grouped_by_group(store: Store) -> None:
    follow(store, 1, "Rust => rust")
    follow(store, 1, "GLM")
    follow(store, 2, "华为 +手机")
    store.save_posts(
        [
            post("hn", "a", "Rust 1.80 released", heat=5),
            post("juejin", "b", "GLM-5 与 Rust", heat=50),
            post("juejin", "c", "华为发布新手机"),
            post("v2ex", "d", "Nothing to see"),
        ],
        T0,
    )
    run = plan_alerts(store, T0 + timedelta(minutes=1), OPTIONS)
    assert run.posts == 4 and run.claimed == 3
    assert alerted(run.batches) == {1: ["b", "a"], 2: ["c"]}  # b under "rust", the first group
    assert {i.label for i in run.batches[0].items} == {"rust"}


def test_posts_stored_after_a_run_alert_though_first_seen_before_it(store: Store) -> None:
    # A writer that fetched at T0 (`hotdigest ingest`) commits after the bot's alert run
    # read its own posts of T0 + 5 min: first sightings alone would skip them for good.
    follow(store, 1, "Rust")
    store.save_posts([post("hn", "bot", "Rust by the bot")], T0 + timedelta(minutes=5))
    first = plan_alerts(store, T0 + timedelta(minutes=6), OPTIONS)
    store.save_posts([post("v2ex", "cli", "Rust by the CLI")], T0)
    second = plan_alerts(store, T0 + timedelta(minutes=7), OPTIONS)
    third = plan_alerts(store, T0 + timedelta(minutes=8), OPTIONS)
    assert alerted(first.batches) == {1: ["bot"]}
    assert alerted(second.batches) == {1: ["cli"]}
    assert (third.posts, third.batches) == (0, [])


def test_a_post_first_seen_after_the_runs_clock_holds_nothing_back(store: Store) -> None:
    follow(store, 1, "Rust")
    store.save_posts([post("hn", "ahead", "Rust from a clock ahead")], T0 + timedelta(hours=1))
    store.save_posts([post("hn", "now", "Rust now", heat=20)], T0)
    run = plan_alerts(store, T0 + timedelta(minutes=1), OPTIONS)
    again = plan_alerts(store, T0 + timedelta(hours=2), OPTIONS)
    assert alerted(run.batches) == {1: ["now", "ahead"]} and again.batches == []


def test_a_post_alerts_a_chat_once_ever_even_when_it_reappears_or_another_source_has_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "h.db"
    store = Store.open(path)
    follow(store, 1, "rust")
    store.save_posts([post("hn", "a", "Rust news", "https://Example.com/x/?utm_source=hn")], T0)
    first = plan_alerts(store, T0 + timedelta(minutes=1), OPTIONS)
    assert alerted(first.batches) == {1: ["a"]}
    store.close()
    store = Store.open(path)  # a restart
    later = T0 + timedelta(hours=1)
    store.save_posts(
        [
            post("hn", "a", "Rust news"),  # seen again: not new
            post("lobsters", "z", "Rust news (lobsters)", "https://example.com/x"),  # same link
            post("hn", "n", "Rust 2"),
        ],
        later,
    )
    second = plan_alerts(store, later + timedelta(minutes=1), OPTIONS)
    assert alerted(second.batches) == {1: ["n"]}
    assert plan_alerts(store, later + timedelta(minutes=2), OPTIONS).batches == []
    store.close()


def test_quiet_hours_hold_alerts_and_release_them_as_one_message(store: Store) -> None:
    follow(store, 1, "rust")
    quiet = AlertSettings(1, quiet=(time(9, 0), time(11, 0)))  # Asia/Shanghai; T0 is 10:00
    Follows(store).save_settings(quiet, T0)
    store.save_posts([post("hn", "a", "Rust one")], T0)
    run = plan_alerts(store, T0 + timedelta(minutes=1), OPTIONS)
    assert run.held == 1 and run.batches == []
    store.save_posts([post("hn", "b", "Rust two")], T0 + timedelta(minutes=30))
    assert plan_alerts(store, T0 + timedelta(minutes=31), OPTIONS).batches == []
    assert release_held(store, T0 + timedelta(minutes=59), OPTIONS) == []
    released = release_held(store, T0 + timedelta(hours=1), OPTIONS)  # 11:00: quiet over
    assert alerted(released) == {1: ["a", "b"]}
    assert release_held(store, T0 + timedelta(hours=1, minutes=1), OPTIONS) == []


def test_the_daily_cap_counts_messages_in_the_chats_day(store: Store) -> None:
    follow(store, 1, "rust")
    Follows(store).save_settings(AlertSettings(1, max_per_day=1), T0)
    store.save_posts([post("hn", "a", "Rust one")], T0)
    (batch,) = plan_alerts(store, T0 + timedelta(minutes=1), OPTIONS).batches
    finish_batch(store, batch.id, "sent", T0, message_id=5)
    store.save_posts([post("hn", "b", "Rust two")], T0 + timedelta(hours=1))
    capped = plan_alerts(store, T0 + timedelta(hours=1, minutes=1), OPTIONS)
    assert capped.capped == 1 and capped.batches == []
    tomorrow = T0 + timedelta(days=1)
    store.save_posts([post("hn", "c", "Rust three")], tomorrow)
    assert alerted(plan_alerts(store, tomorrow + timedelta(minutes=1), OPTIONS).batches) == {
        1: ["c"]
    }


def test_alerts_off_paused_groups_and_the_global_filter_send_nothing(store: Store) -> None:
    follow(store, 1, "rust")
    follow(store, 2, "rust")
    follow(store, 3, "rust")
    Follows(store).save_settings(AlertSettings(2, alerts=False), T0)
    (paused,) = Follows(store).of_chat(3)
    Follows(store).pause(3, paused.id, True)
    store.save_posts([post("hn", "a", "Rust airdrop giveaway"), post("hn", "b", "Rust 2")], T0)
    options = AlertOptions(timezone="UTC", exclude=(parse_group("airdrop"),))
    run = plan_alerts(store, T0 + timedelta(minutes=1), options)
    assert run.excluded == 1
    assert alerted(run.batches) == {1: ["b"]}


def test_alerts_held_when_alerts_are_switched_off_are_dropped(store: Store) -> None:
    follow(store, 1, "rust")
    Follows(store).save_settings(AlertSettings(1, quiet=(time(9, 0), time(11, 0))), T0)
    store.save_posts([post("hn", "a", "Rust one")], T0)
    assert plan_alerts(store, T0 + timedelta(minutes=1), OPTIONS).held == 1
    Follows(store).save_settings(AlertSettings(1, alerts=False), T0)
    assert release_held(store, T0 + timedelta(hours=2), OPTIONS) == []
    Follows(store).save_settings(AlertSettings(1), T0)
    assert release_held(store, T0 + timedelta(hours=3), OPTIONS) == []


def test_the_global_filter_drops_posts_from_the_digest(
    sample: Store, options: BuildOptions
) -> None:
    day = date(2026, 2, 15)
    built = datetime(2026, 2, 15, 10, 30, tzinfo=UTC)
    cited = {s.title for s in compose_digest(sample, day, options, built).sources}
    assert any("GLM" in title for title in cited)
    filtered = replace(options, exclude=("glm", "flutter +发布"))
    left = {s.title for s in compose_digest(sample, day, filtered, built).sources}
    assert left and not any("GLM" in t or "Flutter 3.41 发布" in t for t in left)


def rebuild_posts(store: Store, order: str) -> None:
    """Copy the posts table as a rebuild does (or as VACUUM may: SQLite keeps no promise
    about the rowids of a table without an INTEGER PRIMARY KEY): rowids come out renumbered
    in ``order``."""
    (sql,) = store.db.execute("SELECT sql FROM sqlite_master WHERE name = 'posts'").fetchone()
    indexes = store.db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'posts' "
        "AND sql IS NOT NULL"
    ).fetchall()
    with store.db.conn:
        store.db.execute(sql.replace("posts", "posts_copy", 1))
        store.db.execute(f"INSERT INTO posts_copy SELECT * FROM posts ORDER BY {order}")
        store.db.execute("DROP TABLE posts")
        store.db.execute("ALTER TABLE posts_copy RENAME TO posts")
        for (index,) in indexes:
            store.db.execute(index)


def test_a_post_stored_after_a_run_alerts_though_the_table_was_renumbered(store: Store) -> None:
    follow(store, 1, "GLM")
    store.save_posts([post("v2ex", f"p{n}", f"Nothing {n}") for n in range(3)], T0)
    assert plan_alerts(store, T0 + timedelta(minutes=1), OPTIONS).posts == 3
    store.save_posts([post("a-list", "glm", "GLM-6 released")], T0 + timedelta(minutes=2))
    rebuild_posts(store, "source, post_id")  # the unread post now has rowid 1
    rowid = store.db.execute("SELECT rowid FROM posts WHERE post_id = 'glm'").fetchone()[0]
    assert rowid == 1
    run = plan_alerts(store, T0 + timedelta(minutes=3), OPTIONS)
    assert run.posts == 1 and alerted(run.batches) == {1: ["glm"]}  # and nothing read again
    store.save_posts([post("a-list", "glm2", "GLM-7 released")], T0 + timedelta(minutes=4))
    after = plan_alerts(store, T0 + timedelta(minutes=5), OPTIONS)
    assert after.posts == 1 and alerted(after.batches) == {1: ["glm2"]}


def test_v17_numbers_stored_posts_as_their_rowids_so_the_last_mark_holds() -> None:
    db = sqlite_utils.Database(memory=True)
    db.table("_meta").create({"key": str, "value": str}, pk="key")
    for number, migration in enumerate(MIGRATIONS[:16], start=1):
        migration(db)
        db.execute("INSERT OR REPLACE INTO _meta VALUES ('schema_version', ?)", [str(number)])
    for n in range(1, 4):
        db.execute(
            "INSERT INTO posts (rowid, source, post_id, title, first_seen_at, last_seen_at) "
            "VALUES (?, 'hn', ?, ?, ?, ?)",
            [n * 10, f"p{n}", f"GLM {n}", *[to_iso(T0)] * 2],
        )
    db.execute(  # a v16 run read up to the second post
        "INSERT INTO alert_runs (at, through, posts, alerts, through_rowid) "
        "VALUES (?, ?, 2, 0, 20)",
        [to_iso(T0), to_iso(T0)],
    )
    store = Store(db)  # migrates
    orders = db.execute("SELECT rowid, stored_order FROM posts ORDER BY rowid").fetchall()
    assert orders == [(10, 10), (20, 20), (30, 30)]
    follow(store, 1, "GLM")
    run = plan_alerts(store, T0 + timedelta(minutes=1), OPTIONS)
    assert alerted(run.batches) == {1: ["p3"]}  # only the post the v16 run had not read
    store.save_posts([post("hn", "p4", "GLM 4")], T0 + timedelta(minutes=2))
    assert db.execute("SELECT stored_order FROM posts WHERE post_id = 'p4'").fetchone() == (31,)
