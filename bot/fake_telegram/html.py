"""Telegram's HTML parse mode: marked-up text to (plain text, MessageEntity dicts).

Follows TDLib's ``parse_html``: its tag set, attribute rules and error wording, with
offsets and lengths in UTF-16 code units. One deliberate difference: TDLib keeps a bare
``&`` in text that starts no entity as a literal, but this parser rejects it, so a bot
that passes against the fake escapes everything it should. (Inside quoted attribute
values, such as ``href``, a bare ``&`` stays accepted, as URLs carry it unescaped.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

Entity = dict[str, Any]

_SPECIAL = re.compile(r"[<&]")
_HTML_ENTITY = re.compile(r"&(?:#[xX]([0-9a-fA-F]{1,8})|#([0-9]{1,10})|([a-zA-Z]+));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_NAME_TOKEN = re.compile(r"[A-Za-z0-9.\-]*")
_SPACES = " \t\r\n\f"
_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
}
_TAGS = frozenset({*_SIMPLE, "a", "pre", "blockquote", "tg-emoji", "tg-time"})


# <tg-time> keeps two attributes (unix, format) in its one argument, joined by this.
_TIME_SEP = "\x00"


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; the message is TDLib's."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's offsets and limits."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    tag: str
    argument: str
    offset: int  # UTF-16 offset in the plain text where the tag's content starts
    part: int  # index into _Parser.parts where the content starts


@dataclass
class _Parser:
    text: str
    pos: int = 0
    offset: int = 0
    parts: list[str] = field(default_factory=list)
    stack: list[_Open] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)

    def run(self) -> tuple[str, list[Entity]]:
        text = self.text
        while True:
            match = _SPECIAL.search(text, self.pos)
            end = match.start() if match else len(text)
            if end > self.pos:
                self._emit(text[self.pos : end])
            if match is None:
                break
            self.pos = end
            if text[end] == "&":
                self._entity()
            elif text.startswith("</", end):
                self._end_tag()
            else:
                self._start_tag()
        if self.stack:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"'
            )
        return "".join(self.parts), self.entities

    def _emit(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.offset += utf16_len(chunk)

    def _byte_offset(self, pos: int) -> int:
        return len(self.text[:pos].encode())

    def _char(self, pos: int) -> str:
        # TDLib reads a NUL terminator past the end; "" plays that role here.
        return self.text[pos] if pos < len(self.text) else ""

    def _entity(self) -> None:
        match = _HTML_ENTITY.match(self.text, self.pos)
        char = _decode_entity(match) if match else None
        if char is None:
            raise EntityParseError(
                f'Character "&" at byte offset {self._byte_offset(self.pos)} '
                'must be escaped as "&amp;"'
            )
        assert match is not None
        self._emit(char)
        self.pos = match.end()

    def _start_tag(self) -> None:
        begin = at = self.pos  # a character position; in bytes only in an error's text
        i = begin + 1
        while self._char(i) and self._char(i) not in _SPACES and self._char(i) != ">":
            i += 1
        if not self._char(i):
            raise EntityParseError(f"Unclosed start tag at byte offset {self._byte_offset(at)}")
        tag = self.text[begin + 1 : i].lower()
        if tag not in _TAGS:
            raise EntityParseError(
                f'Unsupported start tag "{tag}" at byte offset {self._byte_offset(at)}'
            )
        argument, self.pos = self._attributes(tag, i, at)
        if tag == "span" and argument != "spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self._byte_offset(at)}'
            )
        self.stack.append(_Open(tag, argument, self.offset, len(self.parts)))

    def _attributes(self, tag: str, i: int, at: int) -> tuple[str, int]:
        """Read attributes up to ``>``; return the one argument Telegram keeps."""
        argument = ""
        while True:
            while self._char(i) and self._char(i) in _SPACES:
                i += 1
            if self._char(i) == ">":
                return argument, i + 1
            if not self._char(i):
                raise EntityParseError(f"Unclosed start tag at byte offset {self._byte_offset(at)}")
            name_start = i
            while self._char(i) and self._char(i) not in _SPACES and self._char(i) not in "=>":
                i += 1
            name = self.text[name_start:i].lower()
            while self._char(i) and self._char(i) in _SPACES:
                i += 1
            if self._char(i) != "=":
                if tag == "blockquote" and name == "expandable":
                    argument = "expandable"
                    continue
                raise EntityParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {self._byte_offset(at)}'
                )
            value, i = self._attribute_value(i + 1, at)
            argument = _keep_argument(tag, name, value, argument)

    def _attribute_value(self, i: int, at: int) -> tuple[str, int]:
        while self._char(i) and self._char(i) in _SPACES:
            i += 1
        quote = self._char(i)
        if not quote:
            raise EntityParseError(f"Unclosed start tag at byte offset {self._byte_offset(at)}")
        if quote not in "'\"":
            match = _NAME_TOKEN.match(self.text, i)
            assert match is not None  # the pattern also matches the empty string
            end = match.end()
            if not self._char(end) or self._char(end) not in _SPACES + ">":
                raise EntityParseError(
                    f"Unexpected end of name token at byte offset {self._byte_offset(i)}"
                )
            return match.group().lower(), end
        end = self.text.find(quote, i + 1)
        if end < 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {self._byte_offset(at)}")
        raw = self.text[i + 1 : end]
        return _HTML_ENTITY.sub(lambda m: _decode_entity(m) or m.group(), raw), end + 1

    def _end_tag(self) -> None:
        begin = at = self.pos
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {self._byte_offset(at)}")
        i = begin + 2
        while self._char(i) and self._char(i) not in _SPACES and self._char(i) != ">":
            i += 1
        name = self.text[begin + 2 : i].lower()
        while self._char(i) and self._char(i) in _SPACES:
            i += 1
        if self._char(i) != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {self._byte_offset(at)}")
        opened = self.stack.pop()
        if name and name != opened.tag:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {self._byte_offset(at)}, "
                f'expected "</{opened.tag}>", found "</{name}>"'
            )
        self.pos = i + 1
        self._close(opened)

    def _close(self, opened: _Open) -> None:
        length = self.offset - opened.offset
        if length <= 0:  # Telegram drops entities that cover no text
            return
        entity: Entity = {"type": "", "offset": opened.offset, "length": length}
        if opened.tag in _SIMPLE:
            entity["type"] = _SIMPLE[opened.tag]
        elif opened.tag == "a":
            url = opened.argument or "".join(self.parts[opened.part :])
            entity.update(type="text_link", url=url)
        elif opened.tag == "blockquote":
            expandable = opened.argument == "expandable"
            entity["type"] = "expandable_blockquote" if expandable else "blockquote"
        elif opened.tag == "tg-emoji":
            entity.update(type="custom_emoji", custom_emoji_id=opened.argument)
        elif opened.tag == "tg-time":
            unix, _, fmt = opened.argument.partition(_TIME_SEP)
            if not unix.isdigit():
                raise EntityParseError('Tag "tg-time" must have a numeric attribute "unix"')
            entity.update(type="date_time", unix_time=int(unix))
            if fmt:
                entity["date_time_format"] = fmt
        else:
            entity["type"] = "pre"
            self._merge_code_language(entity)
        if opened.tag == "code" and opened.argument:
            entity["language"] = opened.argument  # moved onto the enclosing <pre>, if any
        self.entities.append(entity)

    def _merge_code_language(self, pre: Entity) -> None:
        """``<pre><code class="language-x">`` becomes one ``pre`` entity with a language."""
        for index, inner in enumerate(self.entities):
            same_span = inner["offset"] == pre["offset"] and inner["length"] == pre["length"]
            if inner["type"] == "code" and same_span:
                if "language" in inner:
                    pre["language"] = inner["language"]
                del self.entities[index]
                return


def _keep_argument(tag: str, name: str, value: str, current: str) -> str:
    if tag == "a" and name == "href":
        return value
    if tag == "code" and name == "class" and value.startswith("language-"):
        return value.removeprefix("language-")
    if tag == "span" and name == "class" and value.startswith("tg-"):
        return value.removeprefix("tg-")
    if tag == "tg-emoji" and name == "emoji-id":
        return value
    if tag == "tg-time" and name in ("unix", "format"):
        unix, _, fmt = current.partition(_TIME_SEP)
        return f"{value}{_TIME_SEP}{fmt}" if name == "unix" else f"{unix}{_TIME_SEP}{value}"
    return current


def _decode_entity(match: re.Match[str]) -> str | None:
    hex_code, dec_code, name = match.groups()
    if name is not None:
        return _NAMED.get(name)
    code = int(hex_code, 16) if hex_code is not None else int(dec_code)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def strip_text(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Trim surrounding whitespace as Telegram does, clipping entities to what is left."""
    stripped = text.strip(_SPACES)
    if stripped == text:
        return text, entities
    lead = len(text) - len(text.lstrip(_SPACES))  # whitespace is BMP: chars == code units
    size = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def parse_html(text: str) -> tuple[str, list[Entity]]:
    """Parse Telegram HTML into plain text and entities sorted by offset.

    Leading and trailing whitespace is trimmed, as Telegram does before its length checks.

    :raises EntityParseError: with TDLib's description of the first problem.
    """
    plain, entities = _Parser(text).run()
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return strip_text(plain, entities)


class ParsedTexts:
    """Texts parsed once: a broadcast sends the same parts to every chat.

    Parsing a 9,000-character digest part for each of 10,000 chats made the fake, a test
    tool, the bound of the send-path benchmark (``bench/send_path.py``). The newest
    ``size`` texts that parsed are kept; each caller gets its own entity dicts, since a
    stored message's entities are its own. A text that fails is parsed again each time,
    for its error.
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._parsed: dict[str, tuple[str, list[Entity]]] = {}

    def parse(self, text: str) -> tuple[str, list[Entity]]:
        """:func:`parse_html`, from the kept result when this text was parsed before."""
        found = self._parsed.get(text)
        if found is None:
            found = parse_html(text)
            if len(self._parsed) >= self.size:
                del self._parsed[next(iter(self._parsed))]  # the oldest
            self._parsed[text] = found
        plain, entities = found
        return plain, [dict(entity) for entity in entities]
