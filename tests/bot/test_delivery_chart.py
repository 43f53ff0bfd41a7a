"""A push that opens with the heat chart: sendPhoto through the fake, caption ≤ 1024."""

from __future__ import annotations

import io
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from delivery_worker import TOKEN, add_chat, push_on_fake, store_digest
from PIL import Image

from bot.fake_telegram import FakeTelegram
from bot.services import Services
from digest import CAPTION_LIMIT, ChartDrawer, Store, Subscriptions
from digest.push.ledger import Ledger
from digest.render.chart import HEIGHT, WIDTH

NOW = datetime(2026, 3, 10, 0, 30, tzinfo=UTC)  # 08:00 in Shanghai has passed
YESTERDAY = "2026-03-09"


def prepare(db_path: Path, fake: FakeTelegram, charts: dict[int, bool]) -> None:
    store = Store.open(db_path)
    store_digest(store, YESTERDAY)
    subscriptions = Subscriptions(store)
    for chat_id, chart in charts.items():
        sub = add_chat(store, chat_id)
        subscriptions.save(replace(sub, chart=chart), NOW)
        fake.add_chat(chat_id)
    store.close()


async def test_chart_chats_get_the_photo_first_and_the_others_text(
    services: Services, db_path: Path
) -> None:
    fake = FakeTelegram(TOKEN, limits=None)
    prepare(db_path, fake, {1: True, 2: True, 3: False})
    report = await push_on_fake(services, fake, now=NOW)
    assert report.failed == 0 and report.delivered == 3
    for chat_id in (1, 2):
        first, *rest = fake.sent(chat_id)
        assert first["photo"] is not None and first["parse_mode"] == "HTML"
        assert 0 < len(first["text"]) <= CAPTION_LIMIT
        assert first["text"].startswith("科技热榜日报")
        content = fake.photos[first["photo"]["file_id"]]["content"]
        assert Image.open(io.BytesIO(content)).size == (WIDTH, HEIGHT)
        assert all(record["photo"] is None for record in rest)
        # The digest keyboard still closes the push, on its last message.
        last = ([first, *rest])[-1]
        assert last["reply_markup"] is not None
    assert [r["photo"] for r in fake.sent(3)] == [None] * len(fake.sent(3))
    # Every part, the photo included, is one ledger row.
    store = Store.open(db_path)
    try:
        counts = Ledger(store).counts(YESTERDAY)
    finally:
        store.close()
    assert counts == {("push", "sent"): len(fake.sent())}


async def test_a_chart_push_without_the_chart_setting_is_text_only(
    services: Services, db_path: Path
) -> None:
    fake = FakeTelegram(TOKEN, limits=None)
    prepare(db_path, fake, {7: False})
    await push_on_fake(services, fake, now=NOW)
    assert fake.sent(7) and not fake.photos


async def test_a_chart_that_cannot_be_drawn_leaves_the_push_as_text(
    services: Services, db_path: Path
) -> None:
    """The chart's child fails: chart chats get their push all the same, as text."""
    services.charts = ChartDrawer(command=(sys.executable, "-c", "import sys; sys.exit(3)"))
    fake = FakeTelegram(TOKEN, limits=None)
    prepare(db_path, fake, {1: True, 2: False})
    report = await push_on_fake(services, fake, now=NOW)
    assert report.failed == 0 and report.delivered == 2
    assert not fake.photos
    assert [r["html"] for r in fake.sent(1)] == [r["html"] for r in fake.sent(2)]
    assert fake.sent(1)[0]["text"].startswith("科技热榜日报")


async def test_a_charts_figures_are_read_once_and_drawn_in_each_language(
    services: Services, db_path: Path
) -> None:
    fake = FakeTelegram(TOKEN, limits=None)
    prepare(db_path, fake, {1: True, 2: True})
    store = Store.open(db_path)
    chats = Subscriptions(store)
    english = chats.get(2)
    assert english is not None
    chats.save(replace(english, language="en"), NOW)
    store.close()
    ran: list[str] = []
    await services.store.run(lambda s: s.db.conn.set_trace_callback(ran.append))
    report = await push_on_fake(services, fake, now=NOW)
    await services.store.run(lambda s: s.db.conn.set_trace_callback(None))
    assert report.failed == 0 and report.delivered == 2
    zh, en = fake.sent(1)[0], fake.sent(2)[0]
    assert zh["photo"]["file_id"] != en["photo"]["file_id"]  # one chart per language
    # The chart's heat of the week's days: one read of each day's window, for both.
    windows = [s for s in ran if "idx_snapshots_fetched_at" in s]
    assert 0 < len(windows) <= 7
