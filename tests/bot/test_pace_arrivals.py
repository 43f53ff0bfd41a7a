"""The pace against the fake Bot API's own flood limits, on a virtual clock: sends whose
way there is held up (the bot paused between a send's stamp and its request leaving)
arrive late, and Telegram counts them where they arrive."""

from __future__ import annotations

import heapq
import math

import pytest

from bot.delivery.limits import Limits
from bot.delivery.pace import COVERED, LATE_MOST, Departure, Pacer
from bot.fake_telegram import FloodLimits
from bot.fake_telegram.limits import FloodControl

WAY_THERE = 0.001
WAY_BACK = 0.05  # the fake answers after its latency


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:  # never awaited: the loop below drives
        raise AssertionError("the simulation moves the clock itself")


def push(sends: int, held_up: dict[int, float]) -> tuple[int, float]:
    """Send ``sends`` messages as fast as the pacer lets them; send ``n`` spends
    ``held_up[n]`` more on its way there. Returns the fake's refusals (counted where each
    send arrives, in the order they arrive) and the time the last send left."""
    clock = Clock()
    pacer = Pacer(Limits(), clock, clock.sleep)
    answers: list[tuple[float, int, Departure]] = []  # (when its answer comes, n, departure)
    arrivals: list[float] = []
    sent = 0
    while sent < sends:
        while answers and answers[0][0] <= clock.now:
            pacer.answered(heapq.heappop(answers)[2])
        if (fits := pacer.fits_at()) > clock.now:  # asleep till it fits or an answer comes
            clock.now = min(fits, answers[0][0] if answers else math.inf)
            continue
        departure = pacer.turned(push=False)  # leaves now
        assert departure is not None
        pacer.sending(departure)
        arrived = clock.now + WAY_THERE + held_up.get(sent, 0.0)
        arrivals.append(arrived)
        heapq.heappush(answers, (arrived + WAY_BACK, sent, departure))
        sent += 1
    last = clock.now
    fake_clock = Clock()
    flood = FloodControl(FloodLimits(), fake_clock)
    refused = 0
    for chat_id, arrived in enumerate(sorted(arrivals)):  # a chat each: the bot-wide limit
        fake_clock.now = arrived
        refused += flood.acquire(chat_id, group=False, paid=False, edit=False) is not None
    return refused, last


def pace(sends: int, last: float) -> float:
    """The share of Telegram's 30/s the sends after the first 30 (one instant) kept."""
    return (sends - 30) / 30 / (last - 100.0)


def test_a_send_held_up_far_longer_than_usual_still_never_meets_the_bot_wide_limit() -> None:
    # Every 700th send is held up 80-400 ms on its way (a garbage collection of the bot
    # between its stamp and its request, a stalled process): counted only 50 ms late, the
    # send 30 after it arrived inside its window, and the fake refused it.
    held_up = {n: 0.08 + 0.04 * (n // 700 % 9) for n in range(350, 6000, 700)}
    refused, last = push(6000, held_up)
    assert refused == 0
    # Each hold-up costs the pace about its own length, once; the rest keeps 99.7%.
    assert pace(6000, last) >= 0.985


def test_evenly_late_sends_keep_the_pace() -> None:
    refused, last = push(3000, {})
    assert refused == 0
    assert pace(3000, last) == pytest.approx(Limits().headroom, abs=0.0005)


def test_a_send_not_answered_yet_holds_back_the_send_30_after_it() -> None:
    clock = Clock()
    pacer = Pacer(Limits(), clock, clock.sleep)
    departures = []
    for _ in range(30):
        departure = pacer.turned(push=False)
        assert departure is not None
        departures.append(departure)
        clock.now += 0.05
        pacer.answered(departure)
        clock.now += pacer.interval - 0.05
    first = departures[0]
    assert pacer.fits_at() == pytest.approx(first.at + pacer.window)
    late = [pacer.turned(push=False) for _ in range(30)]  # in one instant
    for departure in late:
        assert departure is not None
        pacer.sending(departure)
    clock.now += 0.3  # none answered: any may still be on its way, a second late at most
    assert pacer.fits_at() == pytest.approx(late[0].at + LATE_MOST + pacer.window)
    assert pacer.fits_at() > clock.now
    for departure in late[1:]:
        pacer.answered(departure)
    assert pacer.fits_at() > clock.now  # the first of them still binds
    pacer.answered(late[0])  # it took 0.3 s: it counts that late, less the quickest trip
    assert late[0].counted == pytest.approx(late[0].at + 0.3 - 0.05 - COVERED)
    assert pacer.fits_at() == pytest.approx(late[0].counted + pacer.window)


def test_a_send_still_on_its_way_when_it_ages_out_of_the_window_keeps_holding_back() -> None:
    # A quiet pace: a send leaves, its request hangs, and the next send comes over a window
    # later, which drops the first from the window by age. It may still arrive up to
    # LATE_MOST after it left, so the sends after it must still count it.
    clock = Clock()
    pacer = Pacer(Limits(), clock, clock.sleep)
    hanging = pacer.turned(push=False)
    assert hanging is not None
    pacer.sending(hanging)
    clock.now += pacer.window + 0.06  # past the window and its stale slack
    later = pacer.turned(push=False)
    assert later is not None
    assert hanging.gone  # aged out of the window's last ``cap``
    for _ in range(28):  # the window fills up to one short of ``cap``
        assert pacer.turned(push=False) is not None
    assert pacer.fits_at() >= hanging.at + LATE_MOST + pacer.window
