"""The fake parses a broadcast's identical parts once, and each message keeps its own entities."""

from __future__ import annotations

import pytest

from bot.fake_telegram.html import EntityParseError, ParsedTexts, parse_html

TEXT = '<b>日报</b> <a href="https://example.com/?a=1&b=2">链接</a> &amp; <i>more</i>'


def test_a_kept_text_gives_what_parse_html_gives_and_fresh_entities() -> None:
    texts = ParsedTexts()
    first = texts.parse(TEXT)
    assert first == parse_html(TEXT)
    first[1][0]["length"] = 99  # one message's entity changed...
    second = texts.parse(TEXT)
    assert second == parse_html(TEXT)  # ...not the next one's
    assert second[1][0] is not first[1][0]


def test_the_oldest_text_goes_when_full() -> None:
    texts = ParsedTexts(size=2)
    for n in range(5):
        assert texts.parse(f"<b>{n}</b>") == (str(n), [{"type": "bold", "offset": 0, "length": 1}])
    assert list(texts._parsed) == ["<b>3</b>", "<b>4</b>"]


@pytest.mark.parametrize("markup", ["<b>x", "AT&T", "<br>"])
def test_a_bad_text_fails_every_time(markup: str) -> None:
    texts = ParsedTexts()
    for _ in range(2):
        with pytest.raises(EntityParseError):
            texts.parse(markup)
    assert not texts._parsed


def test_error_offsets_are_still_in_bytes() -> None:
    # Offsets are computed only for an error now; still bytes, not characters.
    with pytest.raises(EntityParseError, match=r"byte offset 6$"):
        parse_html("日报<x>")
    with pytest.raises(EntityParseError, match=r"byte offset 14$"):
        parse_html("<b>日报</b>x</i>")
