"""A chat due for its day and its week in one run: what happens to the week when the day
cannot be delivered; and a push run cut short still records every part it sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
from delivery_worker import TOKEN, add_chat, fast_options, push_on_fake, store_digest
from telegram import Bot
from test_delivery_topics import fast_services
from week_store import WEEK, seed_fortnight

from bot.delivery.engine import push_due
from bot.fake_telegram import FakeRequest, FakeTelegram
from bot.services import Services
from digest import SECTION_IDS, BuildOptions, Store, Subscriptions, build_week, load_themes
from digest.push.ledger import Ledger

BUILT = datetime(2026, 2, 16, 0, 0, tzinfo=UTC)  # Monday 08:00 in Shanghai
MONDAY_0930 = datetime(2026, 2, 16, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
DAY = "2026-02-15"
GROUP = -4004


@pytest.fixture
async def fast(db_path: Path) -> AsyncIterator[Services]:
    made = fast_services(db_path)
    yield made
    await made.close()


def seed(
    db_path: Path,
    fake: FakeTelegram,
    chat_id: int,
    chat_type: str = "private",
    sections: tuple[str, ...] = SECTION_IDS,
) -> None:
    """The day's digest, the week's, and ``chat_id`` due for both at 09:00 on Monday (a
    message a section for chosen ``sections``)."""
    store = Store.open(db_path)
    try:
        seed_fortnight(store)
        assert build_week(store, WEEK, BuildOptions(themes=load_themes()), BUILT).digest
        store_digest(store, DAY)
        sub = add_chat(
            store, chat_id, chat_type=chat_type, push_time=time(9), mode="full", sections=sections
        )
        both = replace(sub, cadence="both", week_day=1, week_time=time(9), week_chart=False)
        Subscriptions(store).save(both, BUILT)
    finally:
        store.close()
    fake.add_chat(chat_id, chat_type, "Group" if chat_type != "private" else None)


def ledger_rows(db_path: Path, date: str) -> list[tuple[int, int, str]]:
    """(chat, part, status) of every ledger row of ``date``."""
    store = Store.open(db_path)
    try:
        rows = store.db.execute(
            "SELECT chat_id, part, status FROM deliveries WHERE date = ? ORDER BY chat_id, part",
            [date],
        )
        return [(c, p, s) for c, p, s in rows.fetchall()]
    finally:
        store.close()


def heads(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [r["text"][:6] for r in fake.sent(chat_id) if r["text"].startswith("科技热榜")]


async def test_a_day_given_up_still_lets_the_week_through(fast: Services, db_path: Path) -> None:
    fake = FakeTelegram(TOKEN, limits=None)
    seed(db_path, fake, 4)
    fake.inject(4, "server_error", times=fast_options().max_attempts)  # the day's first part
    report = await push_on_fake(fast, fake, now=MONDAY_0930, senders=1)
    assert report.failed == 1 and report.delivered == 1  # the day failed, the week arrived
    assert heads(fake, 4) == ["科技热榜周报"]
    assert ledger_rows(db_path, DAY) == [(4, 1, "failed")]
    week = ledger_rows(db_path, WEEK)
    assert week and {status for *_, status in week} == {"sent"}
    assert len(fake.sent(4)) == len(week)


async def test_after_a_migration_the_week_follows_the_day_to_the_new_chat(
    fast: Services, db_path: Path
) -> None:
    fake = FakeTelegram(TOKEN, limits=None)
    seed(db_path, fake, GROUP, "group")
    new_id = fake.inject(GROUP, "migrate")
    assert new_id is not None
    report = await push_on_fake(fast, fake, now=MONDAY_0930, senders=1)
    assert report.migrated == 1 and report.failed == 0
    assert fake.sent(GROUP) == []
    assert heads(fake, new_id) == ["科技热榜日报", "科技热榜周报"]  # the day whole, then the week
    day, week = ledger_rows(db_path, DAY), ledger_rows(db_path, WEEK)
    assert (GROUP, 1, "migrated") in day
    assert {s for c, _, s in day if c == new_id} == {"sent"}
    assert {s for c, _, s in week if c == new_id} == {"sent"}
    assert len(fake.sent(new_id)) == sum(1 for c, *_ in day + week if c == new_id)


async def test_a_chat_that_blocked_the_bot_gets_its_week_recorded_not_sent(
    fast: Services, db_path: Path
) -> None:
    fake = FakeTelegram(TOKEN, limits=None)
    seed(db_path, fake, 4)
    fake.inject(4, "blocked", times=None)
    report = await push_on_fake(fast, fake, now=MONDAY_0930, senders=1)
    assert report.deactivated == 1
    assert ledger_rows(db_path, DAY) == [(4, 1, "deactivated")]
    assert ledger_rows(db_path, WEEK) == [(4, 1, "deactivated")]  # in the ledger, not lost
    again = await push_on_fake(fast, fake, now=MONDAY_0930, senders=1)
    assert again.planned == 0


class CancellingFake(FakeTelegram):
    """Cancels ``victim`` (the push run's task) as it answers the ``at``-th sendMessage:
    the run is stopped (the bot shutting down, a Ctrl-C) with that part's outcome posted
    to the ledger writer and not yet committed."""

    def __init__(self, at: int) -> None:
        super().__init__(TOKEN, limits=None)
        self.at = at
        self.answered = 0
        self.victim: asyncio.Task[Any] | None = None

    async def call(
        self, token: str, method: str, params: Mapping[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        answer = await super().call(token, method, params)
        if method == "sendMessage":
            self.answered += 1
            if self.answered == self.at and self.victim is not None:
                # After the sender has read the answer and posted its outcome.
                asyncio.get_running_loop().call_soon(self.victim.cancel)
        return answer


async def test_a_run_cut_short_still_records_the_parts_it_sent(
    services: Services, db_path: Path
) -> None:
    fake = CancellingFake(at=2)
    store = Store.open(db_path)
    try:
        store_digest(store, "2026-03-09")
        for chat_id in (1, 2, 3):
            add_chat(store, chat_id)
            fake.add_chat(chat_id)
    finally:
        store.close()
    sender = Bot(TOKEN, request=FakeRequest(fake))
    await sender.initialize()
    # The outcome waits a whole second to gather: the run ends well inside it.
    options = fast_options(ledger_gather=1.0, connections=1)
    now = datetime(2026, 3, 10, 0, 30, tzinfo=UTC)
    run = asyncio.create_task(push_due(services, sender, now=now, options=options, bots=[sender]))
    fake.victim = run
    with pytest.raises(asyncio.CancelledError):
        await run
    # Read at once, as a process that ends here would leave it: every part the fake
    # answered is `sent`, with its message id; none is left `sending` (then `unconfirmed`).
    sent = {r["chat_id"]: r["message_id"] for r in fake.sent()}
    assert len(sent) == 2
    store = Store.open(db_path)
    try:
        rows = store.db.execute(
            "SELECT chat_id, status, message_id FROM deliveries WHERE status != 'retry'"
        ).fetchall()
        assert {c: (s, m) for c, s, m in rows if c in sent} == {
            c: ("sent", m) for c, m in sent.items()
        }
        assert Ledger(store).recipients("2026-03-09", 1) == [(c, 0) for c in sorted(sent)]
    finally:
        store.close()
    fake.victim = None
    try:  # a restart sends the rest, and nothing twice
        await push_due(services, sender, now=now, options=fast_options(), bots=[sender])
    finally:
        await sender.shutdown()
    assert sorted(r["chat_id"] for r in fake.sent()) == [1, 2, 3]
