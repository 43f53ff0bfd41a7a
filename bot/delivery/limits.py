"""Telegram's sending limits as bookkeeping: per-chat spacing, group windows, 429s, the pace.

These are the parts the outbox (``bot.delivery.outbox``) is built from; none of them waits
on its own except :class:`Pacer`. Telegram does not say which limit a 429 is about:
:class:`FloodWatch` takes 429s from several chats at once to mean the bot-wide one.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# Telegram counts a message when it arrives; our stamps are taken when it leaves, so
# per-chat and per-group gaps keep this much slack for network jitter.
JITTER = 0.1
GLOBAL_FLOOD_CHATS = 3  # 429s from this many chats within a second mean the bot-wide limit
GROUP_WINDOW = 60.0
# The pacer's margin for the way to Telegram: widened by WIDEN for each 429 (up to
# MAX_MARGIN), narrowed back by WIDEN over NARROW_AFTER clean departures (30 s at 30/s).
WIDEN = 0.005
MAX_MARGIN = 0.05
NARROW_AFTER = 900
CATCH_UP = 2.0  # turns held back are made up at up to twice the pace
LEAD = 0.04  # a push's turn comes this long before its departure fits: its ledger claim
PENDING_MAX = 6  # push turns handed out whose departure is still to come
PENDING_TTL = 1.0  # a push turn not departed by then never will (claimed elsewhere, stopped)
PRUNE_FROM = 4096  # chats remembered before lapsed ones are forgotten


@dataclass(frozen=True, slots=True)
class Limits:
    """The pace the bot keeps.

    :param per_second: messages per second for the whole bot (1000 with paid broadcast).
    :param headroom: the fraction of ``per_second`` used. 0.995 of 30 is 29.85/s: evenly
        spaced, 31 sends span 1.005 s, so each second keeps 5 ms against jitter while a
        long push still reaches 99% of Telegram's ceiling.
    :param chat_interval: seconds between two messages to one chat (Telegram: one a second).
    :param group_per_minute: messages per minute to one group.
    """

    per_second: float = 30.0
    headroom: float = 0.995
    chat_interval: float = 1.0 + JITTER
    group_per_minute: int = 20

    @property
    def interval(self) -> float:
        """Seconds between two bot-wide slots."""
        return 1.0 / (self.per_second * self.headroom)


def retry_seconds(value: float | timedelta) -> float:
    """PTB gives retry_after as a timedelta (PTB_TIMEDELTA=true) or as seconds."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class ChatGate:
    """When each chat may get its next message: spacing, group windows, 429 pauses."""

    def __init__(self, limits: Limits, clock: Clock = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._next: dict[int, float] = {}
        self._groups: dict[int, deque[float]] = {}
        self._prune_above = PRUNE_FROM

    def ready_at(self, chat_id: int) -> float:
        """The monotonic time from which ``chat_id`` may be sent to."""
        return self._next.get(chat_id, 0.0)

    def sent(self, chat_id: int, group: bool, at: float | None = None) -> None:
        """Count a message that leaves for ``chat_id`` now (or at ``at``, if later)."""
        now = max(self.clock(), at or 0.0)
        if group:
            self._groups.setdefault(chat_id, deque()).append(now)
        self._space(chat_id, group, now)

    def departed(self, chat_id: int, group: bool) -> None:
        """The message counted at its turn leaves only now (a push's ledger claim and the
        departures window come between): the chat's gaps count from now. Counted from
        the turn, a claim held up for 0.2 s left the chat's next part 0.9 s behind it."""
        now = self.clock()
        window = self._groups.get(chat_id) if group else None
        if window:
            window[-1] = max(window[-1], now)  # its turn's stamp: no other turn since
        self._space(chat_id, group, now)

    def _space(self, chat_id: int, group: bool, now: float) -> None:
        ready = now + self.limits.chat_interval
        window = self._groups.get(chat_id) if group else None
        if window:
            while window and window[0] <= now - GROUP_WINDOW:
                window.popleft()
            cap = self.limits.group_per_minute
            if len(window) >= cap:
                ready = max(ready, window[len(window) - cap] + GROUP_WINDOW + JITTER)
        self._next[chat_id] = max(self._next.get(chat_id, 0.0), ready)
        if len(self._next) > self._prune_above:  # a push to 100,000 chats keeps ~30 of them
            self.prune()
            self._prune_above = max(PRUNE_FROM, 2 * len(self._next))

    def pause(self, chat_id: int, seconds: float) -> None:
        """Hold one chat for ``seconds`` (its 429)."""
        until = self.clock() + seconds
        self._next[chat_id] = max(self._next.get(chat_id, 0.0), until)

    def prune(self) -> None:
        """Forget chats whose limits have lapsed (the gate lives as long as the bot)."""
        now = self.clock()
        self._next = {chat: at for chat, at in self._next.items() if at > now}
        self._groups = {
            chat: window
            for chat, window in self._groups.items()
            if window and window[-1] > now - GROUP_WINDOW
        }


class FloodWatch:
    """Tells a chat's 429 from a bot-wide one: several chats refused within a second."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.clock = clock
        self._recent: deque[tuple[float, int]] = deque()

    def refused(self, chat_id: int) -> bool:
        """Note a 429 for ``chat_id``; True when it looks bot-wide."""
        now = self.clock()
        recent = self._recent
        recent.append((now, chat_id))
        while recent and recent[0][0] <= now - 1.0:
            recent.popleft()
        return len({chat for _, chat in recent}) >= GLOBAL_FLOOD_CHATS


class Pacer:
    """The bot-wide pace, as a sliding window over the bot's last ``cap`` departures.

    Telegram refuses a message when ``cap`` (30) already arrived in the second before it,
    so a send may leave once the ``cap``-th last departure is ``window`` old: one second
    plus a margin for the way there. Measured on departures rather than handed out as
    fixed slots, a send held back (a slow ledger claim, a stalled loop) leaves room that
    the next ones take at once: the pace is caught up, not lost. Fixed slots at 99.5%
    behind a window at 99.5% were a queue served exactly as fast as it filled (a median
    span of 30 departures of 1.018 s, 98.3% of the ceiling, in a 10,000-chat push).

    The margin widens after a 429 (the way jittered more than it allowed) and narrows
    back slowly over clean departures. Turns for pushes are handed out a little ahead
    (``LEAD``, their ledger claim) and at most ``PENDING_MAX`` at a time. Turns are spaced
    at the pace from a quiet start, and at ``CATCH_UP`` times it while catching up: a
    quick run, not a burst of sends in one instant whose last leaves long after its stamp.
    """

    def __init__(self, limits: Limits, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep):
        self.cap = max(1, math.floor(limits.per_second))
        self.base = self.cap * limits.interval  # 1.005 s at 30/s and 99.5%
        self.interval = limits.interval
        self.clock = clock
        self.sleep = sleep
        self.margin = 0.0  # added to the window after 429s
        self._sent: deque[float] = deque(maxlen=self.cap)
        self._pending: deque[float] = deque()  # push turns handed out, not yet departed
        self._pending_max = max(1, min(PENDING_MAX, self.cap - 1))
        self._last_turn = -math.inf

    @property
    def window(self) -> float:
        """The span ``cap`` departures must cover before one more may leave."""
        return self.base + self.margin

    def fits_at(self, ahead: int = 0) -> float:
        """When the next departure fits the window (with ``ahead`` others leaving first)."""
        sent = self._sent
        index = len(sent) - self.cap + min(ahead, self.cap - 1)
        return sent[index] + self.window if index >= 0 else 0.0

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
        """The least time between two turns: the pace's interval from a quiet start, so
        sends leave evenly; a fraction of it while sending, so departures follow the
        window as closely as it lets them (and catch up after sends were held back)."""
        sent = self._sent
        if len(sent) == self.cap and self.clock() - sent[0] < 2 * self.window:
            return self.interval / CATCH_UP
        return self.interval

    def turned(self, push: bool) -> None:
        """A turn was handed out: a push's is pending until it departs, others leave now."""
        self._last_turn = now = self.clock()
        if push:
            self._pending.append(now)
        else:
            self._count(now)

    async def admit(self) -> None:
        """Wait until a push that had its turn fits the window, then count it as departed."""
        while (wait := self.fits_at() - self.clock()) > 0:
            await self.sleep(wait)
        if self._pending:
            self._pending.popleft()
        self._count(self.clock())

    def widen(self) -> None:
        """A 429: the way to Telegram jitters more than the margin allows."""
        self.margin = min(MAX_MARGIN, self.margin + WIDEN)

    def _count(self, now: float) -> None:
        sent = self._sent
        sent.append(max(now, sent[-1]) if sent else now)
        if self.margin:
            self.margin = max(0.0, self.margin - WIDEN / NARROW_AFTER)
