"""Flood control: Telegram's sending limits as sliding windows over a clock."""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class FloodLimits:
    """Sending limits, defaulting to the ones Telegram documents for bots.

    :param per_second: messages per second for the whole bot.
    :param per_chat_per_second: messages (sends and edits) per second in one chat.
    :param per_group_per_minute: messages per minute in one group or supergroup.
    :param paid_per_second: messages per second for calls with ``allow_paid_broadcast``.
    """

    per_second: int = 30
    per_chat_per_second: int = 1
    per_group_per_minute: int = 20
    paid_per_second: int = 1000


class _Window:
    """Timestamps of the sends inside the last ``span`` seconds."""

    __slots__ = ("span", "stamps")

    def __init__(self, span: float) -> None:
        self.span = span
        self.stamps: deque[float] = deque()

    def wait(self, now: float, cap: int) -> float:
        """Seconds until one more send fits under ``cap`` (0 if it fits now)."""
        stamps = self.stamps
        while stamps and stamps[0] <= now - self.span:
            stamps.popleft()
        if len(stamps) < cap:
            return 0.0
        # The send that has to leave the window before there is room again.
        return stamps[len(stamps) - cap] + self.span - now


class FloodControl:
    """Admits or refuses sends against :class:`FloodLimits`; refusals carry ``retry_after``."""

    def __init__(self, limits: FloodLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self.clock = clock
        # One window for all sends: free calls may fill it to per_second, paid
        # broadcasts to paid_per_second, so mixing both never exceeds the paid rate.
        self._bot = _Window(1.0)
        self._chats: dict[int, _Window] = {}
        self._groups: dict[int, _Window] = {}
        # Which limit each refusal hit ("bot", "chat", "group"): a benchmark's 429s
        # say whether the bot-wide pace or a chat's spacing was overrun.
        self.refusals: Counter[str] = Counter()

    def acquire(self, chat_id: int, *, group: bool, paid: bool, edit: bool) -> int | None:
        """Record one send if every window has room, else return ``retry_after`` seconds.

        Edits count toward the per-chat window only; sends count everywhere.
        """
        now = self.clock()
        limits = self.limits
        checks = [("chat", self._window(self._chats, chat_id, 1.0), limits.per_chat_per_second)]
        if not edit:
            bot_cap = limits.paid_per_second if paid else limits.per_second
            checks.append(("bot", self._bot, bot_cap))
            if group:
                checks.append(
                    (
                        "group",
                        self._window(self._groups, chat_id, 60.0),
                        limits.per_group_per_minute,
                    )
                )
        waits = [(window.wait(now, cap), name) for name, window, cap in checks]
        wait, limit = max(waits)
        if wait > 0:
            self.refusals[limit] += 1
            return max(1, math.ceil(wait))
        for _, window, _ in checks:
            window.stamps.append(now)
        return None

    @staticmethod
    def _window(windows: dict[int, _Window], chat_id: int, span: float) -> _Window:
        window = windows.get(chat_id)
        if window is None:
            window = windows[chat_id] = _Window(span)
        return window
