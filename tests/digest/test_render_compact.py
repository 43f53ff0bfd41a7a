"""Compact Telegram views: long reference sections fold, times follow the reader's zone."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from digest_factory import make_digest

from bot.fake_telegram.html import EntityParseError, parse_html
from digest.render.renderer import Renderer

FOLDED = ("metrics", "outlook", "sources")
QUOTE = re.compile(r"<blockquote expandable>(.*?)</blockquote>", re.S)


def test_full_view_folds_metrics_outlook_and_sources_into_expandable_quotes() -> None:
    renderer = Renderer()
    digest = make_digest(language="en")
    html = "".join(renderer.telegram(digest, "full", "en"))
    quoted = QUOTE.findall(html)
    assert len(quoted) == len(FOLDED)
    titles = {s.id: s.title for s in digest.sections["en"]}
    for sid in FOLDED:  # each quote follows its section's bold title
        assert re.search(rf"<b>{re.escape(titles[sid])}</b>\s*<blockquote expandable>", html)
    for sid in ("summary", "highlights"):
        assert not re.search(rf"<b>{re.escape(titles[sid])}</b>\s*<blockquote", html)


def test_a_folded_section_asked_for_alone_folds_too_and_parses_as_telegram_would() -> None:
    renderer = Renderer()
    digest = make_digest()
    for sid in FOLDED:
        [message] = renderer.telegram(digest, sid, "zh")
        _, entities = parse_html(message)
        assert [e["type"] for e in entities].count("expandable_blockquote") == 1
    [highlights] = renderer.telegram(digest, "highlights", "zh")
    assert "blockquote" not in highlights


def test_an_oversized_folded_section_is_cut_into_balanced_quotes() -> None:
    renderer = Renderer()
    digest = make_digest(titles=[f"标题 {n} " + "很长的标题" * 40 for n in range(60)])
    messages = renderer.telegram(digest, "sources", "zh")
    assert len(messages) > 1
    for message in messages:
        _, entities = parse_html(message)  # raises on an unbalanced tag
        assert any(e["type"] == "expandable_blockquote" for e in entities)


def test_sources_carry_their_link_on_the_title_not_as_a_printed_url() -> None:
    digest = make_digest(urls=["https://example.com/a-long-path/that-would-take-room"])
    [message] = Renderer().telegram(digest, "sources", "en")
    text, entities = parse_html(message)
    assert "https://example.com" not in text
    links = [e for e in entities if e["type"] == "text_link"]
    assert links and links[0]["url"] == "https://example.com/a-long-path/that-would-take-room"


def test_generated_at_is_a_tg_time_for_a_reader_in_another_zone() -> None:
    renderer = Renderer()
    digest = make_digest()
    built = datetime.fromisoformat(digest.footer.built_at.replace("Z", "+00:00"))
    for view in ("push", "full", "metrics"):
        html = "".join(renderer.telegram(digest, view, "zh", reader_zone="Europe/Berlin"))
        text, entities = parse_html(html)
        [stamp] = [e for e in entities if e["type"] == "date_time"]
        assert stamp["unix_time"] == int(built.timestamp())
        # Clients that cannot show it read the digest's own zone, named: still true.
        shown = text[stamp["offset"] : stamp["offset"] + stamp["length"]]
        local = built.astimezone(ZoneInfo(digest.footer.timezone))
        assert shown == f"{local:%Y-%m-%d %H:%M} ({digest.footer.timezone})"


def test_no_tg_time_when_the_reader_shares_the_digests_zone_or_is_unknown() -> None:
    renderer = Renderer()
    digest = make_digest()
    for zone in (None, digest.footer.timezone):
        html = "".join(renderer.telegram(digest, "full", "zh", reader_zone=zone))
        assert "tg-time" not in html


def test_the_fake_refuses_a_tg_time_without_a_unix_time() -> None:
    with pytest.raises(EntityParseError):
        parse_html('<tg-time format="dt">soon</tg-time>')
