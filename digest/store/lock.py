"""Which process runs a bot on a store: an exclusive lock file beside the database.

``hotdigest run`` holds ``<db>.lock`` (an ``flock``, with its pid inside) for as long as it
runs; ``hotdigest restore`` and a second ``run`` probe it and refuse. The kernel drops
the lock when the process dies, so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from ..errors import StoreError


def lock_path(db_path: Path | str) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".lock")


def lock_holder(db_path: Path | str) -> int | None:
    """The pid of the process holding the store's lock, or None when it is free.

    A holder whose pid cannot be read counts as pid 0: locked all the same.
    """
    path = lock_path(db_path)
    if not path.exists():
        return None
    with open(path, "a+") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.seek(0)
            text = file.read().strip()
            return int(text) if text.isdigit() else 0
        fcntl.flock(file, fcntl.LOCK_UN)
    return None


@contextlib.contextmanager
def store_lock(db_path: Path | str) -> Iterator[Path]:
    """Hold the store's lock for the block.

    :raises StoreError: another process holds it (its pid is named).
    """
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.seek(0)
            holder = file.read().strip() or "unknown"
            raise StoreError(
                f"a hotdigest bot (pid {holder}) is running on {str(db_path)!r}; stop it first"
            ) from None
        try:
            file.seek(0)
            file.truncate()
            file.write(str(os.getpid()))
            file.flush()
            yield path
        finally:
            file.seek(0)
            file.truncate()
            fcntl.flock(file, fcntl.LOCK_UN)
