"""Text helpers for rendering: one-line cleaning, Markdown and YAML escaping, widths."""

from __future__ import annotations

import re
import unicodedata

_MD_ESCAPE = re.compile(r"([\\`*_{}\[\]<>|~&])")
# At the start of a line these open a heading, a list or a setext underline.
_MD_LINE_START = re.compile(r"^(\d{1,9})(?=[.)](?:\s|$))|^(?=[#+=-])")
_URL_ESCAPES = {c: f"%{ord(c):02X}" for c in "()<>{} "}


def clean(text: str | None) -> str:
    """One line of text: whitespace runs become one space, control characters go.

    Control characters would let a title rewrite the terminal (ANSI escapes) or break
    a line-based format; zero-width and bidi characters stay, as real text uses them.
    """
    # Control characters go first, so those between spaces leave no run of spaces behind.
    kept = "".join(ch for ch in text or "" if ch.isspace() or unicodedata.category(ch) != "Cc")
    return " ".join(kept.split())


def escape_markdown(text: str) -> str:
    """Backslash-escape what could make a link, HTML, emphasis, code or a shortcode."""
    escaped = _MD_ESCAPE.sub(r"\\\1", text)
    match = _MD_LINE_START.match(escaped)
    return escaped if match is None else escaped[: match.end()] + "\\" + escaped[match.end() :]


def markdown_url(url: str) -> str:
    """A safe URL made usable inside ``(...)`` and ``<...>`` (and opaque to Hugo)."""
    return "".join(_URL_ESCAPES.get(ch, ch) for ch in url)


def yaml_string(text: str) -> str:
    """A YAML double-quoted scalar; escapes what YAML would not keep as printable text."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= code <= 0x7E or (0xA0 <= code <= 0xFFFD and code not in (0x2028, 0x2029)):
            out.append(ch)
        elif code > 0xFFFF:
            out.append(f"\\U{code:08X}")
        else:
            out.append(f"\\u{code:04X}")
    return '"' + "".join(out) + '"'


def display_width(text: str) -> int:
    """Terminal columns: wide East Asian characters take two, combining marks none."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def underline(text: str, char: str = "-") -> str:
    return char * max(display_width(text), 1)
