"""Flood limits for pushes: the bot-wide pace, per-chat spacing, group windows and 429 pauses.

The delivery engine owns these, not PTB's AIORateLimiter: that one has no per-private-chat
limit, and on a 429 it pauses every request of the bot, command replies included. Here a
``retry_after`` pauses the chat it came from, and the whole push only when several chats
are refused at once (Telegram does not say which limit a 429 is about).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# Telegram counts a message when it arrives; our stamps are taken when it leaves, so
# per-chat and per-group gaps keep this much slack for network jitter.
JITTER = 0.1
GLOBAL_FLOOD_CHATS = 3  # 429s from this many chats within a second mean the bot-wide limit


@dataclass(frozen=True, slots=True)
class Limits:
    """The pace pushes keep.

    :param per_second: messages per second for the whole bot (1000 with paid broadcast).
    :param headroom: the fraction of ``per_second`` used, leaving room for command replies
        and jitter (0.98 of 30 is 29.4/s: above the 97% the fan-out target asks).
    :param chat_interval: seconds between two messages to one chat (Telegram: one a second).
    :param group_per_minute: messages per minute to one group.
    """

    per_second: float = 30.0
    headroom: float = 0.98
    chat_interval: float = 1.0 + JITTER
    group_per_minute: int = 20


class Pacer:
    """The bot-wide pace: evenly spaced slots, checked again against a sliding window.

    :meth:`reserve` spaces sends evenly before they are claimed in the ledger. A claim can
    be delayed (the store thread is shared), which could bunch sends up; :meth:`admit`,
    called just before the request leaves, holds a send back while the window already
    holds Telegram's count for a second. The window is that count at the paced rate
    (1/headroom seconds: 1.02 s at 98%), not one second: evenly paced sends reach
    Telegram with 20 ms to spare in each second, and sends bunched after a slow claim
    keep that slack too, where a one-second window left them none against the least
    network jitter.
    """

    def __init__(self, limits: Limits, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep):
        rate = limits.per_second * limits.headroom
        self.interval = 1.0 / rate
        self.cap = max(1, math.floor(limits.per_second))
        self.window = self.cap * self.interval
        self.clock = clock
        self.sleep = sleep
        self._next = 0.0
        self._paused_until = 0.0
        self._sent: deque[float] = deque()

    async def reserve(self) -> None:
        """Wait for the next free slot (slots are handed out in call order)."""
        now = self.clock()
        slot = max(now, self._next, self._paused_until)
        self._next = slot + self.interval
        if slot > now:
            await self.sleep(slot - now)

    async def admit(self) -> None:
        """Wait until one more send fits in the window, then count it."""
        while True:
            now = self.clock()
            sent = self._sent
            while sent and sent[0] <= now - self.window:
                sent.popleft()
            wait = max(self._paused_until - now, 0.0)
            if len(sent) >= self.cap:
                wait = max(wait, sent[len(sent) - self.cap] + self.window - now)
            if wait <= 0:
                sent.append(now)
                return
            await self.sleep(wait)

    def pause(self, seconds: float) -> None:
        """Hold every push for ``seconds`` (a bot-wide 429)."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)


class ChatGate:
    """When each chat may get its next message: spacing, group windows, 429 pauses."""

    def __init__(self, limits: Limits, clock: Clock = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._next: dict[int, float] = {}
        self._groups: dict[int, deque[float]] = {}

    def ready_at(self, chat_id: int) -> float:
        """The monotonic time from which ``chat_id`` may be sent to."""
        return self._next.get(chat_id, 0.0)

    def sent(self, chat_id: int, group: bool) -> None:
        """Count a message that just left for ``chat_id``."""
        now = self.clock()
        ready = now + self.limits.chat_interval
        if group:
            window = self._groups.setdefault(chat_id, deque())
            window.append(now)
            while window and window[0] <= now - 60.0:
                window.popleft()
            cap = self.limits.group_per_minute
            if len(window) >= cap:
                ready = max(ready, window[len(window) - cap] + 60.0 + JITTER)
        self._next[chat_id] = max(self._next.get(chat_id, 0.0), ready)

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
            if window and window[-1] > now - 60.0
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


@dataclass
class FloodGate:
    """The limiters one process shares between its pushes (a scheduled push and a correction)."""

    limits: Limits
    pacer: Pacer
    chats: ChatGate
    watch: FloodWatch

    @classmethod
    def create(
        cls, limits: Limits, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> FloodGate:
        return cls(limits, Pacer(limits, clock, sleep), ChatGate(limits, clock), FloodWatch(clock))


class ChatQueue(Generic[T]):
    """Which chat's push to work on next: one whose gap has passed, else a new one.

    Chats already started come first once their gap (``ChatGate.ready_at``) has passed,
    so a chat's parts arrive close together; new chats fill the time in between.
    """

    def __init__(self, gate: ChatGate, chat_of: Callable[[T], int]) -> None:
        self.gate = gate
        self.chat_of = chat_of
        self._fresh: deque[T] = deque()
        self._waiting: list[tuple[float, int, T]] = []  # (ready at, order, item)
        self._order = itertools.count()
        self._active = 0
        self._wake = asyncio.Event()

    def add(self, items: Iterable[T]) -> None:
        """Queue new work."""
        self._fresh.extend(items)
        self._wake.set()

    def __len__(self) -> int:
        return len(self._fresh) + len(self._waiting) + self._active

    def later(self, item: T, at: float) -> None:
        """Queue an item again, not before monotonic time ``at``."""
        heapq.heappush(self._waiting, (at, next(self._order), item))
        self._wake.set()

    def done(self) -> None:
        """The item last taken by a worker was handled (sent, queued again, or dropped)."""
        self._active -= 1
        self._wake.set()

    async def take(self, stop: Callable[[], bool]) -> T | None:
        """The next item; None once everything is handled or ``stop()`` says so."""
        while not stop():
            now, waiting = self.gate.clock(), self._waiting
            if waiting and waiting[0][0] <= now:
                item = heapq.heappop(waiting)[2]
            elif self._fresh:
                item = self._fresh.popleft()
                ready = self.gate.ready_at(self.chat_of(item))
                if ready > now:  # paused by an earlier push or a 429
                    self.later(item, ready)
                    continue
            elif waiting or self._active:
                self._wake.clear()
                timeout = waiting[0][0] - now if waiting else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)
                continue
            else:
                return None
            self._active += 1
            return item
        return None
