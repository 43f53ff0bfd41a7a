"""What /stats reports: subscribers by type, the last push's figures, source health."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..push.ledger import PUSH, STATUSES, Ledger
from ..push.reactions import DayReactions, reactions_by_day
from ..push.subscriptions import Subscriptions
from .archive import digest_versions
from .build_log import BuildRecord, last_build
from .incidents import open_incidents
from .store import Fetch, Store


@dataclass(frozen=True, slots=True)
class PushFigures:
    """The newest digest date in the push ledger, and how its parts fared."""

    date: str
    chats: int
    parts: dict[str, int] = field(default_factory=dict)  # "sent", "correction sent"… → parts
    skipped: dict[str, int] = field(default_factory=dict)  # why chats got nothing → chats


@dataclass(frozen=True, slots=True)
class BotStats:
    subscribers: dict[str, int]  # active chats by type, plus "inactive"
    push: PushFigures | None
    health: tuple[Fetch, ...]
    posts: int
    latest: tuple[str, int] | None  # (date, version) of the newest digest with posts
    build: BuildRecord | None = None  # the newest date's last build attempt
    incidents: tuple[tuple[str, str, datetime], ...] = ()  # open admin alerts
    reactions: tuple[DayReactions, ...] = ()  # newest days first


def collect_stats(store: Store) -> BotStats:
    """Everything /stats shows, read in one go."""
    versions = digest_versions(store, with_posts=True)
    health = sorted(store.source_health().values(), key=lambda fetch: fetch.source)
    return BotStats(
        subscribers=Subscriptions(store).counts(),
        push=last_push(store),
        health=tuple(health),
        posts=store.count_posts(),
        latest=(versions[0][0], versions[0][1]) if versions else None,
        build=last_build(store),
        incidents=tuple(open_incidents(store)),
        reactions=tuple(reactions_by_day(store)),
    )


def last_push(store: Store) -> PushFigures | None:
    """Figures of the newest pushed date, or None before any push."""
    ledger = Ledger(store)
    day = ledger.latest_date()
    if day is None:
        return None
    counts = ledger.counts(day)
    order = {status: n for n, status in enumerate(STATUSES)}
    parts = {
        (status if kind == PUSH else f"{kind} {status}"): n
        for (kind, status), n in sorted(
            counts.items(), key=lambda item: (item[0][0] != PUSH, order.get(item[0][1], 99))
        )
    }
    rows = store.db.execute(
        "SELECT coalesce(error, ''), count(DISTINCT chat_id) FROM deliveries "
        "WHERE date = ? AND status = 'skipped' GROUP BY error ORDER BY 2 DESC",
        [day],
    )
    return PushFigures(day, ledger.chats(day), parts, dict(rows.fetchall()))
