"""The digest builder on the bundled sample and on small stores made for one behaviour."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from digest import (
    BuildOptions,
    Digest,
    build_digest,
    compare_digests,
    compose_digest,
    latest_digest,
    load_themes,
    make_post,
)
from digest.build.themes import assign_theme

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample" / "posts.jsonl"
DAY = date(2026, 2, 15)
BUILT = datetime(2026, 2, 15, 10, 30, tzinfo=UTC)
PANDA_1 = "7605049329779327017"
PANDA_2 = "7605097326727266350"
GLM = "7605529884823420991"


def all_statements(digest: Digest, language: str | None = None):
    for section in digest.sections[language or digest.language]:
        for block in section.blocks:
            yield from ((section.id, s) for s in block.statements)


def test_sample_digest_has_five_sections_in_both_languages(sample, options):
    digest = compose_digest(sample, DAY, options, BUILT)
    for language in ("zh", "en"):
        assert [s.id for s in digest.sections[language]] == [
            "summary",
            "highlights",
            "metrics",
            "outlook",
            "sources",
        ]
        assert all(s.blocks for s in digest.sections[language])
    assert digest.section("summary").title == "核心摘要"
    assert digest.section("summary", "en").title == "Summary"


def test_every_citation_resolves_and_every_source_is_cited(sample, options):
    digest = compose_digest(sample, DAY, options, BUILT)
    numbers = {entry.index for entry in digest.sources}
    assert numbers == set(range(1, len(digest.sources) + 1))
    for language in ("zh", "en"):
        cited = set()
        for section_id, statement in all_statements(digest, language):
            assert set(statement.cites) <= numbers
            if section_id != "sources":
                cited.update(statement.cites)
        assert cited == numbers, f"uncited sources in {language}"


def test_sources_are_numbered_in_order_of_first_citation(sample, options):
    digest = compose_digest(sample, DAY, options, BUILT)
    cites = [*digest.headline.cites]
    for section_id, statement in all_statements(digest):
        if section_id != "sources":
            cites.extend(statement.cites)
    first_seen = list(dict.fromkeys(cites))
    assert first_seen == list(range(1, len(digest.sources) + 1))


def test_links_come_from_the_store_not_the_prose(sample, options):
    digest = compose_digest(sample, DAY, options, BUILT)
    for entry in digest.sources:
        stored = sample.get_post(entry.source, entry.post_id)
        assert stored is not None and entry.url == stored.post.url
    for _, statement in all_statements(digest):
        assert not re.search(r"\[\d+\]", statement.text), "citations are data, not text"


def test_near_duplicate_ide_release_posts_merge_into_one_item(sample, options):
    digest = compose_digest(sample, DAY, options, BUILT)
    items = [item for theme in digest.facts["themes"] for item in theme["items"]]
    index = {(s.source, s.post_id): s.index for s in digest.sources}
    merged = [item for item in items if index[("juejin", PANDA_1)] in item]
    assert merged == [[index[("juejin", PANDA_1)], index[("juejin", PANDA_2)]]]
    highlight = [
        s
        for sid, s in all_statements(digest)
        if sid == "highlights" and index[("juejin", PANDA_1)] in s.cites
    ]
    assert highlight and index[("juejin", PANDA_2)] in highlight[0].cites


@pytest.mark.parametrize(
    ("post_id", "theme"),
    [
        (GLM, "ai-models"),  # 国产开源模型
        (PANDA_1, "dev-tools"),  # "Android Studio" outweighs "Android"
        ("7605816833192067072", "ai-coding"),  # AI 编程的临界点
        ("7605941424535601206", "ai-coding"),  # 我用AI写了哪些东西: no space before 写
        ("7605941424535388214", "career"),  # 疲惫和焦虑 beats the generic "AI"
        ("7605490752096829503", "mobile"),  # Flutter 3.41: a digit after a Latin keyword
        ("7605451617286750235", "frontend"),  # 模块联邦
        ("7605807405306740799", "cloud-ops"),  # 个人站点
    ],
)
def test_theme_assignment_on_the_sample(sample, options, post_id, theme):
    post = sample.get_post("juejin", post_id).post
    assert assign_theme(post.title, post.brief, options.themes) == theme


def test_english_titles_get_themes_and_latin_keywords_need_word_boundaries(options):
    assert assign_theme("State of Machine Learning in Julia", None, options.themes) == "ai-models"
    assert assign_theme("Y Combinator", None, options.themes) == "startups"
    assert assign_theme("Email etiquette", None, options.themes) is None  # "ai" inside "Email"


def test_digest_themes_follow_the_assignment(sample, options):
    digest = compose_digest(sample, DAY, options, BUILT)
    theme_of = {(s.source, s.post_id): s.theme for s in digest.sources}
    assert theme_of[("juejin", GLM)] == "ai-models"
    assert theme_of[("juejin", PANDA_1)] == theme_of[("juejin", PANDA_2)] == "dev-tools"


def test_headline_is_the_top_post_of_the_hottest_theme(sample, options):
    digest = compose_digest(sample, DAY, options, BUILT)
    top_theme = digest.facts["themes"][0]
    lead = digest.source(top_theme["items"][0][0])
    assert digest.headline.text == lead.title
    assert digest.headline.cites[0] == lead.index
    [block] = digest.section("summary").blocks
    assert 2 <= len(block.statements) <= 4


def test_same_store_and_options_give_the_same_digest(sample, options):
    first = compose_digest(sample, DAY, options, BUILT)
    second = compose_digest(sample, DAY, options, BUILT + timedelta(hours=1))
    assert first.fingerprint == second.fingerprint
    assert first.sections == second.sections and first.sources == second.sources


def test_missing_heat_is_said_not_estimated(store, options):
    seen = datetime(2026, 2, 15, 9, 0, tzinfo=UTC)
    store.save_posts(
        [
            make_post(source="juejin", post_id="1", title="Rust 2026 路线图"),
            make_post(source="juejin", post_id="2", title="Go 1.30 发布", heat=50),
        ],
        seen,
    )
    digest = compose_digest(store, DAY, options, BUILT)
    no_heat = next(s for s in digest.sources if s.post_id == "1")
    assert no_heat.heat is None
    lines = [
        s.text
        for sid, s in all_statements(digest)
        if sid == "metrics" and no_heat.index in s.cites and len(s.cites) == 1
    ]
    assert lines and "未提供热度数据" in lines[0]
    english = [
        s.text
        for sid, s in all_statements(digest, "en")
        if sid == "metrics" and s.cites == (no_heat.index,)
    ]
    assert "no heat figure" in english[0]


def test_empty_window_gives_a_short_no_hot_posts_digest(store, options):
    digest = compose_digest(store, DAY, options, BUILT)
    assert digest.is_empty
    assert "没有热门内容" in digest.headline.text
    assert [s.id for s in digest.sections["en"]] == [
        "summary",
        "highlights",
        "metrics",
        "outlook",
        "sources",
    ]


def test_window_ends_at_the_build_time_in_the_configured_zone(store):
    options = BuildOptions(themes=load_themes(), timezone="Europe/Berlin", build_time=time(8, 0))
    start, end = options.window(date(2026, 3, 29))  # Berlin moves to summer time that night
    assert end == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=24)
    store.save_posts(
        [make_post(source="v2ex", post_id="in", title="inside")], end - timedelta(minutes=1)
    )
    store.save_posts([make_post(source="v2ex", post_id="out", title="outside")], end)
    digest = compose_digest(store, date(2026, 3, 29), options, end)
    assert [s.post_id for s in digest.sources] == ["in"]


def test_comparison_with_the_previous_window(store, options):
    day1 = datetime(2026, 2, 14, 9, 0, tzinfo=UTC)
    day2 = datetime(2026, 2, 15, 9, 0, tzinfo=UTC)
    store.save_posts(
        [
            make_post(source="hackernews", post_id="a", title="Postgres 19 released", heat=100),
            make_post(source="hackernews", post_id="b", title="SQLite tips", heat=80),
        ],
        day1,
    )
    store.save_posts(
        [
            make_post(source="hackernews", post_id="a", title="Postgres 19 released", heat=300),
            make_post(source="hackernews", post_id="c", title="Kubernetes 2.0", heat=50),
        ],
        day2,
    )
    digest = compose_digest(store, DAY, options, BUILT)
    lines = [s.text for sid, s in all_statements(digest, "en") if sid == "metrics"]
    assert any("Rising" in line and "100 → 300" in line for line in lines)
    assert any("1 new entries" in line and "Kubernetes 2.0" in line for line in lines)
    assert any("1 posts of the previous window are gone" in line for line in lines)
    assert digest.facts["new"] == [next(s.index for s in digest.sources if s.post_id == "c")]


def test_unchanged_input_keeps_the_version_and_new_input_adds_one(sample, options):
    first = build_digest(sample, DAY, options, BUILT)
    again = build_digest(sample, DAY, options, BUILT + timedelta(minutes=5))
    assert first.created and first.digest.version == 1
    assert not again.created and again.digest.version == 1
    forced = build_digest(sample, DAY, options, BUILT, force=True)
    assert forced.created and forced.digest.version == 2
    sample.save_posts(
        [make_post(source="juejin", post_id=GLM, title="测完 GLM-5 我沉默了", heat=5000)],
        datetime(2026, 2, 15, 10, 5, tzinfo=UTC),
    )
    changed = build_digest(sample, DAY, options, BUILT)
    assert changed.created and changed.digest.version == 3
    change = compare_digests(changed.previous, changed.digest)
    assert any(title.startswith("测完 GLM-5") for title, _, _ in change.heat_changed)
    stored = latest_digest(sample, "2026-02-15")
    assert stored == changed.digest
    assert Digest.from_json(stored.to_json()) == stored


def test_a_hostile_title_is_data(store, options):
    title = "<script>alert(1)</script> & 🚀 " + "长" * 5000
    store.save_posts(
        [make_post(source="v2ex", post_id="x", title=title, url="https://example.com/?a=1&b=<2>")],
        datetime(2026, 2, 15, 9, 0, tzinfo=UTC),
    )
    digest = compose_digest(store, DAY, options, BUILT)
    assert digest.sources[0].title.startswith("<script>")
    assert json.loads(digest.to_json())["sources"][0]["url"] == "https://example.com/?a=1&b=<2>"


def test_a_source_filter_builds_a_digest_of_those_sources_only(sample, options):
    from dataclasses import replace

    only = compose_digest(sample, DAY, replace(options, include_sources=("juejin",)), BUILT)
    assert only.sources and {s.source for s in only.sources} == {"juejin"}
    assert [s.index for s in only.sources] == list(range(1, len(only.sources) + 1))
    without = compose_digest(
        sample, DAY, replace(options, exclude_sources=("juejin", "hnrss")), BUILT
    )
    assert without.sources and not {s.source for s in without.sources} & {
        "juejin",
        "hnrss",
    }
    full = compose_digest(sample, DAY, options, BUILT)
    assert len({only.fingerprint, without.fingerprint, full.fingerprint}) == 3
