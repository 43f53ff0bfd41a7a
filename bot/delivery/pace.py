"""The bot-wide pace: a sliding window over the bot's own departures, as Telegram counts.

Telegram refuses a message when ``cap`` (30) of the bot's messages already arrived in the
second before it, so a send may leave once the ``cap``-th last departure is ``window`` old:
one second plus a margin. Measured on departures rather than handed out as fixed slots, a
send held back (a slow ledger claim, a stalled loop) leaves room that the next ones take
at once: the pace is caught up, not lost. Fixed slots at 99.5% behind a window at 99.5%
were a queue served exactly as fast as it filled (a median span of 30 departures of
1.018 s, 98.3% of the ceiling, in a 10,000-chat push).

Telegram counts a message when it *arrives*, and the way there jitters (two processes
taking turns on a busy machine, a network). Each send's answer says how much longer than
the quickest its round trip took; the way there took at most that much longer than the
quickest way there, so the send counts in the window as if it had left that much later.
A message held up by 40 ms then holds back only the send 30 after it, by 40 ms, instead
of every send paying a margin wide enough for it. That lateness is counted in full, up to
a second: a pause of the bot between a send's stamp and its request leaving (a garbage
collection, a busy loop) makes it arrive that much later, and a cap of 50 ms let the
send 30 after one held up longer arrive inside its window (a 429 every 30,000 sends or
so). A send still on its way a window later counts as late as the most. On top, the
margin widens after each 429 and narrows back slowly over clean departures.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from dataclasses import dataclass

from .limits import Clock, Limits, Sleep

# The margin after 429s: widened by WIDEN for each (up to MAX_MARGIN), narrowed back by
# WIDEN over NARROW_AFTER clean departures (30 s at 30/s).
WIDEN = 0.005
MAX_MARGIN = 0.05
NARROW_AFTER = 900
STALE = 0.05  # a departure this long past the window can no longer hold a send back
# The most a send counts late: a second (a window). Far beyond what a pause of the bot
# or a busy machine holds a request up (0.05-0.4 s measured), and a request that hangs
# until it times out (whose answer says nothing of when it arrived) stops the pace for
# at most that long, not for its whole timeout.
LATE_MOST = 1.0
SLOW = 0.05  # for the figures: answers later than this past the quickest
# Lateness the window's own margin covers (3 ms at 99.7%, of which 1 ms stays spare for
# what a round trip cannot tell): counted in full, a 4 ms average cost 0.4% of the pace.
COVERED = 0.002
QUICKEST_OVER = 512  # answers per period of the quickest round trip (two periods kept)
CATCH_UP = 2.0  # while sending, turns may come this many times as fast as the pace
LEAD = 0.04  # a push's turn comes this long before its departure fits: its ledger claim
PENDING_MAX = 6  # push turns handed out whose departure is still to come, at least
PENDING_TTL = 1.0  # a push turn not departed by then never will (claimed elsewhere, stopped)


@dataclass(eq=False, slots=True)
class Departure:
    """One send as it left: when, and the latest it may have been counted."""

    at: float
    counted: float
    on_way: bool = False  # its request is out, not answered yet (:meth:`Pacer.sending`)
    gone: bool = False  # out of the window's last ``cap``: its lateness binds every send


class Quickest:
    """The quickest round trip lately (of the last one or two periods of answers)."""

    def __init__(self) -> None:
        self._before = math.inf
        self._now = math.inf
        self._count = 0

    @property
    def seconds(self) -> float:
        return min(self._before, self._now)

    def add(self, seconds: float) -> None:
        self._now = min(self._now, seconds)
        self._count += 1
        if self._count >= QUICKEST_OVER:  # a route that got slower stops counting as late
            self._before, self._now, self._count = self._now, math.inf, 0


class Pacer:
    """Departures within ``cap`` per ``window``; turns handed out to fit them.

    Turns for pushes are handed out a little ahead (``LEAD``, their ledger claim) and at
    most ``PENDING_MAX`` at a time. They are spaced at the pace from a quiet start, so
    sends leave evenly, and at ``CATCH_UP`` times it while sending: departures follow the
    window as closely as it lets them, and a catch-up is a quick run rather than a burst
    of sends in one instant whose last leaves long after its stamp.
    """

    def __init__(self, limits: Limits, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep):
        self.cap = max(1, math.floor(limits.per_second))
        self.base = self.cap * limits.interval  # 1.003 s at 30/s and 99.7%
        self.interval = limits.interval
        self.clock = clock
        self.sleep = sleep
        self.margin = 0.0  # added to the window after 429s
        self.quickest = Quickest()
        self._sent: deque[Departure] = deque()  # the last ``cap``, at most a window old
        self._floor = -math.inf  # the latest count of the departures before those
        self._pending: deque[float] = deque()  # push turns handed out, not yet departed
        # As many as leave in twice LEAD at the pace: six at 30/s, 80 at a paid broadcast's
        # 1,000/s, where a cap of six held the claims to ~800 sends a second.
        claiming = max(PENDING_MAX, math.ceil(2 * LEAD / self.interval))
        self._pending_max = max(1, min(claiming, self.cap - 1))
        self._last_turn = -math.inf
        self._full_at = -math.inf  # when the window last held ``cap`` departures
        self.answers = 0  # for the figures: answers timed, the lateness they added,
        self.late_seconds = 0.0  # the most of it, and how many were over SLOW
        self.late_most = 0.0
        self.slow = 0

    @property
    def window(self) -> float:
        """The span ``cap`` departures must cover before one more may leave."""
        return self.base + self.margin

    def fits_at(self, ahead: int = 0) -> float:
        """When the next departure fits the window (with ``ahead`` others leaving first)."""
        sent = self._sent
        index = len(sent) - self.cap + min(ahead, self.cap - 1)
        latest = self._floor
        for number in range(index + 1):  # the ones at least ``cap`` before it
            departure = sent[number]
            latest = max(latest, departure.counted)
            if departure.on_way:  # a window on, still on its way: it may arrive any time
                latest = max(latest, departure.at + LATE_MOST)
        return latest + self.window

    def turn_at(self, push: bool) -> float:
        """From when the next turn may be handed out: a push's ahead of its departure (its
        claim comes between), anything else's when it fits now (it leaves at once)."""
        pending = self._pending
        while pending and pending[0] <= self.clock() - PENDING_TTL:
            pending.popleft()  # its push never departed (claimed elsewhere, or stopped)
        ahead = len(pending) if push else 0
        if push and ahead >= self._pending_max:
            return pending[0] + PENDING_TTL  # or sooner: a departure wakes the outbox
        spaced = self._last_turn + self._spacing()
        return max(spaced, self.fits_at(ahead) - LEAD) if push else max(spaced, self.fits_at())

    def _spacing(self) -> float:
        """The least time between two turns: the pace's interval from a quiet start, a
        fraction of it while sending (the window was full lately)."""
        if self.clock() - self._full_at < 2 * self.window:
            return self.interval / CATCH_UP
        return self.interval

    def turned(self, push: bool) -> Departure | None:
        """A turn was handed out: a push's is pending until it departs; anything else
        leaves now (its departure, for :meth:`answered`)."""
        self._last_turn = now = self.clock()
        if push:
            self._pending.append(now)
            return None
        return self._count(now)

    async def admit(self) -> Departure:
        """Wait until a push that had its turn fits the window, then count it as departed."""
        while (wait := self.fits_at() - self.clock()) > 0:
            await self.sleep(wait)
        self.withdraw()
        return self._count(self.clock())

    def withdraw(self) -> None:
        """A push that had its turn leaves the pending (departed, or will not depart)."""
        if self._pending:
            self._pending.popleft()

    def sending(self, departure: Departure) -> None:
        """The send's request is on its way: until its answer comes, it may arrive any time."""
        departure.on_way = True

    def answered(self, departure: Departure) -> None:
        """The send's answer came: it was counted at most this much later than it left."""
        trip = self.clock() - departure.at
        self.quickest.add(trip)
        late = min(LATE_MOST, max(0.0, trip - self.quickest.seconds - COVERED))
        departure.counted = departure.at + late
        departure.on_way = False
        self.answers += 1
        self.late_seconds += late
        self.late_most = max(self.late_most, late)
        self.slow += late > SLOW
        if departure.gone:
            self._floor = max(self._floor, departure.counted)

    def widen(self) -> None:
        """A 429: the way to Telegram jitters more than the margin allows."""
        self.margin = min(MAX_MARGIN, self.margin + WIDEN)

    def _count(self, now: float) -> Departure:
        sent, departure = self._sent, Departure(now, now)
        while sent and (len(sent) >= self.cap or sent[0].at < now - self.window - STALE):
            old = sent.popleft()  # a window old: only its lateness still holds sends back
            old.gone = True
            # Still on its way, it may yet arrive up to LATE_MOST after it left.
            bound = old.at + LATE_MOST if old.on_way else old.counted
            self._floor = max(self._floor, bound)
        sent.append(departure)
        if len(sent) == self.cap:
            self._full_at = now
        if self.margin:
            self.margin = max(0.0, self.margin - WIDEN / NARROW_AFTER)
        return departure
