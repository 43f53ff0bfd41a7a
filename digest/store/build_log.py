"""The last build attempt of each digest date: what a build left even when it stored nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ..clock import from_iso, to_iso
from .store import Store

NEW = "new"
UNCHANGED = "unchanged"
EMPTY = "empty"  # the window had no posts: no digest was stored


@dataclass(frozen=True, slots=True)
class BuildRecord:
    """How the newest build of ``date`` ended."""

    date: str
    outcome: str  # new | unchanged | empty
    posts: int
    version: int  # the version it stored or kept; 0 when none
    writer: str
    reason: str  # why LLM text was rejected, when it was ("" otherwise)
    window_start: datetime
    window_end: datetime
    built_at: datetime


def record_build(store: Store, record: BuildRecord) -> None:
    """Keep ``record`` as the last build attempt of its date."""
    with store.db.conn:
        store.db.table("day_builds").upsert(
            {
                "date": record.date,
                "outcome": record.outcome,
                "posts": record.posts,
                "version": record.version,
                "writer": record.writer,
                "reason": record.reason,
                "window_start": to_iso(record.window_start),
                "window_end": to_iso(record.window_end),
                "built_at": to_iso(record.built_at),
            },
            pk="date",
        )


def last_build(store: Store, day: date | str | None = None) -> BuildRecord | None:
    """The last build attempt of ``day``, or of the newest date built when None."""
    sql = "SELECT * FROM day_builds "
    sql += "WHERE date = ?" if day is not None else "ORDER BY date DESC LIMIT 1"
    args = [str(day)] if day is not None else []
    cursor = store.db.execute(sql, args)
    names = [column[0] for column in cursor.description]
    row = cursor.fetchone()
    if row is None:
        return None
    data = dict(zip(names, row, strict=True))
    return BuildRecord(
        date=data["date"],
        outcome=data["outcome"],
        posts=data["posts"],
        version=data["version"],
        writer=data["writer"] or "",
        reason=data["reason"] or "",
        window_start=from_iso(data["window_start"]),
        window_end=from_iso(data["window_end"]),
        built_at=from_iso(data["built_at"]),
    )


def empty_days(store: Store, days: list[str]) -> set[str]:
    """Those of ``days`` whose last build found no posts."""
    if not days:
        return set()
    marks = ", ".join("?" * len(days))
    rows = store.db.execute(
        f"SELECT date FROM day_builds WHERE outcome = 'empty' AND date IN ({marks})", days
    )
    return {row[0] for row in rows.fetchall()}


def record_empty_week(store: Store, week: str, newest_sighting: datetime, at: datetime) -> None:
    """A build of ``week`` stored nothing though sightings up to ``newest_sighting`` exist."""
    with store.db.conn:
        store.db.table("empty_weeks").upsert(
            {"week": week, "newest_sighting": to_iso(newest_sighting), "built_at": to_iso(at)},
            pk="week",
        )


def empty_week_seen(store: Store, week: str) -> datetime | None:
    """The newest sighting the last empty build of ``week`` saw (None: no such build)."""
    row = store.db.execute(
        "SELECT newest_sighting FROM empty_weeks WHERE week = ?", [week]
    ).fetchone()
    return from_iso(row[0]) if row else None
