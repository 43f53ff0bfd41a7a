"""The weekly digest document and its build, on the synthetic 14-day store (issue 17)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fake_llm import MARK, FakeLlm, data_of, llm_settings, serve
from week_store import MONDAY, WEEK, seed_fortnight, seen_on

from bot.config import Settings
from bot.llm import llm_config
from digest import (
    SECTION_IDS,
    BuildOptions,
    Digest,
    PushReader,
    Store,
    UsageError,
    build_week,
    build_week_off_loop,
    compose_week,
    digest_chart,
    digest_versions,
    filtered_view,
    get_digest,
    latest_digest,
    load_themes,
    make_post,
    render_text,
)

BUILT = datetime(2026, 2, 16, 1, 0, tzinfo=UTC)  # Monday morning after the week


@pytest.fixture
def fortnight(store: Store) -> Store:
    seed_fortnight(store)
    return store


@pytest.fixture
def options() -> BuildOptions:
    return BuildOptions(themes=load_themes())


def titles_cited(digest: Digest, section: str, lang: str = "zh") -> list[str]:
    cites = [
        n
        for block in digest.section(section, lang).blocks
        for statement in block.statements
        for n in statement.cites
    ]
    return [digest.source(n).post_id for n in cites]


def text_of(digest: Digest, section: str, lang: str = "zh") -> str:
    found = digest.section(section, lang)
    return "\n".join(
        f"{block.heading or ''}: " + " ".join(s.text for s in block.statements)
        for block in found.blocks
    )


def test_the_weekly_digest_states_the_weeks_facts(fortnight: Store, options: BuildOptions) -> None:
    digest = compose_week(fortnight, WEEK, options, BUILT)
    assert digest.date == WEEK and not digest.is_empty
    for lang in ("zh", "en"):
        assert [s.id for s in digest.sections[lang]] == list(SECTION_IDS)
    cited = {s.post_id for s in digest.sources}
    assert {"long", "jump", "t1", "rust-tue"} <= cited  # stayers, climbers, each list's top
    assert digest.headline.text == "GPT-5 model"
    summary = text_of(digest, "summary")
    assert "共出现 11 篇，上周 29 篇" in summary
    assert "《GPT-5 model》：在榜 7 天" in summary
    assert "从掘金第 20 名升至第 2 名" in summary
    assert "升温最多的主题是「AI 与大模型」：本周 8 篇，上周 1 篇" in summary
    assert "降温最多的是「后端与架构」：本周 2 篇，上周 28 篇" in summary
    highlights = text_of(digest, "highlights")
    assert highlights.startswith("在榜最久: 《GPT-5 model》：在榜 7 天")
    assert "排名攀升最多: 《Rust 路线图》：从掘金第 20 名升至第 2 名" in highlights
    metrics = text_of(digest, "metrics", "en")
    assert "Hacker News: 8 posts in the window" in metrics
    assert "Juejin: 2 posts in the window" in metrics
    top = next(b for b in digest.section("metrics").blocks if b.heading == "各来源本周热门")
    assert len(top.statements) == 3  # one per source, its top posts cited
    assert digest.source(top.statements[0].cites[0]).post_id == "long"
    outlook = text_of(digest, "outlook", "en")
    assert "To watch: rising themes" in outlook and "Cooling themes" in outlook
    week = digest.facts["week"]
    assert [digest.source(c["index"]).post_id for c in week["climbers"]] == ["jump", "long"]
    assert week["per_source"] == {"hackernews": 8, "juejin": 2, "v2ex": 1}
    assert digest.section("highlights").title == "本周要点"
    for section in SECTION_IDS[:-1]:  # every citation is a stored source
        assert all(1 <= n <= len(digest.sources) for n in _cites(digest, section))
    assert render_text(digest).startswith(f"科技热榜周报 · {WEEK}")


def _cites(digest: Digest, section: str) -> list[int]:
    return [n for b in digest.section(section).blocks for s in b.statements for n in s.cites]


def test_a_week_without_a_week_before_says_so(fortnight: Store, options: BuildOptions) -> None:
    first = compose_week(fortnight, "2026-W06", options, BUILT)  # nothing stored before it
    assert "上周没有数据" in text_of(first, "summary")
    assert "no data for the week before" in text_of(first, "summary", "en")
    assert "上周 29 篇" in text_of(compose_week(fortnight, WEEK, options, BUILT), "summary")


def test_a_week_is_stored_in_versions_apart_from_the_days(
    fortnight: Store, options: BuildOptions
) -> None:
    built = build_week(fortnight, WEEK, options, BUILT)
    assert built.saved is not None and built.saved.created and built.posts == 11
    again = build_week(fortnight, f" {WEEK} ", options, BUILT)
    assert again.saved is not None and not again.saved.created  # same input: same version
    forced = build_week(fortnight, WEEK, options, BUILT, force=True)
    assert forced.digest is not None and forced.digest.version == 2
    assert digest_versions(fortnight, weeks=True)[0][:2] == (WEEK, 2)
    assert digest_versions(fortnight) == []  # the days' list never meets a week
    assert latest_digest(fortnight) is None
    assert latest_digest(fortnight, weeks=True) == forced.digest
    assert get_digest(fortnight, WEEK, 1) == built.digest


def test_an_empty_week_stores_nothing(fortnight: Store, options: BuildOptions) -> None:
    built = build_week(fortnight, "2026-W01", options, BUILT)
    assert built.saved is None and built.posts == 0
    assert digest_versions(fortnight, weeks=True) == []
    with pytest.raises(UsageError):
        build_week(fortnight, "2026-W99", options, BUILT)


def test_a_weeks_chart_and_a_filtered_view(fortnight: Store, options: BuildOptions) -> None:
    saved = build_week(fortnight, WEEK, options, BUILT).digest
    assert saved is not None
    chart = digest_chart(fortnight, saved, options)
    assert chart.weekly and chart.date == WEEK and chart.version == saved.version
    numbered = {(e.source, e.title): e.index for e in saved.sources}
    assert [p.index for p in chart.posts] == [numbered[(p.source, p.title)] for p in chart.posts]
    assert [p.index for p in chart.posts][:3] == [1, 2, 6]  # as the digest numbers them
    narrowed = filtered_view(fortnight, saved, options, ((), ("hackernews",)))
    assert narrowed.version == saved.version and narrowed.date == WEEK
    assert {s.source for s in narrowed.sources} == {"juejin", "v2ex"}


async def test_a_week_builds_off_the_loop_on_its_own_connection(
    db_path: Path, options: BuildOptions
) -> None:
    store = Store.open(db_path)
    seed_fortnight(store)
    store.close()  # the build opens the file itself, on its worker thread
    built = await build_week_off_loop(db_path, WEEK, options, BUILT)
    again = await build_week_off_loop(db_path, WEEK, options, BUILT)
    assert built.saved is not None and built.saved.created and built.posts == 11
    assert again.saved is not None and not again.saved.created  # unchanged: no new version
    reader = Store.open(db_path)
    try:
        assert [v[:2] for v in digest_versions(reader, weeks=True)] == [(WEEK, 1)]
    finally:
        reader.close()


def test_a_weeks_filters_and_charts_share_one_read_of_the_week(
    fortnight: Store, options: BuildOptions
) -> None:
    saved = build_week(fortnight, WEEK, options, BUILT).digest
    assert saved is not None
    filters = [((), ("hackernews",)), (("juejin",), ()), ((), ("v2ex",))]
    alone = [filtered_view(fortnight, saved, options, f) for f in filters]
    narrowed = [replace(options, include_sources=i, exclude_sources=e) for i, e in filters]
    charts = [digest_chart(fortnight, saved, n) for n in narrowed]
    reader = PushReader()
    ran: list[str] = []
    fortnight.db.conn.set_trace_callback(ran.append)
    shared = [filtered_view(fortnight, saved, options, f, reader) for f in filters]
    first = len(ran)
    again = [digest_chart(fortnight, saved, n, reader) for n in narrowed]
    fortnight.db.conn.set_trace_callback(None)
    assert shared == alone and again == charts  # the same digests and charts
    # The week and the week before are read once for all three filters (two window
    # reads), and the charts read only their days' windows, not the week again.
    weekly = [s for s in ran[:first] if "GROUP BY source, post_id" in s]
    assert len(weekly) == 2
    assert not any("json_each" in s for s in ran[first:])
    # The story history: the week's once for its filters, and each chart day's once for
    # the three charts (each day's stories merged as that day's digest merges them).
    history = ["idx_posts_first_seen_at" in s for s in ran]
    assert sum(history[:first]) == 1 and sum(history[first:]) == 7


def test_the_llm_writes_a_weeks_prose_through_the_daily_path(
    settings: Settings, fortnight: Store, options: BuildOptions
) -> None:
    fake = FakeLlm()
    with serve(fake) as url:
        llm = llm_config(llm_settings(settings, url))
        built = build_week(fortnight, WEEK, options, BUILT, llm=llm)
    digest = built.digest
    assert digest is not None and digest.footer.writer == "llm:fake-model", built.llm_reason
    assert digest.section("summary").blocks[0].statements[0].text.startswith(MARK["zh"])
    assert digest.section("metrics").writer == "offline"  # figures stay the builder's
    assert len(fake.requests) == 3
    sent = data_of(fake.requests[0])  # the model is told it writes about a week
    assert sent["date"] == WEEK and sent["period"].startswith("ISO week")
    assert sent["longest_on_lists"][0]["days"] == 7
    summary_task = next(
        m["content"] for m in fake.requests[0]["messages"] if m["role"] == "user"
    ).split("DATA (quoted", 1)[0]
    assert "the day's" not in summary_task and "ISO week of DATA.period" in summary_task


def test_a_week_of_only_chatter_is_empty(store: Store, options: BuildOptions) -> None:
    # Its stories leave chatter out: the writer read stories[0] of none (IndexError), e.g.
    # for a chat whose source filter kept only a V2EX car question.
    for n in range(3):
        car = make_post(source="v2ex", post_id="car", title="15w 左右，最近选车选迷茫了！", rank=2)
        store.save_posts([car], seen_on(MONDAY + timedelta(days=n)))
    assert compose_week(store, WEEK, options, BUILT).is_empty


def test_an_unchanged_week_asks_the_llm_again_only_when_told(
    settings: Settings, fortnight: Store, options: BuildOptions
) -> None:
    # Before a push (retry_llm=False) a week stored by the offline writer is not sent to
    # the LLM again while the build lock holds every other build.
    build_week(fortnight, WEEK, options, BUILT)  # offline: the LLM was not reachable then
    fake = FakeLlm()
    with serve(fake) as url:
        llm = llm_config(llm_settings(settings, url))
        kept = build_week(fortnight, WEEK, options, BUILT, llm=llm, retry_llm=False)
        assert fake.requests == [] and kept.digest is not None
        assert kept.digest.footer.writer == "offline"
        retried = build_week(fortnight, WEEK, options, BUILT, llm=llm)
    assert retried.digest is not None and retried.digest.footer.writer == "llm:fake-model"
