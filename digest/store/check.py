"""Can the store be written, and is its schema one this code knows (``hotdigest doctor``)?"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlite_utils

from ..sources.probe import Probe
from .schema import MIGRATIONS, schema_version


def check_store(path: str | Path) -> Probe:
    """Open the database read-write without changing it: schema version and a write lock.

    A file that does not exist yet passes when its directory can be created or written:
    the bot creates it on first use.
    """
    path = Path(path)
    if not path.exists():
        parent = next((p for p in path.absolute().parents if p.exists()), Path("/"))
        if os.access(parent, os.W_OK):
            return Probe(True, "does not exist yet; it is created on first use")
        return Probe(False, f"does not exist, and {parent} is not writable")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=5)
    except sqlite3.Error as exc:
        return Probe(False, f"cannot open it for writing: {exc}")
    try:
        version = schema_version(sqlite_utils.Database(conn))
        conn.execute("BEGIN IMMEDIATE")  # takes the write lock, writes nothing
        conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        return Probe(False, f"cannot write: {exc}")
    finally:
        conn.close()
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        return Probe(False, "the file or its directory is read-only (WAL needs both)")
    latest = len(MIGRATIONS)
    if version > latest:
        return Probe(False, f"schema version {version} is newer than this hotdigest's ({latest})")
    if version < latest:
        return Probe(True, f"writable; schema version {version}, migrated to {latest} on start")
    return Probe(True, f"writable; schema version {version} (current)")
