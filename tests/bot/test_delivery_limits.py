"""The limits' bookkeeping on a fake clock (a late answer holds back only the send 30 after
it), paid broadcast, and replies during a 429 storm."""

from __future__ import annotations

import asyncio
import time as clock
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest
from delivery_worker import (
    TOKEN,
    add_chat,
    delivery_settings,
    fast_options,
    push_on_fake,
    store_digest,
)
from telegram import Bot

from bot.delivery.limits import ChatGate, FloodWatch, Limits
from bot.delivery.options import DeliveryOptions
from bot.delivery.outbox import Kind
from bot.delivery.pace import COVERED, LATE_MOST, QUICKEST_OVER, Pacer
from bot.fake_telegram import FakeRequest, FakeTelegram, FloodLimits
from bot.services import Services
from digest import Store

NOW = datetime(2026, 3, 10, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai


class Clock:
    """A settable monotonic clock; ``sleep`` advances it instead of waiting."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)  # others run at the time they woke up, then time moves on
        self.now += max(0.0, seconds)


async def test_the_pacer_holds_back_sends_bunched_up_behind_a_slow_claim() -> None:
    time = Clock()
    pacer = Pacer(Limits(per_second=10), time, time.sleep)
    for _ in range(10):  # ten sends whose claims all finish at once
        await pacer.admit()
    first = time.now
    await pacer.admit()  # the eleventh must wait for the window
    # The window is 10 sends at the paced 9.97/s, not one second: bunched sends keep the
    # 3 ms of slack evenly paced ones have against jitter before Telegram counts them.
    assert time.now - first == pytest.approx(1 / Limits().headroom)


def test_chats_wait_a_second_and_groups_twenty_a_minute() -> None:
    time = Clock()
    gate = ChatGate(Limits(), time)
    gate.sent(1, group=False)
    assert gate.ready_at(1) == pytest.approx(time.now + 1.1)
    for n in range(20):
        time.now = 200.0 + n * 1.2
        gate.sent(-5, group=True)
    # The 21st message to the group waits until the first leaves the minute (plus slack).
    assert gate.ready_at(-5) == pytest.approx(200.0 + 60 + 0.1)
    gate.pause(1, 30)
    assert gate.ready_at(1) == pytest.approx(time.now + 30)
    time.now += 100
    gate.prune()
    assert gate.ready_at(1) == 0.0 and gate.ready_at(-5) == 0.0


def test_a_chats_gaps_count_from_when_its_message_left() -> None:
    time = Clock()
    gate = ChatGate(Limits(), time)
    gate.sent(1, group=False)  # its turn
    time.now += 0.3  # a slow ledger claim before the request left
    gate.departed(1, group=False)
    assert gate.ready_at(1) == pytest.approx(time.now + 1.1)
    for n in range(20):  # a group's minute counts from the departures too
        time.now = 200.0 + n * 1.2
        gate.sent(-5, group=True, push=True)
        time.now += 0.5
        gate.departed(-5, group=True)
    assert gate.ready_at(-5) == pytest.approx(200.5 + 60 + 0.1)


def test_a_push_departing_moves_its_own_stamp_in_a_groups_minute_not_a_replys() -> None:
    time = Clock()
    gate = ChatGate(Limits(group_per_minute=2), time)
    pushed = time.now
    gate.sent(-5, group=True, push=True)  # the push's turn; its ledger claim is slow
    time.now = pushed + 1.2
    gate.sent(-5, group=True)  # a reply to the group meanwhile: it leaves at its turn
    time.now = pushed + 1.3
    gate.departed(-5, group=True)  # the push leaves only now
    # The minute holds the reply (at +1.2) and the push (at +1.3): the third message
    # waits for the reply's to lapse. Moving the newest stamp (the reply's) instead left
    # the push counted at its turn, a second early.
    assert gate.ready_at(-5) == pytest.approx(pushed + 1.2 + 60 + 0.1)
    time.now = pushed + 2.5
    gate.sent(-5, group=True, push=True)  # a push turn whose part another pusher had
    time.now = pushed + 70
    gate.sent(-5, group=True, push=True)
    time.now = pushed + 70.4
    gate.departed(-5, group=True)  # the latest push turn's stamp moves
    time.now = pushed + 71
    gate.sent(-5, group=True)
    assert gate.ready_at(-5) == pytest.approx(pushed + 70.4 + 60 + 0.1)


def test_push_turns_given_back_leave_a_groups_minute_and_keep_its_gap() -> None:
    # A week waiting for its day in a group takes a turn a second and gives it back: those
    # turns counted in the group's minute held the week (and replies) a minute when 20 had.
    time = Clock()
    gate = ChatGate(Limits(), time)
    for _ in range(25):
        time.now = max(time.now, gate.ready_at(-5))
        gate.sent(-5, group=True, push=True)
        turned = time.now
        gate.forgone(-5, group=True)
        assert gate.ready_at(-5) == pytest.approx(turned + 1.1)  # the look's pace stays
    replied = time.now
    gate.sent(-5, group=True)  # a reply meanwhile did leave: it counts
    gate.forgone(-5, group=True)  # nothing of it is given back
    time.now += 1.1
    first = time.now
    for _ in range(19):  # the minute holds the reply only: 19 pushes go a gap apart
        time.now = gate.ready_at(-5)
        gate.sent(-5, group=True, push=True)
        gate.departed(-5, group=True)
    assert time.now == pytest.approx(first + 18 * 1.1)
    assert gate.ready_at(-5) == pytest.approx(replied + 60 + 0.1)  # the 21st of the minute


def test_a_429_is_bot_wide_only_when_several_chats_get_one_at_once() -> None:
    time = Clock()
    watch = FloodWatch(time)
    assert not watch.refused(1) and not watch.refused(1) and not watch.refused(2)
    assert watch.refused(3)
    time.now += 2
    assert not watch.refused(4)


async def test_paid_broadcast_goes_past_30_a_second_without_a_429(db_path: Path) -> None:
    services = Services.create(delivery_settings(db_path, messages_per_second=400.0))
    fake = FakeTelegram(TOKEN, limits=FloodLimits())  # 30/s free, 1000/s paid
    store = Store.open(db_path)
    store_digest(store, "2026-03-09")
    for chat_id in range(1, 301):
        add_chat(store, chat_id)
        fake.add_chat(chat_id)
    store.close()
    options = fast_options(paid_broadcast=True)
    try:
        report = await push_on_fake(services, fake, now=NOW, options=options, senders=8)
    finally:
        await services.close()
    assert report.delivered == 300 and fake.stats()["served_429"] == 0
    assert all(r["allow_paid_broadcast"] for r in fake.sent())
    assert report.rate > 60, f"{report.rate:.0f} messages/s"  # past 30/s; slack for load
    print(f"paid broadcast: {report.rate:.0f} messages/s")


def test_a_paid_broadcast_keeps_enough_sends_in_flight_for_1000_a_second_via_a_proxy(
    db_path: Path,
) -> None:
    free = DeliveryOptions.from_settings(delivery_settings(db_path))
    paid = DeliveryOptions.from_settings(delivery_settings(db_path, allow_paid_broadcast=True))
    in_flight = paid.senders * paid.connections
    assert paid.paid_broadcast and not free.paid_broadcast
    # Little's law: 1,000 messages/s at a 190 ms round trip need 190 sends in flight.
    assert in_flight >= 1000 * 0.19 > free.senders * free.connections


async def test_a_reply_goes_out_while_a_429_storm_holds_the_pushes(
    services: Services, db_path: Path
) -> None:
    fake = FakeTelegram(TOKEN, limits=FloodLimits(per_second=200))
    store = Store.open(db_path)
    store_digest(store, "2026-03-09")
    for chat_id in range(1, 41):
        add_chat(store, chat_id)
        fake.add_chat(chat_id)
    store.close()
    fake.add_chat(999)
    # The storm pauses the pushes 3 s: a reply held with them would wait that long, one
    # that goes ahead waits for a slot; 2.5 s tells them apart on a loaded machine (the
    # bound was 0.5 s against a 1 s pause, which such a machine could stall through).
    push = asyncio.create_task(push_on_fake(services, fake, now=NOW, storm=10, storm_retry=3))
    async with Bot(TOKEN, request=FakeRequest(fake)) as app_bot:
        while fake.stats()["served_429"] < 10:  # the storm is on: pushes are paused
            await asyncio.sleep(0.01)
        started = clock.perf_counter()
        reply = partial(app_bot.send_message, 999, "a command reply")
        await services.outbox.send(Kind.REPLY, 999, reply)  # the outbox the pushes use
        waited = clock.perf_counter() - started
    report = await push
    assert waited < 2.5  # not behind the pushes' three-second pause (a bot-wide 429)
    assert report.delivered == 40


def test_at_a_paid_broadcasts_pace_many_pushes_may_be_claiming_at_once() -> None:
    # Push turns come ahead of departure for the ledger claim; at 1,000/s a claim of a
    # few ms spans several sends, so a cap sized for 30/s held a broadcast near 800/s.
    clock = Clock()

    def turns_within(pacer: Pacer, seconds: float) -> int:
        """Push turns handed out in ``seconds`` while none of them departs (all claiming)."""
        end, handed = clock.now + seconds, 0
        while (at := pacer.turn_at(push=True)) <= end:
            clock.now = max(clock.now, at)
            pacer.turned(push=True)
            handed += 1
        return handed

    assert turns_within(Pacer(Limits(per_second=1000), clock, clock.sleep), 0.05) >= 40
    assert turns_within(Pacer(Limits(), clock, clock.sleep), 0.5) <= 6  # 30/s: a few ahead


def test_a_push_turn_given_back_frees_its_place_at_once() -> None:
    # Another pusher held the parts: turns that will not depart used to hold their place
    # for PENDING_TTL, six turns a second at 30/s.
    clock = Clock()
    pacer = Pacer(Limits(), clock, clock.sleep)
    for _ in range(6):
        clock.now = max(clock.now, pacer.turn_at(push=True))
        pacer.turned(push=True)
    held = pacer.turn_at(push=True)
    for _ in range(6):
        pacer.withdraw()
    assert pacer.turn_at(push=True) < held - 0.5


async def test_sends_counted_without_waiting_keep_only_the_last_window() -> None:
    time = Clock()
    pacer = Pacer(Limits(per_second=10), time, time.sleep)
    for _ in range(1000):  # replies only: counted at their turn, never admitted
        pacer.turned(push=False)
        time.now += 0.05
    assert len(pacer._sent) == 10  # the window's count, however many went before
    for _ in range(10):
        pacer.turned(push=False)
    first = time.now
    await pacer.admit()  # a push behind ten replies in one instant waits for the window
    assert time.now - first == pytest.approx(1 / Limits().headroom)


def test_a_send_whose_way_took_longer_holds_back_only_the_send_30_after_it() -> None:
    clock = Clock()
    pacer = Pacer(Limits(), clock, clock.sleep)
    window = pacer.window
    left = []
    for number in range(30):
        departure = pacer.turned(push=False)
        assert departure is not None
        left.append(clock.now)
        clock.now += 0.05 if number != 4 else 0.09  # the fifth's answer came 40 ms late
        pacer.answered(departure)
        clock.now = left[-1] + pacer.interval
    assert pacer.fits_at() == pytest.approx(left[0] + window)  # the first: on time
    for _ in range(4):
        pacer.turned(push=False)
    # The fifth may have arrived 40 ms after it left: the send 30 after it waits so long
    # (less what the window's margin covers).
    assert pacer.fits_at() == pytest.approx(left[4] + 0.04 - COVERED + window)
    # The sixth arrived before the fifth may have: the fifth still binds the send after.
    pacer.turned(push=False)
    assert pacer.fits_at() == pytest.approx(left[4] + 0.04 - COVERED + window)
    pacer.turned(push=False)  # the seventh left after the fifth may have arrived
    assert pacer.fits_at() == pytest.approx(left[6] + window)


def test_a_route_that_got_slower_for_good_stops_counting_as_late() -> None:
    clock = Clock()
    pacer = Pacer(Limits(), clock, clock.sleep)

    def answer(trip: float) -> float:
        departure = pacer.turned(push=False)
        assert departure is not None
        clock.now += trip
        pacer.answered(departure)
        clock.now += 1.0
        return departure.counted - departure.at

    assert answer(0.05) == 0.0
    assert answer(0.08) == pytest.approx(0.03 - COVERED)
    assert answer(0.051) == 0.0  # within what the margin covers
    for _ in range(2 * QUICKEST_OVER):  # a slower route since: 80 ms round trips
        answer(0.08)
    assert answer(0.08) == pytest.approx(0.0)
    assert answer(0.2) == pytest.approx(0.12 - COVERED)  # counted in full, up to a second
    assert answer(3.0) == pytest.approx(LATE_MOST)
