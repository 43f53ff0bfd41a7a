"""Planning pushes: which chats are due for which digest version, from schedules and the ledger."""

from __future__ import annotations

from array import array
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from ..errors import BuildError
from ..store.archive import digest_versions, is_week
from ..store.build_log import empty_days
from ..store.store import Store
from .ledger import CORRECTION, PUSH, Ledger, Progress
from .roster import NEVER, Made, Roster
from .schedule import Schedule, Slot
from .subscriptions import Subscription, SubscriptionKey, Subscriptions, subscription_key
from .weekly import WeekSlot, plan_week_slots, week_slot


@dataclass(frozen=True, slots=True)
class PushJob:
    """One chat's push (or correction) of one digest version; ``delivered`` parts are done."""

    chat: Subscription
    date: str
    version: int
    kind: str = PUSH
    delivered: frozenset[int] = frozenset()


class RosterJobs(Made[PushJob]):
    """Fresh push jobs to chats of a :class:`Roster`, as the chat's position and its
    digest's (date, version) (8 bytes a job, not a ``PushJob`` each: 100,000 of those
    were 7 MB of a push's peak), then any other jobs (``extra``), as they are."""

    def __init__(self, roster: Roster) -> None:
        self.roster = roster
        self.extra: list[PushJob] = []
        # The chats with a day's push and a week's among these, as the plan found them
        # (for :func:`one_per_chat`); None: not known.
        self.both: frozenset[SubscriptionKey] | None = None
        self._positions = array("I")
        self._digest = array("I")  # index into _digests
        self._digests: list[tuple[str, int]] = []

    def add(self, position: int, day: str, version: int) -> None:
        """A push of ``day``'s ``version`` to the roster's chat at ``position``."""
        if (day, version) not in self._digests:
            self._digests.append((day, version))
        self._positions.append(position)
        self._digest.append(self._digests.index((day, version)))  # a handful of digests

    def __len__(self) -> int:
        return len(self._positions) + len(self.extra)

    def _at(self, n: int) -> PushJob:
        if n >= len(self._positions):
            return self.extra[n - len(self._positions)]
        day, version = self._digests[self._digest[n]]
        return PushJob(self.roster[self._positions[n]], day, version)


@dataclass(frozen=True, slots=True)
class PushPlan:
    """What a push run will do: its jobs, and what it recorded or left alone."""

    jobs: Sequence[PushJob]
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

    Every chat is read once (a 100,000-chat roster takes a while to read): what the days
    and the weeks need is gathered in that one pass.

    :param stamp: the wall-clock time written on ledger rows.
    :param stale_before: ``sending`` rows older than this lost their pusher.
    :param record: False for a dry run: write nothing (no recovery, no skipped rows).
    """
    ledger = Ledger(store)
    recovered = ledger.recover(stale_before, stamp) if record else 0
    active, slots = Roster.active(store), _Slots(now, schedule)
    # The days any daily chat has a slot for, from the settings chats share (no chat read).
    shapes = active.shapes()
    dates = sorted({s.digest_date.isoformat() for c in shapes if c.daily for s in slots.of(c)})
    days = _Days(store, ledger, schedule, now, dates, stamp, record)
    cut = _Resume(ledger, slots, now, schedule, stamp, record, dates)
    jobs = RosterJobs(active)
    week_slots = [_week_slot(shape, now, schedule) for shape in shapes]
    weekly: dict[SubscriptionKey, tuple[int, int, int, WeekSlot]] = {}  # id, topic, position
    with_day: set[SubscriptionKey] = set()  # weekly chats with a day's push too
    # Decided from each chat's row: a Subscription is made only for a chat with a job.
    for position, (chat_id, thread_id, since, number) in enumerate(active.rows()):
        shape, key = shapes[number], subscription_key(chat_id, thread_id)
        if (slotted := week_slots[number]) is not None and slotted[0] >= since:
            weekly[key] = (chat_id, thread_id, position, slotted[1])  # not before it subscribed
        if not shape.daily:
            continue
        cut.meet(key, position)
        if (day := days.due(key, chat_id, thread_id, slots.since(shape, since))) is not None:
            jobs.add(position, day, days.versions[day])
            if shape.weekly:
                with_day.add(key)
    cut.finish(active)
    week = plan_week_slots(
        store, weekly, active.__getitem__, now, schedule, stamp=stamp, record=record
    )
    jobs.extra += [PushJob(chat, key, v, PUSH, done) for chat, key, v, done in week.jobs]
    jobs.extra += cut.jobs
    with_day.update(job.chat.key for job in cut.jobs)
    jobs.both = frozenset(with_day.intersection(chat.key for chat, *_ in week.jobs))
    skipped = (*days.skipped, *cut.skipped, *week.skipped)
    return PushPlan(jobs, skipped, cut.busy + week.busy, recovered)


def _week_slot(
    shape: Subscription, now: datetime, schedule: Schedule
) -> tuple[int, WeekSlot] | None:
    """A weekly shape's newest slot, whoever subscribed when, and its moment in seconds
    since the epoch: a chat of it has the slot if it subscribed by then."""
    if not shape.weekly:
        return None
    slot = week_slot(replace(shape, subscribed_at=None), now, schedule)
    return None if slot is None else (int(slot.moment.timestamp()), slot)


class _Days:
    """Each daily chat's decision: the day due now, and late slots recorded as skipped."""

    def __init__(
        self,
        store: Store,
        ledger: Ledger,
        schedule: Schedule,
        now: datetime,
        dates: list[str],
        stamp: datetime,
        record: bool,
    ) -> None:
        self.ledger, self.schedule, self.now = ledger, schedule, now
        self.stamp, self.record = stamp, record
        self.versions: dict[str, int] = {}
        for day, version, *_ in digest_versions(store, with_posts=True):
            self.versions.setdefault(day, version)  # newest first; an empty one is never pushed
        self.built = {date.fromisoformat(day) for day in self.versions}
        self.empty = empty_days(store, dates)
        self.started: dict[SubscriptionKey, set[date]] = {}
        for chat_id, thread_id, day in ledger.started(dates):
            key = subscription_key(chat_id, thread_id)
            self.started.setdefault(key, set()).add(date.fromisoformat(day))
        self.skipped: list[tuple[int, str, str]] = []
        self._fresh: dict[int, tuple[list[Slot], _Decided]] = {}

    def due(
        self, key: SubscriptionKey, chat_id: int, thread_id: int, slots: list[Slot]
    ) -> str | None:
        """The digest date due to the chat now, if any; its late slots are skipped."""
        late, due = self._decide(key, slots)
        for slot, reason, version in late:
            day = slot.digest_date.isoformat()
            if not self.record or self.ledger.skip(
                day, version, chat_id, reason, self.stamp, thread_id=thread_id
            ):
                self.skipped.append((chat_id, day, reason))
        return due

    def _decide(self, key: SubscriptionKey, slots: list[Slot]) -> _Decided:
        """The late slots (with the reason and version) and the day due; for a chat with
        no ledger row on these days, decided once per list of slots (chats share them)."""
        started = self.started.get(key)
        if started is None and id(slots) in self._fresh:
            return self._fresh[id(slots)][1]
        versions = self.versions
        decision = self.schedule.decide(self.now, slots, self.built, started or ())
        late = [
            (slot, reason, versions[slot.digest_date.isoformat()]) for slot, reason in decision.late
        ]
        late += [
            (slot, f"no posts collected for {slot.digest_date}", 0)
            for slot in decision.unbuilt
            if slot.digest_date.isoformat() in self.empty  # a day never built is left alone
        ]
        decided = late, None if decision.due is None else decision.due.digest_date.isoformat()
        if started is None:
            self._fresh[id(slots)] = slots, decided  # the list kept: its id stays its own
        return decided


_Decided = tuple[list[tuple[Slot, str, int]], str | None]


def one_per_chat(
    jobs: Sequence[PushJob], both: Collection[SubscriptionKey] | None = None
) -> tuple[Sequence[PushJob], dict[SubscriptionKey, PushJob]]:
    """Split ``jobs`` so no chat gets two pushes side by side: the jobs to start, and for
    a chat due for its daily and its weekly push in one run, the week, to start once the
    day's push is through (a reader gets the day as on every other day, then the week,
    each whole; side by side their parts interleaved). ``jobs`` is kept, not copied,
    when no chat has both (a big run holds every chat's job).

    :param both: at most those chats, as the plan found them (``RosterJobs.both``): when
        none, the jobs are not read at all (each job read is its chat made again).
    """
    if both is not None and not both:
        return jobs, {}
    weeks = {job.chat.key: job for job in jobs if is_week(job.date)}
    if not weeks:
        return jobs, {}
    both = {job.chat.key for job in jobs if not is_week(job.date)} & weeks.keys()
    if not both:
        return jobs, {}
    after = {key: weeks[key] for key in both}
    first = [job for job in jobs if not (is_week(job.date) and job.chat.key in after)]
    return first, after


def plan_date(
    store: Store, day: str, *, stamp: datetime, stale_before: datetime, record: bool = True
) -> PushPlan:
    """An operator's push of ``day``'s digest (or a week's, ``YYYY-Www``), now: every
    active chat of its cadence that has not had it, whatever its push time, plus the
    pushes of ``day`` a crash cut short.

    :raises BuildError: no digest is stored for ``day``.
    """
    ledger = Ledger(store)
    recovered = ledger.recover(stale_before, stamp) if record else 0
    stored = digest_versions(store, with_posts=True, weeks=is_week(day))
    versions = [version for d, version, *_ in stored if d == day]
    if not versions:
        raise BuildError(f"no digest is stored for {day}")
    weekly = is_week(day)  # an operator's push of a week goes to its weekly subscribers
    active = Roster.active(store)
    started = {subscription_key(chat, thread) for chat, thread, _ in ledger.started([day])}
    jobs = RosterJobs(active)
    jobs.both = frozenset()  # one digest: no chat gets a day's and a week's
    cadence = [shape.weekly if weekly else shape.daily for shape in active.shapes()]
    for position, (chat_id, thread_id, _, number) in enumerate(active.rows()):
        if cadence[number] and subscription_key(chat_id, thread_id) not in started:
            jobs.add(position, day, versions[0])
    busy = 0
    unfinished = ledger.unfinished(day)
    # Chats by id only when a push was cut short: for 100,000 chats that dict would be
    # 5 MB, and their Subscriptions 25 MB, at the plan's peak (bench/memory.py).
    chats = _by_key(active, weekly) if unfinished else {}
    for progress in unfinished:
        if progress.key in chats and progress.in_flight:
            busy += 1
        elif progress.key in chats:
            chat = chats[progress.key]
            jobs.extra.append(PushJob(chat, day, progress.version, PUSH, progress.delivered))
    return PushPlan(jobs, (), busy, recovered)


def _by_key(chats: Roster, weekly: bool = False) -> dict[SubscriptionKey, Subscription]:
    """The daily (or weekly) chats of ``chats`` by subscription key."""
    return {chat.key: chat for chat in chats if (chat.weekly if weekly else chat.daily)}


class _Resume:
    """Pushes and corrections a crash or a stop cut short: finish them, or skip if too late.

    Their ledger rows are read first; their chats are picked up as the plan's one read of
    the chats passes them (:meth:`meet`), then :meth:`finish` decides.
    """

    def __init__(
        self,
        ledger: Ledger,
        slots: _Slots,
        now: datetime,
        schedule: Schedule,
        stamp: datetime,
        record: bool,
        dates: list[str],
    ) -> None:
        self.ledger, self.slots, self.now, self.schedule = ledger, slots, now, schedule
        self.stamp, self.record = stamp, record
        self.jobs: list[PushJob] = []
        self.skipped: list[tuple[int, str, str]] = []
        self.busy = 0
        self._unfinished = [
            (day, kind, progress)
            for day in dates
            for kind in (PUSH, CORRECTION)
            for progress in ledger.unfinished(day, kind)
        ]
        self._wanted = {progress.key for *_, progress in self._unfinished}
        self._positions: dict[SubscriptionKey, int] = {}

    def meet(self, key: SubscriptionKey, position: int) -> None:
        """A daily chat of the plan: its position kept if a push to it was cut short."""
        if self._wanted and key in self._wanted:
            self._positions[key] = position

    def finish(self, chats: Roster) -> None:
        for day, kind, progress in self._unfinished:
            position = self._positions.get(progress.key)
            if position is None:
                continue  # deactivated since: nothing more goes to it
            chat = chats[position]
            if progress.in_flight:
                self.busy += 1
                continue
            age = _age(progress, self.slots.of(chat), self.now, self.stamp)
            if age is not None and age <= self.schedule.max_delay:
                self.jobs.append(PushJob(chat, day, progress.version, kind, progress.delivered))
                continue
            reason = "cut short, and now too late to finish"
            version, chat_id = progress.version, chat.chat_id
            if not self.record or self.ledger.skip(
                day, version, chat_id, reason, self.stamp, kind, chat.thread_id
            ):
                self.skipped.append((chat_id, day, reason))


class _Slots:
    """Each chat's passed slots: computed once per (push time, zone), as chats share them,
    then those since the chat subscribed (not kept per chat: 100,000 lists)."""

    def __init__(self, now: datetime, schedule: Schedule) -> None:
        self.now = now
        self.schedule = schedule
        self._shared: dict[tuple[time, str], tuple[list[float], dict[int, list[Slot]]]] = {}

    def of(self, chat: Subscription) -> list[Slot]:
        since = chat.subscribed_at
        return self.since(chat, NEVER if since is None else int(since.timestamp()))

    def since(self, chat: Subscription, since: int) -> list[Slot]:
        """The slots of ``chat``'s push time and zone since ``since`` (seconds since the
        epoch, :data:`NEVER`: all). Slots are newest first, so those are a prefix of the
        shared list: each prefix is made once and shared too."""
        key = (chat.push_time, chat.timezone)
        if key not in self._shared:
            slots = self.schedule.slots(self.now, chat.push_time, chat.timezone)
            moments = [slot.moment.timestamp() for slot in slots]
            self._shared[key] = moments, {len(slots): slots}
        moments, prefixes = self._shared[key]
        kept = sum(1 for moment in moments if moment >= since)
        if kept not in prefixes:
            prefixes[kept] = prefixes[len(moments)][:kept]
        return prefixes[kept]


def _age(progress: Progress, slots: list[Slot], now: datetime, stamp: datetime) -> timedelta | None:
    """How late a cut-short push is: past its slot, or for a correction since its last row."""
    if progress.kind == CORRECTION:
        return stamp - progress.updated_at if progress.updated_at else None
    day = date.fromisoformat(progress.date)
    moment = next((slot.moment for slot in slots if slot.digest_date == day), None)
    return now - moment if moment else None


def correction_jobs(store: Store, date: str, old_version: int, new_version: int) -> list[PushJob]:
    """Corrections to ``new_version``: the active chats (topics) that received ``old_version``."""
    ledger, chats = Ledger(store), Subscriptions(store)
    already = {subscription_key(*pair) for pair in ledger.recipients(date, new_version)}
    jobs = []
    for chat_id, thread_id in ledger.recipients(date, old_version):
        chat = chats.get(chat_id, thread_id)
        if chat is not None and chat.active and chat.key not in already:
            jobs.append(PushJob(chat, date, new_version, CORRECTION))
    return jobs


def follow_migration(store: Store, job: PushJob, new_id: int, now: datetime) -> Subscription | None:
    """Move a migrated group's subscription (unless a handler already did); the new chat
    (the same topic in it) gets the push only if it is subscribed and has not got this
    digest yet."""
    chats, thread_id = Subscriptions(store), job.chat.thread_id
    old = chats.get(job.chat.chat_id, thread_id)
    if old is not None and old.migrated_to != new_id:
        chats.migrate(job.chat.chat_id, new_id, now)
    moved = chats.get(new_id, thread_id)
    if moved is None or not moved.active:
        return None
    if (new_id, thread_id, job.date) in Ledger(store).started([job.date], job.kind):
        return None
    return moved
