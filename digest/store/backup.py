"""Online backups and restores of the SQLite store, verified page by page and row by row.

SQLite's backup API copies pages in steps, sleeping between them, so a backup of a
large store shares the disk with the running bot instead of starving it. The source
connection holds one read transaction for the whole copy: in WAL mode that keeps the
bot's writers going while the copy stays one consistent snapshot (a write by another
connection would otherwise restart the backup from page one, forever on a busy bot).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..errors import StoreError

BACKUP_PAGES = 1024  # 4 MB per step at SQLite's default 4 KB page
BACKUP_PAUSE = 0.005  # seconds between steps: the bot's queries get the disk in between


@dataclass(frozen=True, slots=True)
class BackupReport:
    """A verified copy: where, how big, how long, and the rows of each table."""

    path: Path
    bytes: int
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)


def backup_database(
    source: Path | str,
    target: Path | str,
    *,
    pages: int = BACKUP_PAGES,
    pause: float = BACKUP_PAUSE,
) -> BackupReport:
    """Copy the store at ``source`` to ``target`` while it may be in use, then verify it.

    The copy is written next to ``target`` and renamed into place only once
    ``PRAGMA integrity_check`` passes and every table has the rows the source had in the
    copied snapshot, so ``target`` is never a half-written file.

    :raises StoreError: the source cannot be read, the target written, or the copy fails
        verification (the partial file is removed).
    """
    source, target = Path(source), Path(target)
    if not source.is_file():
        raise StoreError(f"no database at {str(source)!r}")
    partial = target.with_name(target.name + ".partial")
    started = time.perf_counter()
    try:
        with _connect(source) as src:
            src.execute("BEGIN")  # one read snapshot for the copy and the counts
            expected = table_rows(src)
            _copy(src, partial, pages, pause)
            src.rollback()
        rows = verify_database(partial, expected)
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise StoreError(f"backup of {str(source)!r} to {str(target)!r} failed: {exc}") from exc
    except StoreError:
        partial.unlink(missing_ok=True)
        raise
    return BackupReport(target, target.stat().st_size, time.perf_counter() - started, rows)


def restore_database(
    backup: Path | str, target: Path | str, *, pages: int = BACKUP_PAGES
) -> BackupReport:
    """Replace the store at ``target`` with a verified ``backup``.

    The caller makes sure no bot runs on ``target`` (see :mod:`digest.store.lock`).
    Pages are copied through SQLite, not the file system, so a WAL left beside
    ``target`` cannot be replayed over the restored pages.

    :raises StoreError: the backup is missing or fails verification; ``target`` is untouched.
    """
    backup, target = Path(backup), Path(target)
    if not backup.is_file():
        raise StoreError(f"no backup at {str(backup)!r}")
    started = time.perf_counter()
    try:
        rows = verify_database(backup)
        target.parent.mkdir(parents=True, exist_ok=True)
        with _connect(backup) as src, _connect(target) as dst:
            src.backup(dst, pages=pages)
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(f"restore of {str(backup)!r} failed: {exc}") from exc
    return BackupReport(target, target.stat().st_size, time.perf_counter() - started, rows)


def verify_database(path: Path | str, expected: dict[str, int] | None = None) -> dict[str, int]:
    """Run ``PRAGMA integrity_check`` and count rows; compare with ``expected`` if given.

    :raises StoreError: the file is damaged, or a table's rows differ from ``expected``.
    """
    try:
        with _connect(Path(path)) as conn:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            rows = table_rows(conn) if problems == ["ok"] else {}
    except sqlite3.DatabaseError as exc:  # too broken to check: "file is not a database"...
        problems = [str(exc)]
    if problems != ["ok"]:
        raise StoreError(f"{str(path)!r} is damaged: {'; '.join(problems[:5])}")
    if expected is not None and rows != expected:
        differ = sorted(
            name for name in set(rows) | set(expected) if rows.get(name) != expected.get(name)
        )
        raise StoreError(f"{str(path)!r} lacks rows of the source in: {', '.join(differ)}")
    return rows


def table_rows(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows of every table (SQLite's own excepted)."""
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    # Names come from sqlite_master, quoted: never user input.
    return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def _copy(src: sqlite3.Connection, path: Path, pages: int, pause: float) -> None:
    path.unlink(missing_ok=True)
    with _connect(path) as dst:
        src.backup(dst, pages=pages, sleep=pause)


@contextlib.contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    # Autocommit off by default in 3.11's sqlite3 means "BEGIN" is ours to issue;
    # isolation_level=None lets the explicit BEGIN above be the only transaction.
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


BACKUP_PATTERN = "hotdigest-*.db"


def backup_into(
    source: Path | str, directory: Path | str, keep: int, now: datetime
) -> tuple[BackupReport, list[Path]]:
    """A dated, verified backup in ``directory``; then only the newest ``keep`` are kept.

    Returns the report and the older backups deleted. Names sort by time
    (``hotdigest-20260215T040000Z.db``), and only files of that form are ever deleted.
    """
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create backup directory {str(directory)!r}: {exc}") from exc
    name = f"hotdigest-{now.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}.db"
    report = backup_database(source, directory / name)
    backups = sorted(directory.glob(BACKUP_PATTERN))
    removed = backups[: max(0, len(backups) - keep)]
    for old in removed:
        old.unlink(missing_ok=True)
    return report, removed
