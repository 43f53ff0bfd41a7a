"""When a chat's daily push is due, and which digest it gets: pure functions of time.

A chat has one *slot* per local day: its push time on that date in its zone. A time
skipped by a daylight-saving jump resolves forward by the jump (02:30 on a spring-forward
day in Berlin is 03:30 CEST); a repeated time resolves to its first occurrence.

Which digest a slot gets: the newest digest date ``D`` (never after the slot's local
date) whose build time comes no later than the slot, both compared in the zones'
*standard* time. Standard time has no daylight saving, so the answer is the same date
offset every day of the year: a chat never gets two pushes on one day nor none, even
when its zone and the build zone change their clocks on different days. The price: for
push times within the DST hour of the build time (a Berlin chat at 12:00, a Shanghai build
at 18:30), the digest is not built yet at the slot during half the year, and goes out
when it is, up to an hour later.

A slot is due when it has passed, its digest exists, and the chat has not started that
digest; only the newest passed slot is pushed. Older unreceived slots, and a slot more
than ``max_delay`` past, are reported late instead of pushed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..clock import zone


@dataclass(frozen=True, slots=True)
class Slot:
    """A chat's push on one local date: when it is (UTC) and which digest date it gets."""

    local_date: date
    moment: datetime
    digest_date: date


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do for a chat now: push ``due``, and record ``late`` slots as skipped."""

    due: Slot | None = None
    late: tuple[tuple[Slot, str], ...] = ()  # (slot, reason)
    unbuilt: tuple[Slot, ...] = ()  # past the delay bound with no digest (with posts) built


def push_moment(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The wall-clock time ``at`` on ``day`` in ``tz``, as aware UTC.

    zoneinfo's fold=0 gives a skipped time the offset from before the jump (so it lands
    one hour later in the new offset) and a repeated time its first occurrence.
    """
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def standard_offset(day: date, tz: ZoneInfo) -> timedelta:
    """The zone's UTC offset on ``day`` without daylight saving."""
    noon = datetime.combine(day, time(12), tzinfo=tz)
    return (noon.utcoffset() or timedelta(0)) - (noon.dst() or timedelta(0))


def digest_date_for(
    day: date, push_time: time, tz: ZoneInfo, build_time: time, build_tz: ZoneInfo
) -> date:
    """The digest date the slot on local ``day`` gets (see the module docstring)."""
    slot = datetime.combine(day, push_time) - standard_offset(day, tz)  # naive, standard UTC
    candidate = (slot + standard_offset(slot.date(), build_tz)).date()
    for _ in range(3):
        built = datetime.combine(candidate, build_time) - standard_offset(candidate, build_tz)
        if built <= slot:
            break
        candidate -= timedelta(days=1)
    return min(candidate, day)


@dataclass(frozen=True, slots=True)
class Schedule:
    """The schedule shared by every chat: when digests are built and how late a push may be."""

    build_time: time
    build_timezone: str
    max_delay: timedelta

    @property
    def lookback_days(self) -> int:
        """How many local dates back a catch-up looks: the delay bound plus two."""
        return self.max_delay.days + 2

    def slots(self, now: datetime, push_time: time, timezone: str) -> list[Slot]:
        """The passed slots of a push time and zone within the lookback, newest first."""
        tz, build_tz = zone(timezone), zone(self.build_timezone)
        today = now.astimezone(tz).date()
        found = []
        for back in range(self.lookback_days + 1):
            day = today - timedelta(days=back)
            moment = push_moment(day, push_time, tz)
            if moment <= now:
                found.append(
                    Slot(
                        day, moment, digest_date_for(day, push_time, tz, self.build_time, build_tz)
                    )
                )
        return found

    def decide(
        self,
        now: datetime,
        slots: list[Slot],
        built: Collection[date],
        started: Collection[date],
    ) -> Decision:
        """Push the newest passed slot if its digest is built and not started; report late ones.

        :param slots: from :meth:`slots`, newest first.
        :param built: digest dates that exist.
        :param started: digest dates the chat already has a push (or skip) recorded for.
        """
        due: Slot | None = None
        late: list[tuple[Slot, str]] = []
        unbuilt: list[Slot] = []
        for position, slot in enumerate(slots):
            if slot.digest_date in started:
                continue
            if any(slot.digest_date == other.digest_date for other in slots[:position]):
                continue  # a newer slot already accounts for this digest
            if slot.digest_date not in built:
                # Waits for a digest with posts, up to the delay bound; then it is given up.
                if now - slot.moment > self.max_delay:
                    unbuilt.append(slot)
                continue
            if now - slot.moment > self.max_delay:
                hours = self.max_delay.total_seconds() / 3600
                late.append((slot, f"more than {hours:g} h past the push time"))
            elif position == 0:
                due = slot
            else:
                late.append((slot, f"superseded by the push of {slots[0].local_date}"))
        return Decision(due, tuple(late), tuple(unbuilt))
