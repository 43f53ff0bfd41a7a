"""Time helpers: every stored time is UTC ISO-8601, every window is zone-aware."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    """Store format: UTC, second precision, fixed width so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: hotdigest never guesses a time zone")
    # isoformat, unlike strftime("%Y"), pads years before 1000 (Go's zero time,
    # 0001-01-01, turns up in real payloads); from_iso must read back what this writes.
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def from_iso(text: str) -> datetime:
    """Parse a stored or user-given ISO-8601 time; a time without a zone is rejected."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no zone offset")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise ValueError(f"time {text!r} is out of range") from None


def zone(name: str) -> ZoneInfo:
    """A zone by IANA name, or a ConfigError naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"unknown time zone {name!r} (use an IANA name such as Asia/Shanghai)"
        ) from exc


def day_window(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The local calendar day as a UTC [start, end) pair; DST days are 23 or 25 hours."""
    start = datetime.combine(day, time(0, 0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def local_moment(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The wall-clock time `at` on `day` in `tz`, as aware UTC.

    A time skipped by a DST jump resolves forward (fold=0 semantics of zoneinfo).
    """
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def parse_hhmm(text: str) -> time:
    """`HH:MM` → time, or ValueError with the reason."""
    hours, sep, minutes = text.strip().partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise ValueError(f"{text!r} is not a time of day in HH:MM form")
    hour, minute = int(hours), int(minutes)
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError(f"{text!r} is not a valid time of day")
    return time(hour, minute)


# RFC 9110 allows only whole seconds; some servers send "1.5", which is unambiguous.
# No sign, exponent, "inf" or "nan": anything else is not a delay.
_SECONDS = re.compile(r"\d{1,12}(?:\.\d{1,6})?")


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date); None if unusable.

    The one parser of the header: the sources and the LLM client both use it.

    :param now: the time an HTTP-date is measured from (default: the current time).
    """
    if not value:
        return None
    value = value.strip()
    if _SECONDS.fullmatch(value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or utcnow())).total_seconds())
