"""Same story (issue 14, branch h14story4): the misses left after the sixth round, each
rule general, each with the pair it must keep apart.

Titles are real ones from bench/days/ (2025-12-05, 2026-01-31, 2026-06-10) unless marked
"(made up)"; the histories are made up, since only which words they carry matters.
"""

from __future__ import annotations

import pytest
from test_story_events import history_with
from test_story_markers import HISTORY, stories

from digest import make_post
from digest.build.story_markers import event_words

REACT = make_post(source="github", post_id="facebook/react", title="facebook/react")
# "React" on many earlier titles: the lists keep writing about it.
REACT_KEPT = history_with(*(f"React 周报 第 {n} 期 (made up)" for n in range(10)))


def test_a_repository_the_lists_keep_naming_is_the_story_of_its_vulnerability():
    day = (
        REACT,
        make_post(source="juejin", post_id="v1", title="React CVE-2025-55182漏洞排查与修复指南"),
        make_post(source="juejin", post_id="v2", title="深入探究 React 史上最大安全漏洞"),
    )
    assert {"facebook/react", "v1", "v2"} in stories(day, REACT_KEPT)


def test_a_repository_the_lists_keep_naming_is_not_the_story_of_a_release_or_an_article():
    day = (
        REACT,
        make_post(source="juejin", post_id="r", title="React 19.2 正式发布 (made up)"),
        make_post(
            source="juejin", post_id="a", title="React 状态管理的三种写法，哪种最好？ (made up)"
        ),
    )
    found = stories(day, REACT_KEPT)
    assert {"facebook/react"} in found and {"r"} in found and {"a"} in found


# 2026-01-31: the third renaming, told once by its old name and once by its short one.
RENAMED = (
    make_post(source="github", post_id="openclaw/openclaw", title="openclaw/openclaw"),
    make_post(
        source="juejin",
        post_id="r1",
        title="目前最火的 AI 助手 Clawdbot 又又又改名了 并且发布新版本",
    ),
    make_post(
        source="juejin",
        post_id="r2",
        title="叒改名？？ Clawd 近日完成第三次更名，这次叫：OpenClaw 😂",
    ),
)


def test_a_renaming_told_by_a_shortened_name_is_one_story():
    assert {"openclaw/openclaw", "r1", "r2"} in stories(RENAMED, HISTORY)
    assert {"r1", "r2"} in stories(RENAMED[1:])  # the renaming alone, without a history


def test_a_name_beginning_another_is_another_thing_outside_a_renaming():
    # Made-up titles (unmarked: "(made up)" on both would be a shared name).
    day = (
        make_post(source="juejin", post_id="a", title="React 爆出高危漏洞"),
        make_post(source="hackernews", post_id="b", title="Reactor Netty vulnerability"),
    )
    assert {"a"} in stories(day, HISTORY) and {"b"} in stories(day, HISTORY)
    renamed = (
        make_post(source="juejin", post_id="a", title="Clawdbot 改名了"),
        make_post(source="hackernews", post_id="b", title="Clawd 的作者又开新坑了"),
    )
    assert {"a"} in stories(renamed, HISTORY)  # only one title tells a renaming


def test_two_names_a_clause_apart_are_two_topics_not_one_product():
    # 2026-06-10: "Android" and "Compose" on these two juejin posts only, but as one
    # product's name ("Compose Multiplatform") in neither: two articles of the list.
    day = (
        make_post(
            source="juejin",
            post_id="a",
            title="Android 官方给 Compose 搞了个不需要 UI 环境的 Composable",
        ),
        make_post(
            source="juejin",
            post_id="k",
            title="Kotlin 2.4.0 正式稳定！Android 升级、Compose、KMP 全变化详解",
        ),
    )
    assert {"a"} in stories(day) and {"k"} in stories(day)
    named = (
        make_post(source="juejin", post_id="a", title="Android Compose 新增 Composable 预览"),
        make_post(source="juejin", post_id="k", title="Android Compose 1.9 预览功能详解"),
    )
    assert {"a", "k"} in stories(named)  # made up: one name of two words in both


@pytest.mark.parametrize(
    ("title", "events"),
    [
        ("Cloudflare 貌似又挂了", {"incident"}),
        ("活久见， Cloudflare 香港崩了", {"incident"}),
        ("知乎刚刚是不是崩了？", {"incident"}),
        # The same slang for a failed interview, a broken project, a mood: no outage.
        ("字节二面挂了！被问 “订单超时自动取消”，我只答 “定时任务”", set()),
        ("Java 面试又挂了，八股文到底要背到什么程度 (made up)", set()),
        ("重构第三天，我把项目里 500 个 any 全部换成了具体的 Interface，然后项目崩了😭", set()),
        ("连续加班一个月，心态崩了 (made up)", set()),
    ],
)
def test_outage_slang_is_an_outage_only_when_it_is_not_an_interview_or_a_project(
    title: str, events: set[str]
):
    assert event_words(title) == events


def test_outage_words_link_only_titles_that_share_a_name_and_an_outage():
    # Made-up titles (unmarked: "(made up)" on both would be a shared name). The interview
    # and the download site share "Java" and the slang 挂了: two stories.
    day = (
        make_post(source="juejin", post_id="i", title="Java 后端二面又挂了，线程池那题我答错了"),
        make_post(source="v2ex", post_id="o", title="Java 官网又挂了？下载页一直 502"),
        make_post(source="v2ex", post_id="c", title="Cloudflare 貌似又挂了"),  # real, 2025-12-05
    )
    java_kept = history_with(*(f"Java 周报 第 {n} 期 (made up)" for n in range(10)))
    found = stories(day, java_kept)
    assert {"i"} in found and {"o"} in found and {"c"} in found
    down = make_post(source="hackernews", post_id="h", title="Java download site is down")
    assert {"o", "h"} in stories((*day[1:], down), java_kept)  # one name, an outage in both


def test_one_name_of_two_words_on_two_articles_is_one_story_only_beside_an_event():
    # 2025-12-13 (an unlabelled history day): two juejin articles using Trae Solo, one
    # product named and no release or event told: two articles, not a story.
    day = (
        make_post(
            source="juejin",
            post_id="t1",
            title="🚀用 TRAE SOLO 一天不到就把老项目重构完是什么体验？",
        ),
        make_post(
            source="juejin",
            post_id="t2",
            title="轻松搞定年度报告可视化，五分钟用 AntV + Trae Solo 快速构建智能图表生成器！",
        ),
    )
    assert {"t1"} in stories(day) and {"t2"} in stories(day)
    released = make_post(source="juejin", post_id="t2", title="Trae Solo 正式上线 (made up)")
    assert {"t1", "t2"} in stories((day[0], released))
