"""Pushes at each chat's local time across zones, catch-up, the age bound, and corrections."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from delivery_worker import TOKEN, add_chat, push_on_fake, store_digest
from telegram import Bot

from bot.delivery.engine import push_correction
from bot.fake_telegram import FakeRequest, FakeTelegram, FloodLimits
from bot.services import Services
from digest import Store, get_digest
from digest.push.ledger import Ledger

SHANGHAI, BERLIN_NIGHT, BERLIN_NOON, LOS_ANGELES = 1, 2, 3, 4


@pytest.fixture
def fake() -> FakeTelegram:
    return FakeTelegram(TOKEN, limits=FloodLimits(per_second=200))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def dates_received(fake: FakeTelegram, chat_id: int) -> list[str]:
    """The digest date in the title line of each message a chat got."""
    return [r["text"].split("\n")[0].rsplit(" ", 1)[-1] for r in fake.sent(chat_id)]


async def test_chats_in_three_zones_get_their_push_at_local_time_on_dst_days(
    services: Services, db_path: Path, fake: FakeTelegram
) -> None:
    store = Store.open(db_path)
    for day in ("2026-03-27", "2026-03-28", "2026-03-29"):
        store_digest(store, day)
    since = utc(2026, 3, 28, 23, 0)  # subscribed just before: no earlier slot to catch up
    add_chat(store, SHANGHAI, push_time=time(8, 0), since=since)
    add_chat(store, BERLIN_NIGHT, timezone="Europe/Berlin", push_time=time(2, 30), since=since)
    add_chat(store, BERLIN_NOON, timezone="Europe/Berlin", push_time=time(12, 0), since=since)
    add_chat(store, LOS_ANGELES, timezone="America/Los_Angeles", push_time=time(8, 0), since=since)
    store.close()
    for chat_id in (SHANGHAI, BERLIN_NIGHT, BERLIN_NOON, LOS_ANGELES):
        fake.add_chat(chat_id)

    async def tick(now: datetime) -> set[int]:
        before = {r["chat_id"] for r in fake.sent()}
        await push_on_fake(services, fake, now=now)
        return {r["chat_id"] for r in fake.sent()} - before

    # 2026-03-29, the day Berlin springs forward: ticks before and at each local push time.
    assert await tick(utc(2026, 3, 28, 23, 59)) == set()
    assert await tick(utc(2026, 3, 29, 0, 0)) == {SHANGHAI}  # 08:00 CST
    assert await tick(utc(2026, 3, 29, 1, 29)) == set()  # 03:29 CEST: 02:30 does not exist
    assert await tick(utc(2026, 3, 29, 1, 30)) == {BERLIN_NIGHT}  # resolves to 03:30 CEST
    assert await tick(utc(2026, 3, 29, 10, 0)) == {BERLIN_NOON}  # 12:00 CEST
    assert await tick(utc(2026, 3, 29, 15, 0)) == {LOS_ANGELES}  # 08:00 PDT
    assert dates_received(fake, SHANGHAI) == ["2026-03-28"]
    assert dates_received(fake, BERLIN_NIGHT) == ["2026-03-28"]
    assert dates_received(fake, BERLIN_NOON) == ["2026-03-29"]
    assert dates_received(fake, LOS_ANGELES) == ["2026-03-29"]


async def test_the_autumn_repeat_hour_pushes_once(
    services: Services, db_path: Path, fake: FakeTelegram
) -> None:
    store = Store.open(db_path)
    store_digest(store, "2026-10-24")
    add_chat(store, BERLIN_NIGHT, timezone="Europe/Berlin", push_time=time(2, 30))
    store.close()
    fake.add_chat(BERLIN_NIGHT)
    # 02:30 CEST (00:30 UTC) and 02:30 CET (01:30 UTC) both happen on 2026-10-25.
    for now in (utc(2026, 10, 25, 0, 29), utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)):
        await push_on_fake(services, fake, now=now)
    assert dates_received(fake, BERLIN_NIGHT) == ["2026-10-24"]


async def test_a_bot_down_at_push_time_catches_up_within_the_age_bound(
    services: Services, db_path: Path, fake: FakeTelegram
) -> None:
    store = Store.open(db_path)
    store_digest(store, "2026-03-09")
    for chat_id in (1, 2):
        add_chat(store, chat_id, push_time=time(8, 0))
        fake.add_chat(chat_id)
    store.close()
    # Down at 08:00 (Shanghai), up at 09:30: today's push still goes out.
    report = await push_on_fake(services, fake, now=utc(2026, 3, 10, 1, 30))
    assert report.delivered == 2 and dates_received(fake, 1) == ["2026-03-09"]


async def test_a_push_past_the_age_bound_is_skipped_and_visible(
    services: Services, db_path: Path, fake: FakeTelegram
) -> None:
    store = Store.open(db_path)
    store_digest(store, "2026-03-09")
    add_chat(store, 1, push_time=time(8, 0))
    fake.add_chat(1)
    store.close()
    # Up only at 20:30: more than 12 h past 08:00.
    report = await push_on_fake(services, fake, now=utc(2026, 3, 10, 12, 30))
    assert fake.sent() == [] and report.skipped == 1
    store = Store.open(db_path)
    (failure,) = Ledger(store).failures("2026-03-09")
    store.close()
    assert (failure.chat_id, failure.part, failure.status) == (1, 0, "skipped")
    assert failure.error == "more than 12 h past the push time"


async def test_a_correction_goes_only_to_chats_that_received_the_old_version(
    services: Services, db_path: Path, fake: FakeTelegram
) -> None:
    store = Store.open(db_path)
    old = store_digest(store, "2026-03-09")
    for chat_id in (1, 2, 3):
        add_chat(store, chat_id, language="en" if chat_id == 2 else "zh")
        fake.add_chat(chat_id)
    store.close()
    fake.inject(3, "server_error", times=None)
    await push_on_fake(services, fake, now=utc(2026, 3, 10, 0, 30))
    store = Store.open(db_path)
    add_chat(store, 4)  # subscribed after the push: gets no correction
    fake.add_chat(4)
    new = store_digest(store, "2026-03-09", headline="GLM-5 corrected")
    store.close()
    assert (new.date, new.version) == ("2026-03-09", 2)

    async with Bot(TOKEN, request=FakeRequest(fake)) as bot:
        report = await push_correction(services, bot, old, new, bots=[bot])
    assert report.delivered == 2
    corrections = [r for r in fake.sent() if "GLM-5 corrected" in r["text"]]
    assert sorted(r["chat_id"] for r in corrections) == [1, 2]
    by_chat = {r["chat_id"]: r["text"] for r in corrections}
    assert by_chat[1].startswith("更正：这份日报已更新为第 2 版。")
    assert by_chat[2].startswith("Correction: this digest was updated to version 2.")
    async with Bot(TOKEN, request=FakeRequest(fake)) as bot:  # asked twice: nobody gets it twice
        again = await push_correction(services, bot, old, new, bots=[bot])
    assert again.planned == 0
    store = Store.open(db_path)
    assert get_digest(store, "2026-03-09", 2) is not None
    assert Ledger(store).counts("2026-03-09")[("correction", "sent")] == 2
    store.close()
