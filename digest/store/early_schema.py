"""The first six schema migrations (v1 to v6): posts, digests, chats, deliveries, LLM
cache, reactions. Applied in order by ``schema.migrate``; like every migration, never edited.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]


def _v1_posts(db: sqlite_utils.Database) -> None:
    db.table("posts").create(
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
    db.table("posts").create_index(["last_seen_at"], index_name="idx_posts_last_seen_at")
    db.table("snapshots").create(
        {"source": str, "post_id": str, "fetched_at": str, "rank": int, "heat": float},
        pk=("source", "post_id", "fetched_at"),
    )
    # The window query ("posts seen between A and B") scans this index only:
    # it is a range on fetched_at and covers every column that query reads, so a
    # build reads its window, not the whole store.
    db.table("snapshots").create_index(
        ["fetched_at", "source", "post_id", "heat", "rank"],
        index_name="idx_snapshots_fetched_at",
    )
    db.table("fetches").create(
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
    db.table("fetches").create_index(["source", "started_at"], index_name="idx_fetches_source")


def _v2_digests(db: sqlite_utils.Database) -> None:
    db.table("digests").create(
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


def _v3_chats(db: sqlite_utils.Database) -> None:
    # One row per chat the bot knows; ``active`` says whether it gets pushes.
    # Settings survive an unsubscribe so a chat that comes back keeps them.
    db.table("chats").create(
        {
            "chat_id": int,
            "chat_type": str,
            "title": str,
            "language": str,
            "push_time": str,  # HH:MM, local to ``timezone``
            "timezone": str,
            "mode": str,  # brief | full
            "sections": str,  # JSON list of section ids for full pushes
            "include_sources": str,  # JSON list; empty = all
            "exclude_sources": str,  # JSON list
            "active": int,
            "subscribed_at": str,
            "updated_at": str,
            "inactive_reason": str,
            "migrated_to": int,
        },
        pk="chat_id",
        not_null={"chat_type", "language", "push_time", "timezone", "mode", "active"},
    )
    db.table("chats").create_index(["active"], index_name="idx_chats_active")


def _v4_deliveries(db: sqlite_utils.Database) -> None:
    # The push ledger: a row is written before a part is sent and updated after,
    # so a restart knows exactly which parts went out.
    db.table("deliveries").create(
        {
            "date": str,
            "version": int,
            "chat_id": int,
            "part": int,
            "parts": int,
            "kind": str,  # push | correction
            "status": str,  # sending | sent | failed | deactivated | unconfirmed
            "message_id": int,
            "attempts": int,
            "error": str,
            "updated_at": str,
        },
        pk=("date", "version", "chat_id", "part"),
        not_null={"status", "attempts", "updated_at"},
    )
    db.table("deliveries").create_index(["chat_id", "date"], index_name="idx_deliveries_chat")
    db.table("deliveries").create_index(["status"], index_name="idx_deliveries_status")


def _v5_llm(db: sqlite_utils.Database) -> None:
    # Validated answers of the LLM writer, keyed by what they depend on, so a
    # rebuild of unchanged input spends no tokens; and a log of every request's
    # tokens (rejected and failed ones cost too) for /stats.
    db.table("llm_cache").create(
        {
            "fingerprint": str,
            "section": str,
            "language": str,
            "model": str,
            "prompt_version": str,
            "answer": str,  # JSON: {"blocks": [...]}, validated before it was stored
            "prompt_tokens": int,
            "completion_tokens": int,
            "created_at": str,
        },
        pk=("fingerprint", "section", "language", "model", "prompt_version"),
        not_null={"answer", "created_at"},
    )
    db.table("llm_calls").create(
        {
            "id": int,
            "at": str,
            "fingerprint": str,
            "section": str,
            "language": str,
            "model": str,
            "outcome": str,  # valid | invalid | error
            "prompt_tokens": int,
            "completion_tokens": int,
        },
        pk="id",
        not_null={"at", "outcome"},
    )
    db.table("llm_calls").create_index(["at"], index_name="idx_llm_calls_at")


def _v6_reactions(db: sqlite_utils.Database) -> None:
    # One row per (pushed message, who reacted, emoji); channel reactions are anonymous
    # totals, kept under actor 0 with their count.
    db.table("reactions").create(
        {
            "chat_id": int,
            "message_id": int,
            "actor": int,
            "emoji": str,
            "count": int,
            "date": str,
            "version": int,
            "updated_at": str,
        },
        pk=("chat_id", "message_id", "actor", "emoji"),
        not_null={"date", "version", "count", "updated_at"},
    )
    db.table("reactions").create_index(["date", "version"], index_name="idx_reactions_digest")
    # A reaction names a message; the ledger says which digest that message carried.
    db.table("deliveries").create_index(
        ["chat_id", "message_id"], index_name="idx_deliveries_message"
    )


FIRST_MIGRATIONS: tuple[Migration, ...] = (
    _v1_posts,
    _v2_digests,
    _v3_chats,
    _v4_deliveries,
    _v5_llm,
    _v6_reactions,
)
