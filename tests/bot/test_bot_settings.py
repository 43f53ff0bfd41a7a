"""/subscribe, /unsubscribe, /settings and their buttons in private chats, groups and channels."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import time
from pathlib import Path
from typing import Any

import pytest
from bot_harness import (
    ADMIN,
    CHANNEL,
    EN_USER,
    GROUP,
    NO_BOT_CHANNEL,
    ZH_USER,
    Bot,
    bot_running,
    button,
    buttons,
    no_rejections,
    seed,
)
from telegram import Update
from test_delivery_limits import Clock

from bot.config import Settings
from bot.context import services_of
from bot.delivery.options import limits_of
from bot.delivery.outbox import Outbox
from bot.fake_telegram import FakeTelegram
from digest import Store
from digest.push.subscriptions import Subscription, Subscriptions


@pytest.fixture
async def bot(fake: FakeTelegram, settings: Settings, db_path: Path) -> AsyncIterator[Bot]:
    seed(db_path)
    async with bot_running(fake, settings) as running:
        yield running
    no_rejections(fake)


def stored(db_path: Path, chat_id: int) -> Subscription | None:
    store = Store.open(db_path)
    try:
        return Subscriptions(store).get(chat_id)
    finally:
        store.close()


async def channel_post(bot: Bot, chat_id: int, text: str) -> list[dict[str, Any]]:
    """A channel admin posts a command; the fake's channel posts carry no command entity,
    so the update is handed over with the entity Telegram would add."""
    before = len(bot.fake.sent(chat_id))
    message = bot.fake.channel_post(chat_id, text)
    await bot.feed()  # the fake's own copy: no entity, so no handler takes it
    entity = {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
    raw = {"update_id": 10**6, "channel_post": {**message, "entities": [entity]}}
    await bot.app.process_update(Update.de_json(raw, bot.app.bot))
    return bot.fake.sent(chat_id)[before:]


# -- private chats -------------------------------------------------------------------------


async def test_subscribe_with_defaults_then_time_and_zone(bot: Bot, db_path: Path) -> None:
    [first] = await bot.say(ZH_USER, ZH_USER, "/subscribe")
    assert "已订阅：每天 19:00（Asia/Shanghai）推送简版" in first["text"]
    [second] = await bot.say(ZH_USER, ZH_USER, "/subscribe 08:00 Europe/Berlin")
    assert "08:00（Europe/Berlin）" in second["text"]
    sub = stored(db_path, ZH_USER)
    assert sub is not None and sub.active and sub.chat_type == "private" and sub.title is None
    assert (sub.push_time, sub.timezone, sub.language) == (time(8), "Europe/Berlin", "zh")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/subscribe 25:00", "“25:00” is not a time of day"),
        ("/subscribe 08:00 Mars/Base", "“Mars/Base” is not a time zone"),
        ("/subscribe 08:00 localtime", "“localtime” is not a time zone"),  # the host's zone
        ("/subscribe 08:00 Factory", "“Factory” is not a time zone"),
        ("/subscribe 08:00 EST5EDT", "“EST5EDT” is not a time zone"),
        ("/settings zone posix/Asia/Tokyo", "“posix/Asia/Tokyo” is not a time zone"),
        ("/unsubscribe please", "“please” is not a chat"),
        ("/settings colour red", "“colour” is not a setting"),
        ("/settings lang fr", "“fr” is not a valid value here"),
        ("/settings include reddit", "“reddit” is not a configured source"),
        ("/stats now", "Sorry, /stats is only for the bot's administrators"),
    ],
)
async def test_bad_arguments(bot: Bot, db_path: Path, text: str, expected: str) -> None:
    replies = await bot.say(EN_USER, EN_USER, text)
    assert expected in replies[0]["text"]
    assert stored(db_path, EN_USER) is None  # nothing was saved


async def test_unsubscribe_keeps_the_settings(bot: Bot, db_path: Path) -> None:
    [reply] = await bot.say(EN_USER, EN_USER, "/unsubscribe")
    assert "was not subscribed" in reply["text"]
    await bot.say(EN_USER, EN_USER, "/subscribe 07:15 asia/tokyo")
    [reply] = await bot.say(EN_USER, EN_USER, "/unsubscribe")
    assert "unsubscribed" in reply["text"]
    sub = stored(db_path, EN_USER)
    assert sub is not None and not sub.active and sub.push_time == time(7, 15)
    [again] = await bot.say(EN_USER, EN_USER, "/subscribe")
    assert "07:15 (Asia/Tokyo)" in again["text"]


async def test_subscribe_button_of_start(bot: Bot, db_path: Path) -> None:
    [start] = await bot.say(EN_USER, EN_USER, "/start")
    [confirmation], answer = await bot.press(
        EN_USER, EN_USER, start["message_id"], button(start, "Subscribe"), replies=1
    )
    assert answer["text"] == "Saved." and "subscribed" in confirmation["text"]
    assert stored(db_path, EN_USER) is not None


async def test_typed_settings_change_and_reply_in_the_new_language(bot: Bot, db_path: Path) -> None:
    [zh] = await bot.say(ZH_USER, ZH_USER, "/settings time 06:30")
    assert "时间：06:30（Asia/Shanghai）" in zh["text"] and "每日推送：未开启" in zh["text"]
    [en] = await bot.say(ZH_USER, ZH_USER, "/settings lang en")
    assert en["text"].startswith("⚙️ Settings") and "Language: English" in en["text"]
    await bot.say(ZH_USER, ZH_USER, "/settings sections 要点 数据")
    await bot.say(ZH_USER, ZH_USER, "/settings exclude juejin")
    [last] = await bot.say(ZH_USER, ZH_USER, "/settings mode full")
    assert "Sections: Highlights, Metrics" in last["text"] and "not juejin" in last["text"]
    sub = stored(db_path, ZH_USER)
    assert sub is not None and (sub.mode, sub.exclude_sources) == ("full", ("juejin",))


async def test_settings_keyboard(bot: Bot, db_path: Path, settings: Settings) -> None:
    # Each press edits the panel, and the outbox spaces a chat's edits a second apart as
    # Telegram wants: 14 presses took 14 s of real waiting. On a virtual clock the same
    # outbox keeps the same spacing, and the test checks it without waiting for it.
    services = services_of(bot.app)
    clock = Clock()
    services.outbox.close()
    services.outbox = Outbox(limits_of(settings), clock, clock.sleep)
    [panel] = await bot.say(EN_USER, EN_USER, "/settings")
    message_id = panel["message_id"]
    began = clock.now

    async def press(record: dict[str, Any], label: str) -> tuple[dict[str, Any], str]:
        [edited], answer = await bot.press(EN_USER, EN_USER, message_id, button(record, label), 1)
        return edited, answer["text"]

    times, answer = await press(panel, "Time")
    assert answer == "" and "08:00" in [label for label, _ in buttons(times)]
    panel, answer = await press(times, "08:00")
    assert answer == "Saved." and "Time: 08:00" in panel["text"]
    zones, _ = await press(panel, "Zone")
    panel, _ = await press(zones, "Europe/Berlin")
    assert "(Europe/Berlin)" in panel["text"]
    panel, _ = await press(panel, "Full push")
    assert "Push: full" in panel["text"] and button(panel, "Brief push")
    sections, _ = await press(panel, "Sections")
    sections, _ = await press(sections, "✅ Metrics")
    assert "⬜ Metrics" in [label for label, _ in buttons(sections)]
    sources, _ = await press(sections, "Back")
    sources, _ = await press(sources, "Sources")
    sources, _ = await press(sources, "✅ v2ex")  # all → only v2ex
    sources, _ = await press(sources, "⭐ v2ex")  # only → excluded
    assert "🚫 v2ex" in [label for label, _ in buttons(sources)]
    panel, _ = await press(sources, "Back")
    panel, _ = await press(panel, "中文")
    assert panel["text"].startswith("⚙️ 设置") and "屏蔽 v2ex" in panel["text"]
    sub = stored(db_path, EN_USER)
    assert sub is not None and sub.language == "zh" and sub.exclude_sources == ("v2ex",)
    assert "metrics" not in sub.sections and sub.mode == "full"
    assert clock.now - began >= 13 * 1.0  # 14 edits of one chat, a second apart


async def test_the_last_section_stays(bot: Bot) -> None:
    await bot.say(EN_USER, EN_USER, "/settings sections summary")
    [panel] = await bot.say(EN_USER, EN_USER, "/settings")
    [menu], _ = await bot.press(EN_USER, EN_USER, panel["message_id"], button(panel, "Sections"), 1)
    changed, answer = await bot.press(
        EN_USER, EN_USER, panel["message_id"], button(menu, "✅ Summary")
    )
    assert changed == [] and answer["show_alert"] and "at least one section" in answer["text"]


async def test_settings_survive_a_restart(
    fake: FakeTelegram, settings: Settings, db_path: Path
) -> None:
    seed(db_path)
    async with bot_running(fake, settings) as first:
        await first.say(EN_USER, EN_USER, "/subscribe 07:45 Europe/London")
        await first.say(EN_USER, EN_USER, "/settings lang zh")
    async with bot_running(fake, settings) as second:
        [panel] = await second.say(EN_USER, EN_USER, "/settings")
    assert panel["text"].startswith("⚙️ 设置")  # the stored language wins over the user's
    assert "每日推送：已开启" in panel["text"] and "07:45（Europe/London）" in panel["text"]
    no_rejections(fake)


# -- groups ------------------------------------------------------------------------------


async def test_only_group_administrators_subscribe(bot: Bot, db_path: Path) -> None:
    [refused] = await bot.say(GROUP, EN_USER, "/subscribe")
    assert "only administrators of this group" in refused["text"]
    assert stored(db_path, GROUP) is None
    [done] = await bot.say(GROUP, ZH_USER, "/subscribe 09:00")
    assert "已订阅：每天 09:00" in done["text"]
    sub = stored(db_path, GROUP)
    assert sub is not None and sub.title == "Readers <&> 读者" and sub.chat_type == "group"
    [refused] = await bot.say(GROUP, EN_USER, "/unsubscribe")
    assert "只有本群的管理员" in refused["text"]  # the group chose Chinese when subscribing


async def test_group_members_see_settings_but_cannot_press(bot: Bot, db_path: Path) -> None:
    [panel] = await bot.say(GROUP, EN_USER, "/settings")
    assert panel["text"].startswith("⚙️ Settings")
    [refused] = await bot.say(GROUP, EN_USER, "/settings time 08:00")
    assert "only administrators" in refused["text"]
    changed, answer = await bot.press(GROUP, EN_USER, panel["message_id"], button(panel, "Full"))
    assert changed == [] and answer["show_alert"] and "only administrators" in answer["text"]
    [edited], answer = await bot.press(
        GROUP, ZH_USER, panel["message_id"], button(panel, "Full"), 1
    )
    # The group had no language yet: it takes the one of the administrator who set it up.
    assert answer["text"] == "已保存。" and "推送内容：完整版" in edited["text"]
    assert stored(db_path, GROUP) is not None


# -- channels ----------------------------------------------------------------------------


async def test_a_channel_post_says_how_channels_are_managed(bot: Bot) -> None:
    [reply] = await channel_post(bot, CHANNEL, "/subscribe")
    assert f"/subscribe {CHANNEL}" in reply["text"]
    [reply] = await channel_post(bot, CHANNEL, "/digest")  # reading works in a channel
    assert "2026-02-15" in reply["text"]


async def test_a_bot_admin_subscribes_a_channel_from_a_private_chat(
    bot: Bot, db_path: Path
) -> None:
    [done] = await bot.say(ADMIN, ADMIN, f"/subscribe {CHANNEL} 07:00 UTC")
    assert "Channel Hot <b>News</b> is subscribed" in done["text"]  # the title, escaped
    assert "<b>Hot &lt;b&gt;News&lt;/b&gt;</b>" in done["html"]
    sub = stored(db_path, CHANNEL)
    assert sub is not None and sub.active and sub.chat_type == "channel"
    assert (sub.push_time, sub.timezone) == (time(7), "UTC")
    [panel] = await bot.say(ADMIN, ADMIN, f"/settings {CHANNEL} lang zh")
    assert "Hot <b>News</b>" in panel["text"] and "Language: 中文" in panel["text"]
    assert button(panel, "Time").startswith(f"s|{CHANNEL}|")
    [edited], answer = await bot.press(ADMIN, ADMIN, panel["message_id"], button(panel, "Full"), 1)
    assert answer["text"] == "Saved." and "Push: full" in edited["text"]
    [gone] = await bot.say(ADMIN, ADMIN, f"/unsubscribe {CHANNEL}")
    assert "Channel <b>" not in gone["text"] and "is unsubscribed" in gone["text"]
    assert bot.fake.sent(CHANNEL) == []  # nothing was posted in the channel itself


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (NO_BOT_CHANNEL, "The bot is not an administrator"),
        (GROUP, "is not a channel"),
        (-1009999999, "I can't find the chat"),
    ],
)
async def test_channels_the_bot_cannot_serve(bot: Bot, target: int, expected: str) -> None:
    [reply] = await bot.say(ADMIN, ADMIN, f"/subscribe {target}")
    assert expected in reply["text"]
    errors = bot.fake.journal.counters.errors_by_code
    assert dict(errors) == ({400: 1} if "find" in expected else {})  # getChat: chat not found
    errors.clear()


async def test_only_bot_admins_manage_channels(bot: Bot, db_path: Path) -> None:
    [refused] = await bot.say(EN_USER, EN_USER, f"/subscribe {CHANNEL}")
    assert f"/subscribe {CHANNEL} is only for the bot's administrators" in refused["text"]
    forged = f"s|{CHANNEL}|mode|full"
    [panel] = await bot.say(EN_USER, EN_USER, "/settings")
    changed, answer = await bot.press(EN_USER, EN_USER, panel["message_id"], forged)
    assert changed == [] and answer["show_alert"]
    assert stored(db_path, CHANNEL) is None


# -- channel buttons: only the presser counts (issue 10) ----------------------------------


async def channel_start(bot: Bot) -> dict[str, Any]:
    """The bot's /start reply in the channel: its own post, signed with the channel."""
    [start] = await channel_post(bot, CHANNEL, "/start")
    assert bot.fake.store[(CHANNEL, start["message_id"])]["sender_chat"]["id"] == CHANNEL
    return start


@pytest.mark.parametrize("label", ["🔔", "⚙️"])  # Subscribe, Settings (the channel speaks zh)
async def test_channel_readers_cannot_press_its_buttons(
    bot: Bot, db_path: Path, label: str
) -> None:
    start = await channel_start(bot)
    changed, answer = await bot.press(CHANNEL, EN_USER, start["message_id"], button(start, label))
    assert changed == [] and answer["show_alert"]
    assert "only administrators of this channel" in answer["text"]
    assert stored(db_path, CHANNEL) is None


@pytest.mark.parametrize(
    "forged", ["lang|en", "mode|full", "time|0600", "zone|UTC", "section|metrics", "source|0"]
)
async def test_forged_channel_settings_are_refused(bot: Bot, db_path: Path, forged: str) -> None:
    start = await channel_start(bot)
    before = stored(db_path, CHANNEL)
    data = f"s|{CHANNEL}|{forged}"
    changed, answer = await bot.press(CHANNEL, EN_USER, start["message_id"], data)
    assert changed == [] and answer["show_alert"] and answer["text"] != "已保存。"
    assert stored(db_path, CHANNEL) == before


async def test_channel_administrators_still_press(
    bot: Bot, fake: FakeTelegram, db_path: Path
) -> None:
    fake.chats[CHANNEL].admins = (ADMIN, EN_USER)  # EN_USER administers it, not the bot
    start = await channel_start(bot)
    [done], answer = await bot.press(CHANNEL, EN_USER, start["message_id"], button(start, "🔔"), 1)
    assert answer["text"] == "Saved." and "subscribed" in done["text"]  # the presser's language
    sub = stored(db_path, CHANNEL)
    assert sub is not None and sub.active and sub.mode == "brief"
    [edited], answer = await bot.press(
        CHANNEL, EN_USER, start["message_id"], f"s|{CHANNEL}|mode|full", 1
    )
    assert answer["text"] == "Saved." and "Push: full" in edited["text"]
    sub = stored(db_path, CHANNEL)
    assert sub is not None and sub.mode == "full"


async def test_a_bot_admin_who_does_not_administer_the_channel_presses(
    bot: Bot, fake: FakeTelegram, db_path: Path
) -> None:
    fake.chats[CHANNEL].admins = (EN_USER,)
    start = await channel_start(bot)
    [_done], answer = await bot.press(CHANNEL, ADMIN, start["message_id"], button(start, "🔔"), 1)
    assert answer["text"] == "Saved."
    assert stored(db_path, CHANNEL) is not None
