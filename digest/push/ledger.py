"""The push ledger: one row per (digest date, version, chat, part), written around each send.

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
``retry``), so two pushers on one database never send the same part twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from ..clock import from_iso, to_iso
from ..errors import BuildError
from ..store.archive import digest_versions
from ..store.build_log import empty_days
from ..store.store import Store
from .schedule import Schedule, Slot
from .subscriptions import Subscription, Subscriptions

PUSH = "push"
CORRECTION = "correction"
DELIVERED = ("sent", "unconfirmed")
ENDED = ("failed", "deactivated", "migrated", "skipped")  # the chat's push stops here
STATUSES = ("sending", "retry", *DELIVERED, *ENDED)

_CLAIM = """
INSERT INTO deliveries (date, version, chat_id, part, parts, kind, status, attempts, updated_at)
VALUES (?, ?, ?, ?, ?, ?, 'sending', 1, ?)
ON CONFLICT (date, version, chat_id, part) DO UPDATE
SET status = 'sending', attempts = attempts + 1, error = NULL, updated_at = excluded.updated_at
WHERE deliveries.status = 'retry'
"""
_FINISH = """
UPDATE deliveries SET status = ?, message_id = coalesce(?, message_id), error = ?, updated_at = ?
WHERE date = ? AND version = ? AND chat_id = ? AND part = ?
"""
_SKIP = """
INSERT OR IGNORE INTO deliveries
    (date, version, chat_id, part, parts, kind, status, attempts, error, updated_at)
VALUES (?, ?, ?, 0, 0, ?, 'skipped', 0, ?, ?)
"""
_OPEN = """
WITH open AS (
    SELECT chat_id, version FROM deliveries
    WHERE date = :date AND kind = :kind
    GROUP BY chat_id, version
    HAVING sum(status IN ('failed', 'deactivated', 'migrated', 'skipped')) = 0
       AND sum(status IN ('sent', 'unconfirmed')) < max(parts)
)
SELECT d.chat_id, d.version, d.part, d.parts, d.status, d.updated_at
FROM deliveries AS d JOIN open AS o ON d.chat_id = o.chat_id AND d.version = o.version
WHERE d.date = :date AND d.kind = :kind
ORDER BY d.chat_id, d.part
"""


@dataclass(frozen=True, slots=True)
class PartKey:
    """Which part: digest date and version, chat, and the part's number (from 1)."""

    date: str
    version: int
    chat_id: int
    part: int


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


class Ledger:
    """The ``deliveries`` table."""

    def __init__(self, store: Store) -> None:
        self.db = store.db

    def apply(self, ops: Sequence[Claim | Finish], now: datetime) -> list[bool]:
        """Run claims and finishes in one transaction; each result says if the row changed."""
        stamp = to_iso(now)
        results = []
        with self.db.conn:
            for op in ops:
                k = op.key
                if isinstance(op, Claim):
                    args = [k.date, k.version, k.chat_id, k.part, op.parts, op.kind, stamp]
                    cursor = self.db.execute(_CLAIM, args)
                else:
                    args = [op.status, op.message_id, op.error, stamp, k.date, k.version]
                    cursor = self.db.execute(_FINISH, [*args, k.chat_id, k.part])
                results.append(cursor.rowcount > 0)
        return results

    def skip(
        self, date: str, version: int, chat_id: int, reason: str, now: datetime, kind: str = PUSH
    ) -> bool:
        """Record that a chat's push of a digest was skipped; False if already recorded."""
        with self.db.conn:
            cursor = self.db.execute(_SKIP, [date, version, chat_id, kind, reason, to_iso(now)])
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

    def started(self, dates: Iterable[str], kind: str = PUSH) -> set[tuple[int, str]]:
        """(chat, date) pairs with any row for those digest dates: pushes begun or skipped."""
        wanted = sorted(set(dates))
        if not wanted:
            return set()
        marks = ", ".join("?" * len(wanted))
        rows = self.db.execute(
            f"SELECT DISTINCT chat_id, date FROM deliveries WHERE date IN ({marks}) AND kind = ?",
            [*wanted, kind],
        )
        return {(chat_id, date) for chat_id, date in rows.fetchall()}

    def unfinished(self, date: str, kind: str = PUSH) -> list[Progress]:
        """Pushes of ``date`` with parts still to send and no part that ended the push."""
        found: dict[tuple[int, int], Progress] = {}
        for chat_id, version, part, parts, status, updated in self.db.execute(
            _OPEN, {"date": date, "kind": kind}
        ).fetchall():
            progress = found.get((chat_id, version))
            if progress is None:
                progress = Progress(chat_id, date, version, kind, parts)
                found[(chat_id, version)] = progress
            progress.statuses[part] = status
            moment = from_iso(updated)
            if progress.updated_at is None or moment > progress.updated_at:
                progress.updated_at = moment
        return list(found.values())

    def recipients(self, date: str, version: int) -> list[int]:
        """Chats that received at least one part of this version (push or correction)."""
        rows = self.db.execute(
            "SELECT DISTINCT chat_id FROM deliveries WHERE date = ? AND version = ? "
            "AND status IN ('sent', 'unconfirmed') ORDER BY chat_id",
            [date, version],
        )
        return [row[0] for row in rows.fetchall()]

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
            "SELECT chat_id, version, part, kind, status, attempts, error FROM deliveries "
            "WHERE date = ? AND status NOT IN ('sent', 'sending', 'retry') "
            "ORDER BY status, chat_id, version, part",
            [date],
        )
        return [Failure(*row) for row in rows.fetchall()]

    def latest_date(self) -> str | None:
        """The newest digest date with any row."""
        row = self.db.execute("SELECT max(date) FROM deliveries").fetchone()
        return row[0] if row else None


@dataclass(frozen=True, slots=True)
class PushJob:
    """One chat's push (or correction) of one digest version; ``delivered`` parts are done."""

    chat: Subscription
    date: str
    version: int
    kind: str = PUSH
    delivered: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class PushPlan:
    """What a push run will do: its jobs, and what it recorded or left alone."""

    jobs: tuple[PushJob, ...]
    skipped: tuple[tuple[int, str, str], ...] = ()  # (chat, digest date, reason)
    in_flight: int = 0  # chats another pusher is sending to right now
    recovered: int = 0  # parts found ``sending`` without a pusher, now unconfirmed


def plan_pushes(
    store: Store,
    now: datetime,
    schedule: Schedule,
    *,
    stamp: datetime,
    stale_before: datetime,
    record: bool = True,
) -> PushPlan:
    """The pushes due at ``now``: new slots, plus pushes and corrections a crash cut short.

    :param stamp: the wall-clock time written on ledger rows.
    :param stale_before: ``sending`` rows older than this lost their pusher.
    :param record: False for a dry run: write nothing (no recovery, no skipped rows).
    """
    ledger = Ledger(store)
    recovered = ledger.recover(stale_before, stamp) if record else 0
    versions: dict[str, int] = {}
    for day, version, *_ in digest_versions(store, with_posts=True):
        versions.setdefault(day, version)  # newest first; an empty digest is never pushed
    chats = {chat.chat_id: chat for chat in Subscriptions(store).active()}
    slots = _slots(chats.values(), now, schedule)
    dates = {slot.digest_date.isoformat() for found in slots.values() for slot in found}
    empty = empty_days(store, sorted(dates))
    started: dict[int, set[date]] = {}
    for chat_id, day in ledger.started(dates):
        started.setdefault(chat_id, set()).add(date.fromisoformat(day))
    built = {date.fromisoformat(day) for day in versions}
    jobs: list[PushJob] = []
    skipped: list[tuple[int, str, str]] = []
    for chat in chats.values():
        decision = schedule.decide(now, slots[chat.chat_id], built, started.get(chat.chat_id, ()))
        if decision.due is not None:
            day = decision.due.digest_date.isoformat()
            jobs.append(PushJob(chat, day, versions[day]))
        late = [
            (slot, reason, versions[slot.digest_date.isoformat()]) for slot, reason in decision.late
        ]
        late += [
            (slot, f"no posts collected for {slot.digest_date}", 0)
            for slot in decision.unbuilt
            if slot.digest_date.isoformat() in empty  # a day never built is left alone
        ]
        for slot, reason, version in late:
            day = slot.digest_date.isoformat()
            if not record or ledger.skip(day, version, chat.chat_id, reason, stamp):
                skipped.append((chat.chat_id, day, reason))
    cut = _Resume(ledger, chats, slots, now, schedule, stamp, record)
    for day in sorted(dates):
        cut.collect(day)
    return PushPlan(tuple(jobs + cut.jobs), tuple(skipped + cut.skipped), cut.busy, recovered)


def plan_date(
    store: Store, day: str, *, stamp: datetime, stale_before: datetime, record: bool = True
) -> PushPlan:
    """An operator's push of ``day``'s digest, now: every active chat that has not had it,
    whatever its push time, plus the pushes of ``day`` a crash cut short.

    :raises BuildError: no digest is stored for ``day``.
    """
    ledger = Ledger(store)
    recovered = ledger.recover(stale_before, stamp) if record else 0
    versions = [version for d, version, *_ in digest_versions(store, with_posts=True) if d == day]
    if not versions:
        raise BuildError(f"no digest is stored for {day}")
    active = Subscriptions(store).active()
    started = {chat_id for chat_id, _ in ledger.started([day])}
    jobs = [PushJob(chat, day, versions[0]) for chat in active if chat.chat_id not in started]
    busy = 0
    unfinished = ledger.unfinished(day)
    # Chats by id only when a push was cut short: for 100,000 chats that dict is 5 MB
    # more at the moment the plan holds every chat (bench/memory.py's peak).
    chats = {chat.chat_id: chat for chat in active} if unfinished else {}
    for progress in unfinished:
        if progress.chat_id in chats and progress.in_flight:
            busy += 1
        elif progress.chat_id in chats:
            chat = chats[progress.chat_id]
            jobs.append(PushJob(chat, day, progress.version, PUSH, progress.delivered))
    return PushPlan(tuple(jobs), (), busy, recovered)


@dataclass
class _Resume:
    """Pushes and corrections a crash or a stop cut short: finish them, or skip if too late."""

    ledger: Ledger
    chats: dict[int, Subscription]
    slots: dict[int, list[Slot]]
    now: datetime
    schedule: Schedule
    stamp: datetime
    record: bool
    jobs: list[PushJob] = field(default_factory=list)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)
    busy: int = 0

    def collect(self, day: str) -> None:
        for kind in (PUSH, CORRECTION):
            for progress in self.ledger.unfinished(day, kind):
                chat = self.chats.get(progress.chat_id)
                if chat is None:
                    continue  # deactivated since: nothing more goes to it
                if progress.in_flight:
                    self.busy += 1
                    continue
                age = _age(progress, self.slots[chat.chat_id], self.now, self.stamp)
                if age is not None and age <= self.schedule.max_delay:
                    self.jobs.append(PushJob(chat, day, progress.version, kind, progress.delivered))
                    continue
                reason = "cut short, and now too late to finish"
                version, chat_id = progress.version, chat.chat_id
                if not self.record or self.ledger.skip(
                    day, version, chat_id, reason, self.stamp, kind
                ):
                    self.skipped.append((chat_id, day, reason))


def _slots(
    chats: Iterable[Subscription], now: datetime, schedule: Schedule
) -> dict[int, list[Slot]]:
    """Each chat's passed slots; computed once per (push time, zone), as chats share them."""
    shared: dict[tuple[time, str], list[Slot]] = {}
    found: dict[int, list[Slot]] = {}
    for chat in chats:
        key = (chat.push_time, chat.timezone)
        if key not in shared:
            shared[key] = schedule.slots(now, chat.push_time, chat.timezone)
        since = chat.subscribed_at
        found[chat.chat_id] = [s for s in shared[key] if since is None or s.moment >= since]
    return found


def _age(progress: Progress, slots: list[Slot], now: datetime, stamp: datetime) -> timedelta | None:
    """How late a cut-short push is: past its slot, or for a correction since its last row."""
    if progress.kind == CORRECTION:
        return stamp - progress.updated_at if progress.updated_at else None
    day = date.fromisoformat(progress.date)
    moment = next((slot.moment for slot in slots if slot.digest_date == day), None)
    return now - moment if moment else None


def correction_jobs(store: Store, date: str, old_version: int, new_version: int) -> list[PushJob]:
    """Corrections to ``new_version``: the active chats that received ``old_version``."""
    ledger, chats = Ledger(store), Subscriptions(store)
    already = set(ledger.recipients(date, new_version))
    jobs = []
    for chat_id in ledger.recipients(date, old_version):
        chat = chats.get(chat_id)
        if chat is not None and chat.active and chat_id not in already:
            jobs.append(PushJob(chat, date, new_version, CORRECTION))
    return jobs


def follow_migration(store: Store, job: PushJob, new_id: int, now: datetime) -> Subscription | None:
    """Move a migrated group's subscription (unless a handler already did); the new chat
    gets the push only if it is subscribed and has not got this digest yet."""
    chats = Subscriptions(store)
    old = chats.get(job.chat.chat_id)
    if old is not None and old.migrated_to != new_id:
        chats.migrate(job.chat.chat_id, new_id, now)
    moved = chats.get(new_id)
    if moved is None or not moved.active:
        return None
    if (new_id, job.date) in Ledger(store).started([job.date], job.kind):
        return None
    return moved
