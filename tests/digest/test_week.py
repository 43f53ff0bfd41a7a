"""The weekly digest's facts, on a synthetic 14-day store (the week and the one before)."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from PIL import Image

from digest import BuildOptions, Store, UsageError, load_themes, make_post
from digest.build.week import parse_week, week_chart, week_facts, week_window
from digest.render.chart import HEIGHT, WIDTH, draw_chart, render_chart

WEEK = "2026-W07"  # Monday 2026-02-09 to Sunday 2026-02-15
MONDAY = date(2026, 2, 9)
PREVIOUS_MONDAY = MONDAY - timedelta(days=7)


def seen_on(day: date) -> datetime:
    return datetime.combine(day, time(2, 0), tzinfo=UTC)  # 10:00 in Shanghai: inside its day


@pytest.fixture
def options() -> BuildOptions:
    return BuildOptions(themes=load_themes())


@pytest.fixture
def fortnight(store: Store) -> Store:
    """Two weeks of sightings.

    Previous week: four Rust posts a day, one GPT post on Monday. This week: a GPT post
    on the lists all seven days, climbing from rank 9 to rank 1; a new GPT post each day;
    one Rust post on Tuesday only; a V2EX thread on three days.
    """
    for n in range(7):
        day = PREVIOUS_MONDAY + timedelta(days=n)
        rust = [
            make_post(source="juejin", post_id=f"rust-{n}-{k}", title=f"Rust 发布 {n}{k}", heat=10)
            for k in range(4)
        ]
        store.save_posts(rust, seen_on(day))
    store.save_posts(
        [make_post(source="hackernews", post_id="old-gpt", title="GPT news", heat=5)],
        seen_on(PREVIOUS_MONDAY),
    )
    for n in range(7):
        day = MONDAY + timedelta(days=n)
        posts = [
            make_post(
                source="hackernews", post_id="long", title="GPT-5 model", heat=100 + n, rank=9 - n
            ),
            make_post(source="hackernews", post_id=f"gpt-{n}", title=f"GPT {n} model", heat=50),
        ]
        if n == 1:
            posts.append(make_post(source="juejin", post_id="rust-tue", title="Rust 发布", heat=7))
        if n in (2, 3, 4):
            posts.append(make_post(source="v2ex", post_id="t1", title="如何选择显示器", heat=30))
        store.save_posts(posts, seen_on(day))
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
    assert facts.posts == 1 + 7 + 1 + 1  # the long-running one, seven daily GPT posts, rust-tue, t1
    assert facts.previous_posts == 28 + 1
    assert facts.per_source == {"hackernews": 8, "juejin": 1, "v2ex": 1}
    longest = facts.stories[0]
    assert longest.post.post.post_id == "long" and longest.days == 7
    assert longest.post.rank == 3 and longest.post.heat == 106  # best rank, peak heat
    assert facts.stories[1].post.post.post_id == "t1" and facts.stories[1].days == 3
    themes = {t.theme_id: t for t in facts.themes}
    assert themes["ai-models"].now == 8 and themes["ai-models"].before == 1
    assert facts.themes[0].theme_id == "ai-models"  # rising most
    assert facts.themes[-1].change < 0  # falling last
    assert facts.top_by_source["hackernews"][0].post.post.post_id == "long"
    assert set(facts.top_by_source) == {"hackernews", "juejin", "v2ex"}
    assert all(len(top) <= 3 for top in facts.top_by_source.values())


def test_a_source_filter_narrows_the_week(fortnight: Store, options: BuildOptions) -> None:
    facts = week_facts(fortnight, WEEK, replace(options, exclude_sources=("hackernews",)))
    assert facts.per_source == {"juejin": 1, "v2ex": 1}
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
