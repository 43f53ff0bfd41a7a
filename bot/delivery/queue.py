"""Which chat a push run works on next: one whose gap has passed, else a new one."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections import deque
from collections.abc import Callable, Collection, Iterator
from typing import Generic, TypeVar

from .limits import ChatGate

T = TypeVar("T")


class ChatQueue(Generic[T]):
    """Chats already started come first once their gap (``ChatGate.ready_at``) has passed,
    so a chat's parts arrive close together; new chats fill the time in between, and go
    first once fewer are left than chats waiting for their gap."""

    def __init__(self, gate: ChatGate, chat_of: Callable[[T], int]) -> None:
        self.gate = gate
        self.chat_of = chat_of
        self._fresh: deque[Iterator[T]] = deque()  # not copied: 100,000 chats are 800 KB
        self._unstarted = 0  # items still in ``_fresh``
        self._waiting: list[tuple[float, int, T]] = []  # (ready at, order, item)
        self._order = itertools.count()
        self._active = 0
        self._wake = asyncio.Event()

    def __len__(self) -> int:
        return self._unstarted + len(self._waiting) + self._active

    def add(self, items: Collection[T]) -> None:
        """Queue new work (taken from ``items`` as it is needed)."""
        self._unstarted += len(items)
        self._fresh.append(iter(items))
        self._wake.set()

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
            due = bool(waiting) and waiting[0][0] <= now
            if due and not self._ending():
                item = heapq.heappop(waiting)[2]
            elif (fresh := self._next_fresh()) is not None:
                item = fresh
                ready = self.gate.ready_at(self.chat_of(item))
                if ready > now:  # paused by an earlier push, a reply or a 429
                    self.later(item, ready)
                    continue
            elif due:
                item = heapq.heappop(waiting)[2]
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

    def _ending(self) -> bool:
        """Few new chats are left: they start ahead of started ones. Their later parts,
        each a second after the one before, would otherwise all be left for the end, sent
        slower than the pace allows (a push of 1,000 chats ran a second over for it)."""
        return 0 < self._unstarted <= len(self._waiting)

    def _next_fresh(self) -> T | None:
        while self._fresh:
            for item in self._fresh[0]:
                self._unstarted -= 1
                return item
            self._fresh.popleft()
        return None
