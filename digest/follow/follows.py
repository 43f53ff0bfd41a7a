"""Follow groups and alert settings per chat, in the ``follows`` and ``follow_settings`` tables."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time

from ..clock import from_iso, parse_hhmm, to_iso
from ..errors import UsageError
from ..store.store import Store
from .expression import Group, Term, parse_group

MAX_FOLLOWS = 20  # groups per chat
DEFAULT_MAX_PER_DAY = 24  # alert messages per local day: one an hour at most, by default
MAX_PER_DAY = 500


@dataclass(frozen=True, slots=True)
class Follow:
    """One follow group of a chat; ``number`` is its place in /following (from 1).

    ``thread_id`` is the forum topic it was set in (0: none): its alerts go there.
    """

    id: int
    chat_id: int
    group: Group
    paused: bool
    created_at: datetime
    number: int = 0
    thread_id: int = 0

    @property
    def label(self) -> str:
        return self.group.label


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """A chat's alert switches: on or off, quiet hours (local), a daily cap (0: none)."""

    chat_id: int
    alerts: bool = True
    quiet: tuple[time, time] | None = None
    max_per_day: int = DEFAULT_MAX_PER_DAY
    off_reason: str | None = None
    language: str | None = None  # of the alerts (a subscribed chat's own language wins)

    def quiet_at(self, local: time) -> bool:
        """Whether a local time of day falls in the quiet hours (which may span midnight)."""
        if self.quiet is None:
            return False
        start, end = self.quiet
        if start <= end:
            return start <= local < end
        return local >= start or local < end


def parse_quiet(text: str) -> tuple[time, time] | None:
    """``23:00-08:00`` (or ``off``) as quiet hours; UsageError for anything else."""
    if text.strip().lower() in {"off", "none", "0"}:
        return None
    start, dash, end = text.replace("–", "-").replace("~", "-").partition("-")
    if not dash:
        raise UsageError(f"{text!r} is not quiet hours (use HH:MM-HH:MM, e.g. 23:00-08:00)")
    try:
        first, last = parse_hhmm(start.strip()), parse_hhmm(end.strip())
    except ValueError as exc:
        raise UsageError(f"{exc} (use HH:MM-HH:MM, e.g. 23:00-08:00)") from None
    if first == last:
        raise UsageError("quiet hours must not start and end at the same time")
    return first, last


class Follows:
    """The follows and alert settings of every chat."""

    def __init__(self, store: Store) -> None:
        self.db = store.db

    def of_chat(self, chat_id: int) -> list[Follow]:
        """A chat's groups, numbered in the order they were added."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM follows WHERE chat_id = ? ORDER BY id",
            [chat_id],
        ).fetchall()
        return [replace(_follow(row), number=n) for n, row in enumerate(rows, start=1)]

    def add(
        self, chat_id: int, groups: list[Group], now: datetime, thread_id: int = 0
    ) -> list[Follow]:
        """Add groups (one matching what a followed group matches is not added again),
        alerting in forum topic ``thread_id`` (0: none).

        :raises UsageError: the chat would follow more than MAX_FOLLOWS groups.
        """
        have = {f.group.key for f in self.of_chat(chat_id)}
        fresh: dict[tuple[Term, ...], Group] = {}
        for group in groups:
            if group.key not in have:
                fresh.setdefault(group.key, group)
        new = list(fresh.values())
        if len(have) + len(new) > MAX_FOLLOWS:
            raise UsageError(f"a chat follows at most {MAX_FOLLOWS} groups; /unfollow one first")
        with self.db.conn:
            for group in new:
                self.db.execute(
                    "INSERT INTO follows (chat_id, expression, name, paused, created_at, "
                    "thread_id) VALUES (?, ?, ?, 0, ?, ?)",
                    [chat_id, group.text(), group.name, to_iso(now), thread_id],
                )
        added = {g.text() for g in new}
        return [f for f in self.of_chat(chat_id) if f.group.text() in added]

    def find(self, chat_id: int, ref: str) -> Follow:
        """A chat's group by its number in /following or its name (case-insensitive).

        :raises UsageError: no such group.
        """
        follows = self.of_chat(chat_id)
        text = ref.strip()
        for follow in follows:
            if str(follow.number) == text or (
                follow.group.name and follow.group.name.casefold() == text.casefold()
            ):
                return follow
        raise UsageError(f"this chat follows no group {text!r} (see /following)")

    def every(self) -> list[Follow]:
        """Every chat's groups, numbered per chat as in /following."""
        rows = self.db.execute(f"SELECT {_COLUMNS} FROM follows ORDER BY chat_id, id").fetchall()
        numbered, last, number = [], None, 0
        for row in rows:
            number = number + 1 if row[1] == last else 1
            last = row[1]
            numbered.append(replace(_follow(row), number=number))
        return numbered

    def get(self, chat_id: int, follow_id: int) -> Follow | None:
        return next((f for f in self.of_chat(chat_id) if f.id == follow_id), None)

    def remove(self, chat_id: int, follow_id: int) -> bool:
        with self.db.conn:
            cursor = self.db.execute(
                "DELETE FROM follows WHERE chat_id = ? AND id = ?", [chat_id, follow_id]
            )
        return cursor.rowcount > 0

    def pause_topic(self, chat_id: int, thread_id: int, paused: bool = True) -> int:
        """Pause the groups set in a forum topic that was closed or deleted, or with
        ``paused`` False resume those its closing paused (not those a reader paused)."""
        sql = (
            "UPDATE follows SET paused = 1, paused_by_topic = 1 WHERE paused = 0"
            if paused
            else "UPDATE follows SET paused = 0, paused_by_topic = 0 WHERE paused_by_topic = 1"
        )
        with self.db.conn:
            cursor = self.db.execute(
                f"{sql} AND chat_id = ? AND thread_id = ?", [chat_id, thread_id]
            )
        return cursor.rowcount

    def pause(self, chat_id: int, follow_id: int, paused: bool) -> bool:
        with self.db.conn:
            cursor = self.db.execute(
                "UPDATE follows SET paused = ?, paused_by_topic = 0 WHERE chat_id = ? AND id = ?",
                [int(paused), chat_id, follow_id],
            )
        return cursor.rowcount > 0

    def active(self) -> list[Follow]:
        """Every group that alerts: not paused, in a chat whose alerts are on."""
        rows = self.db.execute(
            "SELECT f.id, f.chat_id, f.expression, f.paused, f.created_at, f.thread_id "
            "FROM follows AS f "
            "LEFT JOIN follow_settings AS s ON s.chat_id = f.chat_id "
            "WHERE f.paused = 0 AND coalesce(s.alerts, 1) = 1 ORDER BY f.chat_id, f.id"
        ).fetchall()
        return [_follow(row) for row in rows]

    def chats(self) -> list[int]:
        """Chats with any follow group."""
        rows = self.db.execute("SELECT DISTINCT chat_id FROM follows ORDER BY chat_id")
        return [row[0] for row in rows.fetchall()]

    def settings(self, chat_id: int) -> AlertSettings:
        row = self.db.execute(
            "SELECT alerts, quiet_start, quiet_end, max_per_day, off_reason, language "
            "FROM follow_settings WHERE chat_id = ?",
            [chat_id],
        ).fetchone()
        if row is None:
            return AlertSettings(chat_id)
        alerts, start, end, cap, reason, language = row
        quiet = (parse_hhmm(start), parse_hhmm(end)) if start and end else None
        return AlertSettings(chat_id, bool(alerts), quiet, cap, reason, language)

    def save_settings(self, settings: AlertSettings, now: datetime) -> AlertSettings:
        if not 0 <= settings.max_per_day <= MAX_PER_DAY:
            raise UsageError(f"the daily maximum is a number from 0 (no limit) to {MAX_PER_DAY}")
        start, end = settings.quiet or (None, None)
        with self.db.conn:
            self.db.table("follow_settings").upsert(
                {
                    "chat_id": settings.chat_id,
                    "alerts": int(settings.alerts),
                    "quiet_start": f"{start:%H:%M}" if start else None,
                    "quiet_end": f"{end:%H:%M}" if end else None,
                    "max_per_day": settings.max_per_day,
                    "off_reason": settings.off_reason,
                    "language": settings.language,
                    "updated_at": to_iso(now),
                },
                pk="chat_id",
            )
        return settings

    def migrate(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: its follows and settings move to the new id."""
        with self.db.conn:
            self.db.execute("UPDATE follows SET chat_id = ? WHERE chat_id = ?", [new_id, old_id])
            self.db.execute(
                "UPDATE OR IGNORE follow_settings SET chat_id = ? WHERE chat_id = ?",
                [new_id, old_id],
            )


_COLUMNS = "id, chat_id, expression, paused, created_at, thread_id"


def _follow(row: tuple[int, int, str, int, str, int]) -> Follow:
    follow_id, chat_id, expression, paused, created, thread_id = row
    group = parse_group(expression, checked=True)
    return Follow(follow_id, chat_id, group, bool(paused), from_iso(created), thread_id=thread_id)
