"""Same story on days the matcher had not seen (issue 14, branch h14story3): an event a
thing has once a day, a repository's name the history calls rare, a new version on
English headlines, a short repository name.

Titles are real ones from bench/days/ (2025-11-18, 2025-12-05, 2026-01-31, 2026-06-13)
unless marked "(made up)"; the histories are made up, since only which words they carry
matters.
"""

from __future__ import annotations

import pytest
from test_stories import CLAUDE_POSTS
from test_story_markers import HISTORY, stories

from digest import make_post
from digest.build.story_history import HISTORY_MIN_POSTS, StoryHistory
from digest.build.story_markers import event_words

CLOUDFLARE = (
    make_post(
        source="juejin",
        post_id="cf1",
        title="今天 Cloudflare 全球事故，连 GPT 和你的网站都一起“掉线”了",
    ),
    make_post(
        source="hackernews", post_id="cf2", title="Cloudflare Global Network experiencing issues"
    ),
    make_post(source="v2ex", post_id="cf3", title="活久见， Cloudflare 香港崩了"),
)
GEMINI = (
    make_post(source="hackernews", post_id="g1", title="Gemini 3 Pro Preview Live in AI Studio"),
    make_post(source="hackernews", post_id="g2", title="Gemini 3"),
    make_post(
        source="hackernews", post_id="g3", title="5 Things to Try with Gemini 3 Pro in Gemini CLI"
    ),
)
BUN = (
    make_post(source="github", post_id="oven-sh/bun", title="oven-sh/bun"),
    make_post(
        source="juejin",
        post_id="b",
        title="Bun 卖身 Anthropic！尤雨溪神吐槽：OpenAI 你需要工具链吗？",
    ),
)


def history_with(*titles: str) -> StoryHistory:
    """A history long enough to be read that carries ``titles`` besides its fillers."""
    fillers = (f"AI 与 GitHub weekly 第 {n} 期" for n in range(HISTORY_MIN_POSTS))
    return StoryHistory.of_titles([*titles, *fillers])


@pytest.mark.parametrize(
    ("title", "events"),
    [
        (CLOUDFLARE[0].title, {"incident"}),  # 事故
        (CLOUDFLARE[1].title, {"incident"}),  # a status page's words
        (CLOUDFLARE[2].title, {"incident"}),  # 崩了
        ("Cloudflare 貌似又挂了", {"incident"}),
        ("AWS Multiple Services Down in us-east-1", {"incident"}),
        (BUN[1].title, {"acquisition"}),  # 卖身
        ("React CVE-2025-55182漏洞排查与修复指南", {"vulnerability"}),
        ("RCE Vulnerability in React and Next.js", {"vulnerability"}),
        ("Breaking down a monolith (made up)", set()),  # "down" alone is no outage
    ],
)
def test_outages_purchases_and_vulnerabilities_are_events(title: str, events: set[str]):
    assert event_words(title) == events


def test_one_thing_s_outage_on_three_lists_is_one_story():
    guide = make_post(source="juejin", post_id="t", title="Cloudflare Workers 入门教程 (made up)")
    found = stories((*CLOUDFLARE, guide))
    assert {"cf1", "cf2", "cf3"} in found
    assert {"t"} in found  # the name alone, with no outage, links nothing


def test_two_once_a_day_events_of_different_kinds_are_two_stories():
    bought = make_post(
        source="hackernews", post_id="a", title="Cloudflare acquires Replicate (made up)"
    )
    assert {"a"} in stories((CLOUDFLARE[2], bought))


def test_two_releases_of_one_name_are_not_once_a_day_events():
    releases = (  # made up, unmarked: the mark's words would be names the two share
        make_post(source="juejin", post_id="r1", title="Claude Code 2.1 正式发布"),
        make_post(source="v2ex", post_id="r2", title="Claude 4.5 发布了"),
        make_post(source="juejin", post_id="r3", title="Vue 3.6 正式发布"),
    )
    assert {"r1"} in stories((*CLAUDE_POSTS, *releases))


def test_a_name_that_is_the_event_word_itself_names_nothing():
    posts = (
        make_post(
            source="hackernews",
            post_id="s",
            title="US Government directive to suspend access to Fable 5 and Mythos 5",
        ),
        make_post(
            source="juejin",
            post_id="k",
            title="现代 Android 官方为什么更推荐 Repository 暴露 `suspend fun`，"
            "而不是在内部 `launch`",
        ),
    )
    assert {"k"} in stories(posts)


def test_with_a_history_a_repository_named_on_several_titles_of_its_day_links_its_event():
    # 2026-01-31: "openclaw" on the repository, the renaming and two set-up guides.
    day = (
        make_post(source="github", post_id="openclaw/openclaw", title="openclaw/openclaw"),
        make_post(
            source="juejin",
            post_id="r",
            title="叒改名？？ Clawd 近日完成第三次更名，这次叫：OpenClaw 😂",
        ),
        make_post(
            source="juejin",
            post_id="g1",
            title="OpenClaw (Moltbot) 安装教程: 从 0 搭建本地 AI 助手",
        ),
        make_post(
            source="juejin",
            post_id="g2",
            title="保姆级 OpenClaw （原 Clawdbot）飞书对接教程 手把手教你搭建 AI 助手",
        ),
    )
    assert {"openclaw/openclaw", "r"} in stories(day, HISTORY)
    assert {"openclaw/openclaw"} in stories(day)  # the window alone: four titles, a common word
    common = history_with(*(f"OpenClaw 周报 第 {n} 期 (made up)" for n in range(10)))
    # A name the lists keep using: a renaming (once a day) still tells the repository's
    # story (h14story4), a release no longer does.
    assert {"openclaw/openclaw", "r"} in stories(day, common)
    released = make_post(source="juejin", post_id="r", title="OpenClaw 2026.1.30 发布 (made up)")
    assert {"openclaw/openclaw"} in stories((*day[:1], released, *day[2:]), common)
    assert {"openclaw/openclaw", "r"} in stories((*day[:1], released, *day[2:]), HISTORY)


def test_a_version_new_to_the_history_on_english_headlines_is_one_release():
    assert {"g1", "g2", "g3"} in stories(GEMINI, HISTORY)
    assert {"g1"} in stories(GEMINI)  # no history: nothing is new
    seen = history_with("Gemini 3 rumours: what we know (made up)")
    assert {"g1"} in stories(GEMINI, seen)


def test_a_history_of_another_version_leaves_the_new_one_new():
    assert history_with("Gemini 3.5 Flash").new_version("gemini", "3")
    assert not history_with("gemini-3 leaked (made up)").new_version("gemini", "3")


def test_a_new_version_on_chinese_titles_or_beside_another_event_is_no_release():
    # 2026-06-13: Fable 5's day. The suspension is one story on three lists (the gold's);
    # the juejin articles on the release (a switch to it, its leaked prompt) are apart.
    day = (
        make_post(source="juejin", post_id="c1", title="Claude Fable 5 来了"),
        make_post(
            source="juejin",
            post_id="c2",
            title="Fable 5 的系统提示词被人扒出来了，精彩，太精彩了。",
        ),
        make_post(
            source="juejin", post_id="c3", title="我把 Claude Code 切到 Fable 5，先别急着兴奋"
        ),
        make_post(
            source="hackernews",
            post_id="e1",
            title="We've suspended access to Claude Mythos 5 and Claude Fable 5",
        ),
        make_post(
            source="hackernews",
            post_id="e2",
            title="US Government directive to suspend access to Fable 5 and Mythos 5",
        ),
        make_post(
            source="v2ex",
            post_id="e3",
            title="Anthropic 因美国政府要求，关闭了所有外国公民的 Fable 5/ Mythos 5 的访问权限",
        ),
    )
    found = stories((*CLAUDE_POSTS, *day), HISTORY)  # Claude on many posts, as that day
    assert {"e1", "e2", "e3"} in found
    assert {"c1"} in found and {"c2"} in found and {"c3"} in found


def test_a_short_repository_name_links_an_event_only_with_a_history_that_calls_it_rare():
    assert {"oven-sh/bun", "b"} in stories(BUN, HISTORY)
    assert {"b"} in stories(BUN)  # no history: a short word may be any word
    common = history_with(*(f"Bun v1.3.{n} 更新短评 (made up)" for n in range(10)))
    assert {"b"} in stories(BUN, common)
