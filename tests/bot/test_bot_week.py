"""The weekly digest through the bot and the fake Bot API (issue 17): /digest week, the
weekly settings, and the weekly push to weekly subscribers only."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from bot_harness import EN_USER, ZH_USER, Bot, bot_running, button, no_rejections
from delivery_worker import TOKEN, add_chat, push_on_fake, store_digest
from PIL import Image
from week_store import WEEK, seed_fortnight

from bot.config import Settings
from bot.context import services_of
from bot.delivery.prepare import render_parts
from bot.fake_telegram import FakeTelegram
from bot.jobs import build_due
from bot.services import Services
from digest import (
    CAPTION_LIMIT,
    BuildOptions,
    Digest,
    Store,
    Subscriptions,
    build_week,
    digest_versions,
    load_themes,
)
from digest.push.ledger import Claim, Finish, Ledger, PartKey
from digest.render.chart import HEIGHT, WIDTH

BUILT = datetime(2026, 2, 16, 0, 0, tzinfo=UTC)  # Monday 08:00 in Shanghai
MONDAY_0930 = datetime(2026, 2, 16, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai


def store_week(db_path: Path) -> Digest:
    """The synthetic fortnight and its weekly digest of 2026-W07 (v1) in the store file."""
    store = Store.open(db_path)
    try:
        seed_fortnight(store)
        built = build_week(store, WEEK, BuildOptions(themes=load_themes()), BUILT)
        assert built.digest is not None
        return built.digest
    finally:
        store.close()


@pytest.fixture
async def weekly_bot(
    fake: FakeTelegram, settings: Settings, digest_v1: Digest, db_path: Path
) -> AsyncIterator[Bot]:
    store_week(db_path)
    async with bot_running(fake, settings) as running:
        yield running
    no_rejections(fake)


async def test_digest_week_shows_the_weekly_digest_with_its_buttons(weekly_bot: Bot) -> None:
    [overview] = await weekly_bot.say(ZH_USER, ZH_USER, "/digest week")
    assert overview["text"].startswith(f"科技热榜周报 · {WEEK}")
    assert "GPT-5 model" in overview["text"]
    data = button(overview, "要点")
    assert WEEK in data  # the buttons carry the week
    [edited], _ = await weekly_bot.press(ZH_USER, ZH_USER, overview["message_id"], data, replies=1)
    assert "本周要点" in edited["text"] and "在榜最久" in edited["text"]
    [section] = await weekly_bot.say(ZH_USER, ZH_USER, "/digest 周报 要点")
    assert "本周要点" in section["text"] and "排名攀升最多" in section["text"]
    [en] = await weekly_bot.say(EN_USER, EN_USER, "/digest week metrics")
    assert "Each list's top posts of the week" in en["text"]
    [named] = await weekly_bot.say(EN_USER, EN_USER, f"/digest {WEEK} summary")
    assert named["text"].startswith(f"Summary · {WEEK}\n• In {WEEK} (2026-02-09 to 2026-02-15)")
    [other] = await weekly_bot.say(EN_USER, EN_USER, "/digest 2026-W01")
    assert other["text"] == (
        f"There is no weekly digest for 2026-W01. The latest is {WEEK}: /digest {WEEK}"
    )
    # The day's /digest is still the day's.
    [day] = await weekly_bot.say(EN_USER, EN_USER, "/digest")
    assert "2026-02-15" in day["text"] and WEEK not in day["text"]


async def test_digest_week_chart_is_a_photo_with_a_short_caption(weekly_bot: Bot) -> None:
    photo, *_ = await weekly_bot.say(ZH_USER, ZH_USER, "/digest week chart")
    assert photo["photo"] is not None and 0 < len(photo["text"]) <= CAPTION_LIMIT
    assert photo["text"].startswith(f"科技热榜周报 · {WEEK}")
    content = weekly_bot.fake.photos[photo["photo"]["file_id"]]["content"]
    assert Image.open(io.BytesIO(content)).size == (WIDTH, HEIGHT)


async def test_no_weekly_digest_yet(bot: Bot) -> None:
    [reply] = await bot.say(ZH_USER, ZH_USER, "/digest 周报")
    assert reply["text"].startswith("还没有周报")
    [bad] = await bot.say(EN_USER, EN_USER, "/digest week 2026-02-15")
    assert "one argument too many" in bad["text"]


def stored(db_path: Path, chat_id: int) -> object:
    store = Store.open(db_path)
    try:
        return Subscriptions(store).get(chat_id)
    finally:
        store.close()


async def test_weekly_settings_round_trip_typed_and_by_button(bot: Bot, db_path: Path) -> None:
    [typed] = await bot.say(EN_USER, EN_USER, "/subscribe weekly fri 09:00")
    assert "the weekly digest every <b>Friday at 09:00</b>" in typed["html"]
    sub = stored(db_path, EN_USER)
    assert sub is not None and (sub.cadence, sub.week_day, sub.week_time) == ("weekly", 5, time(9))
    assert sub.push_time == time(19)  # the daily time is untouched
    [shown] = await bot.say(EN_USER, EN_USER, "/settings cadence both")
    assert (
        "Pushes: daily and weekly; the weekly digest every Friday at 09:00, with" in (shown["text"])
    )
    [off] = await bot.say(EN_USER, EN_USER, "/settings weekchart off")
    assert "without its chart" in off["text"]
    [menu], _ = await bot.press(
        EN_USER, EN_USER, off["message_id"], button(off, "📅 Weekly"), replies=1
    )
    [sunday], _ = await bot.press(
        EN_USER, EN_USER, menu["message_id"], button(menu, "Sun"), replies=1
    )
    assert "every Sunday at 09:00" in sunday["text"]
    [times], _ = await bot.press(
        EN_USER, EN_USER, sunday["message_id"], button(sunday, "Weekly at"), replies=1
    )
    [evening], _ = await bot.press(
        EN_USER, EN_USER, times["message_id"], button(times, "20:00"), replies=1
    )
    [daily], _ = await bot.press(
        EN_USER, EN_USER, evening["message_id"], button(evening, "Daily only"), replies=1
    )
    assert "Pushes: daily only" in daily["text"]
    sub = stored(db_path, EN_USER)
    assert sub is not None
    assert (sub.cadence, sub.week_day, sub.week_time, sub.week_chart) == (
        "daily",
        7,
        time(20),
        False,
    )
    [both] = await bot.say(EN_USER, EN_USER, "/subscribe both sun 21:00")
    assert (
        "every day at <b>19:00</b> and the weekly digest every <b>Sunday at 21:00</b>"
        in (both["html"])
    )
    [zh] = await bot.say(ZH_USER, ZH_USER, "/subscribe 周报 周日")
    assert "每周日 <b>19:00</b> 推送周报" in zh["html"]
    [bad] = await bot.say(ZH_USER, ZH_USER, "/settings weekday someday")
    assert "someday" in bad["text"]


async def test_the_weekly_push_goes_to_weekly_subscribers_only(
    services: Services, db_path: Path
) -> None:
    store_week(db_path)
    fake = FakeTelegram(TOKEN, limits=None)
    store = Store.open(db_path)
    try:
        store_digest(store, "2026-02-15")  # the day's digest, for the daily subscribers
        chats = Subscriptions(store)
        for chat_id, cadence, chart in (
            (1, "weekly", True),
            (2, "daily", True),
            (3, "both", False),
        ):
            sub = add_chat(store, chat_id)  # 08:00 in Shanghai
            chats.save(replace(sub, cadence=cadence, week_time=time(9), week_chart=chart), BUILT)
            fake.add_chat(chat_id)
    finally:
        store.close()
    report = await push_on_fake(services, fake, now=MONDAY_0930)
    assert report.failed == 0
    first, *rest = fake.sent(1)  # weekly only: the chart, the brief push as its caption
    assert first["photo"] is not None and 0 < len(first["text"]) <= CAPTION_LIMIT
    assert first["text"].startswith(f"科技热榜周报 · {WEEK}")
    assert all("日报" not in r["text"] for r in [first, *rest])
    assert [r["text"].split(" · ")[0] for r in fake.sent(2)] == ["科技热榜日报"]  # daily only
    third = [r["text"][:20] for r in fake.sent(3)]  # both, weekly chart off: text
    assert any(t.startswith("科技热榜日报") for t in third)
    assert any(t.startswith("科技热榜周报") for t in third)
    assert all(r["photo"] is None for r in fake.sent(3))
    store = Store.open(db_path)
    try:
        ledger = Ledger(store)
        assert ledger.counts(WEEK) == {("push", "sent"): len(fake.sent(1)) + 1}
        assert sorted(ledger.recipients(WEEK, 1)) == [(1, 0), (3, 0)]  # (chat, topic)
        assert ledger.latest_date() == "2026-02-15"  # the days' newest push stays the default
    finally:
        store.close()
    sent = len(fake.sent())
    again = await push_on_fake(services, fake, now=MONDAY_0930)  # a restart: nothing twice
    assert again.planned == 0 and len(fake.sent()) == sent


def week_versions(db_path: Path) -> list[tuple[str, int]]:
    store = Store.open(db_path)
    try:
        return [(w, v) for w, v, *_ in digest_versions(store, weeks=True)]
    finally:
        store.close()


async def test_the_scheduled_build_builds_the_week_after_sundays_build(
    bot: Bot, db_path: Path
) -> None:
    store = Store.open(db_path)
    seed_fortnight(store)
    store.close()
    services, ptb = services_of(bot.app), bot.app.bot
    saturday = datetime(2026, 2, 14, 10, 31, tzinfo=UTC)  # 18:31 in Shanghai
    await build_due(services, ptb, saturday, missing_only=False)
    assert week_versions(db_path) == []  # the week is not over
    await build_due(services, ptb, saturday + timedelta(days=1), missing_only=False)
    assert week_versions(db_path) == [(WEEK, 1)]
    await build_due(services, ptb, saturday + timedelta(days=2), missing_only=True)
    assert week_versions(db_path) == [(WEEK, 1)]  # the catch-up finds it built


async def test_the_tick_catches_up_a_week_a_restart_missed(bot: Bot, db_path: Path) -> None:
    store = Store.open(db_path)
    seed_fortnight(store)
    store.close()
    monday = datetime(2026, 2, 16, 1, 0, tzinfo=UTC)
    await build_due(services_of(bot.app), bot.app.bot, monday, missing_only=True)
    assert week_versions(db_path) == [(WEEK, 1)]


async def test_a_weekly_push_cut_short_resumes_with_the_parts_it_lacks(
    services: Services, db_path: Path
) -> None:
    digest = store_week(db_path)
    fake = FakeTelegram(TOKEN, limits=None)
    fake.add_chat(4)
    store = Store.open(db_path)
    try:
        chosen = ("summary", "metrics", "sources")  # a message each: several parts, text only
        sub = add_chat(store, 4, mode="full", sections=chosen, language="en")
        sub = replace(sub, cadence="weekly", week_time=time(9))
        Subscriptions(store).save(sub, BUILT)
        texts = render_parts(services.renderer, digest, sub, "push")
        parts = len(texts)
        assert parts >= 3
        first = PartKey(WEEK, digest.version, 4, 1)  # sent before the pusher died
        Ledger(store).apply([Claim(first, parts), Finish(first, "sent", message_id=1)], BUILT)
    finally:
        store.close()
    report = await push_on_fake(services, fake, now=MONDAY_0930)
    assert report.failed == 0 and len(fake.sent(4)) == parts - 1
    assert [r["html"] for r in fake.sent(4)] == texts[1:]
    store = Store.open(db_path)
    try:
        assert Ledger(store).counts(WEEK) == {("push", "sent"): parts}
    finally:
        store.close()


async def test_a_chat_due_for_both_gets_the_day_whole_then_the_week(
    services: Services, db_path: Path, digest_v1: Digest
) -> None:
    # Daily and weekly at the same minute: a reader gets the day's digest as on every other
    # day, then the week, each whole; before, their parts went out interleaved.
    store_week(db_path)
    fake = FakeTelegram(TOKEN, limits=None)
    store = Store.open(db_path)
    try:
        sub = add_chat(store, 4, push_time=time(9), mode="full")
        both = replace(sub, cadence="both", week_day=1, week_time=time(9), week_chart=False)
        Subscriptions(store).save(both, BUILT)
        fake.add_chat(4)
    finally:
        store.close()
    report = await push_on_fake(services, fake, now=MONDAY_0930)
    assert (report.failed, report.delivered) == (0, 2)
    store = Store.open(db_path)
    try:
        ledger = Ledger(store)
        day_parts = ledger.counts(digest_v1.date)[("push", "sent")]
        week_parts = ledger.counts(WEEK)[("push", "sent")]
    finally:
        store.close()
    records = fake.sent(4)
    heads = [(i, r["text"][:6]) for i, r in enumerate(records) if r["text"].startswith("科技热榜")]
    assert day_parts >= 2 and week_parts >= 2 and len(records) == day_parts + week_parts
    assert heads == [(0, "科技热榜日报"), (day_parts, "科技热榜周报")]
    gaps = [b["time"] - a["time"] for a, b in pairwise(records)]
    assert min(gaps) >= 0.9  # one message a second in a chat, across the two pushes
