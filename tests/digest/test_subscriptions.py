"""Subscriptions read back as saved; many chats share their equal settings in memory."""

from __future__ import annotations

from datetime import UTC, datetime, time

from digest import Store
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
