"""Match many chats' follow groups against many posts at once.

Every distinct literal term of every group goes into one scanner that finds all of
them in a post's text in one pass; each term's posts become a bit mask, and each
distinct group (however many chats follow it) is then a few integer operations on its
terms' masks. Regular expressions are searched once per distinct pattern and post.

Two scanners do the same job here: ``AutomatonScanner`` (ahocorasick-rs's Aho-Corasick
automaton: one pass over the text whatever the number of terms) and ``RegexScanner``
(one alternation of every term in Python's ``re``, tried at every position).
``bench/follows.py`` measures both, and pyahocorasick, in one run; the ahocorasick-rs
automaton is the fastest and the one in use (figures in bench/README.md).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Generic, Protocol, TypeVar

import ahocorasick_rs

from .expression import WORD, Group, Term, bounded, compiled, fold, search

K = TypeVar("K", bound=Hashable)


class Scanner(Protocol):
    """Finds which of a fixed set of literal terms occur (as whole Latin words) in a text."""

    def found(self, text: str) -> set[int]: ...


class AutomatonScanner:
    """All terms in one Aho-Corasick automaton (ahocorasick-rs): one pass over the text
    reports every occurrence, overlapping ones included, with character offsets."""

    def __init__(self, words: Sequence[str]) -> None:
        self._words = list(words)
        self._automaton = (
            ahocorasick_rs.AhoCorasick(self._words, matchkind=ahocorasick_rs.MatchKind.Standard)
            if words
            else None
        )

    def found(self, text: str) -> set[int]:
        if self._automaton is None:
            return set()
        words = self._words
        return {
            number
            for number, start, end in self._automaton.find_matches_as_indexes(
                text, overlapping=True
            )
            if bounded(text, start, end, words[number])
        }


class RegexScanner:
    """All terms in one ``re`` alternation, longest first, tried at every position.

    A zero-width lookahead lets ``finditer`` try every position, where the longest
    term starting there wins; the shorter terms it begins with are found through
    ``_prefixes``, so no occurrence is missed.
    """

    def __init__(self, words: Sequence[str]) -> None:
        self._numbers = {word: n for n, word in enumerate(words)}
        ordered = sorted(self._numbers, key=len, reverse=True)
        alternation = "|".join(re.escape(word) for word in ordered)
        self._regex = re.compile(f"(?=({alternation}))") if words else None
        self._prefixes = {
            word: [p for p in ordered if p != word and word.startswith(p)] for word in ordered
        }

    def found(self, text: str) -> set[int]:
        if self._regex is None:
            return set()
        hits = set()
        for match in self._regex.finditer(text):
            start = match.start()
            for word in (match.group(1), *self._prefixes[match.group(1)]):
                if bounded(text, start, start + len(word), word):
                    hits.add(self._numbers[word])
        return hits


ScannerType = Callable[[Sequence[str]], Scanner]


class Matcher(Generic[K]):
    """Many (key, group) pairs, e.g. key = (chat, follow id), matched against many texts.

    A batch is matched term by term, not group by group: the scanner finds each term's
    texts once, as a bit mask (bit n: text n), and a group's texts are then a few
    integer operations on its terms' masks (any word, every required term, no excluded
    one), however many texts there are. Identical groups are evaluated once.
    """

    def __init__(
        self, entries: Iterable[tuple[K, Group]], scanner: ScannerType = AutomatonScanner
    ) -> None:
        keys_of: dict[Group, list[K]] = defaultdict(list)
        for key, group in entries:
            keys_of[_identity(group)].append(key)
        self._keys = list(keys_of.values())
        terms: dict[Term, int] = {}
        self._single: list[tuple[int, list[K]]] = []
        self._any: list[tuple[tuple[int, ...], list[K]]] = []
        self._rules: list[tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], list[K]]] = []
        for group, keys in keys_of.items():
            words, required, excluded = (
                tuple(terms.setdefault(_bare(t), len(terms)) for t in part)
                for part in (group.words, group.required, group.excluded)
            )
            if required or excluded:
                self._rules.append((words, required, excluded, keys))
            elif len(words) == 1:
                self._single.append((words[0], keys))
            else:
                self._any.append((words, keys))
        self._terms = list(terms)
        self._literal = [n for n, t in enumerate(self._terms) if not t.pattern]
        self._patterns = [(n, compiled(t.text)) for n, t in enumerate(self._terms) if t.pattern]
        self._scanner = scanner([self._terms[n].text for n in self._literal])

    def __len__(self) -> int:
        return sum(len(keys) for keys in self._keys)

    def match(self, text: str) -> list[K]:
        """Keys whose group matches ``text``."""
        return list(self.match_all([text]))

    def match_all(self, texts: Sequence[str]) -> dict[K, int]:
        """Each matching key's texts as a bit mask (bit n set: ``texts[n]`` matches)."""
        masks = self._term_masks([fold(text) for text in texts])
        everything = (1 << len(texts)) - 1
        found: dict[K, int] = {}
        # Most groups are one word or a few OR'd words: those loops stay minimal.
        for term, keys in self._single:
            if mask := masks[term]:
                found.update(dict.fromkeys(keys, mask))
        for words, keys in self._any:
            mask = 0
            for term in words:
                mask |= masks[term]
            if mask:
                found.update(dict.fromkeys(keys, mask))
        for words, required, excluded, keys in self._rules:
            mask = everything
            if words:
                mask = 0
                for term in words:
                    mask |= masks[term]
            for term in required:
                mask &= masks[term]
            for term in excluded:
                mask &= ~masks[term]
            if mask:
                found.update(dict.fromkeys(keys, mask))
        return found

    def _term_masks(self, folded: list[str]) -> list[int]:
        masks = [0] * len(self._terms)
        literal = self._literal
        for n, text in enumerate(folded):
            bit = 1 << n
            for number in self._scanner.found(text):
                masks[literal[number]] |= bit
        for term, pattern in self._patterns:
            for n, text in enumerate(folded):
                if search(pattern, text):
                    masks[term] |= 1 << n
        return masks


def bits(mask: int) -> list[int]:
    """The numbers of the set bits of ``mask``, lowest first (the matching texts)."""
    found = []
    while mask:
        low = mask & -mask
        found.append(low.bit_length() - 1)
        mask ^= low
    return found


def _bare(term: Term) -> Term:
    """A term without its role: a word's texts do not depend on how a group uses it."""
    return Term(WORD, term.text, term.pattern)


def _identity(group: Group) -> Group:
    """Groups that differ only in name or term order match the same posts: share one."""
    return Group(group.key)


def post_text(title: str, brief: str | None) -> str:
    """What a follow is matched against: the title, then the brief."""
    return f"{title}\n{brief}" if brief else title
