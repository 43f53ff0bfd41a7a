"""The bot-wide pace on a settable clock: a late answer holds back only the send 30 after it."""

from __future__ import annotations

import pytest

from bot.delivery.limits import Limits
from bot.delivery.pace import QUICKEST_OVER, Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


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
    # The fifth may have arrived 40 ms after it left: the send 30 after it waits so long.
    assert pacer.fits_at() == pytest.approx(left[4] + 0.04 + window)
    # The sixth arrived before the fifth may have: the fifth still binds the send after.
    pacer.turned(push=False)
    assert pacer.fits_at() == pytest.approx(left[4] + 0.04 + window)
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
    assert answer(0.08) == pytest.approx(0.03)
    for _ in range(2 * QUICKEST_OVER):  # a slower route since: 80 ms each way
        answer(0.08)
    assert answer(0.08) == pytest.approx(0.0)
    assert answer(0.2) == pytest.approx(0.05)  # lateness is capped: past that, 429s tell
