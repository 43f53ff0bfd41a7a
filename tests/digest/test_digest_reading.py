"""What a reader sees: cut briefs, per-list claims, coverage, stories, chatter, outlook."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from digest import (
    BuildOptions,
    Digest,
    Store,
    compose_digest,
    load_themes,
    make_post,
    render_telegram,
)
from digest.build.themes import assign_theme
from digest.writers.llm_prompt import messages, section_data
from digest.writers.llm_validate import allowed_numbers
from digest.writers.offline import cut_brief

DAY = date(2026, 3, 25)
SEEN = datetime(2026, 3, 25, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai, inside the 18:30 window
BUILT = datetime(2026, 3, 25, 10, 30, tzinfo=UTC)


# Unrelated titles: alike ones would merge into one story and defeat a count.
TITLES = (
    "Vue 响应式原理",
    "Rust 所有权入门",
    "Kafka 消息积压排查",
    "Flutter 动画技巧",
    "Docker 镜像瘦身",
    "TypeScript 类型体操",
    "Redis 缓存雪崩",
    "Kotlin 协程原理",
    "Nginx 反向代理配置",
    "MySQL 索引下推",
)


@pytest.fixture
def options() -> BuildOptions:
    return BuildOptions(themes=load_themes())


def texts(digest: Digest, section: str, language: str = "zh") -> list[str]:
    found = next(s for s in digest.sections[language] if s.id == section)
    return [s.text for block in found.blocks for s in block.statements]


def theme_of(digest: Digest) -> dict[tuple[str, str], str]:
    return {(e.source, e.post_id): e.theme for e in digest.sources}


# -- briefs ---------------------------------------------------------------------------


def test_a_short_brief_is_kept_whole() -> None:
    assert cut_brief("就这一句。") == "就这一句。"


def test_a_long_brief_is_cut_after_a_sentence_and_ends_with_an_ellipsis() -> None:
    brief = (
        "爱番番是百度的营销平台。" * 3
        + "为了能更好地服务于爱番番的客户，我们重写了整个前端的构建流程和部署方式"
    )
    cut = cut_brief(brief, limit=60)
    assert cut.endswith("…")
    assert len(cut) <= 60
    assert cut == "爱番番是百度的营销平台。爱番番是百度的营销平台。爱番番是百度的营销平台…"


def test_without_a_sentence_end_the_cut_falls_on_a_clause_then_a_word() -> None:
    clauses = (
        "第一部分讲缓存，第二部分讲索引，第三部分讲分库分表以及它们在线上环境里遇到的种种问题和对策"
    )
    assert cut_brief(clauses, limit=30) == "第一部分讲缓存，第二部分讲索引…"
    words = "We have a fairly complex dashboard written with PHP and jQuery over ten years"
    cut = cut_brief(words, limit=40)
    assert cut == "We have a fairly complex dashboard…"
    assert words.startswith(cut.removesuffix("…"))


# -- "hottest" is said per list ---------------------------------------------------------


def test_a_post_is_placed_on_its_own_list_never_compared_across_lists(store, options):
    store.save_posts(
        [
            make_post(source="juejin", post_id="j1", title="测完 GLM-5：国产开源模型", heat=1188),
            make_post(source="juejin", post_id="j2", title="DeepSeek 推理模型实测", heat=900),
            make_post(
                source="github",
                post_id="smol-ai/developer",
                title="smol-ai/developer",
                heat=1582,
                brief="LLM agents that write code",
            ),
        ],
        SEEN,
    )
    digest = compose_digest(store, DAY, options, BUILT)
    prose = " ".join(texts(digest, "summary") + texts(digest, "highlights"))
    assert "最热" not in prose
    assert "《测完 GLM-5：国产开源模型》（掘金榜首，热度 1,188）" in prose
    assert "《DeepSeek 推理模型实测》，掘金第 2 名，热度 900" in prose
    assert "GitHub Trending 榜首，热度 1,582" in prose
    english = " ".join(texts(digest, "highlights", "en"))
    assert "#2 on Juejin, heat 900" in english


def test_a_list_without_heat_figures_is_placed_by_its_own_order(store, options):
    store.save_posts(
        [make_post(source="v2ex", post_id=str(n), title=TITLES[n], rank=n) for n in (1, 2)],
        SEEN,
    )
    digest = compose_digest(store, DAY, options, BUILT)
    lines = texts(digest, "highlights")
    assert f"《{TITLES[1]}》，V2EX 榜首。" in " ".join(lines)
    assert f"《{TITLES[2]}》，V2EX 第 2 名。" in " ".join(lines)


# -- summary --------------------------------------------------------------------------


def test_summary_is_two_to_four_sentences_main_theme_first(store, options):
    posts = [
        make_post(source="juejin", post_id=f"a{n}", title=f"Claude Code 实战 {n}", heat=100 - n)
        for n in range(4)
    ] + [
        make_post(source="hackernews", post_id="h1", title="Rust in the kernel", heat=300),
        make_post(source="v2ex", post_id="v1", title="Flutter 还是 Kotlin？", rank=1),
    ]
    store.save_posts(posts, SEEN)
    digest = compose_digest(store, DAY, options, BUILT)
    summary = texts(digest, "summary")
    assert 2 <= len(summary) <= 4
    assert summary[0].startswith("今天的主线是「AI 编程」：4 篇上榜，来自掘金")
    assert summary[1].startswith("其次是")


# -- coverage -------------------------------------------------------------------------


def test_max_posts_limits_the_digest_but_each_lists_top_three_stay(store):
    posts = [
        make_post(source="juejin", post_id=f"j{n}", title=TITLES[n], heat=1000 - n)
        for n in range(6)
    ] + [
        make_post(source="v2ex", post_id=f"v{n}", title=TITLES[n], heat=n + 1) for n in range(6, 10)
    ]
    store.save_posts(posts, SEEN)
    options = BuildOptions(themes=load_themes(), max_posts=5)
    digest = compose_digest(store, DAY, options, BUILT)
    cited = {(e.source, e.post_id) for e in digest.sources}
    assert {("v2ex", "v9"), ("v2ex", "v8"), ("v2ex", "v7")} <= cited  # coldest list's top 3
    assert {("juejin", "j0"), ("juejin", "j1"), ("juejin", "j2")} <= cited
    assert len(cited) == 6  # the six kept tops exceed max_posts; nothing else joins
    assert digest.footer.posts_left_out == 10 - 6


def test_left_out_posts_are_counted_in_the_footer(store):
    store.save_posts(
        [make_post(source="juejin", post_id=str(n), title=TITLES[n], rank=n) for n in range(8)],
        SEEN,
    )
    full = compose_digest(store, DAY, BuildOptions(themes=load_themes()), BUILT)
    assert full.footer.posts_left_out == 0
    small = compose_digest(store, DAY, BuildOptions(themes=load_themes(), max_posts=4), BUILT)
    assert len(small.sources) == 4
    assert small.footer.posts_left_out == 4


# -- off-topic chatter and the same story across lists ---------------------------------


def test_chatter_never_gets_a_tech_theme(store, options):
    store.save_posts(
        [
            make_post(source="v2ex", post_id="1", title="iOS 开发程序媛，想在深圳学车，去哪报名？"),
            make_post(source="v2ex", post_id="2", title="信用卡逾期了怎么办"),
            make_post(source="v2ex", post_id="3", title="iOS 18 的 SwiftUI 新特性"),
        ],
        SEEN,
    )
    themes = theme_of(compose_digest(store, DAY, options, BUILT))
    assert themes[("v2ex", "1")] == themes[("v2ex", "2")] == "other"
    assert themes[("v2ex", "3")] == "mobile"


def test_one_story_on_three_lists_becomes_one_item_citing_all(store, options):
    store.save_posts(
        [
            make_post(source="juejin", post_id="j", title="SpaceX 收购 Cursor，马斯克花600亿美元"),
            make_post(
                source="hackernews", post_id="h", title="SpaceX to buy Cursor for $60B", heat=900
            ),
            make_post(source="github", post_id="BerriAI/litellm", title="BerriAI/litellm"),
            make_post(
                source="hackernews",
                post_id="l",
                title="Tell HN: Litellm 1.82.7 on PyPI is compromised",
                heat=500,
            ),
            make_post(source="juejin", post_id="c1", title="Cursor 使用技巧"),
            make_post(source="juejin", post_id="c2", title="Cursor 规则文件怎么写"),
        ],
        SEEN,
    )
    digest = compose_digest(store, DAY, options, BUILT)
    by_index = {e.index: (e.source, e.post_id) for e in digest.sources}
    items = [
        {by_index[i] for i in item}
        for theme in digest.facts["themes"]  # type: ignore[union-attr]
        for item in theme["items"]
    ]
    assert {("juejin", "j"), ("hackernews", "h")} in items
    assert {("github", "BerriAI/litellm"), ("hackernews", "l")} in items
    assert {("juejin", "c1")} in items and {("juejin", "c2")} in items  # two articles, not one


# -- outlook --------------------------------------------------------------------------


def test_outlook_says_plainly_when_there_is_no_history(store, options):
    store.save_posts([make_post(source="juejin", post_id="1", title="Rust 入门", heat=5)], SEEN)
    outlook = texts(compose_digest(store, DAY, options, BUILT), "outlook")
    assert outlook[0].startswith("历史数据不足")
    english = texts(compose_digest(store, DAY, options, BUILT), "outlook", "en")
    assert english[0].startswith("Too little history")


def test_the_busiest_theme_is_set_off_from_its_sentence_as_in_the_summary(store, options):
    # "本期最集中的主题是AI 与大模型（5 篇）" ran the label into the sentence; the summary
    # writes 「AI 与大模型」, and so does the outlook now.
    store.save_posts([make_post(source="juejin", post_id="1", title="Rust 入门", heat=5)], SEEN)
    outlook = texts(compose_digest(store, DAY, options, BUILT), "outlook")
    assert any(line.startswith("本期最集中的主题是「") for line in outlook), outlook


def test_outlook_with_history_shows_rising_themes_and_stayers(store: Store, options):
    yesterday = SEEN - timedelta(days=1)
    store.save_posts(
        [make_post(source="juejin", post_id="old", title="Vue 3 组件", heat=5)], yesterday
    )
    store.save_posts(
        [
            make_post(source="juejin", post_id="old", title="Vue 3 组件", heat=9),
            make_post(source="juejin", post_id="r1", title="Rust 所有权", heat=8),
            make_post(source="juejin", post_id="r2", title="Rust 异步", heat=7),
        ],
        SEEN,
    )
    outlook = texts(compose_digest(store, DAY, options, BUILT), "outlook")
    assert not any(line.startswith("历史数据不足") for line in outlook)
    assert "「后端与架构」" not in outlook[0]  # plain theme names in the outlook lines
    assert any(line.startswith("后端与架构：本期 2 篇，上期 0 篇") for line in outlook)
    assert any("《Vue 3 组件》 最近 7 天里有 2 天出现在榜单上" in line for line in outlook)


def test_outlook_with_history_shows_falling_themes(store: Store, options):
    for days_ago in (2, 1):
        rust = [f"Rust 专题 {days_ago}-{n}" for n in range(4)]
        posts = [make_post(source="juejin", post_id=t, title=t, heat=5) for t in rust]
        store.save_posts(posts, SEEN - timedelta(days=days_ago))
    rust, vue = ("r", "Rust 异步"), ("v", "Vue 3 组件")
    store.save_posts([make_post(source="juejin", post_id=i, title=t) for i, t in (rust, vue)], SEEN)
    zh = texts(compose_digest(store, DAY, options, BUILT), "outlook")
    en = texts(compose_digest(store, DAY, options, BUILT), "outlook", "en")
    # 1 post now against 4 a day before: cooling down, and not on the rise.
    assert sum(line.startswith("后端与架构：本期 1 篇，上期 4 篇") for line in zh) == 1
    assert any(line.startswith("Backend and architecture: 1 posts now, 4 last time") for line in en)


# -- the LLM writer gets the same facts -------------------------------------------------


def test_llm_prompt_carries_stories_places_and_the_per_list_rule(store, options):
    store.save_posts(
        [
            make_post(source="juejin", post_id="j", title="SpaceX 收购 Cursor，马斯克花600亿美元"),
            make_post(
                source="hackernews", post_id="h", title="SpaceX to buy Cursor for $60B", heat=900
            ),
            make_post(source="hackernews", post_id="k", title="Kotlin 2.3 released", heat=50),
        ],
        SEEN,
    )
    digest = compose_digest(store, DAY, options, BUILT)
    data = section_data(digest)
    index = {(e.source, e.post_id): e.index for e in digest.sources}
    assert data["stories"] == [[index[("hackernews", "h")], index[("juejin", "j")]]]
    place = {p["index"]: p["place_on_its_list"] for p in data["posts"]}
    assert place[index[("hackernews", "h")]] == 1 and place[index[("hackernews", "k")]] == 2
    system, user = messages("summary", "zh", data)
    assert "never compare them across lists" in system["content"]
    assert "DATA.stories are one event" in system["content"]
    assert "two to four statements" in user["content"]
    assert str(index[("juejin", "j")]) not in allowed_numbers({"stories": data["stories"]})


# -- display names ----------------------------------------------------------------------


def test_an_rss_source_is_shown_by_its_display_name_everywhere(store, options):
    store.save_posts(
        [make_post(source="hnrss", post_id="1", title="Rust in the kernel", heat=2)], SEEN
    )
    named = replace(options, source_names=(("hnrss", "Hacker News 首页"),))
    digest = compose_digest(store, DAY, named, BUILT)
    lines = " ".join(texts(digest, "highlights") + texts(digest, "summary"))
    # Chinese follows the name's Chinese with no space (a space only after Latin letters).
    assert "Hacker News 首页榜首，热度 2" in lines and "hnrss" not in lines
    rendered = " ".join(render_telegram(digest, "full"))
    assert "Hacker News 首页" in rendered and "hnrss" not in rendered.replace("hnrss.org", "")
    data = section_data(digest)
    assert {p["source"] for p in data["posts"]} == {"Hacker News 首页"}
    unnamed = compose_digest(store, DAY, options, BUILT)
    assert "hnrss 榜首" in " ".join(texts(unnamed, "highlights"))


def test_outlook_over_a_week_names_rising_and_falling_themes(store: Store, options):
    for back in range(1, 5):  # four earlier days: three Vue posts a day, no Rust
        day = SEEN - timedelta(days=back)
        store.save_posts(
            [
                make_post(source="juejin", post_id=f"v{back}{n}", title=t, heat=5)
                for n, t in enumerate(("Vue 响应式原理", "CSS 容器查询", "Vite 插件开发"))
            ],
            day,
        )
    store.save_posts(
        [
            make_post(source="juejin", post_id="r1", title="Rust 所有权", heat=8),
            make_post(source="juejin", post_id="r2", title="Kafka 消息积压", heat=7),
        ],
        SEEN,
    )
    outlook = texts(compose_digest(store, DAY, options, BUILT), "outlook")
    assert not any(line.startswith("历史数据") for line in outlook)
    assert "后端与架构：本期 2 篇，上期 0 篇，此前 4 天平均每天 0 篇。" in outlook
    assert "前端与 Web：本期 0 篇，上期 3 篇，此前 4 天平均每天 3 篇。" in outlook


def test_outlook_with_one_earlier_day_gives_its_trends_a_caveat(store: Store, options):
    store.save_posts(
        [make_post(source="juejin", post_id="a", title="Vue 3 组件", heat=5)],
        SEEN - timedelta(days=1),
    )
    store.save_posts([make_post(source="juejin", post_id="b", title="Rust 所有权", heat=8)], SEEN)
    outlook = texts(compose_digest(store, DAY, options, BUILT), "outlook")
    assert outlook[0].startswith("历史数据有限：最近 7 天里此前只有 1 天有数据")


def test_a_command_line_tool_for_python_scripts_is_a_developer_tool(options):
    assert assign_theme("两行代码，给 Python 脚本生成命令行", None, options.themes) == "dev-tools"


def test_heat_by_theme_gives_a_lone_figure_once_and_a_range_with_its_total(store, options):
    # "GitHub Trending 热度 1,582，合计 1,582": a total of one figure said it twice.
    store.save_posts(
        [
            make_post(source="juejin", post_id="j1", title="Rust 所有权入门", heat=1188),
            make_post(source="juejin", post_id="j2", title="Rust 异步运行时对比", heat=900),
            make_post(source="v2ex", post_id="v1", title="Rust 写 Web 后端靠谱吗", heat=62),
        ],
        SEEN,
    )
    digest = compose_digest(store, DAY, options, BUILT)
    line = next(t for t in texts(digest, "metrics") if "篇，" in t and "掘金" in t)
    assert "掘金 2 篇，热度 900–1,188，合计 2,088" in line, line
    assert "V2EX 热度 62" in line and "合计 62" not in line, line
    english = next(t for t in texts(digest, "metrics", "en") if "posts, heat" in t)
    assert "2 posts, heat 900–1,188, total 2,088" in english, english
