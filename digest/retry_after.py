"""Retry-After: the one parser for the header, shared by the sources and the LLM client."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# RFC 9110 allows only whole seconds; some servers send "1.5", which is unambiguous.
# No sign, exponent, "inf" or "nan": anything else is not a delay.
_SECONDS = re.compile(r"\d{1,12}(?:\.\d{1,6})?")


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date); None if unusable.

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
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
