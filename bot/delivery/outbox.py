"""The one outgoing scheduler: every message the bot sends takes its turn here.

Telegram's limits are the bot's, not a push's or a handler's: 30 messages a second in
all, one a second per chat, 20 a minute per group. So command replies, edits, pushes and
corrections (and later alerts and admin notices) all wait in one :class:`Outbox`
(``Services.outbox``). Turns go lowest :class:`Kind` first, so a reply never queues
behind a running push; within a kind, first come first served.

Why not PTB's AIORateLimiter: it has no per-private-chat limit, and one 429 pauses every
request of the bot. Here a 429 pauses the chat it came from; 429s from several chats at
once (the bot-wide limit, which Telegram does not name) pause pushes only, while replies
keep their place. A reply is never given up while the bot runs: after a 429 it waits for
its chat and takes a new turn.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import TypeVar

from telegram.error import NetworkError, RetryAfter

from .limits import ChatGate, Clock, FloodWatch, Limits, Sleep, retry_seconds
from .pace import Departure, Pacer

T = TypeVar("T")
log = logging.getLogger(__name__)


class Kind(IntEnum):
    """What a message is; a lower kind goes first."""

    REPLY = 0  # a command's answer, a button's edit, the error handler's apology
    NOTICE = 1  # alerts and admin notices
    PUSH = 2  # scheduled pushes and corrections


class OutboxClosedError(NetworkError):
    """The bot is stopping: no more turns are handed out."""

    def __init__(self) -> None:
        super().__init__("the outbox is closed: the bot is stopping")


@dataclass(eq=False, slots=True)
class _Waiter:
    kind: Kind
    chat_id: int
    group: bool
    future: asyncio.Future[Departure | None]


class Outbox:
    """Hands out turns to send within Telegram's limits, replies ahead of pushes.

    :meth:`send` is the whole path for one message (turn, send, a 429's wait and a new
    turn). The push engine uses the parts: :meth:`turn` before it claims a part in its
    ledger, :meth:`depart` just before the request leaves, :meth:`refused` on a 429.
    """

    def __init__(
        self,
        limits: Limits | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limits = limits or Limits()
        self.clock = clock
        self.sleep = sleep
        self.chats = ChatGate(self.limits, clock)
        self.watch = FloodWatch(clock)
        # Telegram counts a message when it arrives: the pacer counts each send as late as
        # its round trip says it may have arrived, keeps 3 ms on top (99.7% of the rate),
        # and widens that after 429s until they stop.
        self.pacer = Pacer(self.limits, clock, sleep)
        self.floods = 0  # 429s met, for the figures
        self._queue: list[tuple[int, int, _Waiter]] = []  # (kind, order, waiter)
        self._held: list[tuple[float, int, int, _Waiter]] = []  # their chat's not ready yet
        self._order = itertools.count()
        self._pushes_until = 0.0  # pushes held after a bot-wide 429
        self._wake = asyncio.Event()
        self._dispatcher: asyncio.Task[None] | None = None
        self._closed = False

    async def send(
        self,
        kind: Kind,
        chat_id: int,
        call: Callable[[], Awaitable[T]],
        *,
        group: bool = False,
        edit: bool = False,
    ) -> T:
        """Make ``call`` (one Bot API message to ``chat_id``) in its turn and return its result.

        A 429 pauses the chat for its ``retry_after``; then the message takes a new turn,
        for as long as the outbox is open. Other errors are the caller's.

        :param group: the chat is a group or channel (20 messages a minute).
        :param edit: an edit, which Telegram counts against the chat only, not the bot.
        """
        while True:
            departure = await self.turn(kind, chat_id, group=group, edit=edit)
            try:
                return await (call() if departure is None else self.timed(departure, call()))
            except RetryAfter as exc:
                seconds = retry_seconds(exc.retry_after)
                self.refused(chat_id, seconds)
                if self._closed:
                    raise
                log.info("flood control in chat %s: sending again in %.0fs", chat_id, seconds)

    async def turn(
        self, kind: Kind, chat_id: int, *, group: bool = False, edit: bool = False
    ) -> Departure | None:
        """Wait until a message of ``kind`` may leave for ``chat_id``; it counts as sent then.

        A push departs later (:meth:`depart`); anything else has departed: its departure,
        for :meth:`timed`, is returned (None for an edit, which the pace does not count)."""
        if self._closed:
            raise OutboxClosedError
        if edit:  # the chat's own spacing only, in order of asking
            at = max(self.clock(), self.chats.ready_at(chat_id))
            self.chats.sent(chat_id, group=False, at=at)
            if (wait := at - self.clock()) > 0:
                await self.sleep(wait)
            return None
        waiter = _Waiter(kind, chat_id, group, asyncio.get_running_loop().create_future())
        heapq.heappush(self._queue, (kind, next(self._order), waiter))
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch(), name="hotdigest-outbox")
        self._wake.set()
        return await waiter.future  # a cancelled caller cancels it; the dispatcher skips it

    async def depart(self, chat_id: int, *, group: bool = False) -> Departure:
        """Wait until a push that had its turn fits the last second's departures (just
        before it leaves); its chat's gaps count from then."""
        departure = await self.pacer.admit()
        self.chats.departed(chat_id, group)
        self._wake.set()  # a pending push left: the next push's turn may be due
        return departure

    def forgo(self, chat_id: int, *, group: bool = False) -> None:
        """A push that had its turn will not depart (another pusher claimed its part, or a
        week waits for its day): its place among the pending frees now, not after
        ``PENDING_TTL``, and a group's minute no longer counts it."""
        self.pacer.withdraw()
        self.chats.forgone(chat_id, group)
        self._wake.set()

    async def timed(self, departure: Departure, sending: Awaitable[T]) -> T:
        """Await a send that left at ``departure``: its round trip tells the pace how late
        Telegram may have counted it."""
        self.pacer.sending(departure)
        try:
            return await sending
        finally:
            self.pacer.answered(departure)

    def refused(self, chat_id: int, seconds: float) -> None:
        """A 429 for ``chat_id``: hold that chat; if several chats got one, hold pushes too."""
        self.floods += 1
        self.pacer.widen()
        self.chats.pause(chat_id, seconds)
        if self.watch.refused(chat_id):
            self._pushes_until = max(self._pushes_until, self.clock() + seconds)
        self._wake.set()

    @property
    def closed(self) -> bool:
        return self._closed

    def ready_at(self, chat_id: int) -> float:
        """The monotonic time from which ``chat_id`` may get a message."""
        return self.chats.ready_at(chat_id)

    def close(self) -> None:
        """Refuse new turns and fail the waiting ones (the bot is stopping)."""
        self._closed = True
        if self._dispatcher is not None:
            self._dispatcher.cancel()
        self._fail(OutboxClosedError())

    # -- the dispatcher ------------------------------------------------------------------

    async def _dispatch(self) -> None:
        """Hand out turns as the pacer lets them go, to the lowest kind whose chat is ready."""
        try:
            while self._queue or self._held:
                now = self.clock()
                waiter = self._first(now)
                if waiter is None:
                    await self._idle(now, math.inf)
                    continue
                push = waiter.kind == Kind.PUSH
                if (at := self.pacer.turn_at(push)) > now:
                    if at - now <= self.limits.interval:  # the pace: a slot away at most
                        await self.sleep(at - now)
                    else:  # pushes pending: a departure, or a reply asking, wakes it
                        await self._idle(now, at)
                    continue
                heapq.heappop(self._queue)
                # A reply's or notice's turn counts as its departure: it leaves at once,
                # never held behind pushes that bunched up in the window.
                self.chats.sent(waiter.chat_id, waiter.group, push=push)
                waiter.future.set_result(self.pacer.turned(push))
        except BaseException as exc:  # no waiter may hang on a dead dispatcher
            self._fail(exc if isinstance(exc, Exception) else OutboxClosedError())
            raise

    def _first(self, now: float) -> _Waiter | None:
        """The waiter whose turn is next (left first in the queue), its chat ready."""
        held, queue = self._held, self._queue
        while held and held[0][0] <= now:
            _, kind, order, waiter = heapq.heappop(held)
            heapq.heappush(queue, (kind, order, waiter))
        while queue:
            kind, order, waiter = queue[0]
            if waiter.future.done():  # its caller was cancelled
                heapq.heappop(queue)
                continue
            ready = self.chats.ready_at(waiter.chat_id)
            if kind == Kind.PUSH:
                ready = max(ready, self._pushes_until)
            if ready > now:
                heapq.heappop(queue)
                heapq.heappush(held, (ready, kind, order, waiter))
                continue
            return waiter
        return None

    async def _idle(self, now: float, until: float) -> None:
        """Wait for a new waiter, a 429's change, a departure, ``until``, or the first held
        chat to be ready."""
        self._wake.clear()
        if self._held:
            until = min(until, self._held[0][0])
        if until == math.inf:
            await self._wake.wait()
            return
        woken = asyncio.ensure_future(self._wake.wait())
        slept = asyncio.ensure_future(self.sleep(until - now))
        try:
            await asyncio.wait((woken, slept), return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            slept.cancel()

    def _fail(self, exc: BaseException) -> None:
        waiting = [w for *_, w in self._queue] + [w for *_, w in self._held]
        self._queue, self._held = [], []
        for waiter in waiting:
            if not waiter.future.done():
                waiter.future.set_exception(exc)
