"""Stored posts an expression matches (the /follow preview, ``hotdigest match``), and the
follows a digest cites (the "your follows" line of a push)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ..document import SourceEntry
from ..push.subscriptions import SubscriptionKey, subscription_key
from ..render.bot_text import BotTexts
from ..render.telegram_html import MESSAGE_LIMIT, visible_length
from ..store.store import SeenPost, Store
from .alerts import alert_counts
from .expression import Group, parse_expression
from .follows import AlertSettings, Follow, Follows
from .matcher import Matcher, bits, post_text


@dataclass(frozen=True, slots=True)
class ChatFollows:
    """One chat's groups, alert settings and alert counts (``hotdigest follows``)."""

    chat_id: int
    settings: AlertSettings
    follows: tuple[Follow, ...]
    posts_alerted: int
    alert_messages: int

    def to_json(self) -> dict[str, object]:
        quiet = self.settings.quiet
        return {
            "chat_id": self.chat_id,
            "alerts": self.settings.alerts,
            "quiet": [f"{t:%H:%M}" for t in quiet] if quiet else None,
            "max_per_day": self.settings.max_per_day,
            "posts_alerted": self.posts_alerted,
            "alert_messages": self.alert_messages,
            "groups": [
                {
                    "n": f.number,
                    "label": f.label,
                    "expression": f.group.text(),
                    "paused": f.paused,
                    "topic": f.thread_id,  # the forum topic its alerts go to (0: none)
                }
                for f in self.follows
            ],
        }


def follow_overview(store: Store, chat_id: int | None = None) -> list[ChatFollows]:
    """Every chat with follows (or just ``chat_id``): groups, settings, alert counts."""
    follows = Follows(store)
    counts = alert_counts(store, chat_id)
    chats = [chat_id] if chat_id is not None else follows.chats()
    return [
        ChatFollows(
            chat,
            follows.settings(chat),
            tuple(follows.of_chat(chat)),
            *counts.get(chat, (0, 0)),
        )
        for chat in chats
    ]


def without_excluded(seen: list[SeenPost], exclude: Sequence[str]) -> list[SeenPost]:
    """``seen`` less the posts the global filter (expression texts) matches."""
    if not exclude or not seen:
        return seen
    groups = [g for text in exclude for g in parse_expression(text, checked=True)]
    dropped = Matcher(list(enumerate(groups))).match_all(
        [post_text(s.post.title, s.post.brief) for s in seen]
    )
    gone = set().union(*(bits(mask) for mask in dropped.values())) if dropped else set()
    return [s for n, s in enumerate(seen) if n not in gone]


def matching_posts(
    store: Store,
    groups: Sequence[Group],
    start: datetime,
    end: datetime,
    exclude: Sequence[Group] = (),
) -> list[SeenPost]:
    """Posts seen in [start, end) that match any of ``groups`` and no global filter entry,
    hottest first."""
    seen = store.posts_in_window(start, end)
    texts = [post_text(s.post.title, s.post.brief) for s in seen]
    hits = Matcher(list(enumerate(groups))).match_all(texts)
    wanted = set().union(*(bits(mask) for mask in hits.values())) if hits else set()
    if exclude and wanted:
        dropped = Matcher(list(enumerate(exclude))).match_all(texts)
        wanted -= set().union(*(bits(mask) for mask in dropped.values())) if dropped else set()
    return [s for n, s in enumerate(seen) if n in wanted]


def chats_with_follows(store: Store) -> set[SubscriptionKey]:
    """The subscriptions (chat, or chat and topic) that set any follow group: a push asks
    :func:`cited_follows` about these, not about every chat it sends to (a set of 100,000
    keys, and its copy, were 10 MB of a push's peak, bench/memory.py)."""
    rows = store.db.execute("SELECT DISTINCT chat_id, thread_id FROM follows").fetchall()
    return {subscription_key(chat_id, thread_id) for chat_id, thread_id in rows}


def cited_follows(
    store: Store, sources: Sequence[SourceEntry], chats: Iterable[SubscriptionKey]
) -> dict[SubscriptionKey, list[tuple[str, tuple[int, ...]]]]:
    """Per subscription (chat, or chat and forum topic: ``subscription_key``): (group
    label, the digest's source numbers it matches) for each group set there (paused ones
    too: a follow is an interest, alerts or not) that the digest cites."""
    wanted = set(chats)
    if not wanted or not sources:
        return {}
    keyed = [(subscription_key(f.chat_id, f.thread_id), f) for f in Follows(store).every()]
    follows = [(key, f) for key, f in keyed if key in wanted]
    if not follows:
        return {}
    matcher = Matcher(((n, f.group) for n, (_, f) in enumerate(follows)))
    masks = matcher.match_all([post_text(s.title, s.brief) for s in sources])
    found: dict[SubscriptionKey, list[tuple[str, tuple[int, ...]]]] = {}
    for n in sorted(masks):  # each chat's groups in their order
        key, follow = follows[n]
        numbers = tuple(sources[i].index for i in bits(masks[n]))
        found.setdefault(key, []).append((follow.label, numbers))
    return found


def with_follows(
    texts: BotTexts,
    parts: list[str],
    hits: Sequence[tuple[str, tuple[int, ...]]],
    language: str,
) -> list[str]:
    """A push's parts with the "your follows" line at the end of the last one.

    Only when it fits: a push's number of parts is in its ledger rows, so the line
    never adds a part.
    """
    if not hits or not parts:
        return parts
    line = texts.html("your_follows", language, hits=list(hits))
    last = f"{parts[-1]}\n\n{line}"
    if visible_length(last) > MESSAGE_LIMIT:
        return parts
    return [*parts[:-1], last]
