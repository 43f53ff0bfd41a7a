"""Keeping the store's size in check: pruning old rows in small batches, and table sizes.

Heat snapshots, delivery-ledger rows and the follow alerts' ledger, messages and run
log grow with every fetch and push; after ``keep_days`` they are deleted a batch at a
time, each batch its own short transaction, so the bot's commands get the store between
batches. Digests, the posts they cite, chats, follows and fetch history are never
pruned (posts outlive their snapshots: a digest's sources stay readable).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ..clock import to_iso
from .store import Store

# The column each pruned table is aged by, whether it holds a time or a date, and which
# old rows stay all the same (an SQL condition), in the order they are pruned.
PRUNED: dict[str, tuple[str, bool, str | None]] = {
    "snapshots": ("fetched_at", True, None),
    "deliveries": ("date", False, None),
    # An alert older than keep_days is about a post first seen before then, which no
    # alert run reads again: its claim has nothing left to guard.
    "follow_alerts": ("created_at", True, None),
    # A message stays while an alert it carried does (one held past the cutoff, say).
    "alert_batches": (
        "created_at",
        True,
        "EXISTS (SELECT 1 FROM follow_alerts AS a WHERE a.batch_id = alert_batches.id)",
    ),
    # The newest run tells the next one where to start (digest.follow.alerts).
    "alert_runs": ("at", True, "through = (SELECT max(through) FROM alert_runs)"),
}
# The column that tells a table's oldest row, for `hotdigest stats`.
AGE_COLUMNS = {
    "posts": "first_seen_at",
    "snapshots": "fetched_at",
    "fetches": "started_at",
    "digests": "built_at",
    "chats": "subscribed_at",
    "deliveries": "date",
    "llm_cache": "created_at",
    "llm_calls": "at",
    "follows": "created_at",
    "follow_alerts": "created_at",
    "alert_batches": "created_at",
    "alert_runs": "at",
}


@dataclass(frozen=True, slots=True)
class PruneStep:
    """One table to prune: rows whose ``column`` sorts before ``cutoff``, but ``keep``."""

    table: str
    column: str
    cutoff: str
    keep: str | None = None


@dataclass(frozen=True, slots=True)
class TableSize:
    name: str
    rows: int
    bytes: int | None  # tables and their indexes; None where SQLite lacks dbstat
    oldest: str | None  # the oldest value of the table's age column


def prune_steps(now: datetime, keep_days: int) -> list[PruneStep]:
    """What a prune run deletes: rows older than ``keep_days`` before ``now``."""
    cutoff = now - timedelta(days=keep_days)
    return [
        PruneStep(table, column, to_iso(cutoff) if is_time else cutoff.date().isoformat(), keep)
        for table, (column, is_time, keep) in PRUNED.items()
    ]


def prune_batch(store: Store, step: PruneStep, limit: int) -> int:
    """Delete up to ``limit`` of the oldest rows ``step`` covers, in one transaction.

    BEGIN IMMEDIATE takes the write lock first, so the transaction's time is the time
    the lock is held (a deferred one would take it at the first delete).
    """
    # The inner SELECT walks the column's index from its oldest end, so a batch costs
    # its own rows, not a scan of the table.
    keep = f" AND NOT ({step.keep})" if step.keep else ""
    sql = (
        f'DELETE FROM "{step.table}" WHERE rowid IN '
        f'(SELECT rowid FROM "{step.table}" WHERE "{step.column}" < ?{keep} LIMIT ?)'
    )
    with store.db.conn:
        store.db.conn.execute("BEGIN IMMEDIATE")
        return store.db.conn.execute(sql, [step.cutoff, limit]).rowcount


class BatchSizer:
    """Batch sizes that keep each batch near ``target`` seconds of store time.

    Rows cost more on a loaded disk and less on a quiet one; a fixed size would either
    hold the write lock too long or take all night. Halve after a slow batch, grow after
    a quick one, never past ``high`` rows: a run of quick batches must not grow one that
    a cold page cache would make ten times slower (4,000 snapshots take about 10 ms of
    CPU on the dev machine). The default target is short because a batch's tail is the
    scheduler's: the store thread wakes for each batch with a fresh time slice, and on
    the loaded dev machine half of the 5 ms batches were preempted while holding the
    lock, a fifth of the 2 ms ones (bench/README.md).
    """

    def __init__(self, target: float = 0.002, start: int = 500, low: int = 50, high: int = 4000):
        self.target, self.size, self.low, self.high = target, start, low, high

    def timed(self, seconds: float) -> None:
        if seconds > self.target:
            self.size = max(self.low, self.size // 2)
        elif seconds < self.target / 2:
            self.size = min(self.high, self.size * 2)


def timed_prune_batch(store: Store, step: PruneStep, limit: int) -> tuple[int, float, float]:
    """(rows deleted, seconds the batch's transaction took, CPU seconds of those).

    Wall time well over CPU time is time the thread did not run while holding the lock:
    a wait for the disk, or for a core on a loaded machine.
    """
    started, cpu = time.perf_counter(), time.thread_time()
    deleted = prune_batch(store, step, limit)
    return deleted, time.perf_counter() - started, time.thread_time() - cpu


def table_sizes(store: Store) -> list[TableSize]:
    """Rows, bytes on disk and oldest row of every table, largest first."""
    names = [
        row[0]
        for row in store.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    sizes = _bytes_by_table(store)
    result = []
    for name in names:
        rows = store.db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        oldest = None
        if name in AGE_COLUMNS:
            column = AGE_COLUMNS[name]
            oldest = store.db.execute(f'SELECT min("{column}") FROM "{name}"').fetchone()[0]
        result.append(TableSize(name, int(rows), sizes.get(name) if sizes else None, oldest))
    result.sort(key=lambda size: (-(size.bytes or 0), -size.rows, size.name))
    return result


def _bytes_by_table(store: Store) -> dict[str, int] | None:
    try:
        rows = store.db.execute(
            "SELECT m.tbl_name, sum(s.pgsize) FROM dbstat AS s "
            "JOIN sqlite_master AS m ON m.name = s.name GROUP BY m.tbl_name"
        ).fetchall()
    except sqlite3.OperationalError:  # SQLite built without SQLITE_ENABLE_DBSTAT_VTAB
        return None
    return {name: int(size) for name, size in rows}


def set_autocheckpoint(store: Store, pages: int) -> int:
    """Set the WAL auto-checkpoint threshold (0: off); returns the one it replaces.

    A commit that crosses the threshold copies the WAL into the database before it
    returns: on the store thread, that stalls the commands queued behind a prune batch.
    """
    previous = int(store.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
    store.db.execute(f"PRAGMA wal_autocheckpoint = {int(pages)}")
    return previous


def checkpoint_file(path: str | Path) -> None:
    """Copy what the WAL holds into the database, on a connection of its own.

    PASSIVE never takes the write lock and never waits for readers, so the bot's store
    thread goes on writing while it runs.
    """
    conn = sqlite3.connect(path, timeout=30)
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        conn.close()
