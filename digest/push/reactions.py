"""Reactions on pushed digest messages: readers' feedback, per digest version and chat."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from ..build.week import parse_week
from ..clock import to_iso
from ..store.archive import is_week
from ..store.store import Store

THUMBS_UP, THUMBS_DOWN = "👍", "👎"
ANONYMOUS_REACTOR = 0  # channels report reactions as totals, not per reader


@dataclass(frozen=True, slots=True)
class DayReactions:
    """How readers reacted to one day's pushes."""

    date: str
    chats: int  # chats with at least one reaction
    up: int
    down: int
    others: dict[str, int] = field(default_factory=dict)  # emoji -> count


def pushed_digest(store: Store, chat_id: int, message_id: int) -> tuple[str, int] | None:
    """(date, version) of the digest a pushed message carried; None for any other message."""
    row = store.db.execute(
        "SELECT date, version FROM deliveries WHERE chat_id = ? AND message_id = ? LIMIT 1",
        [chat_id, message_id],
    ).fetchone()
    return (str(row[0]), int(row[1])) if row else None


def record_reactions(
    store: Store,
    chat_id: int,
    message_id: int,
    actor: int,
    counts: Mapping[str, int],
    at: datetime,
) -> bool:
    """Replace what ``actor`` reacted to a pushed message with ``counts`` (emoji -> count).

    An empty ``counts`` removes the actor's reactions. Returns False, storing nothing,
    when the message is not a pushed digest.
    """
    digest = pushed_digest(store, chat_id, message_id)
    if digest is None:
        return False
    day, version = digest
    rows = [
        {
            "chat_id": chat_id,
            "message_id": message_id,
            "actor": actor,
            "emoji": emoji,
            "count": count,
            "date": day,
            "version": version,
            "updated_at": to_iso(at),
        }
        for emoji, count in counts.items()
        if count > 0
    ]
    with store.db.conn:
        store.db.execute(
            "DELETE FROM reactions WHERE chat_id = ? AND message_id = ? AND actor = ?",
            [chat_id, message_id, actor],
        )
        if rows:
            store.db.table("reactions").insert_all(rows)
    return True


def reactions_by_day(store: Store, days: int = 7) -> list[DayReactions]:
    """The newest ``days`` digests (days, or weeks placed at their Sunday) that got
    reactions, newest first."""
    keys = [key for (key,) in store.db.execute("SELECT DISTINCT date FROM reactions")]
    newest = sorted(keys, key=_when, reverse=True)[:days]
    marks = ", ".join("?" * len(newest))
    rows = store.db.execute(
        f"SELECT date, emoji, sum(count) FROM reactions WHERE date IN ({marks}) "
        "GROUP BY date, emoji",
        newest,
    ).fetchall()
    chats = dict(
        store.db.execute(
            f"SELECT date, count(DISTINCT chat_id) FROM reactions WHERE date IN ({marks}) "
            "GROUP BY date",
            newest,
        ).fetchall()
    )
    by_day: dict[str, dict[str, int]] = {}
    for day, emoji, total in rows:
        by_day.setdefault(day, {})[emoji] = int(total)
    return [
        DayReactions(
            date=day,
            chats=int(chats[day]),
            up=emojis.pop(THUMBS_UP, 0),
            down=emojis.pop(THUMBS_DOWN, 0),
            others=dict(sorted(emojis.items(), key=lambda item: -item[1])),
        )
        for day, emojis in sorted(by_day.items(), key=lambda item: _when(item[0]), reverse=True)
    ]


def _when(key: str) -> tuple[date, bool]:
    """Where a digest key stands in time: a day, or an ISO week at its Sunday, after
    that day's own digest (``2026-W07`` sorts after every day of 2026 as a string)."""
    if is_week(key):
        return parse_week(key)[1][-1], True
    return date.fromisoformat(key), False
