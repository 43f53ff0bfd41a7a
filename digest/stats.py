"""What /stats reports: subscribers by type, the last push's figures, source health."""

from __future__ import annotations

from dataclasses import dataclass, field

from .clock import from_iso
from .store import Fetch, Store
from .subscriptions import Subscriptions

# The push ledger's statuses (see schema._v4_deliveries), in the order /stats lists them.
STATUSES = ("sent", "failed", "deactivated", "unconfirmed", "sending")


@dataclass(frozen=True, slots=True)
class PushFigures:
    """The newest digest version the ledger has rows for, and how its parts fared."""

    date: str
    version: int
    chats: int
    parts: dict[str, int] = field(default_factory=dict)  # status → parts
    updated_at: str | None = None


@dataclass(frozen=True, slots=True)
class BotStats:
    subscribers: dict[str, int]  # active chats by type, plus "inactive"
    push: PushFigures | None
    health: tuple[Fetch, ...]
    posts: int
    latest: tuple[str, int] | None  # (date, version) of the newest digest


def collect_stats(store: Store) -> BotStats:
    """Everything /stats shows, read in one go."""
    latest = store.db.execute(
        "SELECT date, version FROM digests ORDER BY date DESC, version DESC LIMIT 1"
    ).fetchone()
    health = sorted(store.source_health().values(), key=lambda fetch: fetch.source)
    return BotStats(
        subscribers=Subscriptions(store).counts(),
        push=last_push(store),
        health=tuple(health),
        posts=store.count_posts(),
        latest=(latest[0], int(latest[1])) if latest else None,
    )


def last_push(store: Store) -> PushFigures | None:
    """Figures of the most recently touched push in the ledger, or None before any push."""
    newest = store.db.execute(
        "SELECT date, version, max(updated_at) FROM deliveries "
        "GROUP BY date, version ORDER BY max(updated_at) DESC LIMIT 1"
    ).fetchone()
    if newest is None:
        return None
    day, version, updated_at = newest
    rows = store.db.execute(
        "SELECT status, count(*) FROM deliveries WHERE date = ? AND version = ? GROUP BY status",
        [day, version],
    ).fetchall()
    chats = store.db.execute(
        "SELECT count(DISTINCT chat_id) FROM deliveries WHERE date = ? AND version = ?",
        [day, version],
    ).fetchone()[0]
    parts = {status: count for status, count in rows}
    ordered = {s: parts[s] for s in STATUSES if s in parts}
    ordered.update({s: n for s, n in parts.items() if s not in ordered})
    when = from_iso(updated_at).isoformat(timespec="minutes") if updated_at else None
    return PushFigures(day, int(version), int(chats), ordered, when)
