"""Planning weekly pushes: which weekly subscribers are due for which week's digest.

A chat with the weekly cadence (``weekly`` or ``both``) has one slot a week: its
``week_day`` at its weekly time in its zone. The slot gets the newest ISO week whose
last daily window (Sunday's, ending at the build time) ended by then, so a Monday
09:00 slot gets the week that ended the evening before. Like a day's push, a slot is
due once it has passed, its week's digest is stored and the chat has no ledger row
for that week; more than ``max_delay`` past, it is recorded as skipped (if the week
was built) or left alone. Rows are keyed by the week (``YYYY-Www``) in the same
ledger, one per (week, version, chat, part), so a restart resumes or skips as a day's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from ..build.week import parse_week, week_name
from ..clock import local_moment, zone
from ..store.archive import digest_versions
from ..store.store import Store
from .ledger import PUSH, Ledger
from .schedule import Schedule
from .subscriptions import Subscription, SubscriptionKey, subscription_key

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class WeekSlot:
    """A chat's newest passed weekly slot (UTC) and the week it gets."""

    moment: datetime
    week: str


def week_slot(chat: Subscription, now: datetime, schedule: Schedule) -> WeekSlot | None:
    """The chat's newest weekly slot at or before ``now`` (None if it subscribed later)."""
    tz = zone(chat.timezone)
    today = now.astimezone(tz).date()
    day = today - timedelta(days=(today.isoweekday() - chat.week_day) % 7)
    moment = local_moment(day, chat.weekly_time, tz)
    if moment > now:
        moment = local_moment(day - timedelta(days=7), chat.weekly_time, tz)
    if chat.subscribed_at is not None and moment < chat.subscribed_at:
        return None
    return WeekSlot(moment, week_ending_by(moment, schedule))


def week_ending_by(moment: datetime, schedule: Schedule) -> str:
    """The newest ISO week whose Sunday build (its last daily window's end) is ≤ ``moment``."""
    build_tz = zone(schedule.build_timezone)
    current = week_name(moment.astimezone(build_tz).date())
    sunday = parse_week(current)[1][-1]
    if local_moment(sunday, schedule.build_time, build_tz) <= moment:
        return current
    return week_name(sunday - timedelta(days=7))


@dataclass(frozen=True, slots=True)
class WeekPlan:
    """The weekly part of a push run: (chat, week, version, parts delivered) to send, and
    (chat, week, reason) skipped; ``busy`` chats are another pusher's right now."""

    jobs: tuple[tuple[Subscription, str, int, frozenset[int]], ...]
    skipped: tuple[tuple[int, str, str], ...]
    busy: int = 0


def plan_week_slots(
    store: Store,
    slots: Mapping[SubscriptionKey, tuple[int, int, T, WeekSlot]],
    make: Callable[[T], Subscription],
    now: datetime,
    schedule: Schedule,
    *,
    stamp: datetime,
    record: bool,
) -> WeekPlan:
    """The weekly pushes due at ``now`` among the weekly chats' (id, topic, reference,
    slot) by key, plus weekly pushes a crash cut short that are still within the delay
    bound: ``make`` makes the chat of a reference, only for the chats with a job (a push
    plans 100,000 chats from their rows, not as 100,000 ``Subscription``s)."""
    ledger = Ledger(store)
    versions: dict[str, int] = {}
    for week, version, *_ in digest_versions(store, with_posts=True, weeks=True):
        versions.setdefault(week, version)  # newest first
    weeks = {slot.week for *_, slot in slots.values()}
    started = {(subscription_key(c, t), week) for c, t, week in ledger.started(weeks)}
    jobs: list[tuple[Subscription, str, int, frozenset[int]]] = []
    skipped: list[tuple[int, str, str]] = []
    for key, (chat_id, thread_id, chat, slot) in slots.items():
        if (key, slot.week) in started or slot.week not in versions:
            continue
        version = versions[slot.week]
        if now - slot.moment <= schedule.max_delay:
            jobs.append((make(chat), slot.week, version, frozenset()))
            continue
        hours = schedule.max_delay.total_seconds() / 3600
        reason = f"more than {hours:g} h past the weekly push time"
        skip = (slot.week, version, chat_id, reason, stamp, PUSH, thread_id)
        if not record or ledger.skip(*skip):
            skipped.append((chat_id, slot.week, reason))
    busy = 0
    for week in sorted(weeks):
        for progress in ledger.unfinished(week, PUSH):
            found = slots.get(progress.key)
            if found is None or found[-1].week != week:
                continue
            if progress.in_flight:
                busy += 1
            elif now - found[-1].moment <= schedule.max_delay:
                jobs.append((make(found[2]), week, progress.version, progress.delivered))
    return WeekPlan(tuple(jobs), tuple(skipped), busy)
