"""For the few tests of commands that read the real clock (no clock to pass them)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


def clear_of_midnight(margin: timedelta) -> datetime:
    """The UTC time now, once at least ``margin`` into the UTC day.

    A test that sets a push or build time "a few minutes ago" puts it on yesterday's date
    in the first minutes of a day; it waits that part of the day out instead (only when a
    run lands there, and never longer than ``margin``).
    """
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date(), datetime.min.time(), UTC)
    if now - midnight < margin:
        time.sleep((midnight + margin - now).total_seconds())
        now = datetime.now(UTC)
    return now
