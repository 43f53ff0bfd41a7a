"""Days without data: never the latest, never pushed, waited for, and alerted once."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from bot_harness import ADMIN, EN_USER, Bot, bot_running, make_fake, no_rejections, seed
from delivery_worker import add_chat
from test_bot_admin import feed_server

from bot.config import Settings, SourceConfig
from bot.context import services_of
from bot.delivery.engine import push_due
from bot.fake_telegram import FakeTelegram
from bot.jobs import build_due, refresh_due
from digest import Store, last_build, latest_digest, make_post

# 2026-02-18 18:30 in Shanghai is 10:30 UTC: that day's build; the sample is of 02-15.
BUILT = datetime(2026, 2, 18, 10, 30, tzinfo=UTC)
CHAT = 7001  # pushes at 19:00 Shanghai, 11:00 UTC


@pytest.fixture
def fake() -> FakeTelegram:
    fake = make_fake()
    fake.add_chat(CHAT)
    return fake


@pytest.fixture
def prepared(db_path: Path) -> Path:
    seed(db_path)
    store = Store.open(db_path)
    try:
        add_chat(store, CHAT, push_time=time(19, 0), language="en", since=BUILT - timedelta(days=9))
    finally:
        store.close()
    return db_path


@pytest.fixture
async def bot(fake: FakeTelegram, settings: Settings, prepared: Path) -> AsyncIterator[Bot]:
    async with bot_running(fake, replace(settings, language="en")) as running_bot:
        yield running_bot
    no_rejections(fake)


def collect(db_path: Path, title: str, seen: datetime) -> None:
    store = Store.open(db_path)
    try:
        post = make_post(source="hackernews", post_id=title, title=title, heat=500)
        store.save_posts([post], seen)
    finally:
        store.close()


async def tick(bot: Bot, now: datetime) -> None:
    """What the delivery tick does at ``now``: catch up the build, refresh, push."""
    services = services_of(bot.app)
    await build_due(services, bot.app.bot, now, missing_only=True)
    await refresh_due(services, bot.app.bot, now)
    await push_due(services, bot.app.bot, now=now)


def alerts(fake: FakeTelegram) -> list[str]:
    return [r["text"] for r in fake.sent(ADMIN) if r["text"].startswith(("🚨", "⚠️", "✅"))]


async def test_an_empty_day_is_never_the_latest_and_is_alerted_once(
    bot: Bot, fake: FakeTelegram, settings: Settings, prepared: Path
) -> None:
    services = services_of(bot.app)
    for _ in range(3):  # the scheduled build, then two ticks' catch-ups
        await build_due(services, bot.app.bot, BUILT, missing_only=False)
    assert latest_digest(Store.open(prepared), "2026-02-18") is None
    note, overview = await bot.say(EN_USER, EN_USER, "/digest", replies=2)
    assert note["text"] == (
        "No posts were collected for 2026-02-18, so it has no digest."
        " Here is the latest digest with posts, 2026-02-15."
    )
    assert "2026-02-15" in overview["text"] or overview["reply_markup"]
    [asked] = await bot.say(EN_USER, EN_USER, "/digest 2026-02-18")
    assert asked["text"].startswith("No posts were collected for 2026-02-18")
    assert asked["text"].endswith("The latest digest with posts is 2026-02-15: /digest 2026-02-15")
    assert alerts(fake) == [
        "⚠️ The build of 2026-02-18 found no posts (window 2026-02-17T10:30:00Z to "
        "2026-02-18T10:30:00Z): nothing is pushed until posts come in."
    ]


async def test_the_incident_survives_a_restart_and_recovers_once(
    fake: FakeTelegram, settings: Settings, prepared: Path
) -> None:
    english = replace(settings, language="en")
    for _ in range(2):  # a restart between: the open incident is in the store
        async with bot_running(fake, english) as bot:
            now = BUILT + timedelta(minutes=5)  # the tick's catch-up, after the build's grace
            await build_due(services_of(bot.app), bot.app.bot, now, missing_only=True)
    assert len(alerts(fake)) == 1
    collect(prepared, "Posts are back", BUILT + timedelta(minutes=10))
    async with bot_running(fake, english) as bot:
        now = BUILT + timedelta(minutes=20)
        await build_due(services_of(bot.app), bot.app.bot, now, missing_only=True)
    assert alerts(fake)[1:] == ["✅ 2026-02-18 has posts now: its digest is built."]
    no_rejections(fake)


async def test_the_push_waits_for_posts_and_carries_what_came_after_the_build(
    bot: Bot, fake: FakeTelegram, prepared: Path
) -> None:
    await tick(bot, BUILT + timedelta(minutes=31))  # the chat's 19:00 has come: nothing yet
    assert fake.sent(CHAT) == []
    collect(prepared, "Collected after the build", BUILT + timedelta(minutes=40))
    await tick(bot, BUILT + timedelta(minutes=45))
    pushed = "".join(r["text"] for r in fake.sent(CHAT))
    assert "Collected after the build" in pushed
    record = last_build(Store.open(prepared), "2026-02-18")
    assert record is not None and record.outcome in ("new", "unchanged") and record.posts == 1


async def test_a_later_post_makes_a_new_version_before_the_push(
    bot: Bot, fake: FakeTelegram, prepared: Path
) -> None:
    collect(prepared, "Seen before the build", BUILT - timedelta(hours=2))
    await build_due(services_of(bot.app), bot.app.bot, BUILT, missing_only=False)
    collect(prepared, "Seen after the build", BUILT + timedelta(minutes=15))
    await tick(bot, BUILT + timedelta(minutes=31))
    pushed = "".join(r["text"] for r in fake.sent(CHAT))
    assert "Seen after the build" in pushed and "Seen before the build" in pushed
    digest = latest_digest(Store.open(prepared), "2026-02-18")
    assert digest is not None and digest.version == 2


async def test_no_posts_within_the_delay_bound_sends_nothing_and_says_why(
    bot: Bot, fake: FakeTelegram
) -> None:
    await tick(bot, BUILT + timedelta(minutes=31))
    await tick(bot, BUILT + timedelta(hours=13))  # past the 12 h bound after 19:00
    await tick(bot, BUILT + timedelta(hours=13, minutes=1))
    assert fake.sent(CHAT) == []
    text = "\n".join(r["text"] for r in await bot.say(ADMIN, ADMIN, "/stats"))
    assert "Not sent for 2026-02-18: no posts collected for 2026-02-18 (1 chats)" in text
    assert "Last build: 2026-02-18, no posts collected (nothing stored)" in text
    assert "Open alerts: empty:2026-02-18" in text


async def test_every_source_failing_is_alerted_once_and_its_recovery_too(
    fake: FakeTelegram, settings: Settings, prepared: Path
) -> None:
    down = (SourceConfig("feed", "rss", {"url": "http://127.0.0.1:9/feed.xml"}),)
    english = replace(settings, language="en", sources=down, ingest_timeout=2.0)
    async with bot_running(fake, english) as bot:
        await bot.say(ADMIN, ADMIN, "/ingest", replies=2, timeout=15)  # the alert, a second on
        await bot.say(ADMIN, ADMIN, "/ingest", timeout=15)
    assert [a.split(":")[0] for a in alerts(fake)] == ["🚨 Every source failed in the last fetch"]
    async with feed_server() as url:
        up = (SourceConfig("feed", "rss", {"url": url}),)
        async with bot_running(fake, replace(english, sources=up)) as bot:  # a restart too
            await bot.say(ADMIN, ADMIN, "/ingest", replies=2, timeout=15)
            await bot.say(ADMIN, ADMIN, "/ingest", timeout=15)
    assert alerts(fake)[1:] == ["✅ Fetching works again: at least one source answered."]
    no_rejections(fake)


async def test_a_week_all_filtered_out_is_retried_only_when_new_posts_come(
    fake: FakeTelegram, settings: Settings, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # 2026-W07's only posts are excluded by the operator: its build stores nothing. Before,
    # every tick's catch-up built it again (a build and a log line a minute, forever).
    collect(db_path, "GPT leak", datetime(2026, 2, 10, 2, 0, tzinfo=UTC))
    after_week = datetime(2026, 2, 17, 11, 0, tzinfo=UTC)
    caplog.set_level(logging.INFO, logger="bot.builds")

    def weekly_builds() -> int:
        return sum("weekly build 2026-W07" in r.getMessage() for r in caplog.records)

    async with bot_running(fake, replace(settings, digest_exclude=("GPT",))) as bot:
        services = services_of(bot.app)
        for minute in range(3):
            now = after_week + timedelta(minutes=minute)
            await build_due(services, bot.app.bot, now, missing_only=True)
        assert weekly_builds() == 1
        collect(db_path, "Rust release", datetime(2026, 2, 11, 2, 0, tzinfo=UTC))
        for minute in range(3, 5):  # a new sighting could change it: built once more
            now = after_week + timedelta(minutes=minute)
            await build_due(services, bot.app.bot, now, missing_only=True)
        assert weekly_builds() == 2
        store = Store.open(db_path)
        week = latest_digest(store, "2026-W07")
        store.close()
    assert week is not None and "Rust release" in str(week.sources)
    assert "GPT leak" not in str(week.sources)  # never pushing what was filtered out
