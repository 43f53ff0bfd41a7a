"""Follow expressions in TrendRadar's syntax: parsed, checked and folded for matching.

A group is a set of terms::

    Rust Go          plain words: any one of them (OR)
    +release         required: every one of them
    !rumor           excluded: none of them (an exclusion always wins)
    /GLM-?\\d/       a regular expression (any of the three roles: /x/, +/x/, !/x/)
    => languages     the group's name

One line is split at spaces (``"two words"`` keeps a phrase); several lines, as in
TrendRadar's ``frequency_words.txt``, hold one term each, and a blank line starts
the next group. Text and terms are folded the same way (NFKC, so full-width ``ＧＰＴ``
is ``GPT``, then casefold). A Latin term matches whole words only, so ``go`` is not
found in ``google``; a Chinese term matches anywhere (Chinese has no spaces).

Regular expressions run on the ``regex`` package with a timeout, and one is refused
when it is invalid, matches an empty title (every post), or takes too long on
inputs built to make backtracking explode.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import regex

from ..errors import UsageError

MAX_EXPRESSION = 500  # characters of one /follow
MAX_TERMS = 30  # per group
MAX_PATTERN = 200  # characters of one /regex/
TRIAL_TIMEOUT = 0.05  # seconds one adversarial trial of a pattern may take
MATCH_TIMEOUT = 0.02  # seconds one search may take when matching posts
TRIAL_LENGTH = 3000  # a title (1,000) and a brief (2,000)
REGEX_FLAGS = regex.IGNORECASE | regex.FULLCASE | regex.VERSION0

WORD, REQUIRED, EXCLUDED = "word", "required", "excluded"
_PREFIX = {"+": REQUIRED, "!": EXCLUDED}
_MARK = {WORD: "", REQUIRED: "+", EXCLUDED: "!"}
# A token: +/! maybe, then a /regex/ (it ends at a / before a space, so it may hold
# spaces and slashes), a "quoted phrase", or anything up to the next space.
_TOKEN = re.compile(r'[+!]?(?:/(?:\\.|[^\\])*?/(?=\s|$)|"[^"]*"|\S+)')


def fold(text: str) -> str:
    """Text as terms are matched against it: NFKC (full-width → half-width), casefolded,
    whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def is_latin(char: str) -> bool:
    """Latin letters and digits form words; a Latin term must not run into another."""
    return char.isascii() and char.isalnum()


@dataclass(frozen=True, slots=True)
class Term:
    """One term: a folded word or phrase, or a regular expression's source."""

    role: str  # word | required | excluded
    text: str
    pattern: bool = False

    def __str__(self) -> str:
        body = f"/{self.text}/" if self.pattern else _quoted(self.text)
        return _MARK[self.role] + body


@dataclass(frozen=True, slots=True)
class Group:
    """A follow group: any word, every required term, no excluded term; maybe a name."""

    terms: tuple[Term, ...]
    name: str | None = None

    @property
    def words(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.role == WORD)

    @property
    def required(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.role == REQUIRED)

    @property
    def excluded(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.role == EXCLUDED)

    @property
    def label(self) -> str:
        """How replies and alerts name the group: its name, else its words."""
        if self.name:
            return self.name
        shown = self.words or self.required
        return " ".join(t.text if not t.pattern else f"/{t.text}/" for t in shown[:4])

    @property
    def key(self) -> tuple[Term, ...]:
        """What the group matches by: its terms in a fixed order (not its name)."""
        return tuple(sorted(self.terms, key=lambda t: (t.role, t.pattern, t.text)))

    def text(self) -> str:
        """The canonical expression (what is stored; parses back to this group)."""
        body = " ".join(str(term) for term in self.terms)
        return f"{body} => {self.name}" if self.name else body

    def matches(self, text: str) -> bool:
        """Whether ``text`` (folded, see :func:`fold`) matches: the plain, one-group check."""
        return evaluate(self, lambda term: term_in(term, text))


def evaluate(group: Group, present: Callable[[Term], bool]) -> bool:
    """The group's rule, given which terms are present; exclusions are checked first."""
    if any(present(t) for t in group.excluded):
        return False
    if not all(present(t) for t in group.required):
        return False
    words = group.words
    return not words or any(present(t) for t in words)


def term_in(term: Term, text: str) -> bool:
    """Whether one term occurs in folded ``text``."""
    if term.pattern:
        return search(compiled(term.text), text)
    start = text.find(term.text)
    while start >= 0:
        end = start + len(term.text)
        if bounded(text, start, end, term.text):
            return True
        start = text.find(term.text, start + 1)
    return False


def bounded(text: str, start: int, end: int, word: str) -> bool:
    """A Latin edge of ``word`` found at [start, end) must not continue a Latin word."""
    if is_latin(word[0]) and start > 0 and is_latin(text[start - 1]):
        return False
    return not (is_latin(word[-1]) and end < len(text) and is_latin(text[end]))


def compiled(source: str) -> regex.Pattern[str]:
    """A checked pattern's compiled form (the regex package caches compilations)."""
    return regex.compile(source, REGEX_FLAGS)


def search(pattern: regex.Pattern[str], text: str) -> bool:
    """A bounded search: a pattern slower than MATCH_TIMEOUT on this text does not match."""
    try:
        return pattern.search(text, timeout=MATCH_TIMEOUT) is not None
    except TimeoutError:
        return False


def parse_expression(text: str, *, checked: bool = False) -> list[Group]:
    """The groups of a follow expression (several when blank lines separate them).

    :param checked: the text was checked before (a stored group): its patterns are
        compiled but not tried again on adversarial input.
    :raises UsageError: with the reason, for an empty, too long or invalid expression.
    """
    if len(text) > MAX_EXPRESSION:
        raise UsageError(f"an expression is at most {MAX_EXPRESSION} characters")
    blocks: list[list[str]] = [[]]
    for line in text.strip().splitlines():
        if line.strip():
            blocks[-1].append(line.strip())
        elif blocks[-1]:
            blocks.append([])
    groups = [_group(block, checked) for block in blocks if block]
    if not groups:
        raise UsageError("the expression is empty: give at least one word")
    return groups


def parse_group(text: str, *, checked: bool = False) -> Group:
    """Exactly one group (the stored form, or a global filter entry)."""
    groups = parse_expression(text, checked=checked)
    if len(groups) != 1:
        raise UsageError("expected one group, found several (separated by a blank line)")
    return groups[0]


def _group(lines: list[str], checked: bool) -> Group:
    name: str | None = None
    tokens: list[str] = []
    for line in lines:
        body, arrow, named = line.partition("=>")
        if arrow:
            name = " ".join(named.split()) or None
        body = body.strip()
        if not body:
            continue
        tokens.extend(_tokens(body) if len(lines) == 1 else [body])
    terms = tuple(dict.fromkeys(_term(token, checked) for token in tokens))
    if not terms:
        raise UsageError("a group needs at least one word")
    if len(terms) > MAX_TERMS:
        raise UsageError(f"a group has at most {MAX_TERMS} terms")
    if all(t.role == EXCLUDED for t in terms):
        raise UsageError("a group needs a word to match, not only !exclusions")
    if name is not None and len(name) > 64:
        raise UsageError("a group name is at most 64 characters")
    return Group(terms, name)


def _tokens(line: str) -> list[str]:
    """Split one line at spaces, keeping "quoted phrases" and /regex with spaces/."""
    return _TOKEN.findall(line)


def _term(token: str, checked: bool) -> Term:
    role = _PREFIX.get(token[0], WORD)
    body = token[1:] if role != WORD else token
    if body[:1] in ("/", '"'):
        if len(body) < 2 or body[-1] != body[0]:
            kind = "regular expression" if body[0] == "/" else "quote"
            raise UsageError(f"unclosed {kind} in {token[:40]!r}")
        if body[0] == "/":
            return Term(role, check_pattern(body[1:-1], tried=checked), pattern=True)
        body = body[1:-1]
    word = fold(body)
    if not word:
        raise UsageError(f"{token!r} has no word after its {_MARK[role] or 'quotes'}")
    return Term(role, word)


def check_pattern(source: str, *, tried: bool = False) -> str:
    """The pattern (NFKC-normalised) if it is usable; UsageError says why it is not.

    :param tried: it passed the trials before; only compile it.
    """
    source = unicodedata.normalize("NFKC", source)
    if not source:
        raise UsageError("the regular expression // is empty")
    if len(source) > MAX_PATTERN:
        raise UsageError(f"a regular expression is at most {MAX_PATTERN} characters")
    try:
        pattern = compiled(source)
    except regex.error as exc:
        raise UsageError(f"/{source}/ is not a valid regular expression: {exc}") from None
    if tried:
        return source
    if pattern.search("", timeout=TRIAL_TIMEOUT) is not None:
        raise UsageError(f"/{source}/ matches an empty title, so it would match every post")
    for trial in _trials(source):
        try:
            pattern.search(trial, timeout=TRIAL_TIMEOUT)
        except TimeoutError:
            raise UsageError(
                f"/{source}/ is too slow: it backtracks without end on some titles "
                "(nested repetition such as (a+)+); simplify it"
            ) from None
    return source


def _trials(source: str) -> list[str]:
    """Inputs that make a backtracking pattern explode: long runs of its own characters,
    ending in a character it does not expect."""
    chars = sorted({c for c in source.casefold() if c.isalnum() or c in " -_.,@#"}) or ["a"]
    runs = [c * TRIAL_LENGTH for c in chars[:8]]
    cycle = ("".join(chars) * (TRIAL_LENGTH // len(chars) + 1))[:TRIAL_LENGTH]
    return [text + tail for text in [*runs, cycle] for tail in ("!", "\u2603")]


def _quoted(word: str) -> str:
    return f'"{word}"' if " " in word or word[:1] in '+!/"' else word
