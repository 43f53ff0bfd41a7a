"""Backups, restores, the store lock, retention and the store check, on real SQLite files."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from digest import (
    AlertOptions,
    BatchSizer,
    Claim,
    Fetch,
    Follows,
    Ledger,
    PartKey,
    Post,
    Store,
    StoreError,
    backup_database,
    backup_into,
    finish_batch,
    lock_holder,
    parse_expression,
    plan_alerts,
    prune_steps,
    restore_database,
    store_lock,
    store_vitals,
    table_sizes,
    timed_prune_batch,
    verify_database,
)

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def post(n: int) -> Post:
    return Post(source="hackernews", post_id=str(n), title=f"post {n}", heat=float(n))


def filled(path: Path, posts: int = 200) -> None:
    store = Store.open(path)
    try:
        for n in range(posts):
            store.save_posts([post(n)], NOW - timedelta(days=n))
    finally:
        store.close()


def rows(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_a_backup_taken_while_a_writer_writes_is_one_consistent_snapshot(tmp_path: Path) -> None:
    source, copy = tmp_path / "live.db", tmp_path / "copy.db"
    filled(source, posts=2000)
    stop, written = threading.Event(), []

    def writer() -> None:
        store = Store.open(source)
        n = 10_000
        while not stop.is_set():
            store.save_posts([post(n)], NOW)
            written.append(n)
            n += 1
        store.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        # One page per step: the copy takes many steps, with writes between them.
        report = backup_database(source, copy, pages=1, pause=0.001)
    finally:
        stop.set()
        thread.join()
    assert written, "the writer never got the store during the backup"
    assert report.rows["posts"] == report.rows["snapshots"] == rows(copy, "posts")
    assert 2000 <= report.rows["posts"] < 2000 + len(written) + 1
    assert verify_database(copy) == report.rows
    assert not (tmp_path / "copy.db.partial").exists()


def test_verification_names_a_damaged_copy(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    filled(path)
    with pytest.raises(StoreError, match="lacks rows of the source in: posts"):
        verify_database(path, {**verify_database(path), "posts": 1})
    damaged = tmp_path / "damaged.db"
    data = bytearray(path.read_bytes())
    data[4096 * 2 : 4096 * 3] = b"\xff" * 4096  # a b-tree page of a table
    damaged.write_bytes(bytes(data))
    with pytest.raises(StoreError):
        verify_database(damaged)


def test_a_missing_source_or_unwritable_target_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no database"):
        backup_database(tmp_path / "none.db", tmp_path / "copy.db")
    filled(tmp_path / "store.db", posts=3)
    with pytest.raises(StoreError, match="failed"):
        backup_database(tmp_path / "store.db", tmp_path / "no" / "such" / "dir" / "copy.db")


def test_restore_puts_the_backup_in_place_of_a_changed_store(tmp_path: Path) -> None:
    live, copy = tmp_path / "live.db", tmp_path / "copy.db"
    filled(live, posts=50)
    backup_database(live, copy)
    store = Store.open(live)  # changes after the backup, left in the WAL
    store.save_posts([post(n) for n in range(1000, 1100)], NOW)
    store.close()
    report = restore_database(copy, live)
    assert report.rows["posts"] == rows(live, "posts") == 50


def test_daily_backups_keep_the_newest_n(tmp_path: Path) -> None:
    live, folder = tmp_path / "live.db", tmp_path / "backups"
    filled(live, posts=5)
    folder.mkdir()
    (folder / "notes.txt").write_text("not a backup: never deleted")
    for day in range(4):
        report, removed = backup_into(live, folder, keep=2, now=NOW + timedelta(days=day))
    names = sorted(path.name for path in folder.iterdir())
    assert names == ["hotdigest-20270303T120000Z.db", "hotdigest-20270304T120000Z.db", "notes.txt"]
    assert report.path == folder / "hotdigest-20270304T120000Z.db"
    assert [path.name for path in removed] == ["hotdigest-20270302T120000Z.db"]


def test_the_lock_names_its_holder_and_frees_on_exit(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    assert lock_holder(db) is None
    with store_lock(db):
        holder = lock_holder(db)
        assert holder is not None and holder > 0
        with pytest.raises(StoreError, match=f"pid {holder}"), store_lock(db):
            pass
    assert lock_holder(db) is None


def seen_at(store: Store) -> list[str]:
    return [row[0] for row in store.db.execute("SELECT fetched_at FROM snapshots ORDER BY 1")]


def test_pruning_deletes_old_snapshots_and_ledger_rows_but_keeps_posts(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store.db")
    for n in range(30):
        store.save_posts([post(n)], NOW - timedelta(days=n * 20))  # 0 .. 580 days old
    ledger = Ledger(store)
    for day in ("2025-01-01", "2026-06-01", "2027-02-01"):
        ledger.apply([Claim(PartKey(day, 1, 7, 1), 1, "push")], NOW)
    sizer = BatchSizer(start=3)
    for step in prune_steps(NOW, keep_days=400):
        while True:
            limit = sizer.size
            deleted, seconds, cpu = timed_prune_batch(store, step, limit)
            assert deleted <= limit and seconds >= 0 and cpu >= 0
            if deleted < limit:
                break
    cutoff = NOW - timedelta(days=400)
    kept = seen_at(store)
    assert len(kept) == 21 and min(kept) >= cutoff.isoformat()[:19]
    dates = [row[0] for row in store.db.execute("SELECT date FROM deliveries ORDER BY 1")]
    assert dates == ["2026-06-01", "2027-02-01"]
    assert store.count_posts() == 30  # posts outlive their snapshots
    store.close()


def test_the_batch_size_follows_the_time_a_batch_takes() -> None:
    sizer = BatchSizer(target=0.02, start=1000, low=50, high=4000)
    sizer.timed(0.001)
    sizer.timed(0.001)
    sizer.timed(0.001)
    assert sizer.size == 4000
    for _ in range(10):
        sizer.timed(0.5)
    assert sizer.size == 50


def test_table_sizes_show_rows_bytes_and_the_oldest_row(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    filled(path, posts=100)
    store = Store.open(path)
    sizes = {size.name: size for size in table_sizes(store)}
    store.close()
    assert sizes["snapshots"].rows == sizes["posts"].rows == 100
    assert sizes["snapshots"].oldest == "2026-11-22T12:00:00Z"  # 99 days before NOW
    assert sizes["snapshots"].bytes is None or sizes["snapshots"].bytes >= 4096
    assert sizes["chats"].rows == 0 and sizes["chats"].oldest is None


def test_the_store_check_writes_a_heartbeat_and_reads_the_figures(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store.db")
    store.record_fetch(Fetch("v2ex", NOW, NOW + timedelta(seconds=2), True, 10))
    store.record_fetch(Fetch("v2ex", NOW, NOW + timedelta(hours=1), False, 0, "timeout"))
    vitals = store_vitals(store, NOW + timedelta(hours=2))
    assert vitals.last_ingest == NOW + timedelta(seconds=2)  # the failed fetch does not count
    assert vitals.checked_at == NOW + timedelta(hours=2)
    assert vitals.llm["requests"] == 0 and vitals.subscribers == {}
    beat = store.db.execute("SELECT value FROM _meta WHERE key = 'heartbeat'").fetchone()[0]
    assert beat == "2027-03-01T14:00:00Z"
    store.close()


def test_the_store_check_fails_on_a_read_only_store(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    filled(path, posts=1)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    store = Store(sqlite_utils.Database(conn))
    with pytest.raises(StoreError, match="store check failed"):
        store_vitals(store, NOW)
    store.close()


def prune_all(store: Store, now: datetime) -> dict[str, int]:
    deleted = {}
    for step in prune_steps(now, keep_days=400):
        deleted[step.table] = 0
        while (n := timed_prune_batch(store, step, 2)[0]) == 2:
            deleted[step.table] += n
        deleted[step.table] += n
    return deleted


def test_pruning_ages_out_the_alert_ledger_but_never_a_follow_or_the_newest_run(
    store: Store,
) -> None:
    old, recent = NOW - timedelta(days=500), NOW - timedelta(days=10)
    Follows(store).add(1, parse_expression("rust"), old)  # followed long ago, still live
    options = AlertOptions(timezone="UTC")
    batch_ids = []
    for n, when in enumerate((old, old + timedelta(days=1), recent)):
        store.save_posts([Post("hackernews", f"r{n}", f"Rust {n}")], when)
        (batch,) = plan_alerts(store, when + timedelta(minutes=1), options).batches
        finish_batch(store, batch.id, "sent", when, message_id=n)
        batch_ids.append(batch.id)
    # An old message still carrying a recent alert (one held past the cutoff) stays.
    store.db.execute("UPDATE follow_alerts SET batch_id = ? WHERE post_id = 'r2'", [batch_ids[1]])
    deleted = prune_all(store, NOW)
    assert (deleted["follow_alerts"], deleted["alert_batches"], deleted["alert_runs"]) == (2, 1, 2)
    assert len(Follows(store).of_chat(1)) == 1
    ids = [row[0] for row in store.db.execute("SELECT id FROM alert_batches ORDER BY id")]
    assert ids == batch_ids[1:]
    # Two years on, every run is old: the newest stays, where the next run starts.
    prune_all(store, NOW + timedelta(days=730))
    assert store.db.execute("SELECT count(*) FROM alert_runs").fetchone()[0] == 1
    assert store.db.execute("SELECT count(*) FROM follow_alerts").fetchone()[0] == 0
