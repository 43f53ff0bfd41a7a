"""Telegram HTML helpers: visible length, safe hrefs, and splitting blocks into messages."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from digest.render.telegram_html import (
    ALLOWED_TAGS,
    JOINER,
    MESSAGE_LIMIT,
    safe_href,
    split_blocks,
    utf16_length,
    visible_length,
    visible_text,
)

try:  # another engineer's Telegram-compatible parser; cross-check with it when present
    from bot.fake_telegram.html import parse_html
except ImportError:  # pragma: no cover - only before it lands
    parse_html = None

_TAG = re.compile(r'<(/?)([a-z-]+)((?: [a-z]+(?:="[^"<>]*")?)*)>')
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
_ATTRIBUTE = re.compile(r' ([a-z]+)(?:="([^"<>]*)")?')


def check_telegram_html(html: str, limit: int = MESSAGE_LIMIT) -> str:
    """Assert ``html`` is one valid message of hotdigest's Telegram HTML; return its text.

    Stricter than Telegram: only the tags we emit, balanced, no tags inside code/pre or
    links inside links, every "<", ">" and "&" of the text escaped, hrefs http(s) only.
    """
    stack: list[str] = []
    pos = 0
    while pos < len(html):
        ch = html[pos]
        if ch == "<":
            match = _TAG.match(html, pos)
            assert match, f"malformed tag at {pos}: {html[pos : pos + 30]!r}"
            _check_tag(match, stack)
            pos = match.end()
        elif ch == "&":
            match = _ENTITY.match(html, pos)
            assert match, f"unescaped & at {pos}: {html[pos : pos + 12]!r}"
            code = visible_text(match.group())
            assert len(code) == 1 and not 0xD800 <= ord(code) <= 0xDFFF and code != "\0"
            pos = match.end()
        else:
            assert ch != ">", f"unescaped > at {pos}"
            pos += 1
    assert not stack, f"unclosed {stack}"
    text = visible_text(html)
    assert text.strip(), "Telegram rejects an empty message"
    assert visible_length(html) <= limit
    if parse_html is not None:
        plain, entities = parse_html(html)
        assert plain == text.strip(" \t\r\n\f")
        assert utf16_length(plain) <= limit
        for entity in entities:
            if entity["type"] == "text_link":
                assert safe_href(entity["url"]) == entity["url"]
    return text


def _check_tag(match: re.Match[str], stack: list[str]) -> None:
    closing, name, attributes = match.group(1), match.group(2), match.group(3)
    assert name in ALLOWED_TAGS, f"tag <{name}> is not allowed"
    if closing:
        assert not attributes and stack and stack.pop() == name, f"unbalanced </{name}>"
        return
    assert not {"code", "pre"} & set(stack), f"<{name}> inside code/pre"
    attrs = dict(_ATTRIBUTE.findall(attributes))
    if name == "a":
        assert "a" not in stack, "link inside a link"
        assert set(attrs) == {"href"}, "a needs exactly one href"
        href = visible_text(attrs["href"])
        assert safe_href(href) == href, f"unsafe href {href!r}"
    elif name == "blockquote":
        assert set(attrs) <= {"expandable"}
    else:
        assert not attrs, f"<{name}> takes no attributes"
    stack.append(name)


def assert_rejoins(blocks: Sequence[str], messages: Sequence[str]) -> None:
    """The messages' texts, in order, are the blocks' text with only whitespace between.

    Blocks with no visible text but whitespace are dropped, so they add no joiner.
    """
    whole = visible_text(JOINER.join(b for b in blocks if visible_text(b).strip()))
    pos = 0
    for message in messages:
        part = visible_text(message)
        at = whole.find(part, pos)
        assert at >= 0, f"text changed or reordered near {part[:40]!r}"
        assert not whole[pos:at].strip(), f"text lost: {whole[pos:at][:40]!r}"
        pos = at + len(part)
    assert not whole[pos:].strip(), f"text lost at the end: {whole[pos:][:40]!r}"


# -- visible_length --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "length"),
    [
        ("plain", 5),
        ("<b>a&lt;b</b>", 3),
        ('<a href="https://x.example/?a=1&amp;b=2">[1]</a>', 3),
        ("&quot;&amp;&gt;", 3),
        ("😀", 2),
        ("&#128512;&#x1F600;", 4),
        ("a\u200db", 3),
        ("中文", 2),
        ("<blockquote expandable>x</blockquote>", 1),
    ],
)
def test_visible_length_counts_utf16_units_of_the_text(html: str, length: int) -> None:
    assert visible_length(html) == length


# -- safe_href ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "http://example.com/a?b=1&c=2#d",
        "HTTPS://EXAMPLE.COM/Path",
        "https://例子.中国/文章",
        "https://user@example.com:8443/x",
    ],
)
def test_safe_href_keeps_http_links(url: str) -> None:
    assert safe_href(url) == url


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "\x01javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
        "https:javascript:alert(1)",
        "//example.com/x",
        "/relative/path",
        "ftp://example.com/file",
        "https://",
        "https:///path",
        "https://exa mple.com",
        "https://example.com/\u202egnp.exe",
        "https://example.com/\u200b",
        "https://example.com/\x00",
        "http:\\\\evil.example",
        "https://evil.example\\@good.example",
        "https://[::1",
    ],
)
def test_safe_href_rejects_everything_else(url: str | None) -> None:
    assert safe_href(url) is None


def test_safe_href_trims_surrounding_ascii_whitespace() -> None:
    assert safe_href("  https://example.com/a \n") == "https://example.com/a"


# -- split_blocks: edges -------------------------------------------------------------------


def test_a_block_at_the_limit_is_one_message_and_one_more_unit_splits() -> None:
    assert split_blocks(["x" * 4096]) == ["x" * 4096]
    messages = split_blocks(["x" * 4097])
    assert [visible_length(m) for m in messages] == [4096, 1]


def test_blocks_join_with_a_blank_line_that_counts_against_the_limit() -> None:
    assert split_blocks(["a" * 2047, "b" * 2047]) == ["a" * 2047 + "\n\n" + "b" * 2047]
    assert split_blocks(["a" * 2047, "b" * 2048]) == ["a" * 2047, "b" * 2048]


def test_emoji_count_two_and_are_never_halved() -> None:
    messages = split_blocks(["😀" * 2049])
    assert [visible_length(m) for m in messages] == [4096, 2]
    assert split_blocks(["a" + "😀" * 2048]) == ["a" + "😀" * 2047, "😀"]


def test_cut_prefers_a_paragraph_then_a_line_then_a_word() -> None:
    para = "a" * 60 + "\n\n" + "b" * 20 + "\n" + "c c c"
    assert split_blocks([para], 70) == ["a" * 60, "b" * 20 + "\n" + "c c c"]
    line = "a" * 30 + "\n" + "b" * 10 + " " + "c" * 5
    assert split_blocks([line], 45) == ["a" * 30, "b" * 10 + " " + "c" * 5]
    assert split_blocks(["a" * 30 + " " + "b" * 20], 40) == ["a" * 30, "b" * 20]


def test_a_boundary_in_the_first_half_loses_to_a_cut_between_characters() -> None:
    assert split_blocks(["a" * 5 + " " + "b" * 40], 20) == [
        "a" * 5 + " " + "b" * 14,
        "b" * 20,
        "b" * 6,
    ]


def test_cut_closes_and_reopens_tags_with_their_attributes() -> None:
    html = '<b>bold <a href="https://x.example/?a=1&amp;b=2">link text here</a> end</b>'
    messages = split_blocks([html], 13)
    assert messages == [
        '<b>bold <a href="https://x.example/?a=1&amp;b=2">link</a></b>',
        '<b><a href="https://x.example/?a=1&amp;b=2">text here</a> end</b>',
    ]


def test_cut_never_splits_an_entity() -> None:
    messages = split_blocks(["&amp;" * 10], 4)
    assert messages == ["&amp;" * 4, "&amp;" * 4, "&amp;" * 2]


def test_cut_keeps_an_emoji_sequence_together_when_it_can() -> None:
    family = "👩\u200d👩\u200d👧"  # one glyph, three code points joined by ZWJ
    messages = split_blocks(["ab" + family], 8)
    assert messages == ["ab", family]


def test_whitespace_only_blocks_are_dropped_and_no_blocks_give_no_messages() -> None:
    assert split_blocks([]) == []
    assert split_blocks(["  ", "<b> \n</b>", "x"]) == ["x"]


def test_unbalanced_or_foreign_markup_is_refused() -> None:
    for bad in ["<b>x", "x</b>", "<b><i>x</b></i>", "<p>x</p>", "a < b", "<br>"]:
        with pytest.raises(ValueError):
            split_blocks([bad])
    with pytest.raises(ValueError):
        split_blocks(["x"], limit=1)


# -- split_blocks: properties --------------------------------------------------------------

TRICKY = [
    *"ab z<>&\"'\n\t",
    " ",
    "\n\n",
    "😀",
    "👍🏽",
    "\u200d",
    "\u200b",
    "\u202e",
    "\ufe0f",
    "e\u0301",
    "שלום",
    "مرحبا",
    "中文",
    "\u00a0",
    "\u3000",
]
ENTITIES = ["&#128512;", "&#x1F44D;", "&quot;", "&#39;", "&amp;lt;"]
SIMPLE_TAGS = ["b", "i", "u", "s", "tg-spoiler", "blockquote"]


@st.composite
def fragments(draw: st.DrawFn, depth: int = 0, in_link: bool = False) -> str:
    """A balanced fragment of Telegram HTML with tricky text, entities and nesting."""
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["text", "text", "entity", "tag", "code"]))
        if kind == "entity":
            parts.append(draw(st.sampled_from(ENTITIES)))
        elif kind == "code" or (kind == "tag" and depth >= 3):
            name = draw(st.sampled_from(["code", "pre"]))
            parts.append(f"<{name}>{escape(draw(_text))}</{name}>")
        elif kind == "tag":
            name = draw(st.sampled_from(SIMPLE_TAGS + ([] if in_link else ["a"])))
            inner = draw(fragments(depth + 1, in_link or name == "a"))
            start = {
                "a": '<a href="https://example.com/?q=1&amp;r=%22">',
                "blockquote": draw(st.sampled_from(["<blockquote>", "<blockquote expandable>"])),
            }.get(name, f"<{name}>")
            parts.append(f"{start}{inner}</{name}>")
        else:
            parts.append(str(escape(draw(_text))))
    return "".join(parts)


_text = st.lists(st.sampled_from(TRICKY), max_size=40).map("".join) | st.text(max_size=40)


@settings(max_examples=200, deadline=None)
@given(st.lists(fragments(), max_size=6), st.integers(2, 80))
def test_split_blocks_gives_valid_messages_within_the_limit_that_rejoin(
    blocks: list[str], limit: int
) -> None:
    messages = split_blocks(blocks, limit)
    for message in messages:
        check_telegram_html(message, limit)
        message.encode("utf-16-le")  # no lone surrogate: no emoji was halved
    assert_rejoins(blocks, messages)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(TRICKY), min_size=1, max_size=300).map("".join))
def test_a_long_text_splits_only_at_whitespace_or_between_characters(text: str) -> None:
    blocks = [f"<b>{escape(text)}</b>"]
    messages = split_blocks(blocks, 16)
    assert all(visible_length(m) <= 16 for m in messages)
    assert_rejoins(blocks, messages)
    glued = "".join(visible_text(m) for m in messages)
    assert re.sub(r"\s", "", glued) == re.sub(r"\s", "", text)


def test_cuts_between_characters_only_when_no_boundary_is_near() -> None:
    words = " ".join(["word"] * 50)
    for message in split_blocks([words], 23):
        assert not message.startswith(" ") and re.fullmatch(r"word( word)*", message)
    assert all(
        unicodedata.category(visible_text(m)[0]) != "Mn" for m in split_blocks(["e\u0301" * 30], 7)
    )
