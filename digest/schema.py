"""The SQLite schema, created and migrated in order at start-up.

Each migration is a function applied once; the number applied is kept in the
``_meta`` table as ``schema_version``. Append new migrations, never edit old ones.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]


def _v1_posts(db: sqlite_utils.Database) -> None:
    db["posts"].create(
        {
            "source": str,
            "post_id": str,
            "title": str,
            "url": str,
            "author": str,
            "heat": float,
            "rank": int,
            "category": str,
            "tags": str,  # JSON list
            "brief": str,
            "published_at": str,
            "first_seen_at": str,
            "last_seen_at": str,
        },
        pk=("source", "post_id"),
        not_null={"title", "first_seen_at", "last_seen_at"},
    )
    db["posts"].create_index(["last_seen_at"], index_name="idx_posts_last_seen_at")
    db["snapshots"].create(
        {"source": str, "post_id": str, "fetched_at": str, "rank": int, "heat": float},
        pk=("source", "post_id", "fetched_at"),
    )
    # The window query ("posts seen between A and B") scans this index only:
    # it is a range on fetched_at and covers every column that query reads, so a
    # build reads its window, not the whole store.
    db["snapshots"].create_index(
        ["fetched_at", "source", "post_id", "heat", "rank"],
        index_name="idx_snapshots_fetched_at",
    )
    db["fetches"].create(
        {
            "id": int,
            "source": str,
            "started_at": str,
            "finished_at": str,
            "ok": int,
            "posts": int,
            "error": str,
        },
        pk="id",
    )
    db["fetches"].create_index(["source", "started_at"], index_name="idx_fetches_source")


def _v2_digests(db: sqlite_utils.Database) -> None:
    db["digests"].create(
        {
            "date": str,
            "version": int,
            "built_at": str,
            "writer": str,
            "fingerprint": str,
            "data": str,  # JSON of digest.model.Digest
        },
        pk=("date", "version"),
        not_null={"built_at", "writer", "fingerprint", "data"},
    )


MIGRATIONS: tuple[Migration, ...] = (_v1_posts, _v2_digests)


def schema_version(db: sqlite_utils.Database) -> int:
    """How many migrations this database has applied (0 for a new file)."""
    if not db["_meta"].exists():
        return 0
    row = db.execute("SELECT value FROM _meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(db: sqlite_utils.Database) -> int:
    """Apply the migrations this database lacks, each in its own transaction."""
    if not db["_meta"].exists():
        db["_meta"].create({"key": str, "value": str}, pk="key")
    current = schema_version(db)
    for number, migration in enumerate(MIGRATIONS[current:], start=current + 1):
        with db.conn:
            migration(db)
            db.execute(
                "INSERT OR REPLACE INTO _meta (key, value) VALUES ('schema_version', ?)",
                [str(number)],
            )
    return len(MIGRATIONS)
