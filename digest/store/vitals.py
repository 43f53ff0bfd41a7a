"""What a health check and the metrics read from the store, with a write to prove it writable."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime

from ..clock import from_iso, to_iso
from ..errors import StoreError
from ..writers.llm import FALLBACK_WRITER
from .llm_cache import llm_usage
from .store import Store


@dataclass(frozen=True, slots=True)
class StoreVitals:
    """The store's answer to "are you alive, and how big is the audience"."""

    checked_at: datetime  # when the heartbeat write committed
    subscribers: dict[str, int] = field(default_factory=dict)  # active chats by mode
    last_ingest: datetime | None = None  # the newest successful fetch of any source
    llm: dict[str, int] = field(default_factory=dict)  # llm_usage's keys, all time
    llm_fallbacks: int = 0  # digest versions the LLM could not write (offline text instead)


def store_vitals(store: Store, now: datetime) -> StoreVitals:
    """Commit a heartbeat (so a read-only or full disk shows), then read the figures.

    :raises StoreError: the write or a read failed (the reason is SQLite's).
    """
    try:
        return _check(store, now)
    except sqlite3.Error as exc:
        raise StoreError(f"store check failed: {exc}") from exc


def _check(store: Store, now: datetime) -> StoreVitals:
    with store.db.conn:
        store.db.conn.execute(
            "INSERT OR REPLACE INTO _meta (key, value) VALUES ('heartbeat', ?)", [to_iso(now)]
        )
    modes = store.db.execute(
        "SELECT mode, count(*) FROM chats WHERE active = 1 GROUP BY mode"
    ).fetchall()
    last = store.db.execute("SELECT max(finished_at) FROM fetches WHERE ok = 1").fetchone()[0]
    fallbacks = store.db.execute(
        "SELECT count(*) FROM digests WHERE writer = ?", [FALLBACK_WRITER]
    ).fetchone()[0]
    return StoreVitals(
        checked_at=now,
        subscribers={str(mode): int(n) for mode, n in modes},
        last_ingest=from_iso(last) if last else None,
        llm=llm_usage(store),
        llm_fallbacks=int(fallbacks),
    )
