"""Same story from the store's history (issue 14): a name new to the lists links two
Chinese titles, a name the lists keep using links nothing, and a short history leaves the
window to decide alone.

The pairs' titles are real ones from bench/days/; the history's titles are made up
(numbered fillers), since only which words they carry matters.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from test_stories import items_of

from digest import BuildOptions, Post, Store, compose_digest, load_themes, make_post
from digest.build.story_history import HISTORY_MIN_POSTS, read_history
from digest.build.week import parse_week, week_facts, week_window

DAY = date(2026, 4, 15)
SEEN = datetime(2026, 4, 15, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai, inside the 18:30 window
BUILT = datetime(2026, 4, 15, 10, 30, tzinfo=UTC)
EARLIER = SEEN - timedelta(days=3)

# Two juejin posts on GetX's deletion (2026-04-15): one shared name and nothing else.
GETX = (
    make_post(source="juejin", post_id="g1", title="浅谈Getx删库跑库了"),
    make_post(source="juejin", post_id="g2", title="GetX 之死 | 8 年从未用过，以后将不会再用"),
)
# flutter/flutter trending and an unrelated Flutter article (2026-06-24).
FLUTTER = (
    make_post(source="github", post_id="flutter/flutter", title="flutter/flutter"),
    make_post(
        source="juejin",
        post_id="f1",
        title="从 AspectD 到 AOPD：我们重新设计了一次 Flutter 编译期增强",
    ),
)


@pytest.fixture
def options() -> BuildOptions:
    return BuildOptions(themes=load_themes())


def fillers(count: int, start: int = 0) -> list[Post]:
    return [
        make_post(source="juejin", post_id=f"h{n}", title=f"前端 weekly 第 {n} 期")
        for n in range(start, start + count)
    ]


def merged(store: Store, options: BuildOptions, posts: tuple[Post, ...]) -> bool:
    store.save_posts(list(posts), SEEN)
    digest = compose_digest(store, DAY, options, BUILT)
    return {(p.source, p.post_id) for p in posts} in items_of(digest)


def test_a_name_new_to_the_history_makes_two_chinese_titles_one_story(store: Store, options):
    store.save_posts(fillers(HISTORY_MIN_POSTS), EARLIER)
    assert merged(store, options, GETX)


def seen_before(store: Store, title: str) -> None:
    """A long enough history in which five earlier titles say ``title`` (``{n}``: numbered)."""
    store.save_posts(fillers(HISTORY_MIN_POSTS), EARLIER)
    earlier = [
        make_post(source="juejin", post_id=f"seen{n}", title=title.format(n=n)) for n in range(5)
    ]
    store.save_posts(earlier, EARLIER)


def test_a_name_the_history_keeps_seeing_is_no_story(store: Store, options):
    seen_before(store, "GetX 状态管理第 {n} 讲")
    assert not merged(store, options, GETX)


@pytest.mark.parametrize("history", [0, HISTORY_MIN_POSTS - 1])
def test_without_enough_history_the_window_alone_decides(store: Store, options, history):
    # One shared name on one list is two articles on one product, as before the history.
    store.save_posts(fillers(history), EARLIER)
    assert not merged(store, options, GETX)


def test_a_repository_named_like_a_common_word_is_no_story(store: Store, options):
    seen_before(store, "Flutter 实战第 {n} 篇")
    assert not merged(store, options, FLUTTER)


def test_a_repository_named_with_no_history_still_links_a_release(store: Store, options):
    # Without a history the window decides: flutter/flutter and a title naming a release
    # (the sample's) link; the unrelated Flutter article names no release and does not.
    release = make_post(
        source="juejin", post_id="f2", title="Flutter 3.41 发布，快来看看有什么更新吧"
    )
    assert merged(store, options, (FLUTTER[0], release))
    assert not merged(store, options, FLUTTER)


def test_english_titles_are_not_linked_by_a_word_new_to_chinese_lists(store: Store, options):
    store.save_posts(fillers(HISTORY_MIN_POSTS), EARLIER)
    english = (
        make_post(source="hackernews", post_id="e1", title="A verification layer for agents"),
        make_post(source="hackernews", post_id="e2", title="Rust at scale: an added layer"),
    )
    assert not merged(store, options, english)


def test_the_history_is_the_earlier_posts_less_the_window_own(store: Store):
    repository = make_post(source="github", post_id="obra/superpowers", title="obra/superpowers")
    store.save_posts([*fillers(3), repository], EARLIER)
    store.save_posts([repository, *fillers(2, start=100)], SEEN)
    window = store.posts_in_window(SEEN - timedelta(hours=1), SEEN + timedelta(hours=1))
    history = read_history(store, SEEN - timedelta(hours=1), window)
    assert history.posts == 3  # the repository trending again is not its own precedent
    assert history.frequency.get("superpowers", 0) == 0
    assert history.frequency["weekly"] == 3


# Two V2EX threads arguing one question (2026-01-30): one wording, six Han characters long.
ANIMATION = (
    make_post(source="v2ex", post_id="a1", title="为什么国漫发展这么多年了出不了好作品？"),
    make_post(
        source="v2ex", post_id="a2", title="为什么国漫进步这么明显，有人却还是认为出不了好作品？"
    ),
)


def test_a_wording_new_to_the_history_makes_two_threads_one_story(store: Store, options):
    store.save_posts(fillers(HISTORY_MIN_POSTS), EARLIER)
    assert merged(store, options, ANIMATION)


def test_a_wording_the_history_has_is_a_set_phrase(store: Store, options):
    store.save_posts(fillers(HISTORY_MIN_POSTS), EARLIER)
    store.save_posts(
        [make_post(source="v2ex", post_id="old", title="电影总是出不了好作品的原因")], EARLIER
    )
    assert not merged(store, options, ANIMATION)


def test_without_a_history_a_shared_wording_is_not_enough(store: Store, options):
    assert not merged(store, options, ANIMATION)


def test_two_repositories_with_one_description_are_one_project(store: Store, options):
    # openclaw/openclaw and moltbot/moltbot, trending on 2026-01-30 under both names.
    brief = "Your own personal AI assistant. Any OS. Any Platform. The lobster way."
    renamed = (
        make_post(
            source="github", post_id="openclaw/openclaw", title="openclaw/openclaw", brief=brief
        ),
        make_post(source="github", post_id="moltbot/moltbot", title="moltbot/moltbot", brief=brief),
    )
    assert merged(store, options, renamed)


def test_two_repositories_with_different_descriptions_are_two(store: Store, options):
    repositories = (
        make_post(
            source="github",
            post_id="hashicorp/vault",
            title="hashicorp/vault",
            brief="A tool for secrets management, encryption as a service",
        ),
        make_post(
            source="github",
            post_id="protocolbuffers/protobuf",
            title="protocolbuffers/protobuf",
            brief="Protocol Buffers - Google's data interchange format",
        ),
    )
    assert not merged(store, options, repositories)


def test_a_repository_named_in_words_the_history_keeps_using_is_no_story(store: Store, options):
    # anthropics/claude-code trending and a Claude Code guide (2026-01-09).
    guide = (
        make_post(
            source="github", post_id="anthropics/claude-code", title="anthropics/claude-code"
        ),
        make_post(
            source="juejin", post_id="cc", title="Claude Code 完全指南:使用方式、技巧与最佳实践"
        ),
    )
    assert not merged(store, options, guide)  # a guide is not the repository's story
    release = (guide[0], make_post(source="juejin", post_id="cr", title="Claude Code 2.1 正式发布"))
    assert merged(store, options, release)  # without a history a release title links
    seen_before(store, "Claude 写 code 第 {n} 篇")
    assert not merged(store, options, guide)
    assert not merged(store, options, release)  # words the lists keep using: no link alone


def test_the_store_gives_the_newest_titles_first_seen_before_the_window(store: Store):
    for day in range(1, 4):
        store.save_posts(fillers(1, start=day), EARLIER - timedelta(days=day))
    newest = store.titles_first_seen(EARLIER - timedelta(days=30), EARLIER, limit=2)
    assert newest == [
        (("juejin", "h1"), "前端 weekly 第 1 期"),
        (("juejin", "h2"), "前端 weekly 第 2 期"),
    ]
    assert store.titles_first_seen(EARLIER - timedelta(days=2), EARLIER, limit=9) == newest[:2]


def test_a_week_merges_its_stories_with_the_history_as_its_days_do(store: Store, options):
    # The week's days group GetX's two posts through the history; the week must too, or a
    # weekly digest splits what the daily ones showed as one story.
    week, days = parse_week("2026-W16")  # 2026-04-13 .. 19, holding DAY
    start, _ = week_window(days, options)
    store.save_posts(fillers(HISTORY_MIN_POSTS), start - timedelta(days=3))
    store.save_posts(list(GETX), SEEN)
    facts = week_facts(store, week, options)
    items = [{p.key for p in item.posts} for group in facts.groups for item in group.items]
    assert {("juejin", "g1"), ("juejin", "g2")} in items
