"""Pushes into forum topics, per (chat, topic), and the link preview a push shows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
from delivery_worker import SINCE, TOKEN, delivery_settings, push_on_fake, store_digest

from bot.delivery.limits import Limits
from bot.delivery.outbox import Outbox
from bot.fake_telegram import FakeTelegram
from bot.services import Services
from digest import Follows, Store, parse_expression
from digest.push.subscriptions import Subscription, Subscriptions

FORUM = -1001009
OWNER = 7
NOW = datetime(2026, 3, 10, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai: 2026-03-09's push is due
DAY = "2026-03-09"
THREE = ("summary", "highlights", "metrics")  # three sections: a push of three messages


@pytest.fixture
async def fast(db_path: Path) -> AsyncIterator[Services]:
    """Services whose outbox keeps no per-chat pace: two topics share one group's minute."""
    made = fast_services(db_path)
    yield made
    await made.close()


def fast_services(db_path: Path, **settings: object) -> Services:
    made = Services.create(delivery_settings(db_path, **settings))
    made.outbox.close()
    made.outbox = Outbox(Limits(per_second=1000, chat_interval=0, group_per_minute=10_000))
    return made


@pytest.fixture
def forum() -> tuple[FakeTelegram, int, int]:
    """A forum supergroup with two topics (their thread ids)."""
    fake = FakeTelegram(TOKEN, limits=None)
    fake.add_chat(FORUM, "supergroup", "Forum", admins=(OWNER,), forum=True)
    return fake, fake.create_topic(FORUM, "Daily"), fake.create_topic(FORUM, "Weekly")


def subscribe(db_path: Path, chat_id: int, thread_id: int, **changes: Any) -> None:
    store = Store.open(db_path)
    try:
        base = Subscription(
            chat_id=chat_id,
            chat_type="supergroup" if chat_id < 0 else "private",
            language="zh",
            push_time=time(8),
            timezone="Asia/Shanghai",
            thread_id=thread_id,
            active=True,
            subscribed_at=SINCE,
        )
        Subscriptions(store).save(replace(base, **changes), SINCE)
    finally:
        store.close()


def seed(db_path: Path) -> None:
    store = Store.open(db_path)
    store_digest(store, DAY)
    store.close()


def rows(db_path: Path, sql: str) -> list[tuple[Any, ...]]:
    store = Store.open(db_path)
    try:
        return [tuple(row) for row in store.db.execute(sql).fetchall()]
    finally:
        store.close()


def in_topic(fake: FakeTelegram, thread: int) -> list[dict[str, Any]]:
    return [r for r in fake.sent(FORUM) if r["thread_id"] == thread]


async def test_each_topic_gets_its_own_push_with_its_own_settings(
    fast: Services, db_path: Path, forum: tuple[FakeTelegram, int, int]
) -> None:
    fake, daily, weekly = forum
    seed(db_path)
    subscribe(db_path, FORUM, daily)  # brief, in Chinese
    subscribe(db_path, FORUM, weekly, mode="full", sections=THREE, language="en")
    report = await push_on_fake(fast, fake, now=NOW)
    assert (report.delivered, report.failed) == (2, 0)
    [brief] = in_topic(fake, daily)
    assert "GLM-5" in brief["text"] and "摘要" in brief["text"]
    full = in_topic(fake, weekly)
    assert [r["text"].split(" · ")[0] for r in full] == ["summary", "highlights", "metrics"]
    assert all(r["thread_id"] in (daily, weekly) for r in fake.sent(FORUM))
    ledger = rows(db_path, "SELECT thread_id, part, status FROM deliveries ORDER BY 1, 2")
    assert ledger == [(daily, 1, "sent"), *((weekly, n, "sent") for n in (1, 2, 3))]


async def test_a_restart_sends_nothing_twice_to_either_topic(
    db_path: Path, forum: tuple[FakeTelegram, int, int]
) -> None:
    fake, daily, weekly = forum
    seed(db_path)
    subscribe(db_path, FORUM, daily, mode="full", sections=THREE)
    subscribe(db_path, FORUM, weekly, mode="full", sections=THREE, active=False)
    first = fast_services(db_path)
    await push_on_fake(first, fake, now=NOW)
    await first.close()
    assert len(in_topic(fake, daily)) == 3 and not in_topic(fake, weekly)
    # The second topic subscribes (since before the slot), and the run that sent the last
    # part to the first one died before claiming it.
    subscribe(db_path, FORUM, weekly, mode="full", sections=THREE)
    store = Store.open(db_path)
    with store.db.conn:
        store.db.execute("DELETE FROM deliveries WHERE thread_id = ? AND part = 3", [daily])
    store.close()
    for _restart in range(2):
        services = fast_services(db_path)
        await push_on_fake(services, fake, now=NOW)
        await services.close()
    daily_texts = [r["text"] for r in in_topic(fake, daily)]
    assert len(daily_texts) == 4 and daily_texts[3] == daily_texts[2]  # only part 3, again
    assert len(in_topic(fake, weekly)) == 3
    assert len(fake.sent(FORUM)) == 7


@pytest.mark.parametrize(
    ("change", "reason"), [("close", "topic_closed"), ("delete", "topic_deleted")]
)
async def test_a_closed_or_deleted_topic_pauses_its_subscription_only(
    fast: Services,
    db_path: Path,
    forum: tuple[FakeTelegram, int, int],
    change: str,
    reason: str,
) -> None:
    fake, daily, weekly = forum
    seed(db_path)
    subscribe(db_path, FORUM, daily)
    subscribe(db_path, FORUM, weekly)
    getattr(fake, f"{change}_topic")(FORUM, daily)
    report = await push_on_fake(fast, fake, now=NOW)
    assert (report.delivered, report.deactivated) == (1, 1)
    assert len(in_topic(fake, weekly)) == 1 and not in_topic(fake, daily)
    store = Store.open(db_path)
    paused, other = Subscriptions(store).get(FORUM, daily), Subscriptions(store).get(FORUM, weekly)
    store.close()
    assert paused is not None and not paused.active and paused.inactive_reason == reason
    assert other is not None and other.active
    assert rows(db_path, f"SELECT status FROM deliveries WHERE thread_id = {daily}") == [
        ("deactivated",)
    ]


async def test_a_private_chat_with_topics_gets_its_push_in_the_topic(
    fast: Services, db_path: Path
) -> None:
    fake = FakeTelegram(TOKEN, limits=None)
    fake.add_chat(OWNER, forum=True)
    thread = fake.create_topic(OWNER, "Digest")
    seed(db_path)
    subscribe(db_path, OWNER, thread)
    await push_on_fake(fast, fake, now=NOW)
    [record] = fake.sent(OWNER)
    assert record["thread_id"] == thread


async def test_link_previews_show_the_headlines_link_or_nothing(
    fast: Services, db_path: Path
) -> None:
    fake = FakeTelegram(TOKEN, limits=None)
    seed(db_path)
    for chat_id, preview, mode in (
        (1, "headline", "brief"),
        (2, None, "brief"),
        (3, "headline", "full"),
    ):
        fake.add_chat(chat_id)
        subscribe(db_path, chat_id, 0, link_preview=preview, mode=mode, sections=THREE)
    await push_on_fake(fast, fake, now=NOW)
    headline = {
        "url": "https://example.com/1",
        "prefer_small_media": True,
        "show_above_text": False,
    }
    off = {"is_disabled": True}
    assert [r["link_preview_options"] for r in fake.sent(1)] == [headline]
    assert [r["link_preview_options"] for r in fake.sent(2)] == [off]  # the default: none
    assert [r["link_preview_options"] for r in fake.sent(3)] == [headline, off, off]


async def test_the_configured_default_preview_applies_to_chats_that_did_not_choose(
    db_path: Path,
) -> None:
    fake = FakeTelegram(TOKEN, limits=None)
    seed(db_path)
    for chat_id, preview in ((1, None), (2, "none")):
        fake.add_chat(chat_id)
        subscribe(db_path, chat_id, 0, link_preview=preview)
    services = fast_services(db_path, link_preview="headline")
    try:
        await push_on_fake(services, fake, now=NOW)
    finally:
        await services.close()
    assert fake.sent(1)[0]["link_preview_options"]["url"] == "https://example.com/1"
    assert fake.sent(2)[0]["link_preview_options"] == {"is_disabled": True}


async def test_a_topics_push_names_the_follows_set_in_that_topic(
    fast: Services, db_path: Path, forum: tuple[FakeTelegram, int, int]
) -> None:
    fake, daily, weekly = forum
    seed(db_path)  # cites "Post 1 & more", "Post 2 …", "Post 3 …"
    subscribe(db_path, FORUM, daily)
    subscribe(db_path, FORUM, weekly)
    store = Store.open(db_path)
    Follows(store).add(FORUM, parse_expression("Post => 帖子"), SINCE, thread_id=daily)
    store.close()
    await push_on_fake(fast, fake, now=NOW)
    assert in_topic(fake, daily)[-1]["text"].endswith("🔔 你关注的：帖子 [1][2][3]")
    assert "你关注的" not in in_topic(fake, weekly)[-1]["text"]
