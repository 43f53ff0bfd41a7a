"""How pushes are retried and sent, the push schedule, and what a push run reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from digest import Schedule

from ..config import Settings
from .limits import Limits

# How long a ledger write waits for others to share its batch. Each batch is a hop to the
# store thread (a submit, a wake-up, the GIL handed over and back) and a commit; at a paid
# broadcast's pace, writes that each found the store idle went in batches of 2-3 and the
# hops cost the bot more CPU than its sends. A claim waits this much longer before its
# part leaves, which the departures window and a chat's gaps (counted from departure) absorb.
GATHER = 0.003


@dataclass(frozen=True, slots=True)
class DeliveryOptions:
    """How pushes are retried and sent (their pace is the outbox's: ``limits_of``).

    :param max_attempts: sends of one part that time out or get a 5xx before it fails.
    :param max_floods: 429s one part may get before it fails.
    :param backoff: seconds before the first retry after a timeout or 5xx; doubles.
    :param stale_after: a ``sending`` row this old lost its pusher (longer than any send).
    :param ledger_gather: seconds a ledger write waits for others to share its batch.
    :param senders: Bots to push through; ``connections`` is each one's number of
        keep-alive connections, and their product the number of sends in flight.
    """

    paid_broadcast: bool = False
    max_attempts: int = 4
    max_floods: int = 8
    backoff: float = 1.0
    backoff_cap: float = 30.0
    stale_after: timedelta = timedelta(minutes=2)
    senders: int = 4
    connections: int = 32  # 128 sends in flight: 1,000/s at a 128 ms round trip
    read_timeout: float = 10.0
    ledger_gather: float = GATHER

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryOptions:
        if settings.allow_paid_broadcast:
            return cls(paid_broadcast=True, connections=PAID_CONNECTIONS)
        return cls()


# Sends in flight = pace x round trip (Little's law). A paid broadcast may send 1,000/s,
# and through a proxy from mainland China a round trip is ~200 ms: 4 x 64 = 256 in flight
# keep that pace up to 250 ms where 128 would stop near 650/s. 256 pushed 1.41x the anchor
# where 192 pushed 1.16x (bench/send_path.py); it took the 100,000-chat push past 100 MB
# until each part's body was encoded once per run (bench/memory.py: 93.6 MB).
PAID_CONNECTIONS = 64


def limits_of(settings: Settings) -> Limits:
    """The bot-wide pace the settings ask for (every message the bot sends keeps it)."""
    return Limits(
        per_second=settings.messages_per_second,
        group_per_minute=settings.group_messages_per_minute,
    )


def schedule_of(settings: Settings) -> Schedule:
    """The push schedule the settings describe."""
    delay = timedelta(hours=settings.max_push_delay_hours)
    return Schedule(settings.build_time, settings.timezone, delay)


@dataclass
class PushReport:
    """What a push run did; ``messages`` per ``seconds`` is the rate it achieved."""

    planned: int = 0  # chats with parts to send
    delivered: int = 0  # chats that got every part
    messages: int = 0
    deactivated: int = 0
    migrated: int = 0
    failed: int = 0
    busy: int = 0  # pushes another pusher was sending (a chat's day and its week count apart)
    skipped: int = 0  # chats recorded as skipped (too late, superseded)
    floods: int = 0  # 429s received
    retries: int = 0  # timeouts and 5xx retried
    seconds: float = 0.0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (chat, reason)

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0
