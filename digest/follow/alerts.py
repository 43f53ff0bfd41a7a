"""Alerts: the posts an ingest run first saw that match a chat's follows, once per chat ever.

``plan_alerts`` runs after every ingest and each minute. It reads the posts stored since
the last alert run (``alert_runs.through_rowid``, a ``posts.stored_order``, so a restart
resumes where the last run ended, and posts the CLI stored alert as the bot's own do),
drops those the operator's global filter excludes, matches the rest against every
active follow group, and claims each (chat, post) in the ``follow_alerts`` ledger
before anything is sent. The claim is an insert that does nothing when the chat
already had the post, or a post with the same link from another source, so a post
that reappears, or one a second list carries, never alerts a chat twice.

Claimed posts become one message per chat (an ``alert_batches`` row, ``sending``
until the bot records how the send ended), or wait: ``held`` during the chat's quiet
hours (released as one message when they end, by ``release_held``), ``capped`` once
the chat had its maximum of alert messages that day. A batch left ``sending`` by a
crash is never sent again: at worst one alert is lost, never duplicated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..clock import from_iso, to_iso, zone
from ..store.store import Store
from .expression import Group
from .follows import AlertSettings, Follow, Follows
from .matcher import Matcher, bits, post_text

LOOKBACK = timedelta(hours=24)  # a first run, or one after long downtime, looks this far back
PENDING, HELD, CAPPED, BATCHED = "pending", "held", "capped", "batched"
_TRACKING = ("utm_", "spm", "from", "ref")


@dataclass(frozen=True, slots=True)
class AlertItem:
    """One post in an alert, under the label of the group that matched it."""

    source: str
    post_id: str
    title: str
    url: str | None
    heat: float | None
    label: str


@dataclass(frozen=True, slots=True)
class AlertBatch:
    """One alert message to one chat (into forum topic ``thread_id``, 0: none): its items,
    in the order of the chat's groups."""

    id: int
    chat_id: int
    items: tuple[AlertItem, ...]
    thread_id: int = 0


@dataclass
class AlertRun:
    """What one run found and claimed."""

    posts: int = 0  # new posts considered (after the global filter)
    excluded: int = 0  # new posts the global filter dropped
    matched: int = 0  # (chat, post) matches, before the ledger
    claimed: int = 0  # of those, new to their chat
    held: int = 0
    capped: int = 0
    batches: list[AlertBatch] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AlertOptions:
    """Plain values an alert run needs (from the settings)."""

    timezone: str = "Asia/Shanghai"  # for chats that never chose one
    exclude: tuple[Group, ...] = ()  # the operator's global filter


@dataclass(frozen=True, slots=True)
class _New:
    source: str
    post_id: str
    link: str | None  # normalised
    text: str
    first_seen_at: str


def normalise_link(url: str | None) -> str | None:
    """A link as the ledger compares it: no fragment, no tracking parameters, lower host."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query) if not k.lower().startswith(_TRACKING)]
    path = parts.path.rstrip("/") or ""
    host = parts.netloc.lower().removeprefix("www.")
    return urlunsplit(("https", host, path, urlencode(query), ""))


def excluded_by(groups: Sequence[Group]) -> Matcher[int]:
    """A matcher for the global filter (key: the filter entry's position)."""
    return Matcher(list(enumerate(groups)))


def plan_alerts(store: Store, now: datetime, options: AlertOptions) -> AlertRun:
    """Claim the alerts of the posts stored since the last run; returns the batches to send."""
    through, mark = _last_run(store)
    since = max(through or now - LOOKBACK, now - LOOKBACK)
    new, read_to = _new_posts(store, mark, since if mark is None else now - LOOKBACK)
    run = AlertRun()
    if options.exclude and new:
        dropped = excluded_by(options.exclude).match_all([p.text for p in new])
        gone = set().union(*(bits(mask) for mask in dropped.values())) if dropped else set()
        run.excluded = len(gone)
        new = [p for n, p in enumerate(new) if n not in gone]
    run.posts = len(new)
    follows = Follows(store).active() if new else []
    picks = _picks(follows, new)
    labels = {f.id: (f.label, f.thread_id) for f in follows}
    run.matched = sum(len(chosen) for chosen in picks.values())
    newest = max((p.first_seen_at for p in new), default=None)
    last = to_iso(through) if through else to_iso(since)
    made = []
    with store.db.conn:
        for chat_id, chosen in picks.items():
            made.extend(_claim(store, chat_id, chosen, now, options, run, labels))
        if read_to != mark:  # a run that read nothing leaves no row (the job runs a minute)
            store.db.execute(
                "INSERT INTO alert_runs (at, through, posts, alerts, through_rowid) "
                "VALUES (?, ?, ?, ?, ?)",
                [to_iso(now), max(newest or last, last), run.posts, run.claimed, read_to],
            )
    run.batches.extend(load_batches(store, made))
    run.batches.extend(release_held(store, now, options))
    return run


def _last_run(store: Store) -> tuple[datetime | None, int | None]:
    """The newest first sighting and the last post (``stored_order``) the runs have read."""
    row = store.db.execute("SELECT max(through), max(through_rowid) FROM alert_runs").fetchone()
    return (from_iso(row[0]) if row and row[0] else None), (row[1] if row else None)


def _new_posts(store: Store, mark: int | None, since: datetime) -> tuple[list[_New], int | None]:
    """The posts stored after post ``mark`` first seen since ``since``, hottest first; and
    the mark the next run reads after.

    ``mark`` is a ``posts.stored_order`` (kept in ``alert_runs.through_rowid``): it grows
    as posts are stored, whoever stores them (the bot's ingest, the CLI's, an import), and
    unlike the rowid it was until schema v17, no VACUUM or rebuild of the table renumbers
    it (posts have no INTEGER PRIMARY KEY, so their rowids may change: a post stored after
    a run could have fallen below its mark and never alerted).

    First sightings alone would lose posts: a writer that fetched before the last run but
    committed after it stores posts first seen before that run's newest.
    """
    rows = store.db.execute(
        "SELECT stored_order, source, post_id, url, title, brief, first_seen_at FROM posts "
        "WHERE stored_order > ? AND first_seen_at >= ? "
        "ORDER BY coalesce(heat, -1) DESC, first_seen_at, source, post_id",
        [mark or 0, to_iso(since)],
    ).fetchall()
    read_to = max((row[0] for row in rows), default=mark)
    new = [
        _New(s, p, normalise_link(url), post_text(t, b), first)
        for _, s, p, url, t, b, first in rows
    ]
    return new, read_to


def _picks(follows: list[Follow], new: list[_New]) -> dict[int, list[tuple[_New, int]]]:
    """Each chat's matching posts (hottest first), each under the id of the chat's first
    matching group."""
    if not follows:
        return {}
    keys = [(f.chat_id, f.id) for f in follows]
    groups = (f.group for f in follows)
    masks = Matcher(zip(keys, groups, strict=True)).match_all([p.text for p in new])
    chosen: dict[int, dict[int, int]] = {}
    for chat_id, follow_id in sorted(masks):  # a chat's groups in their order
        for n in bits(masks[(chat_id, follow_id)]):
            chosen.setdefault(chat_id, {}).setdefault(n, follow_id)
    return {chat: [(new[n], f) for n, f in sorted(posts.items())] for chat, posts in chosen.items()}


def _claim(
    store: Store,
    chat_id: int,
    chosen: list[tuple[_New, int]],
    now: datetime,
    options: AlertOptions,
    run: AlertRun,
    labels: dict[int, tuple[str, int]],
) -> list[int]:
    """Insert the chat's new (chat, post) rows, straight into a new batch per forum topic
    (the one each post's group was set in) unless they wait; already alerted posts
    insert nothing. Returns the batches made."""
    settings = Follows(store).settings(chat_id)
    status = _status(store, settings, now, options)
    topics: dict[int, list[tuple[_New, int]]] = {}
    for post, follow_id in chosen:
        topics.setdefault(labels[follow_id][1], []).append((post, follow_id))
    made = []
    for thread_id, posts in topics.items():
        pending = status == PENDING
        batch_id = _new_batch(store, chat_id, thread_id, now, options) if pending else None
        rows = [
            (chat_id, thread_id, post.source, post.post_id, post.link, fid, labels[fid][0])
            for post, fid in posts
        ]
        cursor = store.db.conn.executemany(
            "INSERT OR IGNORE INTO follow_alerts (chat_id, thread_id, source, post_id, link, "
            "follow_id, label, status, batch_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*row, BATCHED if batch_id else status, batch_id, to_iso(now)) for row in rows],
        )
        claimed = cursor.rowcount  # the rows inserted: posts this chat never had
        run.claimed += claimed
        run.held += claimed if status == HELD else 0
        run.capped += claimed if status == CAPPED else 0
        if batch_id is not None and not claimed:
            store.db.execute("DELETE FROM alert_batches WHERE id = ?", [batch_id])
        elif batch_id is not None:
            made.append(batch_id)
    return made


def _new_batch(
    store: Store, chat_id: int, thread_id: int, now: datetime, options: AlertOptions
) -> int:
    """A ``sending`` batch row (in the caller's transaction, with its items)."""
    stamp = to_iso(now)
    local_day = now.astimezone(zone(_zone_of(store, chat_id, options))).date().isoformat()
    cursor = store.db.execute(
        "INSERT INTO alert_batches (chat_id, thread_id, local_day, status, created_at, "
        "updated_at) VALUES (?, ?, ?, 'sending', ?, ?)",
        [chat_id, thread_id, local_day, stamp, stamp],
    )
    return int(cursor.lastrowid or 0)


def _status(store: Store, settings: AlertSettings, now: datetime, options: AlertOptions) -> str:
    local = now.astimezone(zone(_zone_of(store, settings.chat_id, options)))
    if settings.quiet_at(local.time()):
        return HELD
    if settings.max_per_day and _sent_today(store, settings.chat_id, local.date().isoformat()) >= (
        settings.max_per_day
    ):
        return CAPPED
    return PENDING


def _zone_of(store: Store, chat_id: int, options: AlertOptions) -> str:
    row = store.db.execute(
        "SELECT timezone FROM chats WHERE chat_id = ? ORDER BY thread_id LIMIT 1", [chat_id]
    ).fetchone()
    return str(row[0]) if row and row[0] else options.timezone


def _sent_today(store: Store, chat_id: int, day: str) -> int:
    row = store.db.execute(
        "SELECT count(*) FROM alert_batches WHERE chat_id = ? AND local_day = ? "
        "AND status IN ('sending', 'sent')",
        [chat_id, day],
    ).fetchone()
    return int(row[0])


def release_held(store: Store, now: datetime, options: AlertOptions) -> list[AlertBatch]:
    """Batch every chat's waiting alerts: held ones whose quiet hours ended, and new ones.

    Runs after each alert run and on the bot's minute tick, so held alerts leave when
    the quiet hours end, as one message.
    """
    waiting = store.db.execute(
        "SELECT DISTINCT chat_id, thread_id FROM follow_alerts WHERE status IN (?, ?) "
        "ORDER BY chat_id, thread_id",
        [PENDING, HELD],
    ).fetchall()
    batches = []
    follows = Follows(store)
    for chat_id, thread_id in waiting:
        settings = follows.settings(chat_id)
        # Alerts switched off while some were held: those are dropped, never sent.
        status = _status(store, settings, now, options) if settings.alerts else CAPPED
        if status == HELD:
            continue
        batch = _make_batch(store, (chat_id, thread_id), status, now, options)
        if batch is not None:
            batches.append(batch)
    return batches


def _make_batch(
    store: Store, topic: tuple[int, int], status: str, now: datetime, options: AlertOptions
) -> AlertBatch | None:
    """Gather the waiting rows of a chat's forum topic ``topic`` (chat, thread) into a new
    ``sending`` batch (or cap them)."""
    chat_id, thread_id = topic
    with store.db.conn:
        if status == CAPPED:
            store.db.execute(
                "UPDATE follow_alerts SET status = ? WHERE chat_id = ? AND thread_id = ? "
                "AND status IN (?, ?)",
                [CAPPED, chat_id, thread_id, PENDING, HELD],
            )
            return None
        batch_id = _new_batch(store, chat_id, thread_id, now, options)
        # By chat and status: "batch_id IS NULL" would tempt SQLite into the batch_id
        # index, where every waiting row of every chat is NULL.
        store.db.execute(
            "UPDATE follow_alerts SET status = ?, batch_id = ? WHERE chat_id = ? "
            "AND thread_id = ? AND status IN (?, ?)",
            [BATCHED, batch_id, chat_id, thread_id, PENDING, HELD],
        )
    return load_batch(store, batch_id)


def load_batch(store: Store, batch_id: int) -> AlertBatch | None:
    """A batch with its items (see ``load_batches``); None if it has none."""
    found = load_batches(store, [batch_id])
    return found[0] if found else None


def load_batches(store: Store, batch_ids: Sequence[int]) -> list[AlertBatch]:
    """Batches with their items, grouped by label in the order the chat's groups matched."""
    items: dict[int, list[AlertItem]] = {}
    chats: dict[int, tuple[int, int]] = {}
    for start in range(0, len(batch_ids), 500):  # SQLite's bound on ? parameters
        chunk = list(batch_ids[start : start + 500])
        marks = ", ".join("?" * len(chunk))
        rows = store.db.execute(
            "SELECT a.batch_id, a.chat_id, a.thread_id, a.source, a.post_id, p.title, p.url, "
            "p.heat, a.label "
            "FROM follow_alerts AS a "
            "JOIN posts AS p ON p.source = a.source AND p.post_id = a.post_id "
            f"WHERE a.batch_id IN ({marks}) "
            "ORDER BY a.batch_id, a.follow_id, coalesce(p.heat, -1) DESC, a.rowid",
            chunk,
        ).fetchall()
        for batch_id, chat_id, thread_id, *item in rows:
            chats[batch_id] = (chat_id, thread_id)
            items.setdefault(batch_id, []).append(AlertItem(*item))
    return [
        AlertBatch(b, chats[b][0], tuple(items[b]), chats[b][1]) for b in batch_ids if b in items
    ]


def finish_batch(
    store: Store,
    batch_id: int,
    status: str,
    now: datetime,
    *,
    message_id: int | None = None,
    error: str | None = None,
) -> None:
    """Record how a batch's send ended: ``sent`` (with its message) or ``failed``."""
    with store.db.conn:
        store.db.execute(
            "UPDATE alert_batches SET status = ?, message_id = ?, error = ?, updated_at = ? "
            "WHERE id = ?",
            [status, message_id, error, to_iso(now), batch_id],
        )


def alert_counts(store: Store, chat_id: int | None = None) -> dict[int, tuple[int, int]]:
    """Per chat: (posts alerted, alert messages sent), for ``hotdigest follows``."""
    where, args = ("WHERE chat_id = ?", [chat_id]) if chat_id is not None else ("", [])
    posts = dict(
        store.db.execute(
            f"SELECT chat_id, count(*) FROM follow_alerts {where} GROUP BY chat_id", args
        ).fetchall()
    )
    sent = dict(
        store.db.execute(
            "SELECT chat_id, count(*) FROM alert_batches "
            f"{where + ' AND' if where else 'WHERE'} status = 'sent' GROUP BY chat_id",
            args,
        ).fetchall()
    )
    return {chat: (posts.get(chat, 0), sent.get(chat, 0)) for chat in sorted({*posts, *sent})}
