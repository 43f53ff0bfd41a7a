"""Same story (issue 14): one name or version written two ways is one name or version.

Titles are real ones from the labelled days of bench/days/ unless said otherwise.
"""

from __future__ import annotations

from test_stories import CLAUDE_POSTS, seen

from digest import make_post
from digest.build.ranking import normalise_heat
from digest.build.stories import StoryEvidence
from digest.build.story_history import StoryHistory
from digest.build.story_names import latin_words, story_names


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
