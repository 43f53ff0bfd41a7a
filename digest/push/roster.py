"""Many chats held compactly for a push: each chat's own fields in arrays, shared settings once.

A push plans every active chat at once. As objects, 100,000 chats were 100,000
``Subscription``s (about 200 bytes each, their ``subscribed_at`` 48 more) and as many
``PushJob``s (72): some 35 MB of the bot's peak for the whole run (bench/memory.py).
Chats differ in a few fields (id, topic, title, when they subscribed); the rest of a
subscription (language, zone, time, mode, sections, filters, …) is one of a handful of
combinations. :class:`Roster` keeps the few per chat in arrays (about 30 bytes a chat)
and each combination once; a ``Subscription`` is made again when it is read, for as long
as its reader needs it (``planning.RosterJobs`` does the same for the jobs).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Any, TypeVar, overload

from ..clock import from_iso
from ..store.store import Store
from .subscriptions import OWN_COLUMNS, Subscription, Subscriptions, from_row

T = TypeVar("T")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NEVER = -(2**63)  # no subscribed_at (stored times are whole seconds: from_iso)
# A chat is made again positionally from its shape's values, its own four put in:
# ``dataclasses.replace`` took 13 us a chat (1.3 s for a 100,000-chat read), this 2 us.
_NAMES = [f.name for f in fields(Subscription)]
_OWN = OWN_COLUMNS
_ID, _THREAD, _TITLE, _SINCE = (_NAMES.index(name) for name in _OWN)
_values = attrgetter(*_NAMES)
_shape_of = attrgetter(*(name for name in _NAMES if name not in _OWN))


class Made(Sequence[T]):
    """A sequence whose items are made when read (:meth:`_at`), not stored."""

    def _at(self, n: int) -> T:
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...
    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        if isinstance(index, slice):
            return [self._at(n) for n in range(*index.indices(len(self)))]
        return self._at(range(len(self))[index])  # negative positions; IndexError past the end

    def __iter__(self) -> Iterator[T]:
        return (self._at(n) for n in range(len(self)))


class Roster(Made[Subscription]):
    """Subscriptions in the order added, read back equal to what was added."""

    def __init__(self, chats: Iterable[Subscription] = ()) -> None:
        self._ids = array("q")
        self._threads = array("q")
        self._since = array("q")  # subscribed_at, seconds since the epoch
        self._shape = array("I")  # index into _shapes
        self._titles: dict[int, str] = {}  # by position; most chats (private ones) have none
        self._shapes: list[Subscription] = []  # the rest of a subscription, each one once
        self._templates: list[list[Any]] = []  # each shape's field values, in order
        self._shape_of: dict[tuple[Any, ...], int] = {}
        self._earliest = array("q")  # each shape's earliest subscribed_at (NEVER: none)
        for chat in chats:
            self.append(chat)

    @classmethod
    def active(cls, store: Store) -> Roster:
        """The store's active chats, read as stored rows: a chat's own four columns go
        into the arrays, and a ``Subscription`` is made once per combination of the rest
        (its first row), not once per chat (about 12 us a chat: 1.2 s for 100,000)."""
        roster = cls()
        names, rows = Subscriptions(store).active_rows()
        shared = len(OWN_COLUMNS)
        numbers: dict[tuple[Any, ...], int] = {}  # the shared columns as stored → shape
        for row in rows:
            number = numbers.get(shared_values := row[shared:])
            if number is None:
                number = numbers[shared_values] = roster._number(from_row(names, row))
            chat_id, thread_id, title, since = row[:shared]
            seconds = NEVER if since is None else int(from_iso(since).timestamp())
            roster._add(chat_id, thread_id, title, seconds, number)
        return roster

    def append(self, chat: Subscription) -> None:
        since = chat.subscribed_at
        seconds = NEVER if since is None else (since - _EPOCH) // timedelta(seconds=1)
        self._add(chat.chat_id, chat.thread_id, chat.title, seconds, self._number(chat))

    def _number(self, chat: Subscription) -> int:
        """The number of ``chat``'s shape, added if new."""
        number = self._shape_of.setdefault(_shape_of(chat), len(self._shapes))
        if number == len(self._shapes):
            shape = replace(chat, chat_id=0, thread_id=0, title=None, subscribed_at=None)
            self._shapes.append(shape)
            self._templates.append(list(_values(shape)))
            self._earliest.append(2**63 - 1)
        return number

    def _add(self, chat_id: int, thread_id: int, title: str | None, since: int, shape: int) -> None:
        if title is not None:
            self._titles[len(self._ids)] = title
        self._ids.append(chat_id)
        self._threads.append(thread_id)
        self._since.append(since)
        self._shape.append(shape)
        self._earliest[shape] = min(self._earliest[shape], since)

    def rows(self) -> Iterator[tuple[int, int, int, int]]:
        """Each chat as (id, topic, ``subscribed_at`` in seconds since the epoch or
        :data:`NEVER`, its shape's number in :meth:`shapes`), in order, no chat made:
        what a plan needs to decide which chats are due."""
        return zip(self._ids, self._threads, self._since, self._shape, strict=True)

    def __len__(self) -> int:
        return len(self._ids)

    def shapes(self) -> list[Subscription]:
        """Each combination of the chats' shared settings once, as a chat of it that
        subscribed first (no id, topic or title): what every chat of it has in common,
        and the earliest ``subscribed_at`` among them. Read without reading the chats."""
        return [
            replace(shape, subscribed_at=_moment(self._earliest[number]))
            for number, shape in enumerate(self._shapes)
        ]

    def _at(self, n: int) -> Subscription:
        since = self._since[n]
        values = self._templates[self._shape[n]].copy()
        values[_ID], values[_THREAD] = self._ids[n], self._threads[n]
        values[_TITLE] = self._titles.get(n)
        values[_SINCE] = _moment(since)
        return Subscription(*values)


def _moment(seconds: int) -> datetime | None:
    return None if seconds == NEVER else _EPOCH + timedelta(seconds=seconds)
