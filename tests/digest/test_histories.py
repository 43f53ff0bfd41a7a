"""A day's story history is the whole window's, whatever a chat's source filter: one read
serves every filtered view of the day and its chart, and the chart groups the day's
stories as its digest does.

The posts are made up, built on the shapes of test_story_history (a Latin name new to
the lists, shared by two Chinese titles, links them once the history is long enough).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from test_stories import items_of
from test_story_history import BUILT, DAY, EARLIER, SEEN, fillers

from digest import (
    BuildOptions,
    Digest,
    Post,
    PushReader,
    Store,
    build_digest,
    compose_digest,
    digest_chart,
    filtered_view,
    load_themes,
    make_post,
)
from digest.build.heat import heat_chart
from digest.build.story_history import HISTORY_MIN_POSTS, StoryHistory
from digest.build.themes import latin_words, title_tokens, title_words

# A name no earlier title has, on two juejin titles: one story once the history says so.
# Alone, the first is mobile development (Flutter) and the second has no theme.
ZORBLAX = (
    make_post(source="juejin", post_id="z1", title="浅谈Zorblax在 Flutter 里的用法", heat=100),
    make_post(source="juejin", post_id="z2", title="Zorblax 删库跑路了", heat=50),
)
RUST = make_post(source="hackernews", post_id="rust", title="Rust 1.90 released", heat=50)
FILTERS = [(("juejin",), ()), ((), ("hackernews",)), (("juejin", "v2ex"), ())]


@pytest.fixture
def options() -> BuildOptions:
    return BuildOptions(themes=load_themes())


def stored(store: Store, options: BuildOptions, posts: list[Post]) -> Digest:
    store.save_posts(fillers(HISTORY_MIN_POSTS), EARLIER)
    store.save_posts(posts, SEEN)
    digest = build_digest(store, DAY, options, BUILT).digest
    assert digest is not None
    return digest


def history_reads(ran: list[str]) -> int:
    return sum("idx_posts_first_seen_at" in statement for statement in ran)


def test_a_filtered_view_reads_names_as_new_as_the_whole_day_does(store: Store, options):
    # The Hacker News post, first seen days ago and on its list again today, is the day's
    # own post, not a precedent: for the stored digest (what /digest shows) and for the
    # view of a chat that reads juejin only alike. A history less only the view's own
    # posts would hold it and call "zorblax" a name the lists already had.
    earlier = make_post(source="hackernews", post_id="hn", title="Zorblax is dead")
    store.save_posts([earlier], EARLIER)
    digest = stored(store, options, [*ZORBLAX, earlier])
    view = filtered_view(store, digest, options, (("juejin",), ()))
    assert {("juejin", "z1"), ("juejin", "z2")} in items_of(view)
    assert view.version == digest.version and view.footer.window_end == digest.footer.window_end


def test_a_pushs_filters_share_one_read_of_the_days_history(store: Store, options):
    digest = stored(store, options, [*ZORBLAX, RUST])
    alone = [filtered_view(store, digest, options, f) for f in FILTERS]
    reader = PushReader()
    ran: list[str] = []
    store.db.conn.set_trace_callback(ran.append)
    shared = [filtered_view(store, digest, options, f, reader) for f in FILTERS]
    views = len(ran)
    narrowed = [replace(options, include_sources=i, exclude_sources=e) for i, e in FILTERS]
    charts = [digest_chart(store, digest, n, reader) for n in narrowed]
    store.db.conn.set_trace_callback(None)
    assert shared == alone  # the same views as each read alone
    assert history_reads(ran[:views]) == 1  # three filters, one read of the day's history
    # The charts' seven days: the day's history is the views', and the one earlier day
    # with posts (the fillers') is read once for all three charts; days without posts none.
    assert history_reads(ran[views:]) == 1
    assert charts == [digest_chart(store, digest, n) for n in narrowed]


def chart_and_digest(store: Store, digest: Digest, options: BuildOptions) -> tuple[dict, dict]:
    """The chart's values on the digest's day, and those the digest's own themes give: a
    theme's heat there is the sum of its items' percentiles, scaled to a peak of 100."""
    chart = heat_chart(store, digest, options)
    score = {post.index: post.score for post in chart.posts}
    themes = {t["id"]: t["items"] for t in digest.facts["themes"]}
    sums = {t: sum(score[n] for item in items for n in item) for t, items in themes.items()}
    peak = max(sums.values())
    today = {series.theme_id: series.values[-1] for series in chart.themes}
    return today, {t: round(100 * total / peak, 1) for t, total in sums.items()}


def test_a_chart_groups_its_days_stories_as_the_digest_does(store: Store, options):
    digest = stored(store, options, [*ZORBLAX, RUST])
    themes = {t["id"]: t["items"] for t in digest.facts["themes"]}
    assert themes["mobile"] == [[1, 2]]  # merged, so both posts are mobile development
    today, expected = chart_and_digest(store, digest, options)
    # The merged story counts whole under mobile development; without the history the
    # second post fell to Other and the chart gave backend 67 against mobile's 100.
    assert today == expected == {"mobile": 100.0, "backend": 50.0}


def test_a_chart_reads_the_window_its_digest_read_past_its_build_time(store: Store, options):
    # Posts that came in after the build time, before a push's rebuild (day.py): the
    # digest's window ends later, and so does the chart's last day.
    stored(store, options, [*ZORBLAX, RUST])
    end = options.window(DAY)[1] + timedelta(hours=2)
    late = make_post(source="hackernews", post_id="late", title="Rust 1.91 released", heat=90)
    store.save_posts([late], end - timedelta(hours=1))
    digest = compose_digest(store, DAY, options, end, window_end=end)
    assert "late" in {entry.post_id for entry in digest.sources}
    score = {post.title: post.score for post in heat_chart(store, digest, options).posts}
    assert score["Rust 1.91 released"] > score["Rust 1.90 released"] > 0  # on its list
    today, expected = chart_and_digest(store, digest, options)
    assert today == expected


def test_the_chart_leaves_out_what_the_operator_excludes(store: Store, options):
    excluding = replace(options, exclude=("删库",))
    digest = stored(store, excluding, [*ZORBLAX, RUST])
    assert sorted(entry.post_id for entry in digest.sources) == ["rust", "z1"]
    today, expected = chart_and_digest(store, digest, excluding)
    assert today == expected == {"mobile": 100.0, "backend": 100.0}


def test_the_history_reads_a_titles_names_as_the_matcher_does():
    # One reading of Latin words for both: a name the matcher asks about ("next.js",
    # "c++", "v1.3") is counted in the history under the same spelling.
    title = "Next.js 15 与 C++ 的 v1.3- 对比：GetX 之死"
    history = StoryHistory.of_titles([title])
    latin = {token for token in title_tokens(title) if token.isascii()}
    assert latin == {"next.js", "15", "c++", "v1.3", "getx"}
    assert latin <= set(history.frequency) == title_words(title.lower())
    # The same-story rules read the same words, trimmed the same way, in order.
    assert latin_words(title) == ["next.js", "15", "c++", "v1.3", "getx"]
