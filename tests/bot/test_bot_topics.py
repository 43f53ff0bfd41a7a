"""Forum topics through the running bot: /subscribe, /settings and buttons in a topic, a
closed topic in /settings, resuming, private chats with topics, follows in a topic."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
from bot_harness import (
    DAY,
    EN_USER,
    ZH_USER,
    Bot,
    bot_running,
    button,
    make_fake,
    no_rejections,
    wait_until,
)

from bot.config import Settings
from bot.context import services_of
from bot.delivery.engine import DeliveryOptions, push_due
from bot.fake_telegram import FakeTelegram
from bot.follow_alerts import run_alerts
from digest import Follow, Follows, Store, import_posts
from digest.push.subscriptions import Subscription, Subscriptions

FORUM = -1005005  # a forum supergroup; ZH_USER administers it, EN_USER is a member
TOPICS_USER = 1009  # a private chat with topics enabled


@pytest.fixture
def forum_fake() -> FakeTelegram:
    fake = make_fake()
    fake.add_chat(FORUM, "supergroup", "Forum", admins=(ZH_USER,), forum=True)
    fake.add_user(TOPICS_USER, "Tia", "en")
    fake.add_chat(TOPICS_USER, forum=True)
    return fake


@pytest.fixture
async def bot(
    forum_fake: FakeTelegram, settings: Settings, digest_v1: object
) -> AsyncIterator[Bot]:
    async with bot_running(forum_fake, settings) as running:
        yield running
    no_rejections(forum_fake)


async def say_in(
    bot: Bot, chat_id: int, thread: int | None, user_id: int, text: str
) -> list[dict[str, Any]]:
    """A user writes in a topic (None: the General topic); the bot's sends and edits since."""
    before = len(bot.fake.sent(chat_id))
    bot.fake.user_sends(chat_id, user_id, text, thread)
    await bot.feed()
    await wait_until(lambda: len(bot.fake.sent(chat_id)) > before, 10.0)
    return bot.fake.sent(chat_id)[before:]


def stored(db_path: Path, chat_id: int, thread: int = 0) -> Subscription | None:
    store = Store.open(db_path)
    try:
        return Subscriptions(store).get(chat_id, thread)
    finally:
        store.close()


async def test_subscribe_in_a_topic_subscribes_that_topic_and_answers_there(
    bot: Bot, db_path: Path
) -> None:
    thread = bot.fake.create_topic(FORUM, "Tech news")
    [answer] = await say_in(bot, FORUM, thread, ZH_USER, "/subscribe 08:00")
    assert answer["thread_id"] == thread and "已订阅" in answer["text"]
    sub = stored(db_path, FORUM, thread)
    assert sub is not None and sub.active and sub.push_time == time(8)
    assert stored(db_path, FORUM) is None  # the group itself (General) is not subscribed
    [refused] = await say_in(bot, FORUM, thread, EN_USER, "/unsubscribe")
    assert refused["thread_id"] == thread  # a member's refusal, in the topic too


async def test_two_topics_keep_their_own_settings(bot: Bot, db_path: Path) -> None:
    first, second = bot.fake.create_topic(FORUM, "A"), bot.fake.create_topic(FORUM, "B")
    await say_in(bot, FORUM, first, ZH_USER, "/subscribe 08:00")
    await say_in(bot, FORUM, second, ZH_USER, "/subscribe 21:30 Europe/Berlin")
    [shown] = await say_in(bot, FORUM, second, ZH_USER, "/settings mode full")
    assert shown["thread_id"] == second and f"话题 #{second}" in shown["text"]
    assert f"#{first} A 08:00" in shown["text"]  # the other topic, listed by its name
    await say_in(bot, FORUM, None, ZH_USER, "/settings lang en")  # General: the chat itself
    a, b, general = (stored(db_path, FORUM, t) for t in (first, second, 0))
    assert a is not None and b is not None and general is not None
    assert (a.push_time, a.timezone, a.mode, a.language) == (
        time(8),
        "Asia/Shanghai",
        "brief",
        "zh",
    )
    assert (b.push_time, b.timezone, b.mode) == (time(21, 30), "Europe/Berlin", "full")
    assert general.language == "en" and not general.active
    [unsubscribed] = await say_in(bot, FORUM, first, ZH_USER, "/unsubscribe")
    assert unsubscribed["thread_id"] == first
    a, b = stored(db_path, FORUM, first), stored(db_path, FORUM, second)
    assert a is not None and not a.active and b is not None and b.active


async def test_settings_buttons_in_a_topic_edit_the_topics_message(bot: Bot, db_path: Path) -> None:
    thread = bot.fake.create_topic(FORUM, "Digest")
    [menu] = await say_in(bot, FORUM, thread, ZH_USER, "/settings")
    sent, answer = await bot.press(
        FORUM, ZH_USER, menu["message_id"], button(menu, "完整"), replies=1
    )
    assert answer["text"] and [r["kind"] for r in sent] == ["edit"]
    assert sent[0]["message_id"] == menu["message_id"] and sent[0]["thread_id"] == thread
    sub = stored(db_path, FORUM, thread)
    assert sub is not None and sub.mode == "full" and stored(db_path, FORUM) is None


async def test_a_closed_topic_shows_why_in_settings_and_resumes_when_reopened(
    forum_fake: FakeTelegram, settings: Settings, digest_v1: object, db_path: Path
) -> None:
    async with bot_running(forum_fake, settings) as bot:
        thread = bot.fake.create_topic(FORUM, "Digest")
        await say_in(bot, FORUM, thread, ZH_USER, "/subscribe")
        bot.fake.close_topic(FORUM, thread)
        report = await push_due(services_of(bot.app), bot.app.bot, day=DAY.isoformat())
        assert (report.deactivated, report.messages) == (1, 0)
        [general] = await say_in(bot, FORUM, None, ZH_USER, "/settings")
        assert f"#{thread} Digest 已暂停（话题已关闭）" in general["text"]
        bot.fake.reopen_topic(FORUM, thread)
        missed = bot.fake.pending_updates(0, 10)  # a reopening the bot never saw (its
        bot.fake.pending_updates(missed[-1]["update_id"] + 1, 1)  # update was lost)
        [menu] = await say_in(bot, FORUM, thread, ZH_USER, "/settings")
        assert "已暂停：话题已关闭" in menu["text"] and menu["thread_id"] == thread
        sent, _ = await bot.press(
            FORUM, ZH_USER, menu["message_id"], button(menu, "恢复推送"), replies=1
        )
    assert sent[-1]["thread_id"] == thread and "已订阅" in sent[-1]["text"]
    sub = stored(db_path, FORUM, thread)
    assert sub is not None and sub.active and sub.inactive_reason is None
    assert forum_fake.stats()["errors_by_code"] == {400: 1}  # the push into the closed topic


async def test_a_private_chat_with_topics_subscribes_per_topic(bot: Bot, db_path: Path) -> None:
    thread = bot.fake.create_topic(TOPICS_USER, "Reading")
    [answer] = await say_in(bot, TOPICS_USER, thread, TOPICS_USER, "/subscribe 07:00")
    assert answer["thread_id"] == thread and "subscribed" in answer["text"]
    sub = stored(db_path, TOPICS_USER, thread)
    assert sub is not None and sub.active and sub.push_time == time(7)
    [digest] = await say_in(bot, TOPICS_USER, thread, TOPICS_USER, "/digest")
    assert digest["thread_id"] == thread


def fresh_post(db_path: Path, now: datetime) -> None:
    """A post about GLM-6, first seen ``now``: new to the next alert run."""
    fresh = db_path.parent / "fresh.jsonl"
    post = {"source": "hackernews", "post_id": "glm-6", "title": "GLM-6 released", "heat": 900}
    fresh.write_text(json.dumps({**post, "url": "https://example.com/glm-6"}) + "\n")
    store = Store.open(db_path)
    import_posts(store, fresh, now=now)
    store.close()


def follows_of(db_path: Path, chat_id: int) -> list[Follow]:
    store = Store.open(db_path)
    try:
        return Follows(store).of_chat(chat_id)
    finally:
        store.close()


async def test_follows_set_in_a_topic_alert_in_that_topic(bot: Bot, db_path: Path) -> None:
    thread = bot.fake.create_topic(FORUM, "Models")
    await say_in(bot, FORUM, thread, ZH_USER, "/follow GLM => 模型")
    [follow] = follows_of(db_path, FORUM)
    assert follow.thread_id == thread
    now = datetime.now(UTC)
    fresh_post(db_path, now)
    before = len(bot.fake.sent(FORUM))
    report = await run_alerts(services_of(bot.app), bot.app.bot, now, delivery=DeliveryOptions())
    assert report.sent == 1
    [alert] = bot.fake.sent(FORUM)[before:]
    assert alert["thread_id"] == thread and "GLM-6 released" in alert["text"]


async def test_an_alert_into_a_closed_topic_pauses_the_groups_set_there(
    forum_fake: FakeTelegram, settings: Settings, digest_v1: object, db_path: Path
) -> None:
    async with bot_running(forum_fake, settings) as bot:
        thread = bot.fake.create_topic(FORUM, "Models")
        await say_in(bot, FORUM, thread, ZH_USER, "/follow GLM")
        await say_in(bot, FORUM, None, ZH_USER, "/follow Rust")  # in General: not paused
        bot.fake.close_topic(FORUM, thread)
        now = datetime.now(UTC)
        fresh_post(db_path, now)
        services = services_of(bot.app)
        report = await run_alerts(services, bot.app.bot, now, delivery=DeliveryOptions())
    assert (report.sent, report.failed) == (0, 1)
    assert "TOPIC_CLOSED" in report.errors[0][1].upper()
    assert [(f.thread_id, f.paused) for f in follows_of(db_path, FORUM)] == [
        (thread, True),
        (0, False),
    ]


async def test_the_link_preview_is_a_setting_typed_or_pressed(bot: Bot, db_path: Path) -> None:
    [shown] = await say_in(bot, EN_USER, None, EN_USER, "/settings preview headline")
    assert "Link preview: the headline's link" in shown["text"]
    sub = stored(db_path, EN_USER)
    assert sub is not None and sub.link_preview == "headline"
    sent, _ = await bot.press(
        EN_USER, EN_USER, shown["message_id"], button(shown, "No link preview"), replies=1
    )
    assert "Link preview: none" in sent[-1]["text"]
    sub = stored(db_path, EN_USER)
    assert sub is not None and sub.link_preview == "none"
    [refused] = await say_in(bot, EN_USER, None, EN_USER, "/settings preview huge")
    assert "/settings preview headline|none" in refused["text"]
