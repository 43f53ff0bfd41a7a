"""The one Retry-After parser (digest.clock) the sources and the LLM client share."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from digest.clock import retry_after_seconds

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        (" 120 ", 120.0),
        ("1.5", 1.5),
        ("99999", 99999.0),
        ("Wed, 01 May 2024 12:00:20 GMT", 20.0),
        ("Wed, 01 May 2024 11:00:00 GMT", 0.0),  # in the past: no wait
        ("inf", None),
        ("nan", None),
        ("-5", None),
        ("1e9", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_values(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, NOW) == seconds
