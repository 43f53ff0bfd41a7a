"""A chat's include/exclude source setting shapes what its push cites."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time
from pathlib import Path

from delivery_worker import TOKEN, add_chat, delivery_settings, push_on_fake

from bot.fake_telegram import FakeTelegram
from bot.services import Services
from digest import BuildOptions, Store, Subscriptions, build_digest, import_posts, load_themes

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "posts.jsonl"
SEEN = datetime(2026, 2, 15, 10, 0, tzinfo=UTC)
AFTER_PUSH = datetime(2026, 2, 15, 11, 1, tzinfo=UTC)  # 19:01 in Shanghai


async def test_a_filtered_chat_gets_a_digest_of_its_sources_only(db_path: Path) -> None:
    store = Store.open(db_path)
    import_posts(store, SAMPLE, now=SEEN)
    full = build_digest(store, SEEN.date(), BuildOptions(themes=load_themes()), SEEN).digest
    subs = Subscriptions(store)
    for chat_id in (1, 2, 3):
        add_chat(store, chat_id, push_time=time(19, 0), since=SEEN)
    subs.save(replace(subs.get(2), include_sources=("juejin",)), SEEN)
    subs.save(replace(subs.get(3), exclude_sources=("juejin", "hnrss", "github")), SEEN)
    store.close()
    fake = FakeTelegram(TOKEN, limits=None)
    for chat_id in (1, 2, 3):
        fake.add_chat(chat_id)
    services = Services.create(delivery_settings(db_path))
    try:
        report = await push_on_fake(services, fake, now=AFTER_PUSH)
    finally:
        await services.close()
    assert report.delivered == 3
    text = {chat_id: "\n".join(r["text"] for r in fake.sent(chat_id)) for chat_id in (1, 2, 3)}
    assert full.headline.text in text[1]
    assert "掘金" in text[2] and "Hacker News" not in text[2] and "V2EX" not in text[2]
    assert "掘金" not in text[3] and "hnrss" not in text[3] and "Hacker News" in text[3]


async def test_a_push_reads_the_days_story_history_once_for_all_its_filters(
    db_path: Path,
) -> None:
    # Four chats, three distinct source filters: each filter's view is its own rebuild of
    # the day, and all three take the day's story history from one read of the store.
    store = Store.open(db_path)
    import_posts(store, SAMPLE, now=SEEN)
    build_digest(store, SEEN.date(), BuildOptions(themes=load_themes()), SEEN)
    subs = Subscriptions(store)
    filters = [(), ("juejin",), ("github",), ("juejin", "v2ex")]
    for chat_id, excluded in enumerate(filters, start=1):
        add_chat(store, chat_id, push_time=time(19, 0), since=SEEN)
        subs.save(replace(subs.get(chat_id), exclude_sources=excluded), SEEN)
    store.close()
    fake = FakeTelegram(TOKEN, limits=None)
    for chat_id in range(1, len(filters) + 1):
        fake.add_chat(chat_id)
    services = Services.create(delivery_settings(db_path))
    ran: list[str] = []
    try:
        await services.store.run(lambda s: s.db.conn.set_trace_callback(ran.append))
        report = await push_on_fake(services, fake, now=AFTER_PUSH)
        await services.store.run(lambda s: s.db.conn.set_trace_callback(None))
    finally:
        await services.close()
    assert report.delivered == len(filters)
    assert "掘金" not in "\n".join(r["text"] for r in fake.sent(2))  # each filter applied
    assert sum("idx_posts_first_seen_at" in statement for statement in ran) == 1
