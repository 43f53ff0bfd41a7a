"""The SQLite schema, created and migrated in order at start-up.

Each migration is a function applied once; the number applied is kept in the
``_meta`` table as ``schema_version``. Append new migrations, never edit old ones
(v1 to v6 are in ``early_schema.py``).
"""

from __future__ import annotations

import sqlite_utils

from ..errors import StoreError
from .early_schema import FIRST_MIGRATIONS, Migration


def _v7_day_builds(db: sqlite_utils.Database) -> None:
    # How many sources each stored digest cites, so "the newest digest with posts" is an
    # index-only question rather than a parse of every stored digest's JSON.
    db.execute("ALTER TABLE digests ADD COLUMN sources INTEGER NOT NULL DEFAULT 1")
    db.execute("UPDATE digests SET sources = json_array_length(data, '$.sources')")
    # The last build attempt of each digest date, so an empty window (which stores no
    # digest) still leaves a trace: /digest, /stats and skipped pushes say why.
    db.table("day_builds").create(
        {
            "date": str,
            "outcome": str,  # new | unchanged | empty
            "posts": int,  # posts in the window
            "version": int,  # the stored version it left (0: none)
            "writer": str,
            "reason": str,  # why LLM text was rejected, if it was
            "window_start": str,
            "window_end": str,
            "built_at": str,
        },
        pk="date",
        not_null={"outcome", "posts", "version", "built_at"},
    )


def _v8_incidents(db: sqlite_utils.Database) -> None:
    # Admin alert incidents: one row per incident key while open, kept when resolved, so
    # a restart neither repeats an alert nor forgets to announce the recovery.
    db.table("incidents").create(
        {
            "key": str,  # e.g. "source:juejin", "empty:2026-02-15", "llm"
            "kind": str,
            "detail": str,
            "opened_at": str,
            "resolved_at": str,
        },
        pk="key",
        not_null={"kind", "opened_at"},
    )


def _v9_chart(db: sqlite_utils.Database) -> None:
    # Whether a chat's brief push opens with the heat chart as a photo (0: text only, the
    # default, so chats that subscribed before the chart existed get what they had).
    db.execute("ALTER TABLE chats ADD COLUMN chart INTEGER NOT NULL DEFAULT 0")


def _v10_follows(db: sqlite_utils.Database) -> None:
    _follow_tables(db)
    _alert_tables(db)


def _follow_tables(db: sqlite_utils.Database) -> None:
    # Follow groups per chat (issue 15). ``expression`` is the canonical text of one
    # group; its number in /following is its rank by id within the chat.
    db.table("follows").create(
        {
            "id": int,
            "chat_id": int,
            "expression": str,
            "name": str,
            "paused": int,
            "created_at": str,
        },
        pk="id",
        not_null={"chat_id", "expression", "paused", "created_at"},
    )
    db.table("follows").create_index(["chat_id"], index_name="idx_follows_chat")
    # A chat's alert settings; a chat without a row has alerts on, no quiet hours.
    db.table("follow_settings").create(
        {
            "chat_id": int,
            "alerts": int,
            "quiet_start": str,  # HH:MM local, or NULL
            "quiet_end": str,
            "max_per_day": int,  # alert messages per local day; 0 = no limit
            "off_reason": str,  # why alerts went off by themselves (bot blocked)
            "language": str,  # of the alerts, unless the chat's digest settings say
            "updated_at": str,
        },
        pk="chat_id",
        not_null={"alerts", "max_per_day", "updated_at"},
    )


def _alert_tables(db: sqlite_utils.Database) -> None:
    # The alert ledger: a row per (chat, post) claimed before its message is sent, so a
    # post alerts a chat at most once ever; the partial unique index makes a post with
    # the same link from another source count as the same post.
    db.table("follow_alerts").create(
        {
            "chat_id": int,
            "source": str,
            "post_id": str,
            "link": str,  # normalised URL, or NULL
            "follow_id": int,
            "label": str,  # the group's label when it matched
            "batch_id": int,  # the message it went out in; NULL while held or capped
            "status": str,  # pending | held | capped | batched (in batch_id)
            "created_at": str,
        },
        pk=("chat_id", "source", "post_id"),
        not_null={"status", "created_at"},
    )
    db.execute(
        "CREATE UNIQUE INDEX idx_follow_alerts_link ON follow_alerts (chat_id, link) "
        "WHERE link IS NOT NULL"
    )
    db.table("follow_alerts").create_index(["batch_id"], index_name="idx_follow_alerts_batch")
    db.table("follow_alerts").create_index(
        ["status", "chat_id"], index_name="idx_follow_alerts_status"
    )
    # One alert message: claimed as ``sending`` before it is sent (a crash never resends).
    db.table("alert_batches").create(
        {
            "id": int,
            "chat_id": int,
            "local_day": str,  # the chat's date when it was made, for the daily cap
            "status": str,  # sending | sent | failed
            "message_id": int,
            "error": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"chat_id", "local_day", "status", "created_at", "updated_at"},
    )
    db.table("alert_batches").create_index(
        ["chat_id", "local_day"], index_name="idx_alert_batches_day"
    )
    # Alert runs: ``through`` is the newest first_seen_at they covered, so the next run
    # (after a restart too) starts where the last one ended.
    db.table("alert_runs").create(
        {"id": int, "at": str, "through": str, "posts": int, "alerts": int},
        pk="id",
        not_null={"at", "through"},
    )
    db.table("posts").create_index(["first_seen_at"], index_name="idx_posts_first_seen_at")


def _v11_topics(db: sqlite_utils.Database) -> None:
    # Issue 16: a subscription belongs to (chat, topic). ``thread_id`` is the forum topic's
    # message_thread_id, 0 for a chat without topics (or its General topic), so every
    # existing row keeps meaning what it did. SQLite cannot change a primary key in place:
    # chats and deliveries are copied into tables keyed with the topic, whatever columns
    # they have by then (other migrations may add some), and their indexes made again.
    def rekey(table: str, key: str) -> None:
        info = db.execute(f"PRAGMA table_info([{table}])").fetchall()
        names = ", ".join(f"[{row[1]}]" for row in info)
        columns = [
            f"[{name}] {kind}" + (" NOT NULL" if notnull else "")
            + ("" if default is None else f" DEFAULT {default}")
            for _, name, kind, notnull, default, _ in info
        ]  # fmt: skip
        columns += ["[thread_id] INTEGER NOT NULL DEFAULT 0", f"PRIMARY KEY ({key})"]
        indexes = db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL",
            [table],
        ).fetchall()
        db.execute(f"CREATE TABLE [{table}_v11] ({', '.join(columns)})")
        db.execute(f"INSERT INTO [{table}_v11] ({names}) SELECT {names} FROM [{table}]")
        db.execute(f"DROP TABLE [{table}]")
        db.execute(f"ALTER TABLE [{table}_v11] RENAME TO [{table}]")
        for (sql,) in indexes:
            db.execute(sql)

    rekey("chats", "chat_id, thread_id")
    rekey("deliveries", "date, version, chat_id, thread_id, part")
    # Which link a push previews: headline | none; NULL: the operator's default.
    db.execute("ALTER TABLE chats ADD COLUMN link_preview TEXT")
    # A follow group alerts in the topic it was set in; so do its alert rows and messages.
    for table in ("follows", "follow_alerts", "alert_batches"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN thread_id INTEGER NOT NULL DEFAULT 0")


def _v12_alert_retention(db: sqlite_utils.Database) -> None:
    # Retention prunes the alert ledger, its messages and the run log by age, a batch at
    # a time from the oldest row: each batch walks an index rather than the table.
    for table, column in (
        ("follow_alerts", "created_at"),
        ("alert_batches", "created_at"),
        ("alert_runs", "at"),
    ):
        db.table(table).create_index([column], index_name=f"idx_{table}_{column}")


def _v13_weekly(db: sqlite_utils.Database) -> None:
    # Weekly digests (issue 17), versioned like the dailies and keyed by ISO week
    # ("2026-W07" in ``date``), in a table of their own so "the newest daily digest" never
    # meets a week. A chat's cadence: daily, weekly or both; the weekly push's ISO weekday
    # (1 = Monday) and local time (NULL: the daily push time), and whether it opens with
    # the week's chart (on by default).
    db.table("week_digests").create(
        {
            "date": str,
            "version": int,
            "built_at": str,
            "writer": str,
            "fingerprint": str,
            "sources": int,
            "data": str,
        },
        pk=("date", "version"),
        not_null={"built_at", "writer", "fingerprint", "sources", "data"},
    )
    db.execute("ALTER TABLE chats ADD COLUMN cadence TEXT NOT NULL DEFAULT 'daily'")
    db.execute("ALTER TABLE chats ADD COLUMN week_day INTEGER NOT NULL DEFAULT 1")
    db.execute("ALTER TABLE chats ADD COLUMN week_time TEXT")
    db.execute("ALTER TABLE chats ADD COLUMN week_chart INTEGER NOT NULL DEFAULT 1")


def _v14_empty_weeks(db: sqlite_utils.Database) -> None:
    # A weekly build that found nothing to show (every post of the week filtered out)
    # stores no digest. This keeps the newest sighting it saw, so the delivery tick's
    # catch-up tries that week again only once a newer sighting could change the outcome,
    # not every minute.
    db.table("empty_weeks").create(
        {"week": str, "newest_sighting": str, "built_at": str},
        pk="week",
        not_null={"newest_sighting", "built_at"},
    )


def _v15_forum_topics(db: sqlite_utils.Database) -> None:
    # Forum topics as their service messages tell them: a topic's name (for /settings) and
    # whether it is closed. A follow group paused because its topic was closed is marked,
    # so reopening the topic resumes it and never a group its readers paused themselves.
    db.table("forum_topics").create(
        {"chat_id": int, "thread_id": int, "name": str, "closed": int, "updated_at": str},
        pk=("chat_id", "thread_id"),
        not_null={"closed", "updated_at"},
        defaults={"closed": 0},
    )
    db.execute("ALTER TABLE follows ADD COLUMN paused_by_topic INTEGER NOT NULL DEFAULT 0")


def _v16_alert_mark(db: sqlite_utils.Database) -> None:
    # The last post (rowid) an alert run read: posts are never deleted, so rowids grow in
    # the order posts are stored, whoever stores them (the bot, `hotdigest ingest`, an
    # import); NULL on the runs before this, which then read by first sighting once.
    db.execute("ALTER TABLE alert_runs ADD COLUMN through_rowid INTEGER")


def _v17_post_order(db: sqlite_utils.Database) -> None:
    # The order posts were stored in, for the alert runs' cursor (alert_runs.through_rowid
    # holds it from now on). v16 used the implicit rowid, which SQLite documents VACUUM
    # may renumber in a table without an INTEGER PRIMARY KEY (posts: source, post_id),
    # as may any rebuild of the table: a post stored after the last run but renumbered
    # below its mark would never alert. A column keeps its values through both. It starts
    # as the rowid, so the last run's mark still points where it did.
    db.execute("ALTER TABLE posts ADD COLUMN stored_order INTEGER")
    db.execute("UPDATE posts SET stored_order = rowid")
    db.execute("CREATE UNIQUE INDEX idx_posts_stored_order ON posts (stored_order)")


MIGRATIONS: tuple[Migration, ...] = (
    *FIRST_MIGRATIONS,
    _v7_day_builds,
    _v8_incidents,
    _v9_chart,
    _v10_follows,
    _v11_topics,
    _v12_alert_retention,
    _v13_weekly,
    _v14_empty_weeks,
    _v15_forum_topics,
    _v16_alert_mark,
    _v17_post_order,
)


def schema_version(db: sqlite_utils.Database) -> int:
    """How many migrations this database has applied (0 for a new file)."""
    if not db["_meta"].exists():
        return 0
    row = db.execute("SELECT value FROM _meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(db: sqlite_utils.Database) -> int:
    """Apply the migrations this database lacks, each in its own transaction."""
    if not db["_meta"].exists():
        db.table("_meta").create({"key": str, "value": str}, pk="key")
    current = schema_version(db)
    if current > len(MIGRATIONS):
        # Written by a newer hotdigest: its tables may not mean what this code expects.
        raise StoreError(
            f"database schema version {current} is newer than this hotdigest's "
            f"({len(MIGRATIONS)}); upgrade hotdigest"
        )
    for number, migration in enumerate(MIGRATIONS[current:], start=current + 1):
        with db.conn:
            migration(db)
            db.execute(
                "INSERT OR REPLACE INTO _meta (key, value) VALUES ('schema_version', ?)",
                [str(number)],
            )
    return len(MIGRATIONS)
