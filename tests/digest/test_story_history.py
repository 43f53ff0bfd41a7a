"""Same story from the store's history (issue 14): a name new to the lists links two
Chinese titles, a name the lists keep using links nothing, and a short history leaves the
window to decide alone.

The pairs' titles are real ones from bench/days/; the history's titles are made up
(numbered fillers), since only which words they carry matters.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from digest import BuildOptions, Digest, Post, Store, compose_digest, load_themes, make_post
from digest.build.stories import HISTORY_MIN_POSTS, read_history

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
        make_post(source="juejin", post_id=f"h{n}", title=f"前端周刊第 {n} 期")
        for n in range(start, start + count)
    ]


def items_of(digest: Digest) -> list[set[tuple[str, str]]]:
    by_index = {e.index: (e.source, e.post_id) for e in digest.sources}
    return [
        {by_index[i] for i in item}
        for theme in digest.facts["themes"]  # type: ignore[union-attr]
        for item in theme["items"]
    ]


def merged(store: Store, options: BuildOptions, posts: tuple[Post, ...]) -> bool:
    store.save_posts(list(posts), SEEN)
    digest = compose_digest(store, DAY, options, BUILT)
    return {(p.source, p.post_id) for p in posts} in items_of(digest)


def test_a_name_new_to_the_history_makes_two_chinese_titles_one_story(store: Store, options):
    store.save_posts(fillers(HISTORY_MIN_POSTS), EARLIER)
    assert merged(store, options, GETX)


def test_a_name_the_history_keeps_seeing_is_no_story(store: Store, options):
    store.save_posts(fillers(HISTORY_MIN_POSTS), EARLIER)
    store.save_posts(
        [
            make_post(source="juejin", post_id=f"x{n}", title=f"GetX 状态管理第 {n} 讲")
            for n in range(5)
        ],
        EARLIER,
    )
    assert not merged(store, options, GETX)


@pytest.mark.parametrize("history", [0, HISTORY_MIN_POSTS - 1])
def test_without_enough_history_the_window_alone_decides(store: Store, options, history):
    # One shared name on one list is two articles on one product, as before the history.
    store.save_posts(fillers(history), EARLIER)
    assert not merged(store, options, GETX)


def test_a_repository_named_like_a_common_word_is_no_story(store: Store, options):
    store.save_posts(fillers(HISTORY_MIN_POSTS), EARLIER)
    store.save_posts(
        [
            make_post(source="juejin", post_id=f"fl{n}", title=f"Flutter 实战第 {n} 篇")
            for n in range(5)
        ],
        EARLIER,
    )
    assert not merged(store, options, FLUTTER)


def test_a_repository_named_with_no_history_still_links(store: Store, options):
    # Without a history the window decides: the rule that linked flutter/flutter before.
    assert merged(store, options, FLUTTER)


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
    assert history.frequency["前端"] == 3
