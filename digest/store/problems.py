"""What a SQLite failure means for the person running hotdigest, and what to do about it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import StoreError

_ADVICE = (
    (
        ("locked", "busy"),
        "is locked by another writer (another hotdigest command or the bot?): "
        "let it finish, or stop it, and try again",
    ),
    (
        ("readonly", "read-only", "unable to open", "permission"),
        "cannot be written: give this user write access to the file and its folder "
        "(SQLite also writes the -wal and -shm files next to it)",
    ),
    (
        ("malformed", "not a database", "disk image", "corrupt"),
        "is damaged: restore it from a backup, or move it aside and let hotdigest start "
        "a new one (`sqlite3 FILE .recover` may save what is left)",
    ),
)


def store_problem(path: str | Path, exc: sqlite3.Error) -> StoreError:
    """A StoreError naming the database file, what went wrong and what to do."""
    reason = str(exc)
    lowered = reason.lower()
    for words, advice in _ADVICE:
        if any(word in lowered for word in words):
            return StoreError(f"database {str(path)!r} {advice} ({reason})")
    return StoreError(f"database {str(path)!r}: {reason}")
