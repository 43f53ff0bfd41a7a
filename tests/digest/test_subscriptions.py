"""Subscriptions read back as saved; many chats share their equal settings in memory."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from digest import Store, UsageError
from digest.push.subscriptions import Subscription, Subscriptions

SINCE = datetime(2026, 1, 1, tzinfo=UTC)


def test_active_chats_read_back_as_saved_and_share_equal_settings(store: Store) -> None:
    chats = Subscriptions(store)
    saved = [
        chats.save(
            Subscription(
                chat_id=n,
                chat_type="private" if n % 2 else "group",
                language="zh",
                push_time=time(8, 0),
                timezone="Asia/Shanghai",
                mode="full",
                sections=("summary", "metrics"),
                exclude_sources=("v2ex",) if n == 3 else (),
                active=True,
                subscribed_at=SINCE,
            ),
            SINCE,
        )
        for n in range(1, 5)
    ]
    found = chats.active()
    assert found == saved
    first, *others = found
    # A push holds every active chat: equal settings are one object, not one per row.
    for other in others:
        assert other.timezone is first.timezone and other.push_time is first.push_time
        assert other.sections is first.sections and other.language is first.language
    assert found[2].exclude_sources == ("v2ex",) and found[3].exclude_sources == ()


def test_the_weekly_settings_read_back_and_are_checked(store: Store) -> None:
    chats = Subscriptions(store)
    base = Subscription(1, "private", "zh", time(8), "Asia/Shanghai", active=True)
    assert (base.cadence, base.week_day, base.week_time, base.week_chart) == (
        "daily",
        1,
        None,
        True,
    )
    assert base.daily and not base.weekly and base.weekly_time == time(8)
    weekly = Subscription(
        2,
        "private",
        "en",
        time(8),
        "Asia/Shanghai",
        cadence="both",
        week_day=7,
        week_time=time(20, 30),
        week_chart=False,
        active=True,
    )
    chats.save(base, SINCE)
    chats.save(weekly, SINCE)
    found = chats.get(2)
    assert found is not None and (found.cadence, found.week_day, found.week_time) == (
        "both",
        7,
        time(20, 30),
    )
    assert found.daily and found.weekly and not found.week_chart
    assert chats.get(1) == chats.save(base, SINCE)
    for bad in ({"cadence": "hourly"}, {"week_day": 0}, {"week_day": 8}):
        with pytest.raises(UsageError):
            chats.save(Subscription(3, "private", "zh", time(8), "UTC", **bad), SINCE)  # type: ignore[arg-type]
