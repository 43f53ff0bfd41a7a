"""Same story (issue 14): one name or version written two ways is one name or version.

Titles are real ones from the labelled days of bench/days/ unless said otherwise.
"""

from __future__ import annotations

import pytest
from test_stories import CLAUDE_POSTS, seen

from digest import Post, make_post
from digest.build.ranking import normalise_heat
from digest.build.stories import StoryEvidence
from digest.build.story_history import StoryHistory
from digest.build.story_names import canonical_version, story_names
from digest.build.themes import latin_words


def test_a_name_ending_a_sentence_is_the_name_without_its_dot_or_dash():
    title = "Why we rewrote our search in Rust. Then Go-"
    assert latin_words(title)[-3:] == ["rust", "then", "go"]
    assert "rust" in story_names(title) and "rust." not in story_names(title)
    # The history counts the words as the matcher names them, so it is asked about "rust".
    history = StoryHistory.of_titles([title, "Rust 1.90 is out"])
    assert history.frequency["rust"] == 2
    assert story_names(title) <= set(history.frequency)


def test_a_headline_ending_in_a_dot_shares_its_names_with_the_other_list():
    # Made-up HN spelling of the real pair "SpaceX 收购 Cursor…" / "SpaceX to buy Cursor…":
    # "cursor." was a name of its own, so the two shared only "spacex".
    posts = normalise_heat(
        seen(
            (
                make_post(
                    source="juejin", post_id="j", title="SpaceX 收购 Cursor，马斯克花600亿美元"
                ),
                make_post(source="hackernews", post_id="h", title="SpaceX agrees to buy Cursor."),
                *CLAUDE_POSTS,
            )
        )
    )
    where = {p.key: n for n, p in enumerate(posts)}
    link = StoryEvidence(posts).link(where[("juejin", "j")], where[("hackernews", "h")])
    assert link == "shared names cursor, spacex"


# Two juejin posts on Node.js 25 (2025-10-25).
NODE = (
    make_post(
        source="juejin",
        post_id="n1",
        title="Node.js 25 正式发布：性能飙升、安全升级、全面向 Web 靠拢！",
    ),
    make_post(
        source="juejin",
        post_id="n2",
        title="Node.js v25.0.0 发布——性能、Web 标准与安全性全面升级 🚀🚀",
    ),
)


def linked(*posts: Post) -> str | None:
    """Why the first two posts are one story, beside Claude's four posts of the day."""
    scored = normalise_heat(seen((*posts, *CLAUDE_POSTS)))
    where = {p.key: n for n, p in enumerate(scored)}
    first, second = (where[(p.source, p.post_id)] for p in posts[:2])
    return StoryEvidence(scored).link(first, second)


@pytest.mark.parametrize(
    ("number", "same"),
    [("v25.0.0", "25"), ("25.0", "25"), ("25", "25"), ("V1.10.0", "1.10"), ("2.5", "2.5")],
)
def test_a_version_has_one_spelling(number: str, same: str):
    assert canonical_version(number) == same


def test_25_is_not_2_5_nor_250_nor_25_0_1():
    assert len({canonical_version(n) for n in ("25", "2.5", "250", "25.0.1", "0.25")}) == 5


def test_one_release_with_its_version_written_two_ways_is_one_story():
    assert linked(*NODE) == "release node.js 25 on these two posts only"


@pytest.mark.parametrize("other", ["2.5", "250", "25.1"])
def test_another_version_of_the_name_is_another_story(other: str):
    changed = make_post(source="juejin", post_id="n3", title=f"Node.js v{other} 发布——性能全面升级")
    assert linked(NODE[0], changed) is None


def test_a_number_without_a_dot_counts_only_where_both_titles_tell_one_kind_of_event():
    # "iPhone 17" is a model: two threads on it are two questions (made-up titles).
    asked = (
        make_post(source="v2ex", post_id="i1", title="iPhone 17 的续航到底怎么样"),
        make_post(source="v2ex", post_id="i2", title="iPhone 17.0 发布会后还值得等吗"),
    )
    assert linked(*asked) is None
    told = (
        make_post(source="v2ex", post_id="i1", title="iPhone 17 正式发布"),
        make_post(source="v2ex", post_id="i2", title="iPhone 17.0 发布会汇总"),
    )
    assert linked(*told) == "release iphone 17 on these two posts only"
    # Written with a dot on both sides, a version is a release without further words.
    dotted = (
        make_post(source="juejin", post_id="q1", title="jQuery 4.0 带来了什么"),
        make_post(source="juejin", post_id="q2", title="聊聊 jQuery v4.0.0 的取舍"),
    )
    assert linked(*dotted) is not None


def test_a_third_title_with_the_name_makes_it_the_lists_topic():
    third = make_post(source="juejin", post_id="n3", title="Node.js 的事件循环")
    assert linked(*NODE, third) is None
