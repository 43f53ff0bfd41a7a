"""Story history: which title words are rare in general, from the store's earlier posts."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..store.store import SeenPost, Store
from .themes import title_words

# The history: the newest HISTORY_POSTS posts first seen in the HISTORY_DAYS before a
# window (about six weeks of four lists), whose titles tell which words are rare in general.
HISTORY_POSTS = 3000
HISTORY_DAYS = 365
HISTORY_MIN_POSTS = 300  # fewer earlier posts (five days of four lists): read the window alone
HISTORY_COMMON = 0.01  # on at least this share (and 3 posts) it is a common word ("flutter")


@dataclass(frozen=True, slots=True)
class StoryHistory:
    """On how many earlier posts' titles each Latin word stood: which names are rare in general.

    Built from the newest HISTORY_POSTS posts first seen in the HISTORY_DAYS before a
    window (read_history): a cost bounded by posts, whatever the sources,
    so the same store and window give the same history wherever the digest is built.
    Below HISTORY_MIN_POSTS it says nothing and the matcher reads rarity from the window.
    """

    posts: int = 0
    frequency: Mapping[str, int] = field(default_factory=dict)
    text: str = ""  # the titles, lower case, one a line: where a phrase is looked up

    @classmethod
    def of_titles(cls, titles: Iterable[str]) -> StoryHistory:
        frequency: Counter[str] = Counter()
        lowered = [title.lower() for title in titles]
        # Latin words as the matcher reads them (themes.latin_words): the history is asked
        # about names only, so it skips the CJK bigrams (most of the cost of reading 3,000
        # titles); phrases use the text.
        for title in lowered:
            frequency.update(title_words(title))
        return cls(len(lowered), frequency, "\n".join(lowered))

    @property
    def long_enough(self) -> bool:
        return self.posts >= HISTORY_MIN_POSTS

    def rare(self, token: str) -> bool:
        """On no earlier post: a name new to the lists, not a topic they keep."""
        return self.long_enough and token not in self.frequency

    def new_phrase(self, phrase: str) -> bool:
        """No earlier title has the phrase: not a set expression ("从入门到精通")."""
        return self.long_enough and phrase not in self.text

    def new_version(self, name: str, number: str) -> bool:
        """No earlier title has the name with that number ("gemini 3", "gemini-3", not
        "gemini 3.5"): a release new to the lists. Spelt as asked: an earlier "Gemini 3.0
        正式发布" (a rumour a month before the release) does not make "Gemini 3" old."""
        pattern = rf"(?<![\w.]){re.escape(name)}[ -]?v?{re.escape(number)}(?!\w|\.\d)"
        return self.long_enough and re.search(pattern, self.text) is None

    def common(self, token: str) -> bool:
        """On many earlier posts: a framework or a word, not the name of one event."""
        limit = max(3.0, HISTORY_COMMON * self.posts)
        return self.long_enough and self.frequency.get(token, 0) >= limit


def read_history(store: Store, start: datetime, window: Sequence[SeenPost]) -> StoryHistory:
    """The titles of the newest HISTORY_POSTS posts first seen in the HISTORY_DAYS before
    ``start``, less the window's own posts (a repository trending for a week is not its
    own precedent)."""
    own = {item.key for item in window}
    since = start - timedelta(days=HISTORY_DAYS)
    earlier = store.titles_first_seen(since, start, HISTORY_POSTS + len(own))
    return StoryHistory.of_titles(
        [title for key, title in earlier if key not in own][:HISTORY_POSTS]
    )
