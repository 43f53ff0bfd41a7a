"""Rendering: Telegram messages, Hugo Markdown and terminal text from a Digest."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

import pytest
from digest_factory import make_digest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_telegram_html import assert_rejoins, check_telegram_html

from digest.document import SECTION_IDS, Digest
from digest.errors import UsageError
from digest.render.renderer import (
    Renderer,
    digest_filename,
    render_markdown,
    render_telegram,
    render_text,
)
from digest.render.telegram_html import visible_text
from digest.render.text import display_width, escape_markdown

VIEWS = ("push", "full", *SECTION_IDS)
EVIL = "javascript:alert(1)"


def views_of(digest: Digest, limit: int = 4096) -> dict[tuple[str, str], list[str]]:
    return {
        (view, lang): render_telegram(digest, view, lang, limit)
        for view in VIEWS
        for lang in ("zh", "en")
    }


# -- Telegram ------------------------------------------------------------------------------


def test_every_view_is_valid_telegram_html_within_the_limit() -> None:
    for (view, lang), messages in views_of(make_digest()).items():
        assert messages, (view, lang)
        for message in messages:
            check_telegram_html(message)


def test_push_has_headline_key_points_top_five_links_and_a_short_footer() -> None:
    digest = make_digest()
    [message] = render_telegram(digest, "push")
    text = visible_text(message)
    assert digest.sources[0].title in text
    assert "AI 编程" in text  # a key point of the summary
    for entry in digest.sources[:5]:
        assert f'<a href="{entry.url.replace("&", "&amp;")}">{entry.title}</a>' in message
    assert digest.sources[5].title not in text.split("热门来源")[1]
    assert "生成时间" in text and "抓取失败：GitHub Trending" in text and "时间窗口" not in text


def test_full_view_has_every_section_in_order_and_the_whole_footer() -> None:
    digest = make_digest(language="en")
    text = "\n".join(visible_text(m) for m in render_telegram(digest, "full"))
    titles = [section.title for section in digest.sections["en"]]
    assert [text.index(t + "\n") for t in titles] == sorted(text.index(t + "\n") for t in titles)
    for label in (
        "Built: 2026-02-15 18:11 (Asia/Shanghai)",
        "Stale: V2EX",
        "Failed: GitHub Trending",
    ):
        assert label in text
    assert "Writer: offline" in text and "Notes: summary fell back" in text


def test_a_section_alone_names_the_date_and_accepts_aliases() -> None:
    digest = make_digest()
    by_alias = render_telegram(digest, "数据与指标")
    assert by_alias == render_telegram(digest, "metrics")
    assert visible_text(by_alias[0]).startswith("数据与指标 · 2026-02-15")
    assert "今日要点" not in visible_text("".join(by_alias))


def test_citations_link_to_their_source_or_stay_plain_without_a_safe_url() -> None:
    digest = make_digest(urls=[EVIL, None, "https://ok.example/3?a=1&b=2"])
    html = "".join(render_telegram(digest, "full"))
    assert "javascript" not in html.lower() and "[1]</a>" not in html and "[2]</a>" not in html
    assert '<a href="https://ok.example/3?a=1&amp;b=2">[3]</a>' in html
    assert "[1] " + digest.sources[0].title + " (无链接)" in visible_text(html)


def test_every_citation_resolves_to_the_source_list_and_every_source_is_cited() -> None:
    digest = make_digest()
    for lang in ("zh", "en"):
        text = render_text(digest, language=lang)
        body, _, listing = text.partition("\n" + digest.section("sources", lang).title + "\n")
        cited = {int(n) for n in re.findall(r"\[(\d+)\]", body)}
        listed = [int(n) for n in re.findall(r"^\[(\d+)\] .+ \| ", listing, re.MULTILINE)]
        assert listed == list(range(1, len(digest.sources) + 1))
        assert cited == set(listed)


def test_heat_figures_come_from_the_sources_and_missing_heat_is_not_invented() -> None:
    digest = make_digest()
    [push] = render_telegram(digest, "push")
    assert "热度 1,188" in push and "热度 412" in push
    no_heat = next(e for e in digest.sources[:5] if e.heat is None)
    line = next(x for x in visible_text(push).splitlines() if x.startswith(f"[{no_heat.index}]"))
    assert "热度" not in line


def test_small_limits_still_give_valid_messages_that_rejoin() -> None:
    digest = make_digest(titles=["长标题" * 400, "x " * 2500, "😀" * 1500])
    renderer = Renderer()
    for view in VIEWS:
        blocks = renderer.telegram_blocks(digest, view)
        messages = render_telegram(digest, view, limit=500)
        assert len(messages) > 1 or view == "outlook"  # the only view without titles
        for message in messages:
            check_telegram_html(message, 500)
        assert_rejoins(blocks, messages)


def test_unknown_view_or_section_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        render_telegram(make_digest(), "everything")
    with pytest.raises(UsageError):
        render_text(make_digest(), section="nope")


def test_a_language_the_digest_lacks_falls_back_to_its_own() -> None:
    digest = make_digest(language="en")
    only_en = replace(digest, sections={"en": digest.sections["en"]})
    assert render_text(only_en, language="zh") == render_text(only_en, language="en")


# -- properties ------------------------------------------------------------------------------

TRICKY = [*"<>&\"' ab", "&amp;", "<b>", "</a>", "😀", "👨\u200d💻", "\u200b", "\u200f", "\u202e"]
TRICKY += ["שלום עולם", "مرحبا", "中文标题", "\x1b[31m", "\n", EVIL, "[x](javascript:1)", "{{<"]
tricky_text = st.lists(st.sampled_from(TRICKY), max_size=12).map("".join) | st.text(max_size=30)
titles = st.one_of(
    tricky_text,
    st.builds(lambda s: (s * 5000)[:5000], st.text(min_size=1, max_size=8)),
)
urls = st.one_of(
    st.none(),
    st.sampled_from([EVIL, " JavaScript:alert(1)", "data:text/html,x", "vbscript:x", "https://"]),
    st.sampled_from(["https://ok.example/a?b=1&c=<d>", 'http://ok.example/"q"', "https://例子.cn"]),
    st.text(max_size=20),
)


def _letters(text: str) -> str:
    """What must survive any rendering: everything but whitespace and control characters."""
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cc")


@settings(max_examples=100, deadline=None)
@given(
    st.lists(titles, min_size=1, max_size=4),
    st.lists(st.none() | tricky_text, max_size=4),
    st.lists(urls, max_size=4),
    st.sampled_from(VIEWS),
    st.sampled_from(["zh", "en"]),
)
def test_any_titles_render_to_valid_messages_and_no_text_is_lost(
    titles: list[str], briefs: list[str | None], urls: list[str | None], view: str, lang: str
) -> None:
    digest = make_digest(titles=titles, briefs=briefs, urls=urls, language=lang)
    blocks = Renderer().telegram_blocks(digest, view)
    messages = render_telegram(digest, view)
    assert messages
    texts = [check_telegram_html(message) for message in messages]
    assert_rejoins(blocks, messages)
    assert "javascript" not in "".join(re.findall(r'href="([^"]*)"', "".join(messages))).lower()
    if view in ("full", "sources"):
        shown = _letters("".join(texts))
        assert all(_letters(title) in shown for title in titles)


@settings(max_examples=60, deadline=None)
@given(st.lists(titles, min_size=1, max_size=3), st.lists(urls, max_size=3))
def test_any_titles_give_parseable_markdown_and_plain_text(
    titles: list[str], urls: list[str | None]
) -> None:
    digest = make_digest(titles=titles, urls=urls, version=2)
    markdown = render_markdown(digest)
    front = front_matter(markdown)
    expected = _letters(titles[0]) or "科技热榜日报2026-02-15"  # an empty headline
    assert _letters(str(front["title"])) == expected and str(front["slug"]).endswith("-v2")
    body = markdown.split("\n---\n", 2)[2]
    assert_markdown_is_inert(body)
    text = render_text(digest)
    assert "\x1b" not in text and all(_letters(t) in _letters(text) for t in titles)


# -- Markdown ------------------------------------------------------------------------------


def front_matter(markdown: str) -> dict[str, object]:
    """Parse the YAML subset the template writes: quoted strings, booleans, flow lists."""
    lines = markdown.split("\n")
    assert lines[0] == "---"
    end = lines.index("---", 1)
    data: dict[str, object] = {}
    for line in lines[1:end]:
        key, sep, value = line.partition(": ")
        assert sep and re.fullmatch(r"[a-z]+", key), line
        data[key] = _yaml_value(value)
    return data


_QUOTED = r'"((?:[^"\\\x00-\x1f]|\\["\\nt]|\\u[0-9A-F]{4}|\\U[0-9A-F]{8})*)"'


def _yaml_value(value: str) -> object:
    if value in ("true", "false"):
        return value == "true"
    if value.startswith("["):
        assert re.fullmatch(rf"\[(?:{_QUOTED}(?:, {_QUOTED})*)?\]", value), value
        return [_unquote(m) for m in re.findall(_QUOTED, value)]
    match = re.fullmatch(_QUOTED, value)
    assert match, value
    return _unquote(match.group(1))


def _unquote(inner: str) -> str:
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(
        r"\\(u[0-9A-F]{4}|U[0-9A-F]{8}|.)",
        lambda m: escapes.get(m.group(1)) or chr(int(m.group(1)[1:], 16)),
        inner,
    )


def assert_markdown_is_inert(body: str) -> None:
    """Data cannot add links, HTML or shortcodes: every such opener is escaped or ours."""
    unescaped = r"(?<!\\)(?:\\\\)*"
    assert not re.search(unescaped + r"\{\{", body)
    for match in re.finditer(unescaped + r"<", body):
        assert re.match(r"<https?://[^<>\s]+>", body[match.end() - 1 :]), body[match.start() :][:40]
    for match in re.finditer(r"\]\(([^)]*)\)", body):
        assert re.match(r"https?://", match.group(1)), match.group(1)


def test_markdown_front_matter_parses_with_hugo_fields() -> None:
    digest = make_digest()
    markdown = render_markdown(digest)
    assert front_matter(markdown) == {
        "title": digest.sources[0].title,
        "date": "2026-02-15T18:11:31+08:00",
        "draft": False,
        "categories": ["technology"],
        "tags": ["AI 与大模型", "AI 编程", "移动开发"],
        "slug": "hotdigest-2026-02-15",
    }
    assert front_matter(render_markdown(digest, "en"))["tags"] == [
        "AI and models",
        "AI coding",
        "Mobile development",
    ]


def test_markdown_has_sections_markdown_citations_sources_and_footer() -> None:
    digest = make_digest(urls=[EVIL])
    markdown = render_markdown(digest)
    for section in digest.sections["zh"]:
        assert f"\n## {section.title}\n" in markdown
    assert "[[2]](https://example.com/post/2?ref=hot&x=1)" in markdown
    assert "[[1]]" not in markdown and "\\[1\\]" in markdown
    assert (
        "- \\[2\\] Flutter 3.41 released: what changed for desktop and web | <https://" in markdown
    )
    assert "- 抓取失败：GitHub Trending" in markdown and markdown.endswith("- 撰写：offline\n")


def test_markdown_escapes_titles_that_try_to_inject() -> None:
    title = "[click](javascript:alert(1)) <script>x</script> *b* _i_ `c` {{< sc >}} a|b # x"
    markdown = render_markdown(make_digest(titles=[title, "# heading?", "1. listed"]))
    assert_markdown_is_inert(markdown.split("\n---\n", 2)[2])
    assert "\\[click\\](javascript:alert(1)) \\<script\\>" in markdown
    assert "\\*b\\* \\_i\\_ \\`c\\` \\{\\{\\< sc \\>\\}\\} a\\|b" in markdown
    # Escaped wherever they stand: a data string may begin a line (a paragraph, a list item).
    assert "- \\[2\\] \\# heading? | " in markdown and "- \\[3\\] 1\\. listed | " in markdown


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("# x", "\\# x"),
        ("- x", "\\- x"),
        ("12. x", "12\\. x"),
        ("3) x", "3\\) x"),
        ("3.41 released.", "3.41 released."),
        (".", "."),
        ("a&b <i> `c` ~d~ |e| \\", "a\\&b \\<i\\> \\`c\\` \\~d\\~ \\|e\\| \\\\"),
    ],
)
def test_escape_markdown(text: str, escaped: str) -> None:
    assert escape_markdown(text) == escaped


def test_export_file_name_and_slug_carry_the_version_from_two() -> None:
    assert digest_filename(make_digest()) == "2026-02-15.md"
    second = make_digest(version=2)
    assert digest_filename(second) == "2026-02-15-v2.md"
    assert front_matter(render_markdown(second))["slug"] == "hotdigest-2026-02-15-v2"


# -- plain text ------------------------------------------------------------------------------


def test_text_view_has_underlined_sections_citations_and_no_markup() -> None:
    digest = make_digest()
    text = render_text(digest)
    assert "<" not in text and "&" not in text.replace("?ref=hot&x=1", "")
    lines = text.splitlines()
    for section in digest.sections["zh"]:
        at = lines.index(section.title)
        assert lines[at + 1] == "-" * display_width(section.title)
    assert f"[1] {digest.sources[0].title} | {digest.sources[0].url}" in lines
    assert "《用 AI 写 Android 需求：一个月的踩坑记录》：[3]" not in text


def test_text_view_of_one_section() -> None:
    text = render_text(make_digest(language="en"), section="sources")
    assert "Sources\n-------\n[1] " in text and "Summary" not in text
    assert "Built: 2026-02-15 18:11 (Asia/Shanghai)" in text


def test_control_characters_cannot_reach_the_terminal() -> None:
    text = render_text(make_digest(titles=["red \x1b[31malert\x07 and\x00 more\r\nline"]))
    assert "\x1b" not in text and "\x07" not in text and "\x00" not in text and "\r" not in text
    assert "red [31malert and more line" in text


# -- empty digest ------------------------------------------------------------------------------


def test_empty_digest_renders_a_short_notice_in_every_view() -> None:
    empty = make_digest(titles=[])
    assert empty.is_empty
    for (view, lang), messages in views_of(empty).items():
        [message] = messages
        check_telegram_html(message)
        notice, writer = ("没有热门内容", "撰写") if lang == "zh" else ("No hot posts", "Writer")
        assert notice in message
        assert (writer in message) == (view != "push")  # the push has the one-line footer
    assert "没有热门内容" in render_text(empty) and "没有热门内容" in render_text(empty, "summary")
    markdown = render_markdown(empty)
    assert front_matter(markdown)["tags"] == [] and "没有热门内容" in markdown


def test_a_renderer_can_be_created_and_passed_explicitly() -> None:
    renderer = Renderer()
    digest = make_digest()
    assert render_telegram(digest, "full", renderer=renderer) == render_telegram(digest, "full")
    assert render_markdown(digest, renderer=renderer) == render_markdown(digest)


def test_a_title_of_control_characters_between_spaces_cleans_to_nothing() -> None:
    # Found by Hypothesis: " \x1b" * 2500 once cleaned to 2,499 spaces, an empty-looking
    # title that hid the fallback.
    digest = make_digest(titles=[" \x1b" * 2500], version=2)
    front = front_matter(render_markdown(digest))
    assert _letters(str(front["title"])) == "科技热榜日报2026-02-15"
