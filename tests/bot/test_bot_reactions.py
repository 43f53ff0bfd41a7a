"""Reactions on pushed digests: asked for, stored per (digest version, chat), shown by /stats."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot_harness import ADMIN, CHANNEL, EN_USER, ZH_USER, Bot, bot_running, make_app, wait_until
from delivery_worker import add_chat, push_on_fake, store_digest

from bot.app import running
from bot.config import Settings
from bot.fake_telegram import FakeTelegram
from bot.services import Services
from digest import Store, reactions_by_day

PUSHED_DAY = "2026-03-09"
# 08:00 in Shanghai on 2026-03-10 has passed: chats get the digest of the day before.
NOW = datetime(2026, 3, 10, 0, 30, tzinfo=UTC)


async def push_to(services: Services, fake: FakeTelegram, db_path: Path, chats: list[int]) -> None:
    store = Store.open(db_path)
    store_digest(store, PUSHED_DAY)
    for chat_id in chats:
        add_chat(store, chat_id, chat_type="channel" if chat_id < 0 else "private")
    store.close()
    report = await push_on_fake(services, fake, now=NOW)
    assert report.delivered == len(chats)


def day_figures(db_path: Path) -> list[tuple[str, int, int, int, dict[str, int]]]:
    store = Store.open(db_path)
    try:
        return [(r.date, r.chats, r.up, r.down, r.others) for r in reactions_by_day(store)]
    finally:
        store.close()


async def stats_text(bot: Bot) -> str:
    [stats] = await bot.say(ADMIN, ADMIN, "/stats")
    return str(stats["text"])


async def test_reactions_are_kept_per_digest_and_chat_and_removing_one_removes_it(
    fake: FakeTelegram, settings: Settings, services: Services, db_path: Path
) -> None:
    await push_to(services, fake, db_path, [ZH_USER, EN_USER, CHANNEL])
    pushed = {chat: fake.sent(chat)[0]["message_id"] for chat in (ZH_USER, EN_USER, CHANNEL)}
    # The bot asks for reactions when it polls (see the next test); feeding skips polling.
    fake.allowed_updates = frozenset({"message", "message_reaction", "message_reaction_count"})
    async with bot_running(fake, settings) as bot:
        fake.user_reacts(ZH_USER, ZH_USER, pushed[ZH_USER], ["👍"])
        fake.user_reacts(EN_USER, EN_USER, pushed[EN_USER], ["👎", "🔥"])
        fake.reaction_totals(CHANNEL, pushed[CHANNEL], {"👍": 5, "🎉": 2})
        [help_reply] = await bot.say(ZH_USER, ZH_USER, "/help")
        fake.user_reacts(ZH_USER, ZH_USER, help_reply["message_id"], ["👎"])  # not a digest
        await bot.feed()
        assert day_figures(db_path) == [(PUSHED_DAY, 3, 6, 1, {"🔥": 1, "🎉": 2})]
        assert "2026-03-09: 3 chats · 👍 6 · 👎 1 · others 🎉 2 🔥 1" in await stats_text(bot)

        fake.user_reacts(EN_USER, EN_USER, pushed[EN_USER], [])  # taken back
        fake.user_reacts(ZH_USER, ZH_USER, pushed[ZH_USER], ["👎"])  # changed
        await bot.feed()
        assert day_figures(db_path) == [(PUSHED_DAY, 2, 5, 1, {"🎉": 2})]


async def test_a_polling_bot_asks_for_reactions_and_a_default_one_never_gets_them(
    fake: FakeTelegram, settings: Settings, services: Services, db_path: Path
) -> None:
    await push_to(services, fake, db_path, [ZH_USER])
    message_id = fake.sent(ZH_USER)[0]["message_id"]
    fake.user_reacts(ZH_USER, ZH_USER, message_id, ["👍"])  # before the bot asked: dropped
    assert fake.pending_updates(0, 100) == []
    async with running(make_app(fake, settings)) as app:
        assert app.updater is not None
        from bot.app import ALLOWED_UPDATES

        await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES)
        await wait_until(lambda: fake.allowed_updates is not None)
        fake.user_reacts(ZH_USER, ZH_USER, message_id, ["❤"])
        await wait_until(lambda: day_figures(db_path) != [])
        await app.updater.stop()
    assert day_figures(db_path) == [(PUSHED_DAY, 1, 0, 0, {"❤": 1})]
