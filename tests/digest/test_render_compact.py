"""Compact Telegram views: long reference sections fold, times follow the reader's zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from digest_factory import make_digest

from bot.fake_telegram.html import EntityParseError, parse_html
from digest import BuildOptions, Store, build_digest, import_posts, load_themes
from digest.render.renderer import Renderer
from digest.render.telegram_html import MESSAGE_LIMIT, split_blocks, visible_length

ROOT = Path(__file__).resolve().parents[2]

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


def test_a_folded_section_fills_the_message_before_it() -> None:
    lines = "\n".join(f"line {n} " + "x" * 40 for n in range(60))  # 2,940 units
    blocks = [
        "<b>Summary</b>\n" + "s" * 1500,
        f"<b>Sources</b>\n<blockquote expandable>{lines}</blockquote>",
    ]
    first, second = split_blocks(blocks)
    assert (
        first.startswith("<b>Summary</b>")
        and "line 0 " in first
        and first.endswith("</blockquote>")
    )
    assert second.startswith("<blockquote expandable>line ") and "line 59 " in second
    assert visible_length(first) <= MESSAGE_LIMIT
    # A plain paragraph is never cut to fill: it opens a message of its own.
    plain = split_blocks(["s" * 1500, "p" * 3000])
    assert plain == ["s" * 1500, "p" * 3000]


@pytest.mark.parametrize(("language", "floor"), [("zh", 3), ("en", 4)])
def test_the_sample_days_full_push_takes_no_more_messages_than_its_length_needs(
    language: str, floor: int, tmp_path: Path
) -> None:
    """The demo's sample day in full mode: 44 cited posts; before the folded sections
    filled their messages it took 4 (zh) and 4 (en) messages (main at 016f978)."""
    store = Store.open(tmp_path / "s.db")
    now = datetime(2026, 2, 15, 10, 0, tzinfo=UTC)
    import_posts(store, ROOT / "data" / "sample" / "posts.jsonl", now=now)
    digest = build_digest(store, date(2026, 2, 15), BuildOptions(themes=load_themes()), now).digest
    store.close()
    messages = Renderer().telegram(digest, "full", language)
    visible = sum(visible_length(m) for m in messages)
    assert len(messages) == floor == -(-visible // MESSAGE_LIMIT)  # the fewest the limit allows
