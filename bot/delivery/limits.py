"""Telegram's sending limits as bookkeeping: per-chat spacing, group windows, 429s.

These are parts the outbox (``bot.delivery.outbox``) is built from, with the bot-wide pace
(``bot.delivery.pace``); none of them waits. Telegram does not say which limit a 429 is
about: :class:`FloodWatch` takes 429s from several chats at once to mean the bot-wide one.
"""

from __future__ import annotations

import bisect
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
PRUNE_FROM = 4096  # chats remembered before lapsed ones are forgotten


@dataclass(frozen=True, slots=True)
class Limits:
    """The pace the bot keeps.

    :param per_second: messages per second for the whole bot (1000 with paid broadcast).
    :param headroom: the fraction of ``per_second`` used. 0.997 of 30 is 29.91/s: 31 sends
        span at least 1.003 s, 3 ms kept for what the pace cannot see, since each send
        already counts as late as its round trip says its way took (``bot.delivery.pace``).
        A 10,000-chat push at 99.5% had 5 s of its 10 s for 99% of the floor spent there.
    :param chat_interval: seconds between two messages to one chat (Telegram: one a second).
    :param group_per_minute: messages per minute to one group.
    """

    per_second: float = 30.0
    headroom: float = 0.997
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
        self._pushes: dict[int, float] = {}  # a group's push turn, stamped, not departed yet
        self._prune_above = PRUNE_FROM

    def ready_at(self, chat_id: int) -> float:
        """The monotonic time from which ``chat_id`` may be sent to."""
        return self._next.get(chat_id, 0.0)

    def sent(
        self, chat_id: int, group: bool, at: float | None = None, *, push: bool = False
    ) -> None:
        """Count a message that leaves for ``chat_id`` now (or at ``at``, if later).

        :param push: its turn only: it leaves at :meth:`departed`.
        """
        now = max(self.clock(), at or 0.0)
        if group:
            self._groups.setdefault(chat_id, deque()).append(now)
            if push:
                self._pushes[chat_id] = now
        self._space(chat_id, group, now)

    def departed(self, chat_id: int, group: bool) -> None:
        """The push counted at its turn leaves only now (its ledger claim and the
        departures window come between): the chat's gaps count from now. Counted from
        the turn, a claim held up for 0.2 s left the chat's next part 0.9 s behind it."""
        now = self.clock()
        window = self._groups.get(chat_id) if group else None
        turned = self._pushes.pop(chat_id, None) if group else None
        if window is not None and turned is not None:
            # The push's own stamp moves, wherever it is: a reply to the group may have
            # had its turn since (the newest stamp is then the reply's, which did leave).
            stamps = _without(window, turned)
            bisect.insort(stamps, now)
            window.clear()
            window.extend(stamps)
        self._space(chat_id, group, now)

    def forgone(self, chat_id: int, group: bool) -> None:
        """The push counted at its turn will not leave (another pusher has its part, or a
        week waits for its day): its stamp leaves the group's minute, which a week looking
        again every second would otherwise fill. The chat's gap stays: it paces that look."""
        window = self._groups.get(chat_id) if group else None
        turned = self._pushes.pop(chat_id, None) if group else None
        if window is not None and turned is not None:
            stamps = _without(window, turned)
            window.clear()
            window.extend(stamps)

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
        self._pushes = {chat: at for chat, at in self._pushes.items() if chat in self._groups}


def _without(window: deque[float], stamp: float) -> list[float]:
    """The window's stamps less the newest one equal to ``stamp`` (if any)."""
    stamps = list(window)
    if stamp in stamps:
        stamps.reverse()
        stamps.remove(stamp)
        stamps.reverse()
    return stamps


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
