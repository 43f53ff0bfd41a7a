"""Forum topics' service messages through the running bot: names kept for /settings, a
closed topic paused before any send fails, and a reopened one resumed with the alerts
it refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot_harness import DAY, ZH_USER, Bot, bot_running, no_rejections, wait_until
from test_bot_topics import FORUM, follows_of, forum_fake, fresh_post, say_in, stored

from bot.config import Settings
from bot.context import services_of
from bot.delivery.engine import DeliveryOptions, push_due
from bot.fake_telegram import FakeTelegram
from bot.follow_alerts import AlertReport, run_alerts
from digest import Follows, Store

__all__ = ["forum_fake"]  # the fixture, used by name


def batches(db_path: Path) -> list[tuple[str, int]]:
    store = Store.open(db_path)
    try:
        rows = store.db.execute("SELECT status, thread_id FROM alert_batches ORDER BY id")
        return [(status, thread) for status, thread in rows.fetchall()]
    finally:
        store.close()


async def refused_in_a_closed_topic(bot: Bot, db_path: Path) -> tuple[int, datetime, AlertReport]:
    """A topic follows GLM and is closed before the bot sees it: a GLM post's alert fails."""
    thread = bot.fake.create_topic(FORUM, "Models")
    await say_in(bot, FORUM, thread, ZH_USER, "/follow GLM")
    bot.fake.close_topic(FORUM, thread)  # the bot has not seen it yet: the alert fails
    now = datetime.now(UTC)
    fresh_post(db_path, now)
    services = services_of(bot.app)
    return thread, now, await run_alerts(services, bot.app.bot, now, delivery=DeliveryOptions())


async def test_topic_names_come_from_its_service_messages(
    forum_fake: FakeTelegram, settings: Settings, digest_v1: object
) -> None:
    async with bot_running(forum_fake, settings) as bot:
        thread = bot.fake.create_topic(FORUM, "Digest")
        await say_in(bot, FORUM, thread, ZH_USER, "/subscribe 08:00")
        [general] = await say_in(bot, FORUM, None, ZH_USER, "/settings")
        assert f"#{thread} Digest 08:00" in general["text"]
        bot.fake.rename_topic(FORUM, thread, "每日<热榜>")
        [own] = await say_in(bot, FORUM, thread, ZH_USER, "/settings")
    assert own["text"].startswith(f"⚙️ 设置 · 话题 #{thread} 每日<热榜>")  # escaped as sent
    assert "每日&lt;热榜&gt;" in own["html"]
    no_rejections(forum_fake)


async def test_closing_pauses_at_once_and_reopening_resumes_what_it_paused(
    forum_fake: FakeTelegram, settings: Settings, digest_v1: object, db_path: Path
) -> None:
    async with bot_running(forum_fake, settings) as bot:
        thread = bot.fake.create_topic(FORUM, "Digest")
        await say_in(bot, FORUM, thread, ZH_USER, "/subscribe")
        await say_in(bot, FORUM, thread, ZH_USER, "/follow GLM")
        await say_in(bot, FORUM, thread, ZH_USER, "/follow Rust")
        rust = follows_of(db_path, FORUM)[1]
        store = Store.open(db_path)
        Follows(store).pause(FORUM, rust.id, True)  # a reader's own pause
        store.close()
        bot.fake.close_topic(FORUM, thread)
        await bot.feed()  # the service message: nothing was refused yet
        sub = stored(db_path, FORUM, thread)
        assert sub is not None and (sub.active, sub.inactive_reason) == (False, "topic_closed")
        assert [f.paused for f in follows_of(db_path, FORUM)] == [True, True]
        services = services_of(bot.app)
        report = await push_due(services, bot.app.bot, day=DAY.isoformat())
        assert report.messages == 0  # no send into the closed topic
        bot.fake.reopen_topic(FORUM, thread)
        await bot.feed()
        report = await push_due(services, bot.app.bot, day=DAY.isoformat())
    sub = stored(db_path, FORUM, thread)
    assert sub is not None and sub.active and sub.inactive_reason is None
    assert [f.paused for f in follows_of(db_path, FORUM)] == [False, True]  # Rust: the reader's
    assert report.delivered == 1 and bot.fake.sent(FORUM)[-1]["thread_id"] == thread
    no_rejections(forum_fake)  # never a refused send


async def test_alerts_a_closed_topic_refused_are_sent_once_it_reopens(
    forum_fake: FakeTelegram, settings: Settings, digest_v1: object, db_path: Path
) -> None:
    async with bot_running(forum_fake, settings) as bot:
        thread, now, refused = await refused_in_a_closed_topic(bot, db_path)
        services = services_of(bot.app)
        assert (refused.sent, refused.failed) == (0, 1)
        assert batches(db_path) == [("failed", thread)]
        await bot.feed()  # now it sees the closing
        before = len(bot.fake.sent(FORUM))
        bot.fake.reopen_topic(FORUM, thread)
        await bot.feed()
        await wait_until(lambda: len(bot.fake.sent(FORUM)) > before, 10.0)  # in the background
        [alert] = bot.fake.sent(FORUM)[before:]
        await bot.feed()  # nothing sent twice
        again = await run_alerts(services, bot.app.bot, now, delivery=DeliveryOptions())
    assert alert["thread_id"] == thread and "GLM-6 released" in alert["text"]
    assert batches(db_path) == [("sent", thread)] and again.sent == 0
    assert len(bot.fake.sent(FORUM)) == before + 1
    assert [f.paused for f in follows_of(db_path, FORUM)] == [False]


async def test_the_resend_of_a_reopened_topic_does_not_hold_up_other_updates(
    forum_fake: FakeTelegram, settings: Settings, digest_v1: object, db_path: Path
) -> None:
    async with bot_running(forum_fake, settings) as bot:
        thread, _, _ = await refused_in_a_closed_topic(bot, db_path)
        await bot.feed()  # the closing
        before = len(bot.fake.sent(FORUM))
        # The resend's first try is told to wait 3 s: an inline resend would hold the
        # handler (and the update stream behind it) for those seconds.
        bot.fake.inject(FORUM, "flood", retry_after=3)
        bot.fake.reopen_topic(FORUM, thread)
        await bot.feed()
        assert len(bot.fake.sent(FORUM)) == before  # the handler is done, the alert waits
        [reply] = await bot.say(ZH_USER, ZH_USER, "/help")  # answered meanwhile
        assert len(bot.fake.sent(FORUM)) == before
        await wait_until(lambda: len(bot.fake.sent(FORUM)) > before, 15.0)
    assert reply["text"] and bot.fake.sent(FORUM)[before]["thread_id"] == thread
    assert batches(db_path) == [("sent", thread)]
