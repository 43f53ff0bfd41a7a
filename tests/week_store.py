"""A synthetic 14-day store: the week 2026-W07 and the week before it (issue 17)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from digest import Store, make_post

WEEK = "2026-W07"  # Monday 2026-02-09 to Sunday 2026-02-15
MONDAY = date(2026, 2, 9)
PREVIOUS_MONDAY = MONDAY - timedelta(days=7)


def seen_on(day: date) -> datetime:
    return datetime.combine(day, time(2, 0), tzinfo=UTC)  # 10:00 in Shanghai: inside its day


def seed_fortnight(store: Store) -> None:
    """Two weeks of sightings.

    Previous week: four Rust posts a day, one GPT post on Monday. This week: a GPT post
    on the lists all seven days, climbing from rank 9 to rank 3; a new GPT post each day;
    one Rust post on Tuesday only; a V2EX thread on three days; a juejin post on the same
    three days that jumps from rank 20 to rank 2.
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
            rank = {2: 20, 3: 8, 4: 2}[n]
            posts.append(
                make_post(source="juejin", post_id="jump", title="Rust 路线图", heat=40, rank=rank)
            )
        store.save_posts(posts, seen_on(day))
