"""The delivery engine on the fake Bot API with its flood limits on."""

from __future__ import annotations

import itertools
import time as clock
from collections import Counter
from datetime import UTC, datetime, time
from pathlib import Path

from delivery_worker import (
    TEST_RATE,
    TOKEN,
    add_chat,
    fast_options,
    push_on_fake,
    store_digest,
)

from bot.fake_telegram import FakeTelegram, FloodLimits
from bot.services import Services
from digest import Store
from digest.push.ledger import Ledger
from digest.push.subscriptions import Subscriptions

DAY = "2026-03-10"
# 08:00 in Shanghai on DAY has passed; the digest of the day before is what 08:00 gets.
NOW = datetime(2026, 3, 10, 0, 30, tzinfo=UTC)
YESTERDAY = "2026-03-09"


def prepare(db_path: Path, fake: FakeTelegram, chats: int, **chat: object) -> None:
    store = Store.open(db_path)
    store_digest(store, YESTERDAY)
    for chat_id in range(1, chats + 1):
        add_chat(store, chat_id, **chat)  # type: ignore[arg-type]
        fake.add_chat(chat_id)
    store.close()


def sends_per_chat(fake: FakeTelegram) -> Counter[int]:
    return Counter(record["chat_id"] for record in fake.sent() if record["kind"] == "send")


def ledger_counts(db_path: Path) -> dict[tuple[str, str], int]:
    store = Store.open(db_path)
    try:
        return Ledger(store).counts(YESTERDAY)
    finally:
        store.close()


async def test_500_chats_get_their_push_once_without_a_429(
    services: Services, db_path: Path
) -> None:
    fake = FakeTelegram(TOKEN, limits=FloodLimits(per_second=200))
    prepare(db_path, fake, 500)
    started = clock.perf_counter()
    report = await push_on_fake(services, fake, now=NOW)
    elapsed = clock.perf_counter() - started
    assert fake.stats()["served_429"] == 0
    assert sends_per_chat(fake) == {chat_id: 1 for chat_id in range(1, 501)}
    assert (report.delivered, report.messages, report.failed) == (500, 500, 0)
    assert ledger_counts(db_path) == {("push", "sent"): 500}
    # The pace is the configured rate less its headroom: 500 messages at 149/s.
    assert 500 / TEST_RATE < elapsed < 25, f"{report.rate:.0f} messages/s"  # a busy machine
    print(f"500 chats: {report.rate:.0f} messages/s")

    again = await push_on_fake(services, fake, now=NOW)  # a second tick finds nothing to do
    assert again.planned == 0 and len(fake.sent()) == 500


async def test_parts_of_one_chat_are_a_second_apart(services: Services, db_path: Path) -> None:
    fake = FakeTelegram(TOKEN, limits=FloodLimits(per_second=200))
    prepare(db_path, fake, 3, mode="full", sections=("summary", "highlights", "metrics"))
    report = await push_on_fake(services, fake, now=NOW)
    assert fake.stats()["served_429"] == 0
    assert report.delivered == 3 and report.messages == 9
    for chat_id in (1, 2, 3):
        times = [r["time"] for r in fake.sent(chat_id)]
        assert len(times) == 3
        assert all(later - earlier >= 1.0 for earlier, later in itertools.pairwise(times))
        assert len({r["text"] for r in fake.sent(chat_id)}) == 3  # three sections, in order


async def test_injected_failures_end_delivered_deactivated_or_failed(
    services: Services, db_path: Path
) -> None:
    fake = FakeTelegram(TOKEN, limits=FloodLimits(per_second=200))
    prepare(db_path, fake, 20)
    store = Store.open(db_path)
    add_chat(store, -50, chat_type="group")
    store.close()
    fake.add_chat(-50, "group", "Readers")
    fake.inject(-50, "migrate")
    fake.inject(1, "blocked")
    fake.inject(2, "not_found")
    fake.inject(3, "server_error", times=2)
    fake.inject(4, "timeout", times=1)
    fake.inject(5, "server_error", times=None)  # never recovers
    fake.inject(6, "flood", times=2, retry_after=1)
    report = await push_on_fake(services, fake, now=NOW, options=fast_options(max_attempts=3))

    sent = sends_per_chat(fake)
    new_group = fake.chats[-50].migrated_to
    assert new_group is not None and sent[new_group] == 1
    assert sent[1] == sent[2] == sent[5] == 0
    assert all(sent[chat] == 1 for chat in (3, 4, 6, *range(7, 21)))
    assert (report.deactivated, report.migrated, report.failed) == (2, 1, 1)
    assert report.floods == 2 and report.retries == 2 + 1 + 2

    store = Store.open(db_path)
    chats = Subscriptions(store)
    assert not chats.get(1).active and not chats.get(2).active  # type: ignore[union-attr]
    assert chats.get(new_group).active  # type: ignore[union-attr]
    failures = {f.chat_id: (f.status, f.error) for f in Ledger(store).failures(YESTERDAY)}
    store.close()
    assert failures[1] == ("deactivated", "Forbidden: bot was blocked by the user")
    assert failures[2][0] == "deactivated" and "not found" in failures[2][1].lower()
    assert failures[-50] == ("migrated", f"migrated to {new_group}")
    assert failures[5][0] == "failed" and "3 attempts" in failures[5][1]


async def test_a_429_storm_pauses_and_every_chat_still_arrives(
    services: Services, db_path: Path
) -> None:
    fake = FakeTelegram(TOKEN, limits=FloodLimits(per_second=200))
    prepare(db_path, fake, 60)
    report = await push_on_fake(services, fake, now=NOW, storm=15)
    assert sends_per_chat(fake) == {chat_id: 1 for chat_id in range(1, 61)}
    assert report.floods == 15 and report.delivered == 60


async def test_a_reader_in_another_zone_gets_generated_at_as_a_local_time(
    services: Services, db_path: Path
) -> None:
    fake = FakeTelegram(TOKEN, limits=FloodLimits(per_second=200))
    store = Store.open(db_path)
    digest = store_digest(store, YESTERDAY)
    add_chat(store, 1)  # Asia/Shanghai, the digest's own zone
    add_chat(store, 2, timezone="Europe/Berlin", push_time=time(1, 0))
    store.close()
    for chat_id in (1, 2):
        fake.add_chat(chat_id)
    report = await push_on_fake(services, fake, now=NOW)
    assert report.delivered == 2
    stamps = {
        chat_id: [e for r in fake.sent(chat_id) for e in r["entities"] if e["type"] == "date_time"]
        for chat_id in (1, 2)
    }
    assert stamps[1] == []
    [berlin] = stamps[2]
    built = datetime.fromisoformat(digest.footer.built_at.replace("Z", "+00:00"))
    assert berlin["unix_time"] == int(built.timestamp())
