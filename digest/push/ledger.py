"""The push ledger: one row per (digest date, version, chat, topic, part), written around
each send (the topic is the forum topic's thread id, 0 for a chat without one).

A part's row is *claimed* (inserted as ``sending``) before it is sent and finished after,
so the ledger always knows which parts may have gone out:

==============  ==================================================================
``sending``     claimed; the request may be in flight
``retry``       an attempt did not deliver (429, 5xx, timeout); the part is sent again
``sent``        Telegram answered with the message
``unconfirmed`` was ``sending`` when its pusher died: it may or may not have arrived.
                Telegram has no idempotency key, so it is never resent (no duplicate;
                at worst that one part is missing)
``failed``      given up; ``error`` says why
``deactivated`` the chat blocked the bot or is gone
``migrated``    the group became a supergroup; ``error`` names the new id
``skipped``     not pushed (too late, or superseded); part 0 stands for the whole push
==============  ==================================================================

Claiming is an insert that does nothing when the row exists (or a compare-and-set from
``retry``), so two pushers on one database never send the same part twice. A week's part
is not claimed while the chat's day is still being sent (``ledger_weeks``), so neither
pusher interleaves a week with its day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..clock import from_iso, to_iso
from ..store.store import Store
from .ledger_batch import apply_batch
from .ledger_weeks import Claimed, is_week_claim, waiting
from .subscriptions import SubscriptionKey, subscription_key

PUSH = "push"
CORRECTION = "correction"
DELIVERED = ("sent", "unconfirmed")
ENDED = ("failed", "deactivated", "migrated", "skipped")  # the chat's push stops here
STATUSES = ("sending", "retry", *DELIVERED, *ENDED)

_CLAIM = """
INSERT INTO deliveries
    (date, version, chat_id, thread_id, part, parts, kind, status, attempts, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, 'sending', 1, ?)
ON CONFLICT (date, version, chat_id, thread_id, part) DO UPDATE
SET status = 'sending', attempts = attempts + 1, error = NULL, updated_at = excluded.updated_at
WHERE deliveries.status = 'retry'
"""
_FINISH = """
UPDATE deliveries SET status = ?, message_id = coalesce(?, message_id), error = ?, updated_at = ?
WHERE date = ? AND version = ? AND chat_id = ? AND thread_id = ? AND part = ?
"""
_SKIP = """
INSERT OR IGNORE INTO deliveries
    (date, version, chat_id, thread_id, part, parts, kind, status, attempts, error, updated_at)
VALUES (?, ?, ?, ?, 0, 0, ?, 'skipped', 0, ?, ?)
"""
_OPEN = """
WITH open AS (
    SELECT chat_id, thread_id, version FROM deliveries
    WHERE date = :date AND kind = :kind
    GROUP BY chat_id, thread_id, version
    HAVING sum(status IN ('failed', 'deactivated', 'migrated', 'skipped')) = 0
       AND sum(status IN ('sent', 'unconfirmed')) < max(parts)
)
SELECT d.chat_id, d.thread_id, d.version, d.part, d.parts, d.status, d.updated_at
FROM deliveries AS d JOIN open AS o
    ON d.chat_id = o.chat_id AND d.thread_id = o.thread_id AND d.version = o.version
WHERE d.date = :date AND d.kind = :kind
ORDER BY d.chat_id, d.thread_id, d.part
"""


@dataclass(frozen=True, slots=True)
class PartKey:
    """Which part: digest date and version, chat, the part's number (from 1), topic."""

    date: str
    version: int
    chat_id: int
    part: int
    thread_id: int = 0


@dataclass(frozen=True, slots=True)
class Claim:
    """Claim a part before sending it; the result says whether this pusher may send it."""

    key: PartKey
    parts: int
    kind: str = PUSH


@dataclass(frozen=True, slots=True)
class Finish:
    """Record how a claimed part ended."""

    key: PartKey
    status: str
    message_id: int | None = None
    error: str | None = None


@dataclass(slots=True)
class Progress:
    """An unfinished push to one chat: which parts went out, which are in flight."""

    chat_id: int
    date: str
    version: int
    kind: str
    parts: int
    statuses: dict[int, str] = field(default_factory=dict)
    updated_at: datetime | None = None  # the newest row's
    thread_id: int = 0

    @property
    def key(self) -> SubscriptionKey:
        return subscription_key(self.chat_id, self.thread_id)

    @property
    def delivered(self) -> frozenset[int]:
        return frozenset(p for p, s in self.statuses.items() if s in DELIVERED)

    @property
    def in_flight(self) -> bool:
        return "sending" in self.statuses.values()


@dataclass(frozen=True, slots=True)
class Failure:
    """A part (or, for part 0, a whole push) that did not arrive, and why."""

    chat_id: int
    version: int
    part: int
    kind: str
    status: str
    attempts: int
    error: str | None
    thread_id: int = 0


class Ledger:
    """The ``deliveries`` table."""

    def __init__(self, store: Store) -> None:
        self.db = store.db

    def apply(
        self,
        ops: Sequence[Claim | Finish],
        now: datetime,
        stale_before: datetime | None = None,
    ) -> list[Claimed | bool]:
        """Run claims and finishes in one transaction: each claim's :class:`Claimed`, each
        finish whether it changed a row.

        :param stale_before: a pusher whose newest row is older than this has stopped;
            given, a week's part waits for its chat's day (``ledger_weeks``), unless that
            day's pusher stopped. None: claims that record and never send (``fail``).
        """
        stamp = to_iso(now)
        stale = None if stale_before is None else to_iso(stale_before)
        batched = apply_batch(self.db.conn, ops, stamp, stale) if len(ops) > 1 else None
        if batched is not None:
            return batched
        results: list[Claimed | bool] = []
        with self.db.conn:
            for op in ops:
                k = op.key
                if not isinstance(op, Claim):
                    args = [op.status, op.message_id, op.error, stamp, k.date, k.version]
                    cursor = self.db.execute(_FINISH, [*args, k.chat_id, k.thread_id, k.part])
                    results.append(cursor.rowcount > 0)
                elif stale is not None and is_week_claim(op) and self._waits(op, stale):
                    results.append(Claimed.WAIT)
                else:
                    where = [k.date, k.version, k.chat_id, k.thread_id, k.part]
                    cursor = self.db.execute(_CLAIM, [*where, op.parts, op.kind, stamp])
                    results.append(Claimed.YES if cursor.rowcount > 0 else Claimed.HELD)
        return results

    def _waits(self, claim: Claim, stale: str) -> bool:
        """A week's claim waits for its day, if the part is still to be claimed at all."""
        k = claim.key
        row = self.db.execute(
            "SELECT status FROM deliveries WHERE date = ? AND version = ? AND chat_id = ? "
            "AND thread_id = ? AND part = ?",
            [k.date, k.version, k.chat_id, k.thread_id, k.part],
        ).fetchone()
        if row is not None and row[0] != "retry":
            return False  # held or done: the claim fails as it would have
        return bool(waiting(self.db.conn, [(0, claim)], stale))

    def skip(
        self,
        date: str,
        version: int,
        chat_id: int,
        reason: str,
        now: datetime,
        kind: str = PUSH,
        thread_id: int = 0,
    ) -> bool:
        """Record that a chat's (topic's) push of a digest was skipped; False if already
        recorded."""
        args = [date, version, chat_id, thread_id, kind, reason, to_iso(now)]
        with self.db.conn:
            cursor = self.db.execute(_SKIP, args)
        return cursor.rowcount > 0

    def fail(self, key: PartKey, kind: str, reason: str, now: datetime) -> None:
        """Record a part that failed before it could be sent (e.g. it would not render)."""
        self.apply([Claim(key, 1, kind), Finish(key, "failed", error=reason)], now)

    def recover(self, older_than: datetime, now: datetime) -> int:
        """Parts left ``sending`` since before ``older_than`` lost their pusher: unconfirmed."""
        with self.db.conn:
            cursor = self.db.execute(
                "UPDATE deliveries SET status = 'unconfirmed', "
                "error = 'in flight when its pusher stopped', updated_at = ? "
                "WHERE status = 'sending' AND updated_at < ?",
                [to_iso(now), to_iso(older_than)],
            )
        return cursor.rowcount

    def started(self, dates: Iterable[str], kind: str = PUSH) -> set[tuple[int, int, str]]:
        """(chat, topic, date) with any row for those digest dates: pushes begun or skipped."""
        wanted = sorted(set(dates))
        if not wanted:
            return set()
        marks = ", ".join("?" * len(wanted))
        rows = self.db.execute(
            "SELECT DISTINCT chat_id, thread_id, date FROM deliveries "
            f"WHERE date IN ({marks}) AND kind = ?",
            [*wanted, kind],
        )
        return {(chat_id, thread_id, date) for chat_id, thread_id, date in rows.fetchall()}

    def unfinished(self, date: str, kind: str = PUSH) -> list[Progress]:
        """Pushes of ``date`` with parts still to send and no part that ended the push."""
        found: dict[tuple[int, int, int], Progress] = {}
        for chat_id, thread_id, version, part, parts, status, updated in self.db.execute(
            _OPEN, {"date": date, "kind": kind}
        ).fetchall():
            progress = found.get((chat_id, thread_id, version))
            if progress is None:
                progress = Progress(chat_id, date, version, kind, parts, thread_id=thread_id)
                found[(chat_id, thread_id, version)] = progress
            progress.statuses[part] = status
            moment = from_iso(updated)
            if progress.updated_at is None or moment > progress.updated_at:
                progress.updated_at = moment
        return list(found.values())

    def recipients(self, date: str, version: int) -> list[tuple[int, int]]:
        """(chat, topic) that received at least one part of this version (push or
        correction)."""
        rows = self.db.execute(
            "SELECT DISTINCT chat_id, thread_id FROM deliveries WHERE date = ? AND version = ? "
            "AND status IN ('sent', 'unconfirmed') ORDER BY chat_id, thread_id",
            [date, version],
        )
        return [(chat_id, thread_id) for chat_id, thread_id in rows.fetchall()]

    def counts(self, date: str) -> dict[tuple[str, str], int]:
        """Rows by (kind, status) for one digest date."""
        rows = self.db.execute(
            "SELECT kind, status, count(*) FROM deliveries WHERE date = ? GROUP BY kind, status",
            [date],
        )
        return {(kind, status): count for kind, status, count in rows.fetchall()}

    def chats(self, date: str) -> int:
        """How many chats have rows for a digest date."""
        row = self.db.execute(
            "SELECT count(DISTINCT chat_id) FROM deliveries WHERE date = ?", [date]
        ).fetchone()
        return int(row[0])

    def failures(self, date: str) -> list[Failure]:
        """Rows that did not arrive (or may not have), with their reasons."""
        rows = self.db.execute(
            "SELECT chat_id, version, part, kind, status, attempts, error, thread_id "
            "FROM deliveries WHERE date = ? AND status NOT IN ('sent', 'sending', 'retry') "
            "ORDER BY status, chat_id, thread_id, version, part",
            [date],
        )
        return [Failure(*row) for row in rows.fetchall()]

    def latest_date(self) -> str | None:
        """The newest digest date with any row (a day's: weeks, ``YYYY-Www``, sort after
        every day of their year and would hide the days' pushes).

        Each step is one seek on the primary key (``date`` leads it): the newest date
        below a bound. A week found moves the bound below every key that starts as it does
        up to its "-W" (its year's weeks), where that year's days are; only a year with
        weeks and no newer day adds a step. (``NOT GLOB '*-W*'`` scanned the whole table.)
        """
        bound = None
        while True:
            below = " WHERE date < ?" if bound else ""
            row = self.db.execute(
                f"SELECT max(date) FROM deliveries{below}", [bound] if bound else []
            ).fetchone()
            found: str | None = row[0] if row else None
            if found is None or "-W" not in found:
                return found
            bound = found[: found.index("-W") + 2]
