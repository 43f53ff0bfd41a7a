"""Telegram HTML helpers: visible length, safe links and splitting into messages."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024  # a photo's caption, in the same visible UTF-16 units
JOINER = "\n\n"
FOLDED_QUOTE = "<blockquote expandable>"  # a block with one may be cut to fill a message
# The tags Telegram's HTML parse mode accepts and that hotdigest emits.
ALLOWED_TAGS = frozenset(
    {"b", "i", "u", "s", "a", "code", "pre", "blockquote", "tg-spoiler", "tg-time"}
)

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*)>")
_ENTITY = re.compile(r"&(?:#([0-9]{1,10})|#[xX]([0-9a-fA-F]{1,8})|(lt|gt|amp|quot));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TOKEN = re.compile(_TAG.pattern + "|" + _ENTITY.pattern)
_HTTP = re.compile(r"https?://", re.IGNORECASE)
# A cut inside a grapheme would show a broken glyph: avoid it before these characters...
_GLUE_BEFORE = frozenset({"\u200d", "\u20e3", "\ufe0e", "\ufe0f"})
# ... and after a zero-width joiner, which binds the next character to the previous one.
_GLUE_AFTER = frozenset({"\u200d"})


def _decode(match: re.Match[str]) -> str:
    dec, hexa, name = match.group(1), match.group(2), match.group(3)
    if name:
        return _NAMED[name]
    code = int(dec) if dec else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return match.group(0)  # Telegram rejects it; count it as written
    return chr(code)


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units: Telegram counts a character outside the BMP as 2."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def visible_text(html: str) -> str:
    """The text Telegram shows for ``html``: tags removed, entities decoded."""
    return _ENTITY.sub(_decode, _TAG.sub("", html))


def visible_length(html: str) -> int:
    """Visible length in UTF-16 code units, as Telegram counts it against its limits.

    Telegram also trims leading and trailing whitespace before counting; this count
    does not, so it is never below Telegram's.
    """
    return utf16_length(visible_text(html))


def safe_href(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL with a host, else None."""
    if not url:
        return None
    url = url.strip(" \t\r\n")
    # Whitespace, control and format characters hide other schemes from naive checks
    # ("java\tscript:", bidi overrides); a backslash makes browsers read another host.
    if any(ch.isspace() or ch == "\\" or unicodedata.category(ch)[0] in "CZ" for ch in url):
        return None
    if not _HTTP.match(url):
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return url if host else None


@dataclass(frozen=True, slots=True)
class _Atom:
    """A tag (``name`` set) or one visible character (``text`` set) with its source."""

    raw: str
    text: str = ""
    name: str = ""
    closing: bool = False

    @property
    def width(self) -> int:
        return utf16_length(self.text)

    @property
    def is_space(self) -> bool:
        return bool(self.text) and self.text.isspace()


def _atoms(html: str) -> list[_Atom]:
    """Tags, entities and characters of a fragment; ValueError if it is not balanced."""
    atoms: list[_Atom] = []
    stack: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(html):
        atoms.extend(_Atom(ch, ch) for ch in _plain(html[pos : match.start()]))
        pos = match.end()
        if match.group(2) is None:
            atoms.append(_Atom(match.group(0), visible_text(match.group(0))))
            continue
        name = match.group(2).lower()
        if name not in ALLOWED_TAGS:
            raise ValueError(f"<{name}> is not a tag Telegram accepts")
        closing = bool(match.group(1))
        if closing and (not stack or stack.pop() != name):
            raise ValueError(f"unbalanced </{name}> in HTML fragment")
        if not closing:
            stack.append(name)
        atoms.append(_Atom(match.group(0), name=name, closing=closing))
    atoms.extend(_Atom(ch, ch) for ch in _plain(html[pos:]))
    if stack:
        raise ValueError(f"unclosed <{stack[-1]}> in HTML fragment")
    return atoms


def _plain(text: str) -> str:
    if "<" in text:
        raise ValueError("unescaped '<' in HTML fragment")
    return text


def _stack_after(stack: list[_Atom], atoms: Sequence[_Atom]) -> list[_Atom]:
    """The open tags after ``atoms``, given those open before them."""
    stack = list(stack)
    for atom in atoms:
        if atom.closing:
            stack.pop()
        elif atom.name:
            stack.append(atom)
    return stack


def _piece(atoms: Sequence[_Atom], start: int, end: int, stack: list[_Atom]) -> str:
    """atoms[start:end] as a balanced fragment: reopen what was open, close what is left."""
    body = "".join(atom.raw for atom in atoms[start:end])
    closing = "".join(f"</{a.name}>" for a in reversed(_stack_after(stack, atoms[start:end])))
    return "".join(atom.raw for atom in stack) + body + closing


def _rank(atoms: Sequence[_Atom], i: int, j: int) -> int:
    """How good a cut dropping atoms[i:j] is: paragraph 3, line 2, word 1, character 0."""
    gap = "".join(atom.text for atom in atoms[i:j])
    return 3 if gap.count("\n") >= 2 else 2 if "\n" in gap else 1 if gap else 0


def _back_over_tags(atoms: Sequence[_Atom], floor: int, i: int) -> int:
    """Move a cut before the opening tags just before it, so no piece ends in an empty tag."""
    while i > floor and atoms[i - 1].name and not atoms[i - 1].closing:
        i -= 1
    return i


def _may_cut_before(atoms: Sequence[_Atom], i: int) -> bool:
    """False inside an emoji sequence or before a combining mark.

    A surrogate pair is never at risk: a Python character is a whole code point.
    """
    ch = atoms[i].text
    if ch in _GLUE_BEFORE or unicodedata.combining(ch) or unicodedata.category(ch) == "Me":
        return False
    return atoms[i - 1].text not in _GLUE_AFTER


def _cut(atoms: Sequence[_Atom], start: int, limit: int) -> tuple[int, int]:
    """Where to cut after ``start``: (end of this piece, start of the next).

    The atoms between the two are whitespace (and tags), which the cut drops. The best
    boundary past half the limit wins (paragraph, line, word, character); failing that,
    the furthest one.
    """
    candidates: list[tuple[int, int, int, int]] = []  # (rank, width before, end, next)
    width, i, run_end, has_text = 0, start, start, False
    while i < len(atoms):
        atom = atoms[i]
        if has_text and i >= run_end and atom.is_space:
            run_end = i
            while run_end < len(atoms) and (atoms[run_end].is_space or not atoms[run_end].text):
                run_end += 1
            end = _back_over_tags(atoms, start, i)
            candidates.append((_rank(atoms, end, run_end), width, end, run_end))
        elif has_text and atom.text and not atom.is_space and _may_cut_before(atoms, i):
            end = _back_over_tags(atoms, start, i)
            candidates.append((0, width, end, end))
        if width + atom.width > limit:
            break
        width += atom.width
        has_text = has_text or (bool(atom.text) and not atom.is_space)
        i += 1
    if not candidates:
        if i == start:
            raise ValueError(f"one character is wider than the limit {limit}")
        return i, i  # nothing better (whitespace, or one long emoji sequence): cut here
    late = [c for c in candidates if c[1] >= limit // 2]
    _, _, end, after = max(late) if late else max(candidates, key=lambda c: (c[1], c[0]))
    return end, after


def _split_block(atoms: Sequence[_Atom], limit: int, first: int | None = None) -> list[str]:
    """Cut one block into balanced pieces of at most ``limit`` visible units, the first of
    at most ``first`` (the room left in a message, default ``limit``)."""
    rest = [0] * (len(atoms) + 1)  # visible width of atoms[i:]
    for i in range(len(atoms) - 1, -1, -1):
        rest[i] = rest[i + 1] + atoms[i].width
    pieces: list[str] = []
    start = 0
    stack: list[_Atom] = []
    while rest[start] > (room := limit if pieces or first is None else first):
        end, after = _cut(atoms, start, room)
        pieces.append(_piece(atoms, start, end, stack))
        stack = _stack_after(stack, atoms[start:after])
        start = after
    pieces.append(_piece(atoms, start, len(atoms), stack))
    return pieces


def split_blocks(blocks: Sequence[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pack balanced HTML blocks into messages of at most ``limit`` visible UTF-16 units.

    Blocks are joined with a blank line. A block over the limit is cut at a paragraph,
    line or word boundary if one falls past half the limit, else between characters;
    tags open at a cut are closed and reopened in the next message. The only text
    dropped is whitespace: the whitespace at each cut, and blocks with nothing else.

    :raises ValueError: if a block is not a balanced fragment, or ``limit`` < 2.
    """
    if limit < 2:
        raise ValueError("limit must leave room for one UTF-16 surrogate pair")
    messages: list[str] = []
    current: list[str] = []
    width = 0
    for block in blocks:
        atoms = _atoms(block)
        size = sum(atom.width for atom in atoms)
        room = limit - width - len(JOINER) if current else limit
        if size > room and room >= limit // 4 and FOLDED_QUOTE in block:
            # A folded section (a list of lines in an expandable quote) fills the message
            # before it, cut at a line, rather than opening a message of its own.
            pieces = _split_block(atoms, limit, first=room)
        else:
            pieces = [block] if size <= limit else _split_block(atoms, limit)
        for n, piece in enumerate(p for p in pieces if visible_text(p).strip()):
            piece_width = visible_length(piece)
            # Pieces of one cut block never share a message: the cut chose their ends.
            if current and (n > 0 or width + len(JOINER) + piece_width > limit):
                messages.append(JOINER.join(current))
                current, width = [], 0
            width += piece_width + (len(JOINER) if current else 0)
            current.append(piece)
    if current:
        messages.append(JOINER.join(current))
    return messages


def split_caption(
    blocks: Sequence[str], caption_limit: int = CAPTION_LIMIT, limit: int = MESSAGE_LIMIT
) -> tuple[str, list[str]]:
    """A photo's caption (at most ``caption_limit`` visible units) and the messages after it.

    The caption is the first message :func:`split_blocks` packs at the caption's limit, so
    it ends between blocks, or at a clean cut of one with its tags closed; what did not
    fit is packed again into ordinary messages.
    """
    pieces = split_blocks(blocks, caption_limit)
    if not pieces:
        return "", []
    return pieces[0], split_blocks(pieces[1:], limit)
