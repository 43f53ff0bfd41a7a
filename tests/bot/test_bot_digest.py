"""/start, /help, /digest and /sources with their buttons, driven through PTB and the fake."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from bot_harness import (
    EN_USER,
    GROUP,
    OTHER_USER,
    ZH_USER,
    Bot,
    bot_running,
    button,
    buttons,
    no_rejections,
    save_variant,
    wait_until,
)
from telegram import Update

from bot.config import Settings
from bot.fake_telegram import FakeTelegram
from digest import Digest, source_label

# Markup, entities, an emoji outside the BMP and more than one message's worth of text.
EVIL_TITLE = "<b>&amp; 🚀 " + "标题<i>x</i>&lt;" * 500


async def test_start_explains_and_offers_subscribe(bot: Bot) -> None:
    [zh] = await bot.say(ZH_USER, ZH_USER, "/start")
    assert "科技热榜日报机器人" in zh["text"] and "掘金" in zh["text"]
    assert button(zh, "订阅").startswith("u|")
    [en] = await bot.say(EN_USER, EN_USER, "/start")
    assert "tech hot list digest bot" in en["text"] and "Juejin" in en["text"]
    [fr] = await bot.say(OTHER_USER, OTHER_USER, "/start")  # neither zh nor en: the config's
    assert "科技热榜日报机器人" in fr["text"]


async def test_help_names_every_command_and_admin_ones_only_for_admins(bot: Bot) -> None:
    text = "".join(r["text"] for r in await bot.say(EN_USER, EN_USER, "/help"))
    for command in ("/digest", "/sources", "/subscribe", "/unsubscribe", "/settings", "/help"):
        assert command in text
    assert "/subscribe @channel" in text and "/rebuild" not in text


async def test_digest_overview_switches_sections_and_pages_in_place(
    bot: Bot, digest_v1: Digest
) -> None:
    [overview] = await bot.say(ZH_USER, ZH_USER, "/digest")
    assert overview["text"].startswith("科技热榜日报 · 2026-02-15")
    assert overview["parse_mode"] == "HTML"
    labels = [label for label, _ in buttons(overview)]
    assert labels[:6] == ["· 🏠 概览", "摘要", "要点", "数据", "趋势", "来源"]
    message_id = overview["message_id"]
    [edited], answer = await bot.press(
        ZH_USER, ZH_USER, message_id, button(overview, "要点"), replies=1
    )
    assert edited["kind"] == "edit" and edited["message_id"] == message_id
    assert edited["text"].startswith("今日要点 · 2026-02-15")
    assert answer["text"] == ""
    same, answer = await bot.press(ZH_USER, ZH_USER, message_id, button(edited, "· 要点"))
    assert same == [] and answer["text"] == ""  # the section shown: nothing to change


async def test_a_long_section_is_paged(bot: Bot, db_path: Path, digest_v1: Digest) -> None:
    long_titles = tuple(replace(s, title=f"{s.title} " + "长" * 600) for s in digest_v1.sources)
    save_variant(db_path, replace(digest_v1, sources=long_titles))
    [overview] = await bot.say(ZH_USER, ZH_USER, "/digest")
    [sources], _ = await bot.press(
        ZH_USER, ZH_USER, overview["message_id"], button(overview, "来源"), replies=1
    )
    pager = [label for label, _ in buttons(sources) if "/" in label]
    assert pager and pager[0].startswith("1/")
    [second], _ = await bot.press(
        ZH_USER, ZH_USER, overview["message_id"], button(sources, "›"), replies=1
    )
    assert "2/" in " ".join(label for label, _ in buttons(second))
    assert second["text"] != sources["text"]


async def test_one_section_by_alias_and_date(bot: Bot) -> None:
    replies = await bot.say(EN_USER, EN_USER, "/digest highlights 2026-02-15")
    assert replies[0]["text"].startswith("Highlights · 2026-02-15")
    assert all(r["reply_markup"] is None for r in replies)
    [zh] = (await bot.say(ZH_USER, ZH_USER, "/digest 趋势"))[:1]
    assert zh["text"].startswith("趋势与机会")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/digest nosuch", "“nosuch” is not a section"),
        ("/digest 2026-13-01", "“2026-13-01” is not a date"),
        ("/digest 2026-02-10", "There is no digest for 2026-02-10. The latest is 2026-02-15"),
        ("/sources 999", "There is no source 999"),
        ("/sources many", "“many” is not a source number"),
        ("/nosuch", "I don't know /nosuch"),
        ("hello", "Send a command"),
    ],
)
async def test_bad_arguments_get_the_valid_forms(bot: Bot, text: str, expected: str) -> None:
    replies = await bot.say(EN_USER, EN_USER, text)
    assert expected in replies[0]["text"]
    if "not a" in expected:
        assert "Usage:" in replies[-1]["text"]


async def test_usage_in_chinese(bot: Bot) -> None:
    replies = await bot.say(ZH_USER, ZH_USER, "/digest 2026-13-01")
    assert "不是有效的日期" in replies[0]["text"] and "用法" in replies[-1]["text"]


async def test_commands_for_other_bots_are_left_alone(bot: Bot) -> None:
    assert await bot.say(GROUP, ZH_USER, "/nosuch@someone_else_bot", replies=0) == []
    [mine] = await bot.say(GROUP, ZH_USER, "/nosuch@hotdigest_bot")
    assert "/nosuch" in mine["text"]


async def test_sources_list_pages_and_details(bot: Bot, digest_v1: Digest) -> None:
    [listing] = await bot.say(EN_USER, EN_USER, "/sources")
    assert listing["text"].startswith("Sources · 2026-02-15")
    assert f"[1] {digest_v1.sources[0].title}" in listing["text"]
    assert "Page 1 of 5" in listing["text"]
    [page2], _ = await bot.press(
        EN_USER, EN_USER, listing["message_id"], button(listing, "›"), replies=1
    )
    assert "[11]" in page2["text"] and "Page 2 of 5" in page2["text"]
    detail, _ = await bot.press(EN_USER, EN_USER, listing["message_id"], button(page2, "11"), 1)
    entry = digest_v1.sources[10]
    assert detail[0]["kind"] == "send" and entry.title in detail[0]["text"]
    assert f"Site: {source_label(entry.source, 'en')}" in detail[0]["text"]


async def test_sources_all_lists_the_posts_the_digest_left_out(
    bot: Bot, digest_v1: Digest, db_path: Path
) -> None:
    [none] = await bot.say(EN_USER, EN_USER, "/sources all")
    assert "The digest cites every post of its window." in none["text"]
    left = [
        {"source": "v2ex", "post_id": str(n), "title": f"Left {n}", "url": None, "heat": n}
        for n in range(30)
    ]
    save_variant(db_path, replace(digest_v1, facts={**digest_v1.facts, "left_out": left}))
    [listing] = await bot.say(ZH_USER, ZH_USER, "/sources 全部")
    assert listing["text"].startswith("日报未收录的帖子 · 2026-02-15")
    assert "• Left 0 · V2EX · 热度 0" in listing["text"] and "Left 24" in listing["text"]
    assert "Left 25" not in listing["text"] and "另有 5 篇未列出。" in listing["text"]


async def test_source_detail_shows_everything_and_the_citing_lines(
    bot: Bot, digest_v1: Digest
) -> None:
    entry = digest_v1.source(3)
    text = "\n".join(r["text"] for r in await bot.say(ZH_USER, ZH_USER, "/sources 3"))
    assert f"[3] {entry.title}" in text and f"链接：{entry.url}" in text
    assert f"站点：{source_label(entry.source, 'zh')}" in text and "热度：" in text
    if entry.author:
        assert f"作者：{entry.author}" in text
    for _, statement in digest_v1.citing(3, "zh"):
        assert statement.text in text


async def test_a_title_full_of_markup_arrives_intact(
    bot: Bot, fake: FakeTelegram, db_path: Path, digest_v1: Digest
) -> None:
    sources = (replace(digest_v1.sources[0], title=EVIL_TITLE), *digest_v1.sources[1:])
    save_variant(db_path, replace(digest_v1, sources=sources))
    detail = await bot.say(EN_USER, EN_USER, "/sources 1", replies=2)
    assert len(detail) >= 2  # longer than one message: split, every part valid
    assert EVIL_TITLE in "".join(r["text"] for r in detail)
    [overview] = await bot.say(EN_USER, EN_USER, "/digest")
    shown, _ = await bot.press(EN_USER, EN_USER, overview["message_id"], button(overview, "›"), 1)
    assert EVIL_TITLE[:60] in overview["text"] + shown[0]["text"]
    no_rejections(fake)


async def test_stale_buttons_still_work_and_say_there_is_a_newer_version(
    bot: Bot, db_path: Path, digest_v1: Digest
) -> None:
    [overview] = await bot.say(EN_USER, EN_USER, "/digest")
    [listing] = await bot.say(EN_USER, EN_USER, "/sources")
    headlines = {lang: replace(h, text="New.") for lang, h in digest_v1.headlines.items()}
    save_variant(db_path, replace(digest_v1, headlines=headlines))
    [shown], answer = await bot.press(
        EN_USER, EN_USER, overview["message_id"], button(overview, "Metrics"), replies=1
    )
    assert answer["text"] == "This digest has a newer version (v2): tap 🆕 to see it."
    assert shown["text"].startswith("Metrics · 2026-02-15")
    [newest], answer = await bot.press(
        EN_USER, EN_USER, overview["message_id"], button(shown, "🆕"), replies=1
    )
    assert (
        newest["text"].startswith("Tech hot list digest · 2026-02-15") and "New." in newest["text"]
    )
    assert answer["text"] == "" and not any("🆕" in label for label, _ in buttons(newest))
    detail, answer = await bot.press(
        EN_USER, EN_USER, listing["message_id"], button(listing, "2"), 1
    )
    assert "newer version (v2)" in answer["text"] and "Cited in the digest" in detail[-1]["text"]


async def test_buttons_of_a_missing_digest_or_foreign_data(bot: Bot) -> None:
    [overview] = await bot.say(EN_USER, EN_USER, "/digest")
    gone = button(overview, "Metrics").replace("|1|", "|9|")
    changed, answer = await bot.press(EN_USER, EN_USER, overview["message_id"], gone)
    assert changed == [] and answer["show_alert"] and "no longer exists" in answer["text"]
    changed, answer = await bot.press(EN_USER, EN_USER, overview["message_id"], "x|forged")
    assert changed == [] and "no longer works" in answer["text"]


async def test_a_button_with_empty_or_no_data_is_answered(bot: Bot) -> None:
    [overview] = await bot.say(EN_USER, EN_USER, "/digest")
    changed, answer = await bot.press(EN_USER, EN_USER, overview["message_id"], "")
    assert changed == [] and "no longer works" in answer["text"]
    # No data at all (a client may send that): the update as Telegram would deliver it.
    answers = len(bot.fake.callback_answers)
    query_id = bot.fake.user_presses(EN_USER, EN_USER, overview["message_id"], "")
    raw = bot.fake.pending_updates(0, 100)[-1]
    bot.fake.drop_updates()
    del raw["callback_query"]["data"]
    await bot.app.process_update(Update.de_json(raw, bot.app.bot))
    await wait_until(lambda: len(bot.fake.callback_answers) > answers)
    assert bot.fake.callback_answers[-1]["callback_query_id"] == query_id
    assert "no longer works" in bot.fake.callback_answers[-1]["text"]


async def test_no_digest_at_all(fake: FakeTelegram, settings: Settings) -> None:
    async with bot_running(fake, settings) as empty:
        [reply] = await empty.say(EN_USER, EN_USER, "/digest")
        assert "There is no digest yet" in reply["text"]
        [reply] = await empty.say(ZH_USER, ZH_USER, "/sources")
        assert "还没有日报" in reply["text"]
    no_rejections(fake)


async def test_digest_sources_and_buttons_apply_the_chats_source_filter(
    bot: Bot, digest_v1: Digest
) -> None:
    # A chat reading only juejin gets a push numbered among juejin's posts; /digest,
    # /sources and their buttons showed the whole day, so the push's [1] and /sources 1
    # named different posts.
    juejin = {e.title for e in digest_v1.sources if e.source == "juejin"}
    others = {e.title for e in digest_v1.sources if e.source != "juejin"}
    await bot.say(ZH_USER, ZH_USER, "/settings include juejin")
    [highlights] = await bot.say(ZH_USER, ZH_USER, "/digest 要点")
    assert "掘金" in highlights["text"] and "V2EX" not in highlights["text"]
    assert not any(title in highlights["text"] for title in others)
    [listing] = await bot.say(ZH_USER, ZH_USER, "/sources")
    listed = [line for line in listing["text"].splitlines() if line.startswith("[")]
    assert listed and all(any(t[:20] in line for t in juejin) for line in listed), listed
    detail = "\n".join(r["text"] for r in await bot.say(ZH_USER, ZH_USER, "/sources 1"))
    assert "站点：掘金" in detail
    [overview] = await bot.say(ZH_USER, ZH_USER, "/digest")
    [edited], _ = await bot.press(
        ZH_USER, ZH_USER, overview["message_id"], button(overview, "要点"), replies=1
    )
    assert edited["text"] == highlights["text"]
    # Another chat, with no filter, still sees the whole day.
    [whole] = await bot.say(EN_USER, EN_USER, "/sources")
    assert f"[1] {digest_v1.sources[0].title}" in whole["text"] and "Page 1 of 5" in whole["text"]
