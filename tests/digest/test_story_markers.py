"""Release or guide (issue 14's convention): a tutorial about a project is not its story.

Titles are real ones from the labelled days of bench/days/ unless marked "(made up)".
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from digest import Post, make_post
from digest.build.ranking import normalise_heat
from digest.build.stories import StoryEvidence, merge_duplicates
from digest.build.story_history import HISTORY_MIN_POSTS, StoryHistory
from digest.build.story_markers import event_words, guide_words, is_guide
from digest.store.store import SeenPost

SEEN = datetime(2026, 1, 30, 10, 0, tzinfo=UTC)
# A history of earlier titles long enough to be read, naming none of the posts' projects
# ("AI" and "GitHub" are in it, as in any real history).
HISTORY = StoryHistory.of_titles(f"AI 与 GitHub weekly 第 {n} 期" for n in range(HISTORY_MIN_POSTS))

OPENCLAW = make_post(
    source="github",
    post_id="openclaw/openclaw",
    title="openclaw/openclaw",
    brief="Your own personal AI assistant. Any OS. Any Platform. The lobster way.",
)
OPENCLAW_GUIDE = make_post(
    source="juejin", post_id="g", title="OpenClaw (Moltbot) 安装教程: 从 0 搭建本地 AI 助手"
)
RENAMED = make_post(
    source="hackernews",
    post_id="h",
    title="OpenClaw – Moltbot Renamed Again",
    url="https://openclaw.ai/blog/introducing-openclaw",
)


def stories(posts: tuple[Post, ...], history: StoryHistory | None = None) -> list[set[str]]:
    seen = normalise_heat([SeenPost(post, SEEN, SEEN, None, None) for post in posts])
    return [{p.seen.post.post_id for p in item.posts} for item in merge_duplicates(seen, history)]


@pytest.mark.parametrize(
    ("title", "events"),
    [
        ("20 周年之际！jQuery 4.0 正式发布！轻装上阵", {"version", "release"}),
        ("Kimi 开源新模型，不输 Gemini 3，太有眼力见了！", {"open-source"}),
        ("我花了4.99元，测了一把Kimi新出的「代码神器」", {"new"}),  # a price is no version
        ("GitHub 上一款 1.7 万人收藏的 AI 助手 Clawdbot 空前爆火！", {"viral"}),
        ("腾讯终于对个人开放了，5 分钟在 QQ 里养一只「真能干活」的 AI", {"opening"}),
        ("IDEA Claude Code or Codex GUI 插件【开源自荐】", set()),  # open source, no event
        ("让 Mac mini 一夜卖断货的开源项目，到底有多邪门？", set()),
        ("Tell HN: Litellm 1.82.7 and 1.82.8 on PyPI are compromised", {"version", "incident"}),
        ("OpenClaw – Moltbot Renamed Again", {"renamed"}),
        ("SpaceX to buy Cursor for $60B", {"acquisition"}),
        ("Introduction to PostgreSQL Indexes", set()),
    ],
)
def test_event_words_name_the_kind_of_event_in_chinese_and_english(title: str, events: set[str]):
    assert event_words(title) == events


@pytest.mark.parametrize(
    ("title", "guide"),
    [
        ("Clawdbot 完整对接飞书教程 手把手搭建你的专属 AI 助手", True),
        ("从零开始搭建部署 Moltbot/Clawdbot 完整攻略", True),
        ("Claude Code 完全指南:使用方式、技巧与最佳实践", True),
        ("How to set up a local AI assistant (made up)", True),
        ("A practical guide to Postgres partitioning (made up)", True),
        # A guide word beside an event: the title names the event, it is not a guide.
        ("Hermes Agent 火了，我也把它从安装到飞书聊天跑了一遍", False),
        ("Android Studio Panda 1 正式版来了：JDK 终于不用手动配", False),
        ("OpenClaw – Moltbot Renamed Again", False),
        ("为什么程序员不自己开发一个小程序赚钱", False),  # an opinion with no guide word
    ],
)
def test_a_guide_is_a_guide_word_and_no_event(title: str, guide: bool):
    assert is_guide(title) is guide
    assert bool(guide_words(title)) or not guide


def test_a_guide_naming_the_trending_repository_is_not_its_story():
    assert {"openclaw/openclaw"} in stories((OPENCLAW, OPENCLAW_GUIDE))
    assert {"openclaw/openclaw"} in stories((OPENCLAW, OPENCLAW_GUIDE), HISTORY)


def test_a_post_naming_the_repository_and_no_event_is_not_its_story():
    # 2026-01-09: the trending repository and someone's own plugin for it (no guide word).
    plugin = (
        make_post(
            source="github", post_id="anthropics/claude-code", title="anthropics/claude-code"
        ),
        make_post(
            source="juejin", post_id="p", title="IDEA Claude Code or Codex GUI 插件【开源自荐】"
        ),
    )
    assert {"p"} in stories(plugin)


def test_a_post_naming_the_repository_and_an_event_is_its_story():
    assert {"openclaw/openclaw", "h"} in stories((OPENCLAW, RENAMED))
    litellm = (
        make_post(source="github", post_id="BerriAI/litellm", title="BerriAI/litellm"),
        make_post(
            source="hackernews",
            post_id="l",
            title="Tell HN: Litellm 1.82.7 and 1.82.8 on PyPI are compromised",
        ),
    )
    assert {"BerriAI/litellm", "l"} in stories(litellm)


def test_two_lists_sharing_names_with_a_guide_are_two_stories():
    # The renaming on Hacker News and an install guide naming both names (2026-01-30).
    found = stories((OPENCLAW, RENAMED, OPENCLAW_GUIDE), HISTORY)
    assert {"openclaw/openclaw", "h"} in found
    assert {"g"} in found


def test_one_company_s_two_products_are_two_stories_unless_the_event_words_agree():
    kimi = (
        make_post(
            source="juejin", post_id="k1", title="我花了4.99元，测了一把Kimi新出的「代码神器」"
        ),
        make_post(
            source="juejin", post_id="k2", title="Kimi 开源新模型，不输 Gemini 3，太有眼力见了！"
        ),
    )
    assert {"k1"} in stories(kimi, HISTORY)
    jquery = (
        make_post(
            source="juejin", post_id="q1", title="20 周年之际！jQuery 4.0 正式发布！轻装上阵"
        ),
        make_post(source="juejin", post_id="q2", title="jQuery 4.0 发布：是否仍值得使用？"),
    )
    assert {"q1", "q2"} in stories(jquery, HISTORY)


def test_a_guide_sharing_a_name_new_to_the_history_with_the_event_is_its_story():
    # 2026-03-11: Tencent opening QQ bots and a guide to connecting one; the gold pairs
    # them. A name no earlier post carried is evidence enough even from a guide; a name
    # the history knows is not (the guide then stands apart, by the convention).
    qq = (
        make_post(
            source="juejin",
            post_id="e",
            title="腾讯终于对个人开放了，5 分钟在 QQ 里养一只「真能干活」的 AI",
        ),
        make_post(source="juejin", post_id="g", title="OpenClaw 接入 QQ Bot 完整实践指南"),
    )
    assert {"e", "g"} in stories(qq, HISTORY)
    known = StoryHistory.of_titles(f"QQ 群周报 第 {n} 期" for n in range(HISTORY_MIN_POSTS))
    assert {"e"} in stories(qq, known)
    opened = (
        qq[0],
        make_post(source="juejin", post_id="o", title="QQ 机器人对个人开放了 (made up)"),
    )
    assert {"e", "o"} in stories(opened, HISTORY)


def test_two_tips_sharing_a_new_name_are_no_story():
    # Neither title names an event (2026-01-23): a widget two articles explain.
    tips = (
        make_post(source="juejin", post_id="r1", title="深入优化RecycleView 三人齐聚忘忧愁"),
        make_post(source="juejin", post_id="r2", title="你可能没有那么了解 RecycleView"),
    )
    assert {"r1"} in stories(tips, HISTORY)


def test_a_project_going_viral_is_one_story_beside_its_set_up_guide():
    # 2026-01-28: two posts on Clawdbot going viral, and a set-up guide naming it too.
    viral = (
        make_post(
            source="juejin",
            post_id="v1",
            title="GitHub 上一款 1.7 万人收藏的 AI 助手 Clawdbot 空前爆火！一天涨星 9000 Star！",
        ),
        make_post(
            source="juejin",
            post_id="v2",
            title="Clawdbot一夜爆火，我用云服务器搭了个24小时在线的AI助理",
        ),
        make_post(
            source="juejin", post_id="v3", title="从零开始搭建部署 Moltbot/Clawdbot 完整攻略"
        ),
    )
    found = stories(viral, HISTORY)
    assert {"v1", "v2"} in found
    assert {"v3"} in found
    # Without a history nothing says the name is new: the window alone links nothing.
    assert {"v1"} in stories(viral)


def test_the_link_of_a_release_says_which_rule_made_it():
    posts = normalise_heat([SeenPost(p, SEEN, SEEN, None, None) for p in (OPENCLAW, RENAMED)])
    assert StoryEvidence(posts).link(0, 1) == "repository openclaw named"
