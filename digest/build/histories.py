"""Each window's story history, read once for a holder's lifetime (a push run, a chart)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ..store.store import SeenPost, Store
from .story_history import StoryHistory, read_history

WindowKey = tuple[datetime, frozenset[tuple[str, str]]]  # the window's start, its posts


class StoryHistories:
    """The story history of each window (:func:`read_history`), read once and kept.

    A day's history is the same for every source filter: the store's earlier posts less
    the whole window's (the operator's ``exclude`` applied, no chat's filter), because it
    says which names are new to the lists, not to the lists a chat reads. So a chat's
    filtered view merges stories by the same names as the stored digest that ``/digest``
    shows, and every filter of a day (and its chart) is served by one read.
    """

    def __init__(self) -> None:
        self.read: dict[WindowKey, StoryHistory] = {}

    def history(self, store: Store, start: datetime, window: Sequence[SeenPost]) -> StoryHistory:
        """The history of the window starting at ``start`` with the posts ``window``."""
        key = (start, frozenset(item.key for item in window))
        if key not in self.read:
            self.read[key] = read_history(store, start, window)
        return self.read[key]
