"""/follow, /following, /unfollow and their buttons; the "and N more" button of an alert."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from bot_harness import (
    ADMIN,
    CHANNEL,
    EN_USER,
    GROUP,
    NOW,
    ZH_USER,
    Bot,
    button,
    buttons,
)
from telegram import Update

from bot.context import services_of
from bot.follow_alerts import run_alerts
from digest import AlertSettings, Follows, Store, make_post, matching_posts, parse_expression

LATER = NOW + timedelta(hours=1)


@pytest.fixture
def bot(bot: Bot) -> Bot:
    """The running bot of tests/bot/conftest.py, whose clock reads an hour after the sample."""
    services_of(bot.app).clock = lambda: LATER
    return bot


def follows_of(db_path: Path, chat_id: int) -> list[str]:
    store = Store.open(db_path)
    try:
        return [f.group.text() for f in Follows(store).of_chat(chat_id)]
    finally:
        store.close()


async def test_follow_replies_with_what_it_matches_and_the_last_day_preview(
    bot: Bot, db_path: Path
) -> None:
    replies = await bot.say(ZH_USER, ZH_USER, "/follow GLM 发布 !Flutter => 模型")
    text = "\n".join(r["text"] for r in replies)
    assert "已关注 1 个词组" in text and "1. 模型：glm 发布 !flutter" in text
    store = Store.open(db_path)
    expected = matching_posts(
        store, parse_expression("GLM 发布 !Flutter"), LATER - timedelta(hours=24), LATER
    )
    store.close()
    assert expected and f"最近 24 小时有 {len(expected)} 条匹配" in text
    assert expected[0].post.title[:20] in text and "Flutter" not in text
    assert follows_of(db_path, ZH_USER) == ["glm 发布 !flutter => 模型"]


async def test_trendradar_lines_add_one_group_per_block(bot: Bot, db_path: Path) -> None:
    await bot.say(EN_USER, EN_USER, "/follow Rust\nGo\n+release\n\nGLM\n=> models")
    assert follows_of(db_path, EN_USER) == ["rust go +release", "glm => models"]


@pytest.mark.parametrize(
    ("expression", "reason"),
    [("/(a+)+$/", "too slow"), ("/[x/", "not a valid regular expression"), ("", "empty")],
)
async def test_a_refused_expression_says_why_and_stores_nothing(
    bot: Bot, db_path: Path, expression: str, reason: str
) -> None:
    replies = await bot.say(EN_USER, EN_USER, f"/follow {expression}".strip())
    assert reason in replies[0]["text"]
    assert "Usage:" in "\n".join(r["text"] for r in replies)
    assert follows_of(db_path, EN_USER) == []


async def test_in_a_group_only_its_admins_change_follows(bot: Bot, db_path: Path) -> None:
    [refused] = await bot.say(GROUP, EN_USER, "/follow rust")
    assert "only administrators of this group" in refused["text"]
    assert follows_of(db_path, GROUP) == []
    await bot.say(GROUP, ZH_USER, "/follow rust")
    assert follows_of(db_path, GROUP) == ["rust"]
    [listing] = await bot.say(GROUP, EN_USER, "/following")  # anyone may look
    _, answer = await bot.press(GROUP, EN_USER, listing["message_id"], button(listing, "1"))
    assert answer["show_alert"] and follows_of(db_path, GROUP) == ["rust"]
    [refused] = await bot.say(GROUP, EN_USER, "/unfollow 1")
    assert follows_of(db_path, GROUP) == ["rust"]


async def channel_command(bot: Bot, text: str) -> dict[str, Any]:
    """A channel admin posts a command (with the entity Telegram adds); the bot's reply."""
    message = bot.fake.channel_post(CHANNEL, text)
    await bot.feed()  # the fake's own copy has no entity: no handler takes it
    entity = {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
    raw = {"update_id": 10**6, "channel_post": {**message, "entities": [entity]}}
    await bot.app.process_update(Update.de_json(raw, bot.app.bot))
    return bot.fake.sent(CHANNEL)[-1]


async def test_a_channel_post_follows_and_only_admins_press(bot: Bot, db_path: Path) -> None:
    await channel_command(bot, "/follow rust")
    assert follows_of(db_path, CHANNEL) == ["rust"]
    listing = await channel_command(bot, "/following")
    assert "1. rust" in listing["text"]
    # Anyone reading a channel may press its buttons; only its administrators change it.
    _, answer = await bot.press(CHANNEL, EN_USER, listing["message_id"], button(listing, "1"))
    assert answer["show_alert"] and follows_of(db_path, CHANNEL) == ["rust"]
    await bot.press(CHANNEL, ADMIN, listing["message_id"], button(listing, "删除 1"), 1)
    assert follows_of(db_path, CHANNEL) == []


async def test_following_buttons_pause_resume_and_remove(bot: Bot, db_path: Path) -> None:
    await bot.say(EN_USER, EN_USER, "/follow rust")
    await bot.say(EN_USER, EN_USER, "/follow GLM => models")
    [listing] = await bot.say(EN_USER, EN_USER, "/following")
    assert "1. <b>rust</b>" in listing["html"] and "2. <b>models</b>" in listing["html"]
    message_id = listing["message_id"]
    [paused], _ = await bot.press(EN_USER, EN_USER, message_id, button(listing, "Pause 1"), 1)
    assert "1. ⏸ rust" in paused["text"]
    assert buttons(paused)[0][0] == "▶️ Resume 1"
    [removed], _ = await bot.press(EN_USER, EN_USER, message_id, button(paused, "Remove 2"), 1)
    assert "models" not in removed["text"]
    assert follows_of(db_path, EN_USER) == ["rust"]
    [off], _ = await bot.press(EN_USER, EN_USER, message_id, button(removed, "Alerts off"), 1)
    assert "Alerts: off" in off["text"]


async def test_unfollow_by_number_or_name(bot: Bot, db_path: Path) -> None:
    await bot.say(EN_USER, EN_USER, "/follow rust")
    await bot.say(EN_USER, EN_USER, "/follow GLM => Models")
    [gone] = await bot.say(EN_USER, EN_USER, "/unfollow models")
    assert "No longer following Models" in gone["text"]
    [gone] = await bot.say(EN_USER, EN_USER, "/unfollow 1")
    assert "rust" in gone["text"] and follows_of(db_path, EN_USER) == []
    [missing] = await bot.say(EN_USER, EN_USER, "/unfollow 3")
    assert "follows no group '3'" in missing["text"]


async def test_alert_settings_are_typed_after_following(bot: Bot, db_path: Path) -> None:
    await bot.say(EN_USER, EN_USER, "/following quiet 23:00-08:00")
    [shown] = await bot.say(EN_USER, EN_USER, "/following max 5")
    assert "quiet hours: 23:00–08:00" in shown["text"] and "at most 5 alerts a day" in shown["text"]
    [bad] = await bot.say(EN_USER, EN_USER, "/following quiet 25:00-08:00")
    assert "not a valid time of day" in bad["text"]
    store = Store.open(db_path)
    settings = Follows(store).settings(EN_USER)
    store.close()
    assert settings == AlertSettings(EN_USER, True, settings.quiet, 5) and settings.quiet


async def test_an_alert_of_twelve_posts_shows_ten_and_a_button_for_the_rest(
    bot: Bot, db_path: Path
) -> None:
    await bot.say(EN_USER, EN_USER, "/follow widget")
    store = Store.open(db_path)
    posts = [
        make_post(
            source="hn",
            post_id=f"w{n}",
            title=f"Widget {n}",
            heat=100 - n,
            url=f"https://w.test/{n}",
        )
        for n in range(12)
    ]
    store.save_posts(posts, LATER)
    store.close()
    services = services_of(bot.app)
    report = await run_alerts(services, bot.app.bot, LATER + timedelta(minutes=1))
    assert report.sent == 1
    alert = bot.fake.sent(EN_USER)[-1]
    assert "Widget 0" in alert["text"] and "Widget 9" in alert["text"]
    assert "Widget 10" not in alert["text"] and "… and 2 more" in alert["text"]
    assert "heat 100" in alert["text"] and 'href="https://w.test/0"' in alert["html"]
    more: dict[str, Any]
    [more], _ = await bot.press(EN_USER, EN_USER, alert["message_id"], button(alert, "2 more"), 1)
    assert "Widget 10" in more["text"] and "Widget 11" in more["text"]
    assert "Widget 0" not in more["text"]


async def test_following_the_same_group_twice_adds_it_once(bot: Bot, db_path: Path) -> None:
    await bot.say(EN_USER, EN_USER, "/follow Rust Go")
    replies = await bot.say(EN_USER, EN_USER, "/follow go rust")
    assert "already follows that" in replies[0]["text"]
    assert follows_of(db_path, EN_USER) == ["rust go"]
