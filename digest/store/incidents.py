"""The incidents table: admin alert incidents, open until resolved (see ``digest.alerts``)."""

from __future__ import annotations

from datetime import datetime

from ..clock import from_iso, to_iso
from .store import Store


def open_incident(store: Store, key: str, kind: str, detail: str, now: datetime) -> bool:
    """Open ``key`` unless it is open already; True when this call opened it."""
    with store.db.conn:
        cursor = store.db.execute(
            "INSERT INTO incidents (key, kind, detail, opened_at, resolved_at) "
            "VALUES (?, ?, ?, ?, NULL) ON CONFLICT (key) DO UPDATE SET "
            "kind = excluded.kind, detail = excluded.detail, opened_at = excluded.opened_at, "
            "resolved_at = NULL WHERE incidents.resolved_at IS NOT NULL",
            [key, kind, detail, to_iso(now)],
        )
    return cursor.rowcount > 0


def resolve_incident(store: Store, key: str, now: datetime) -> datetime | None:
    """Close ``key`` if it is open; returns when it had opened (None: it was not open)."""
    with store.db.conn:
        row = store.db.execute(
            "SELECT opened_at FROM incidents WHERE key = ? AND resolved_at IS NULL", [key]
        ).fetchone()
        if row is None:
            return None
        store.db.execute("UPDATE incidents SET resolved_at = ? WHERE key = ?", [to_iso(now), key])
    return from_iso(row[0])


def open_incidents(store: Store) -> list[tuple[str, str, datetime]]:
    """(key, detail, opened at) of every open incident, oldest first (for /stats)."""
    rows = store.db.execute(
        "SELECT key, detail, opened_at FROM incidents WHERE resolved_at IS NULL "
        "ORDER BY opened_at, key"
    )
    return [(key, detail or "", from_iso(at)) for key, detail, at in rows.fetchall()]
