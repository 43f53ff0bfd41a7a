"""The SQLite store of hot posts, heat snapshots and source fetches."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from ..clock import from_iso, to_iso
from ..errors import StoreError
from ..models import Post
from .problems import store_problem
from .schema import migrate

# ``stored_order`` numbers posts in the order they were first stored (the alert runs'
# cursor): set once, by the insert, in the writer's transaction (SQLite has one writer at
# a time, so numbers grow in commit order); an update never changes it.

# Fields a sighting may carry. The newest sighting wins for every field it carries; a
# field it lacks (NULL, or an empty tag list) keeps what an earlier sighting knew, so one
# record never blanks another.
_CARRIED = ("title", "url", "author", "heat", "rank", "category", "tags", "brief")


def _newest_carried(column: str) -> str:
    """The ``SET`` clause of one carried field for the upsert below."""

    def known(side: str) -> str:
        return f"nullif({side}.{column}, '[]')" if column == "tags" else f"{side}.{column}"

    return (
        f"{column} = CASE WHEN excluded.last_seen_at >= posts.last_seen_at"
        f" THEN coalesce({known('excluded')}, posts.{column})"
        f" ELSE coalesce({known('posts')}, excluded.{column}) END"
    )


_UPSERT_POST = (
    """
INSERT INTO posts (source, post_id, title, url, author, heat, rank, category, tags, brief,
                   published_at, first_seen_at, last_seen_at, stored_order)
VALUES (:source, :post_id, :title, :url, :author, :heat, :rank, :category, :tags, :brief,
        :published_at, :seen_at, :seen_at,
        (SELECT coalesce(max(stored_order), 0) + 1 FROM posts))
ON CONFLICT (source, post_id) DO UPDATE SET
"""
    + "".join(f"    {_newest_carried(column)},\n" for column in _CARRIED)
    + """    published_at = coalesce(posts.published_at, excluded.published_at),
    first_seen_at = min(posts.first_seen_at, excluded.first_seen_at),
    last_seen_at = max(posts.last_seen_at, excluded.last_seen_at)
"""
)

_INSERT_SNAPSHOT = """
INSERT OR REPLACE INTO snapshots (source, post_id, fetched_at, rank, heat)
VALUES (:source, :post_id, :seen_at, :rank, :heat)
"""

# Reads only idx_snapshots_fetched_at for the range, then posts by primary key.
_WINDOW_QUERY = """
SELECT p.*, w.peak_heat, w.best_rank, w.sightings
FROM (
    SELECT source, post_id, max(heat) AS peak_heat, min(rank) AS best_rank, count(*) AS sightings
    FROM snapshots INDEXED BY idx_snapshots_fetched_at
    WHERE fetched_at >= :start AND fetched_at < :end
    GROUP BY source, post_id
) AS w
JOIN posts AS p ON p.source = w.source AND p.post_id = w.post_id
"""


# The sightings in [?, ?) of the posts of a JSON list of [source, post_id] keys (the first
# parameter): each key is a lookup by the snapshots' primary key, one query for them all.
_BY_KEY = """
FROM json_each(?) AS k
JOIN snapshots AS s
  ON s.source = json_extract(k.value, '$[0]') AND s.post_id = json_extract(k.value, '$[1]')
WHERE s.fetched_at >= ? AND s.fetched_at < ?
"""


@dataclass(frozen=True, slots=True)
class SeenPost:
    """A stored post with what the store knows about its sightings.

    ``heat`` and ``rank`` are the peak heat and best rank within the queried
    window (or the latest known, outside a window query).
    """

    post: Post
    first_seen_at: datetime
    last_seen_at: datetime
    heat: float | None
    rank: int | None
    sightings: int = 1

    @property
    def key(self) -> tuple[str, str]:
        return (self.post.source, self.post.post_id)


@dataclass(frozen=True, slots=True)
class Fetch:
    """One attempt to read a source."""

    source: str
    started_at: datetime
    finished_at: datetime
    ok: bool
    posts: int
    error: str | None = None


class Store:
    """Posts keyed by (source, post_id), a heat snapshot per sighting, fetch history.

    Synchronous and bound to the thread that opened it (sqlite3's rule);
    coroutines reach it through one single-thread executor.
    """

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        migrate(db)

    @classmethod
    def open(cls, path: str | Path, busy_timeout: float = 30.0) -> Store:
        """Open (creating and migrating) the store at ``path``, in WAL mode.

        :param busy_timeout: seconds to wait for another writer before giving up.
        :raises StoreError: naming the file and what to do (locked, read-only, damaged).
        """
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=busy_timeout)
        except OSError as exc:
            raise StoreError(f"cannot open database {str(path)!r}: {exc}") from exc
        except sqlite3.Error as exc:
            raise store_problem(path, exc) from exc
        try:
            db = sqlite_utils.Database(conn)
            db.enable_wal()
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA foreign_keys = ON")
            return cls(db)
        except sqlite3.Error as exc:
            conn.close()
            raise store_problem(path, exc) from exc
        except BaseException:
            conn.close()  # e.g. a schema too new: do not leak the connection
            raise

    @classmethod
    def memory(cls) -> Store:
        """A fresh in-memory store (tests, the demo's scratch space)."""
        return cls(sqlite_utils.Database(memory=True))

    def close(self) -> None:
        self.db.close()

    # -- writing -----------------------------------------------------------

    def save_posts(self, posts: Iterable[Post], seen_at: datetime) -> int:
        """Upsert posts seen at one moment and record a heat snapshot for each."""
        return self.save_sightings((post, seen_at) for post in posts)

    def save_sightings(self, sightings: Iterable[tuple[Post, datetime]]) -> int:
        """Upsert (post, seen_at) pairs in one transaction; returns how many."""
        rows = [_sighting_row(post, seen_at) for post, seen_at in sightings]
        with self.db.conn:
            self.db.conn.executemany(_UPSERT_POST, rows)
            self.db.conn.executemany(_INSERT_SNAPSHOT, rows)
        return len(rows)

    def record_fetch(self, fetch: Fetch) -> None:
        """Keep one source fetch for the health view."""
        with self.db.conn:
            self.db.table("fetches").insert(
                {
                    "source": fetch.source,
                    "started_at": to_iso(fetch.started_at),
                    "finished_at": to_iso(fetch.finished_at),
                    "ok": int(fetch.ok),
                    "posts": fetch.posts,
                    "error": fetch.error,
                }
            )

    # -- reading -----------------------------------------------------------

    def posts_in_window(
        self, start: datetime, end: datetime, sources: Sequence[str] | None = None
    ) -> list[SeenPost]:
        """Posts with a sighting in [start, end), hottest first, ties by source and id."""
        rows = self.db.execute(_WINDOW_QUERY, {"start": to_iso(start), "end": to_iso(end)})
        seen = [_seen_post(row, windowed=True) for row in _dict_rows(rows)]
        if sources:
            wanted = set(sources)
            seen = [item for item in seen if item.post.source in wanted]
        seen.sort(key=lambda s: (s.heat is None, -(s.heat or 0), s.post.source, s.post.post_id))
        return seen

    def get_post(self, source: str, post_id: str) -> SeenPost | None:
        rows = self.db.execute(
            "SELECT * FROM posts WHERE source = ? AND post_id = ?", [source, post_id]
        )
        found = _dict_rows(rows)
        return _seen_post(found[0], windowed=False) if found else None

    def titles_first_seen(
        self, start: datetime, end: datetime, limit: int
    ) -> list[tuple[tuple[str, str], str]]:
        """(key, title) of the newest ``limit`` posts first seen in [start, end)."""
        rows = self.db.execute(
            "SELECT source, post_id, title FROM posts INDEXED BY idx_posts_first_seen_at"
            " WHERE first_seen_at >= ? AND first_seen_at < ?"
            " ORDER BY first_seen_at DESC, source, post_id LIMIT ?",
            [to_iso(start), to_iso(end), limit],
        )
        return [((source, post_id), title) for source, post_id, title in rows]

    def sighting_days(
        self, keys: Iterable[tuple[str, str]], since: datetime, end: datetime
    ) -> dict[tuple[str, str], int]:
        """For each post, on how many distinct UTC days it was seen in [since, end).

        One query for all posts: each key is looked up by the snapshots' primary key.
        """
        wanted = list(keys)
        result = dict.fromkeys(wanted, 0)
        rows = self.db.execute(
            "SELECT s.source, s.post_id, count(DISTINCT substr(s.fetched_at, 1, 10))"
            + _BY_KEY
            + "GROUP BY s.source, s.post_id",
            [json.dumps(wanted), to_iso(since), to_iso(end)],
        )
        result.update({(source, post_id): int(days) for source, post_id, days in rows})
        return result

    def first_ranks(
        self, keys: Iterable[tuple[str, str]], start: datetime, end: datetime
    ) -> dict[tuple[str, str], int]:
        """Each post's rank at its first ranked sighting in [start, end) (none: left out).

        SQLite takes a bare column (``rank``) from the row that gives ``min()`` its value.
        """
        rows = self.db.execute(
            "SELECT s.source, s.post_id, s.rank, min(s.fetched_at)"
            + _BY_KEY
            + "AND s.rank IS NOT NULL GROUP BY s.source, s.post_id",
            [json.dumps(list(keys)), to_iso(start), to_iso(end)],
        )
        return {(source, post_id): int(rank) for source, post_id, rank, _ in rows}

    def fetches(self, limit: int = 100) -> list[Fetch]:
        rows = self.db.execute(
            "SELECT * FROM fetches ORDER BY started_at DESC, id DESC LIMIT ?", [limit]
        )
        return [
            Fetch(
                source=row["source"],
                started_at=from_iso(row["started_at"]),
                finished_at=from_iso(row["finished_at"]),
                ok=bool(row["ok"]),
                posts=row["posts"],
                error=row["error"],
            )
            for row in _dict_rows(rows)
        ]

    def source_health(self) -> dict[str, Fetch]:
        """The latest fetch of each source."""
        latest: dict[str, Fetch] = {}
        for fetch in self.fetches(limit=1000):
            latest.setdefault(fetch.source, fetch)
        return latest

    def last_success(self, source: str) -> datetime | None:
        row = self.db.execute(
            "SELECT max(finished_at) FROM fetches WHERE source = ? AND ok = 1", [source]
        ).fetchone()
        return from_iso(row[0]) if row and row[0] else None

    def last_sighting(self, start: datetime, end: datetime) -> datetime | None:
        """When the newest post sighting in [start, end] was fetched, if any."""
        row = self.db.execute(
            "SELECT max(fetched_at) FROM snapshots WHERE fetched_at >= ? AND fetched_at <= ?",
            [to_iso(start), to_iso(end)],
        ).fetchone()
        return from_iso(row[0]) if row and row[0] else None

    def count_posts(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM posts").fetchone()[0])


def _sighting_row(post: Post, seen_at: datetime) -> dict[str, Any]:
    row = post.to_row()
    row["tags"] = json.dumps(row["tags"], ensure_ascii=False)
    row["seen_at"] = to_iso(seen_at)
    return row


def _dict_rows(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def _seen_post(row: dict[str, Any], *, windowed: bool) -> SeenPost:
    post = Post(
        source=row["source"],
        post_id=row["post_id"],
        title=row["title"],
        url=row["url"],
        author=row["author"],
        heat=row["heat"],
        rank=row["rank"],
        category=row["category"],
        tags=tuple(json.loads(row["tags"] or "[]")),
        brief=row["brief"],
        published_at=from_iso(row["published_at"]) if row["published_at"] else None,
    )
    return SeenPost(
        post=post,
        first_seen_at=from_iso(row["first_seen_at"]),
        last_seen_at=from_iso(row["last_seen_at"]),
        heat=row["peak_heat"] if windowed else row["heat"],
        rank=row["best_rank"] if windowed else row["rank"],
        sightings=row["sightings"] if windowed else 1,
    )
