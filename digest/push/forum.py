"""Forum topics as their service messages tell them: names, closing and reopening.

Telegram posts a service message when a topic is created, renamed, closed or reopened.
A closed topic refuses the bot's messages (``TOPIC_CLOSED``), so its push and the follow
groups set in it pause at once rather than at the next failed send; reopening resumes
what the closing paused (never what a reader paused) and sends again the alerts the
closed topic refused, if they are recent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..clock import to_iso
from ..follow.follows import Follows
from ..store.store import Store
from .subscriptions import TOPIC_CLOSED, Subscriptions, topic_problem

# Alerts a closed topic refused longer ago than this are news no more: not sent again.
RESEND_WITHIN = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class TopicChange:
    """What a topic's closing or reopening changed."""

    push: bool  # its push paused (closing) or resumed (reopening)
    follows: int  # follow groups paused or resumed
    resend: tuple[int, ...] = ()  # alert batches to send again (claimed ``sending``)


def name_topic(store: Store, chat_id: int, thread_id: int, name: str, now: datetime) -> None:
    """A topic was created or renamed: keep its name."""
    with store.db.conn:
        store.db.execute(
            "INSERT INTO forum_topics (chat_id, thread_id, name, closed, updated_at) "
            "VALUES (?, ?, ?, 0, ?) ON CONFLICT (chat_id, thread_id) "
            "DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at",
            [chat_id, thread_id, name, to_iso(now)],
        )


def topic_names(store: Store, chat_id: int) -> dict[int, str]:
    """The known names of a chat's topics, by thread id."""
    rows = store.db.execute(
        "SELECT thread_id, name FROM forum_topics WHERE chat_id = ? AND name IS NOT NULL",
        [chat_id],
    )
    return {thread: name for thread, name in rows.fetchall()}


def close_topic(store: Store, chat_id: int, thread_id: int, now: datetime) -> TopicChange:
    """A topic was closed: pause its push and the follow groups set in it."""
    _mark(store, chat_id, thread_id, closed=True, now=now)
    paused = Subscriptions(store).deactivate(chat_id, TOPIC_CLOSED, now, thread_id)
    return TopicChange(paused, Follows(store).pause_topic(chat_id, thread_id))


def reopen_topic(store: Store, chat_id: int, thread_id: int, now: datetime) -> TopicChange:
    """A topic was reopened: resume what its closing paused, and claim the recent alert
    batches it refused so they are sent again."""
    _mark(store, chat_id, thread_id, closed=False, now=now)
    chats = Subscriptions(store)
    sub = chats.get(chat_id, thread_id)
    resumed = sub is not None and not sub.active and sub.inactive_reason == TOPIC_CLOSED
    if sub is not None and resumed:
        chats.subscribe(sub, now)
    follows = Follows(store).pause_topic(chat_id, thread_id, paused=False)
    with store.db.conn:
        rows = store.db.execute(
            "SELECT id, error FROM alert_batches WHERE chat_id = ? AND thread_id = ? "
            "AND status = 'failed' AND updated_at >= ? ORDER BY id",
            [chat_id, thread_id, to_iso(now - RESEND_WITHIN)],
        ).fetchall()
        refused = [b for b, error in rows if topic_problem(error or "") == TOPIC_CLOSED]
        resend = tuple(b for b in refused if _claim_again(store, b, now))
    return TopicChange(resumed, follows, resend)


def _claim_again(store: Store, batch: int, now: datetime) -> bool:
    """Back to sending only if still failed: a batch another writer (an alert retry, the
    CLI) changed since the read is not forced back and sent twice."""
    claimed = store.db.conn.execute(
        "UPDATE alert_batches SET status = 'sending', error = NULL, updated_at = ? "
        "WHERE id = ? AND status = 'failed'",
        [to_iso(now), batch],
    )
    return claimed.rowcount == 1


def _mark(store: Store, chat_id: int, thread_id: int, *, closed: bool, now: datetime) -> None:
    with store.db.conn:
        store.db.execute(
            "INSERT INTO forum_topics (chat_id, thread_id, closed, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (chat_id, thread_id) "
            "DO UPDATE SET closed = excluded.closed, updated_at = excluded.updated_at",
            [chat_id, thread_id, int(closed), to_iso(now)],
        )
