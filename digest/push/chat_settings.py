"""A chat's settings as the bot changes them: defaults, subscribe, unsubscribe, edits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, time
from typing import Any

from ..document import SECTION_IDS
from ..errors import UsageError
from ..store.store import Store
from .subscriptions import Subscription, Subscriptions

Edit = Callable[[Subscription], Subscription]
FIELDS = (
    "push_time",
    "timezone",
    "language",
    "mode",
    "sections",
    "include_sources",
    "exclude_sources",
    "chart",
    "link_preview",
    "cadence",
    "week_day",
    "week_time",
    "week_chart",
)


@dataclass(frozen=True, slots=True)
class ChatDefaults:
    """What a chat gets before it chose anything (from the config and the chat itself)."""

    chat_id: int
    chat_type: str
    title: str | None
    language: str
    push_time: time
    timezone: str
    thread_id: int = 0  # the forum topic the command came from (0: none)

    def subscription(self) -> Subscription:
        return Subscription(
            chat_id=self.chat_id,
            chat_type=self.chat_type,
            title=self.title,
            language=self.language,
            push_time=self.push_time,
            timezone=self.timezone,
            thread_id=self.thread_id,
        )


@dataclass(frozen=True, slots=True)
class WeeklyPush:
    """What a subscribe says about the weekly push; None keeps what the chat has."""

    cadence: str | None = None  # daily, weekly or both
    week_day: int | None = None  # ISO weekday, 1 = Monday
    week_time: time | None = None

    def apply(self, sub: Subscription) -> Subscription:
        return replace(
            sub,
            cadence=self.cadence or sub.cadence,
            week_day=self.week_day or sub.week_day,
            week_time=self.week_time or sub.week_time,
        )


@dataclass(frozen=True, slots=True)
class SettingChange:
    """One typed setting change (what ``/settings time 08:00`` asks for)."""

    field: str  # one of FIELDS
    value: object

    def __call__(self, sub: Subscription) -> Subscription:
        if self.field not in FIELDS:
            raise UsageError(f"unknown setting {self.field!r}")
        change: dict[str, Any] = {self.field: self.value}
        changed = replace(sub, **change)
        # A source is either only-included or excluded, never both.
        if self.field == "include_sources":
            keep = tuple(s for s in sub.exclude_sources if s not in changed.include_sources)
            changed = replace(changed, exclude_sources=keep)
        elif self.field == "exclude_sources":
            keep = tuple(s for s in sub.include_sources if s not in changed.exclude_sources)
            changed = replace(changed, include_sources=keep)
        return changed


def toggle_section(section: str) -> Edit:
    """Show or hide one section; at least one stays (UsageError otherwise)."""

    def edit(sub: Subscription) -> Subscription:
        chosen = set(sub.sections) ^ {section}
        if not chosen:
            raise UsageError("keep at least one section")
        return replace(sub, sections=tuple(s for s in SECTION_IDS if s in chosen))

    return edit


def cycle_source(source: str) -> Edit:
    """Cycle one source: every source → only this one (and other includes) → excluded → back."""

    def edit(sub: Subscription) -> Subscription:
        if source in sub.include_sources:
            return SettingChange("exclude_sources", (*sub.exclude_sources, source))(sub)
        if source in sub.exclude_sources:
            rest = tuple(s for s in sub.exclude_sources if s != source)
            return replace(sub, exclude_sources=rest)
        return SettingChange("include_sources", (*sub.include_sources, source))(sub)

    return edit


def source_state(sub: Subscription, source: str) -> str:
    """``"only"``, ``"excluded"`` or ``"all"`` (no preference) for a source."""
    if source in sub.include_sources:
        return "only"
    return "excluded" if source in sub.exclude_sources else "all"


def chat_settings(store: Store, defaults: ChatDefaults) -> Subscription:
    """The chat's (topic's) stored settings, or its defaults (unsaved) for one never seen.

    A topic never seen starts from its chat's own settings, if the chat has any.
    """
    chats = Subscriptions(store)
    found = chats.get(defaults.chat_id, defaults.thread_id)
    if found is not None:
        return found
    chat = chats.get(defaults.chat_id) if defaults.thread_id else None
    if chat is None:
        return defaults.subscription()
    return replace(
        chat,
        thread_id=defaults.thread_id,
        active=False,
        subscribed_at=None,
        inactive_reason=None,
        migrated_to=None,
    )


def edit_settings(store: Store, defaults: ChatDefaults, edit: Edit, now: datetime) -> Subscription:
    """Apply ``edit`` to the chat's settings and save them (subscribed or not).

    :raises UsageError: the edit leaves an invalid setting.
    """
    return Subscriptions(store).save(edit(chat_settings(store, defaults)), now)


def subscribe_chat(
    store: Store,
    defaults: ChatDefaults,
    now: datetime,
    push_time: time | None = None,
    timezone: str | None = None,
    weekly: WeeklyPush | None = None,
) -> Subscription:
    """Subscribe the chat, keeping its earlier settings unless a time or zone is given (or,
    for the weekly push, a cadence, week day or weekly time)."""
    base = chat_settings(store, defaults)
    base = replace(
        base,
        push_time=push_time or base.push_time,
        timezone=timezone or base.timezone,
        title=defaults.title,
        chat_type=defaults.chat_type,
    )
    if weekly is not None:
        base = weekly.apply(base)
    return Subscriptions(store).subscribe(base, now)


def unsubscribe_chat(store: Store, chat_id: int, now: datetime, thread_id: int = 0) -> bool:
    """Stop the chat's (topic's) pushes; False when it was not subscribed."""
    return Subscriptions(store).deactivate(chat_id, "unsubscribed", now, thread_id)


@dataclass(frozen=True, slots=True)
class ChatReading:
    """How a chat (topic) reads digests: the language it chose, if any, and its source
    filter, which its pushes, /digest, /sources and their buttons all apply."""

    language: str | None = None
    include_sources: tuple[str, ...] = ()
    exclude_sources: tuple[str, ...] = ()

    @property
    def sources(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return (self.include_sources, self.exclude_sources)


def chat_reading(store: Store, chat_id: int, thread_id: int = 0) -> ChatReading:
    """What the store knows of how a chat (topic) reads (a topic: else its chat's)."""
    chats = Subscriptions(store)
    found = chats.get(chat_id, thread_id) or (chats.get(chat_id) if thread_id else None)
    if found is None:
        return ChatReading()
    include, exclude = tuple(found.include_sources), tuple(found.exclude_sources)
    return ChatReading(found.language, include, exclude)


def stored_language(store: Store, chat_id: int, thread_id: int = 0) -> str | None:
    """The language a chat (topic) chose, if the store knows it (a topic: else its chat's)."""
    return chat_reading(store, chat_id, thread_id).language
