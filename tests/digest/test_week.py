"""The weekly digest's facts, on a synthetic 14-day store (the week and the one before)."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, timedelta

import pytest
from PIL import Image
from week_store import MONDAY, WEEK, seed_fortnight, seen_on

from digest import BuildOptions, Store, UsageError, load_themes, make_post
from digest.build.week import parse_week, week_chart, week_facts, week_window
from digest.render.chart import HEIGHT, WIDTH, draw_chart, render_chart


@pytest.fixture
def options() -> BuildOptions:
    return BuildOptions(themes=load_themes())


@pytest.fixture
def fortnight(store: Store) -> Store:
    seed_fortnight(store)
    return store


def test_an_iso_week_names_its_seven_days() -> None:
    name, days = parse_week("2026-W07")
    assert name == WEEK and days[0] == MONDAY and days[-1] == date(2026, 2, 15)
    assert parse_week("2020-W53")[1][-1] == date(2021, 1, 3)  # a 53-week year
    for bad in ("2026-07", "2026-W7", "2026-W54", "2025-W53", "last week"):
        with pytest.raises(UsageError):
            parse_week(bad)


def test_the_week_window_is_the_seven_daily_windows(options: BuildOptions) -> None:
    _, days = parse_week(WEEK)
    start, end = week_window(days, options)
    assert start == options.window(MONDAY)[0] and end == options.window(days[-1])[1]
    assert end - start == timedelta(days=7)


def test_the_weeks_facts(fortnight: Store, options: BuildOptions) -> None:
    facts = week_facts(fortnight, WEEK, options)
    # the long-running one, seven daily GPT posts, rust-tue, t1, jump
    assert facts.posts == 1 + 7 + 1 + 1 + 1
    assert facts.previous_posts == 28 + 1
    assert facts.per_source == {"hackernews": 8, "juejin": 2, "v2ex": 1}
    longest = facts.stories[0]
    assert longest.post.post.post_id == "long" and longest.days == 7
    assert longest.post.rank == 3 and longest.post.heat == 106  # best rank, peak heat
    # three days each: the better rank first
    assert [(s.post.post.post_id, s.days) for s in facts.stories[1:3]] == [("jump", 3), ("t1", 3)]
    climbers = [(s.post.post.post_id, s.first_rank, s.post.rank) for s in facts.climbers]
    assert climbers == [("jump", 20, 2), ("long", 9, 3)]  # 18 places, then 6
    assert facts.top_by_source["juejin"][0].post.post.post_id == "jump"
    themes = {t.theme_id: t for t in facts.themes}
    assert themes["ai-models"].now == 8 and themes["ai-models"].before == 1
    assert facts.themes[0].theme_id == "ai-models"  # rising most
    assert facts.themes[-1].change < 0  # falling last
    assert facts.top_by_source["hackernews"][0].post.post.post_id == "long"
    assert set(facts.top_by_source) == {"hackernews", "juejin", "v2ex"}
    assert all(len(top) <= 3 for top in facts.top_by_source.values())


def test_chatter_never_heads_the_week(fortnight: Store, options: BuildOptions) -> None:
    """A car question on top of V2EX all week is counted, never a story or a climber."""
    for n in range(7):
        car = make_post(
            source="v2ex", post_id="car", title="15w 左右，最近选车选迷茫了！", heat=90, rank=9 - n
        )
        fortnight.save_posts([car], seen_on(MONDAY + timedelta(days=n)))
    facts = week_facts(fortnight, WEEK, options)
    assert facts.per_source["v2ex"] == 2
    assert "car" not in {s.post.post.post_id for s in (*facts.stories, *facts.climbers)}
    assert facts.stories[0].post.post.post_id == "long"
    assert [s.post.post.post_id for s in facts.top_by_source["v2ex"]] == ["t1"]


def test_a_source_filter_narrows_the_week(fortnight: Store, options: BuildOptions) -> None:
    facts = week_facts(fortnight, WEEK, replace(options, exclude_sources=("hackernews",)))
    assert facts.per_source == {"juejin": 2, "v2ex": 1}
    assert "ai-models" not in {t.theme_id for t in facts.themes if t.now}


def test_the_weeks_chart_draws_its_themes_day_by_day(
    fortnight: Store, options: BuildOptions
) -> None:
    facts = week_facts(fortnight, WEEK, options)
    chart = week_chart(fortnight, facts, options)
    assert chart.weekly and chart.date == WEEK and chart.days == facts.days
    ai = next(s for s in chart.themes if s.theme_id == "ai-models")
    assert len(ai.values) == 7 and max(ai.values) == 100.0 and min(ai.values) > 0
    assert chart.posts[0].title == "GPT-5 model" and chart.posts[0].index == 1
    png = Image.open(io.BytesIO(render_chart(chart, "zh")))
    assert png.size == (WIDTH, HEIGHT)
    figure = draw_chart(chart, "zh")
    assert "本周在榜最久" in figure.axes[1].get_title()
    assert WEEK in figure._suptitle.get_text()
