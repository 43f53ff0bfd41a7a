"""Chats the bot knows, their push settings, and whether they are subscribed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, time
from typing import Any, TypeVar

from ..clock import from_iso, parse_hhmm, to_iso, zone
from ..document import SECTION_IDS
from ..errors import UsageError
from ..store.store import Store

T = TypeVar("T")

CHAT_TYPES = ("private", "group", "supergroup", "channel")
MODES = ("brief", "full")
LINK_PREVIEWS = ("headline", "none")  # the headline's link previewed on a push, or none
# Why a topic's subscription paused itself: Telegram refused a send into the topic.
TOPIC_CLOSED, TOPIC_DELETED = "topic_closed", "topic_deleted"
TOPIC_REASONS = (TOPIC_CLOSED, TOPIC_DELETED)


SubscriptionKey = int | tuple[int, int]


def subscription_key(chat_id: int, thread_id: int = 0) -> SubscriptionKey:
    """How plans name a subscription: the chat's id, or (chat, topic) in a forum topic.

    The plain id for chats without topics keeps a 100,000-chat plan's dicts free of a
    tuple per chat (8 MB more at a push's peak, bench/memory.py).
    """
    return (chat_id, thread_id) if thread_id else chat_id


def topic_problem(error: str) -> str | None:
    """Whether a Bot API error says a forum topic is closed or gone (Telegram answers 400
    "TOPIC_CLOSED", "TOPIC_DELETED" or "message thread not found"); None otherwise."""
    text = error.lower()
    if "topic_closed" in text:
        return TOPIC_CLOSED
    if "topic_deleted" in text or "thread not found" in text:
        return TOPIC_DELETED
    return None


# The columns in which chats differ; a push holds the rest once per combination (roster.py).
OWN_COLUMNS = ("chat_id", "thread_id", "title", "subscribed_at")
CADENCES = ("daily", "weekly", "both")  # which pushes a chat gets (issue 17)


@dataclass(frozen=True, slots=True)
class Subscription:
    """A chat's (or one forum topic's) settings; ``active`` ones receive the daily push at
    ``push_time`` local time. ``thread_id`` is the topic's message_thread_id, 0 for the
    chat itself (no topics, or a forum's General topic).

    The row's ``updated_at`` is written on every change but never read back: a push holds
    one of these per chat, and that datetime was 5 MB of 100,000 (bench/memory.py).
    """

    chat_id: int
    chat_type: str
    language: str
    push_time: time
    timezone: str
    title: str | None = None
    mode: str = "brief"
    sections: tuple[str, ...] = SECTION_IDS
    include_sources: tuple[str, ...] = ()
    exclude_sources: tuple[str, ...] = ()
    active: bool = False
    subscribed_at: datetime | None = None
    inactive_reason: str | None = None
    migrated_to: int | None = None
    chart: bool = False  # a brief push opens with the heat chart, the push as its caption
    thread_id: int = 0
    link_preview: str | None = None  # headline | none; None: the operator's default
    cadence: str = "daily"  # daily, weekly or both
    week_day: int = 1  # the weekly push's ISO weekday (1 = Monday)
    week_time: time | None = None  # the weekly push's local time (None: ``push_time``)
    week_chart: bool = True  # a brief weekly push opens with the week's chart

    @property
    def key(self) -> SubscriptionKey:
        """What a subscription is (chat, topic), as plans name it (``subscription_key``)."""
        return subscription_key(self.chat_id, self.thread_id)

    @property
    def daily(self) -> bool:
        return self.cadence != "weekly"

    @property
    def weekly(self) -> bool:
        return self.cadence != "daily"

    @property
    def weekly_time(self) -> time:
        return self.week_time or self.push_time

    @property
    def is_group(self) -> bool:
        return self.chat_type in ("group", "supergroup")

    def wants_source(self, source: str) -> bool:
        if self.include_sources and source not in self.include_sources:
            return False
        return source not in self.exclude_sources

    def validate(self) -> Subscription:
        """Raise UsageError naming the first bad field; return self when all is well."""
        if self.chat_type not in CHAT_TYPES:
            raise UsageError(f"unknown chat type {self.chat_type!r}")
        if self.language not in ("zh", "en"):
            raise UsageError("language must be zh or en")
        if self.mode not in MODES:
            raise UsageError("mode must be brief or full")
        if self.link_preview is not None and self.link_preview not in LINK_PREVIEWS:
            raise UsageError("link preview must be headline or none")
        if self.cadence not in CADENCES:
            raise UsageError("cadence must be daily, weekly or both")
        if not 1 <= self.week_day <= 7:
            raise UsageError("week day must be 1 (Monday) to 7 (Sunday)")
        zone(self.timezone)  # ConfigError → caller reports
        unknown = [s for s in self.sections if s not in SECTION_IDS]
        if unknown or not self.sections:
            raise UsageError(f"sections must be among {', '.join(SECTION_IDS)}")
        return self


class Subscriptions:
    """The ``chats`` table: one row per chat and topic, settings kept across unsubscribes."""

    def __init__(self, store: Store) -> None:
        self.db = store.db

    def get(self, chat_id: int, thread_id: int = 0) -> Subscription | None:
        row = self.db.execute(
            "SELECT * FROM chats WHERE chat_id = ? AND thread_id = ?", [chat_id, thread_id]
        ).fetchone()
        if row is None:
            return None
        names = [c[0] for c in self.db.execute("SELECT * FROM chats LIMIT 0").description]
        return _from_row(dict(zip(names, row, strict=True)))

    def save(self, subscription: Subscription, now: datetime) -> Subscription:
        """Insert or replace a chat's row (validated first)."""
        saved = subscription.validate()
        with self.db.conn:
            self.db.table("chats").upsert(_to_row(saved, now), pk=("chat_id", "thread_id"))
        return saved

    def subscribe(self, base: Subscription, now: datetime) -> Subscription:
        """Activate ``base`` (a new chat or an existing one with changed time/zone)."""
        current = self.get(base.chat_id, base.thread_id)
        started = current.subscribed_at if current and current.active else now
        return self.save(
            replace(base, active=True, subscribed_at=started, inactive_reason=None), now
        )

    def deactivate(
        self, chat_id: int, reason: str, now: datetime, thread_id: int | None = None
    ) -> bool:
        """Stop pushes to a chat's topic (``thread_id``), or with None to all of the chat
        (unsubscribed, blocked, gone, topic closed); False if none was active."""
        topic, args = ("", []) if thread_id is None else (" AND thread_id = ?", [thread_id])
        with self.db.conn:
            cursor = self.db.execute(
                "UPDATE chats SET active = 0, inactive_reason = ?, updated_at = ? "
                f"WHERE chat_id = ? AND active = 1{topic}",
                [reason, to_iso(now), chat_id, *args],
            )
        return cursor.rowcount > 0

    def topics(self, chat_id: int) -> list[Subscription]:
        """Every row of a chat: the chat itself and each topic it knows, by topic."""
        return self._select("WHERE chat_id = ? ORDER BY thread_id", [chat_id])

    def migrate(self, old_id: int, new_id: int, now: datetime) -> Subscription | None:
        """A group became a supergroup: move its settings to the new id (each topic's row
        too, should a basic group have any: they keep their thread ids)."""
        rows = self.topics(old_id)
        if not rows:
            return None
        with self.db.conn:
            for old in rows:
                moved = replace(old, chat_id=new_id, chat_type="supergroup", migrated_to=None)
                self.db.table("chats").upsert(_to_row(moved, now), pk=("chat_id", "thread_id"))
            self.db.execute(
                "UPDATE chats SET active = 0, inactive_reason = 'migrated', migrated_to = ?, "
                "updated_at = ? WHERE chat_id = ?",
                [new_id, to_iso(now), old_id],
            )
        return self.get(new_id)

    def active(self) -> list[Subscription]:
        return list(self.each_active())

    def each_active(self) -> Iterator[Subscription]:
        """The active chats as :meth:`active`, one by one as they are read (a push keeps
        them in a ``Roster``)."""
        return self._rows("WHERE active = 1 ORDER BY chat_id, thread_id")

    def active_rows(self) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
        """The active chats' rows as stored, in :meth:`each_active`'s order, and their
        column names: a chat's own (:data:`OWN_COLUMNS`) first, then those chats share
        (``updated_at`` left out: never read back). Nothing is decoded, so a reader can
        make one ``Subscription`` per combination of shared values (``Roster.active``)."""
        columns = [c[0] for c in self.db.execute("SELECT * FROM chats LIMIT 0").description]
        names = [*OWN_COLUMNS, *(c for c in columns if c not in (*OWN_COLUMNS, "updated_at"))]
        cursor = self.db.execute(
            f"SELECT {', '.join(names)} FROM chats WHERE active = 1 ORDER BY chat_id, thread_id"
        )
        return names, iter(cursor)

    def all(self) -> list[Subscription]:
        return self._select("ORDER BY chat_id, thread_id")

    def counts(self) -> dict[str, int]:
        """Active chats by type, plus inactive ones."""
        rows = self.db.execute(
            "SELECT CASE WHEN active = 1 THEN chat_type ELSE 'inactive' END, count(*) "
            "FROM chats GROUP BY 1"
        ).fetchall()
        return {kind: count for kind, count in rows}

    def _select(self, clause: str, params: Iterable[Any] = ()) -> list[Subscription]:
        return list(self._rows(clause, params))

    def _rows(self, clause: str, params: Iterable[Any] = ()) -> Iterator[Subscription]:
        cursor = self.db.execute(f"SELECT * FROM chats {clause}", list(params))
        names = [c[0] for c in cursor.description]
        shared = _Shared()  # rows are read one by one: no second copy of 100k rows
        return (_from_row(dict(zip(names, row, strict=True)), shared) for row in cursor)


def from_row(names: list[str], row: tuple[Any, ...]) -> Subscription:
    """A chat from a row of :meth:`Subscriptions.active_rows` (or any row, its columns named)."""
    return _from_row(dict(zip(names, row, strict=True)))


class _Shared:
    """Equal settings decoded once and shared between rows.

    A push holds every active chat's Subscription; 100,000 chats have a handful of
    distinct zones, push times and section lists, but SQLite hands out a new string for
    every cell, and each JSON list would decode to a new tuple: about 60 MB per 100,000.
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[str, Any], Any] = {}

    def get(self, column: str, raw: Any, decode: Callable[[Any], T]) -> T:
        key = (column, raw)
        if key not in self._seen:
            self._seen[key] = decode(raw)
        return self._seen[key]  # type: ignore[no-any-return]


def _json_tuple(text: str | None) -> tuple[str, ...]:
    return tuple(json.loads(text or "[]"))


def _to_row(sub: Subscription, updated: datetime) -> dict[str, Any]:
    return {
        "chat_id": sub.chat_id,
        "chat_type": sub.chat_type,
        "title": sub.title,
        "language": sub.language,
        "push_time": sub.push_time.strftime("%H:%M"),
        "timezone": sub.timezone,
        "mode": sub.mode,
        "sections": json.dumps(list(sub.sections)),
        "include_sources": json.dumps(list(sub.include_sources)),
        "exclude_sources": json.dumps(list(sub.exclude_sources)),
        "active": int(sub.active),
        "subscribed_at": to_iso(sub.subscribed_at) if sub.subscribed_at else None,
        "updated_at": to_iso(updated),
        "inactive_reason": sub.inactive_reason,
        "migrated_to": sub.migrated_to,
        "chart": int(sub.chart),
        "thread_id": sub.thread_id,
        "link_preview": sub.link_preview,
        "cadence": sub.cadence,
        "week_day": sub.week_day,
        "week_time": sub.week_time.strftime("%H:%M") if sub.week_time else None,
        "week_chart": int(sub.week_chart),
    }


def _from_row(row: dict[str, Any], shared: _Shared | None = None) -> Subscription:
    one = shared or _Shared()
    return Subscription(
        chat_id=row["chat_id"],
        chat_type=one.get("chat_type", row["chat_type"], str),
        title=row["title"],
        language=one.get("language", row["language"], str),
        push_time=one.get("push_time", row["push_time"], parse_hhmm),
        timezone=one.get("timezone", row["timezone"], str),
        mode=one.get("mode", row["mode"], str),
        sections=one.get("sections", row["sections"], _json_tuple) or SECTION_IDS,
        include_sources=one.get("include_sources", row["include_sources"], _json_tuple),
        exclude_sources=one.get("exclude_sources", row["exclude_sources"], _json_tuple),
        active=bool(row["active"]),
        subscribed_at=from_iso(row["subscribed_at"]) if row["subscribed_at"] else None,
        inactive_reason=row["inactive_reason"],
        migrated_to=row["migrated_to"],
        chart=bool(row.get("chart", 0)),
        thread_id=row.get("thread_id", 0),
        link_preview=row.get("link_preview"),
        cadence=one.get("cadence", row.get("cadence") or "daily", str),
        week_day=int(row.get("week_day") or 1),
        week_time=one.get("week_time", row["week_time"], parse_hhmm)
        if row.get("week_time")
        else None,
        week_chart=bool(row.get("week_chart", 1)),
    )
