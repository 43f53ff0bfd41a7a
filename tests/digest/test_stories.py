"""The same story across lists (issue 14): what links two posts, and how the digest shows it.

Titles are real ones from the labelled days of bench/days/ unless said otherwise.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from digest import BuildOptions, Digest, Post, Store, compose_digest, load_themes, make_post
from digest.build.ranking import normalise_heat
from digest.build.stories import StoryEvidence, merge_duplicates
from digest.store.store import SeenPost

DAY = date(2026, 4, 15)
SEEN = datetime(2026, 4, 15, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai, inside the 18:30 window
BUILT = datetime(2026, 4, 15, 10, 30, tzinfo=UTC)

# Claude on four more posts of the day: too common a name to make a story alone.
CLAUDE_POSTS = (
    make_post(source="juejin", post_id="c1", title="Claude Code 指令入门教程"),
    make_post(source="juejin", post_id="c2", title="基于 Claude Code 的 AI 编程工作流探索"),
    make_post(source="v2ex", post_id="c3", title="Claude 的额度又被砍了"),
    make_post(source="hackernews", post_id="c4", title="Claude Opus for long tasks", heat=80),
)
ID_CHECKS = (
    make_post(source="juejin", post_id="id1", title="彻底疯狂，Claude居然要上传身份证！"),
    make_post(source="v2ex", post_id="id2", title="Anthropic 宣布在 Claude 平台推行身份验证机制"),
)
# Two juejin articles on one release (2026-01-21).
JQUERY = (
    make_post(source="juejin", post_id="q1", title="20 周年之际！jQuery 4.0 正式发布！轻装上阵"),
    make_post(source="juejin", post_id="q2", title="jQuery 4.0 发布：是否仍值得使用？"),
)


@pytest.fixture
def options() -> BuildOptions:
    return BuildOptions(themes=load_themes())


def seen(posts: tuple[Post, ...]) -> list[SeenPost]:
    return [SeenPost(post, SEEN, SEEN, None, None) for post in posts]


def items_of(digest: Digest) -> list[set[tuple[str, str]]]:
    by_index = {e.index: (e.source, e.post_id) for e in digest.sources}
    return [
        {by_index[i] for i in item}
        for theme in digest.facts["themes"]  # type: ignore[union-attr]
        for item in theme["items"]
    ]


def test_a_common_name_and_words_only_two_titles_share_are_one_story(store: Store, options):
    store.save_posts([*CLAUDE_POSTS, *ID_CHECKS], SEEN)
    items = items_of(compose_digest(store, DAY, options, BUILT))
    assert {("juejin", "id1"), ("v2ex", "id2")} in items
    for key in ("c1", "c2", "c3", "c4"):  # "Claude" alone links none of them
        assert any(len(item) == 1 and key in {k for _, k in item} for item in items)


def test_words_a_third_title_also_has_do_not_link_two_posts():
    third = make_post(source="hackernews", post_id="x", title="身份证号码校验的正则", heat=5)
    posts = normalise_heat(seen((*CLAUDE_POSTS, *ID_CHECKS, third)))
    evidence = StoryEvidence(posts)
    where = {p.key: n for n, p in enumerate(posts)}
    i, j = where[("juejin", "id1")], where[("v2ex", "id2")]
    # "身份" is now on three titles: it is a word of the day, not of one event.
    assert evidence.link(i, j) is None
    assert "claude×6" in evidence.explain(i, j)


def test_the_same_words_on_one_list_are_two_articles():
    # The V2EX title on juejin: the rule is for two lists telling one event.
    one_list = (ID_CHECKS[0], make_post(source="juejin", post_id="id3", title=ID_CHECKS[1].title))
    items = merge_duplicates(normalise_heat(seen((*CLAUDE_POSTS, *one_list))))
    assert all(len(item.posts) == 1 for item in items)


def test_the_link_says_which_rule_made_the_story():
    posts = normalise_heat(
        seen(
            (
                make_post(
                    source="juejin", post_id="j", title="SpaceX 收购 Cursor，马斯克花600亿美元"
                ),
                make_post(source="hackernews", post_id="h", title="SpaceX to buy Cursor for $60B"),
            )
        )
    )
    assert StoryEvidence(posts).link(0, 1) == "shared names cursor, spacex"


def test_a_merged_story_is_one_highlight_citing_every_post(store: Store, options):
    store.save_posts(
        [
            *CLAUDE_POSTS,
            make_post(source="juejin", post_id="j", title="SpaceX 收购 Cursor，马斯克花600亿美元"),
            make_post(
                source="hackernews", post_id="h", title="SpaceX to buy Cursor for $60B", heat=900
            ),
            make_post(source="v2ex", post_id="v", title="SpaceX 要买 Cursor 了？"),
        ],
        SEEN,
    )
    digest = compose_digest(store, DAY, options, BUILT)
    number = {(e.source, e.post_id): e.index for e in digest.sources}
    story = {number[("juejin", "j")], number[("hackernews", "h")], number[("v2ex", "v")]}
    for language, also in (("zh", "另有 2 篇讲的是同一件事"), ("en", "2 more on the same story")):
        section = next(s for s in digest.sections[language] if s.id == "highlights")
        statements = [s for block in section.blocks for s in block.statements]
        citing = [s for s in statements if set(s.cites) & story]
        assert len(citing) == 1  # one item, not three
        assert set(citing[0].cites) == story
        assert also in citing[0].text
        for title in ("SpaceX 收购 Cursor", "SpaceX to buy Cursor for $60B", "SpaceX 要买 Cursor"):
            assert title in citing[0].text


def test_two_articles_of_one_list_on_one_release_are_one_story():
    posts = (
        *JQUERY,
        make_post(
            source="juejin", post_id="f1", title="Flutter 3.44 插件内置 Kotlin 双向兼容适配指南"
        ),
        make_post(
            source="juejin",
            post_id="f2",
            title="Flutter 开发怎么做 Agent ？从工程实战详细给你解读下",
        ),
    )
    items = merge_duplicates(normalise_heat(seen(posts)))
    assert sorted(len(item.posts) for item in items) == [1, 1, 2]
    assert {p.key for p in next(i for i in items if len(i.posts) == 2).posts} == {
        ("juejin", "q1"),
        ("juejin", "q2"),
    }


def test_a_release_a_third_title_names_is_the_lists_topic_not_one_story():
    posts = (
        *JQUERY,
        make_post(source="juejin", post_id="q3", title="从 jQuery 3 迁移到 jQuery 4.0 的笔记"),
    )
    evidence = StoryEvidence(normalise_heat(seen(posts)))
    assert all(evidence.link(i, j) is None for i, j in ((0, 1), (0, 2), (1, 2)))


def test_a_release_told_twice_keeps_its_topic_as_one_item(store: Store, options):
    # Neither title matches a theme: as two items they made a "jquery" topic, and as one
    # story of two titles they still do, instead of falling to Other.
    store.save_posts(
        [
            *JQUERY,
            *CLAUDE_POSTS,
        ],
        SEEN,
    )
    digest = compose_digest(store, DAY, options, BUILT)
    assert {("juejin", "q1"), ("juejin", "q2")} in items_of(digest)
    themes = {(e.source, e.post_id): e.theme for e in digest.sources}
    assert themes[("juejin", "q1")] == themes[("juejin", "q2")] == "topic-jquery"


def test_every_pair_a_rule_links_is_a_candidate():
    # merge_duplicates only asks link() about candidates(): a pair outside them is lost.
    posts = (
        *CLAUDE_POSTS,
        *ID_CHECKS,
        make_post(
            source="github", post_id="NousResearch/hermes-agent", title="NousResearch/hermes-agent"
        ),
        make_post(
            source="juejin",
            post_id="h",
            title="Hermes Agent 火了，我也把它从安装到飞书聊天跑了一遍",
        ),
        make_post(source="github", post_id="BerriAI/litellm", title="BerriAI/litellm"),
        make_post(
            source="hackernews", post_id="l", title="Tell HN: Litellm 1.82.7 on PyPI is compromised"
        ),
        *JQUERY,
        make_post(
            source="v2ex", post_id="u", title="Same link", url="https://example.com/a?utm_source=x"
        ),
        make_post(
            source="hackernews", post_id="u2", title="Other words", url="https://example.com/a"
        ),
    )
    evidence = StoryEvidence(normalise_heat(seen(posts)))
    pairs = [(i, j) for i in range(len(posts)) for j in range(i + 1, len(posts))]
    linked = {pair for pair in pairs if evidence.link(*pair)}
    assert len(linked) == 5  # ID checks, Hermes, litellm, jQuery, the link (Claude: none)
    assert linked <= set(evidence.candidates())


def test_two_names_only_two_titles_of_one_list_carry_are_one_story():
    release = (
        make_post(
            source="juejin",
            post_id="m1",
            title="Compose Multiplatform 1.10 Interop views 新特性：Overlay 和 Autosizing",
        ),
        make_post(
            source="juejin",
            post_id="m2",
            title="Compose Multiplatform 1.10.0 重磅发布！三大核心升级，跨平台开发效率再提升",
        ),
    )
    evidence = StoryEvidence(normalise_heat(seen((*release, *CLAUDE_POSTS))))
    where = {p.key: n for n, p in enumerate(evidence.posts)}
    pair = where[("juejin", "m1")], where[("juejin", "m2")]
    assert evidence.link(*pair) == "name compose multiplatform on these two posts only"
    # With "Compose" on a third title, one name is left to the two: a topic, not a story,
    # unless the name is followed by one version in both (1.10 and 1.10.0 are one).
    third = make_post(source="juejin", post_id="m3", title="Compose 的震动还能这么玩儿？")
    evidence = StoryEvidence(normalise_heat(seen((*release, third, *CLAUDE_POSTS))))
    where = {p.key: n for n, p in enumerate(evidence.posts)}
    pair = where[("juejin", "m1")], where[("juejin", "m2")]
    assert evidence.link(*pair) == "release multiplatform 1.10 on these two posts only"
    older = make_post(source="juejin", post_id="m1", title="Compose Multiplatform 1.9 新特性")
    evidence = StoryEvidence(normalise_heat(seen((older, release[1], third, *CLAUDE_POSTS))))
    where = {p.key: n for n, p in enumerate(evidence.posts)}
    assert evidence.link(where[("juejin", "m1")], where[("juejin", "m2")]) is None
