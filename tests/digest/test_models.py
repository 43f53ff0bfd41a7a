"""The normalized Post: make_post checks and cleans, parse_heat reads real-world figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from digest import Post, make_post, parse_heat


def post(**fields: object) -> Post:
    values: dict[str, object] = {"source": "juejin", "post_id": "1", "title": "Hello"}
    values.update(fields)
    return make_post(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"title": None}, "title"),
        ({"title": "   "}, "title"),
        ({"rank": "third"}, "rank"),
        ({"rank": 2.5}, "rank"),
        ({"rank": True}, "rank"),
        ({"post_id": True}, "post_id"),
        ({"post_id": None}, "post_id"),
        ({"post_id": ""}, "post_id"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "ftp://example.com/file"}, "url"),
        ({"published_at": datetime(2026, 2, 15, 10, 0)}, "published_at"),
        ({"published_at": "2026-02-15T10:00:00"}, "published_at"),
        ({"published_at": "yesterday"}, "published_at"),
        ({"heat": "lots"}, "heat"),
        ({"tags": {"a": 1}}, "tags"),
    ],
)
def test_make_post_names_the_unusable_field(fields: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        post(**fields)


def test_make_post_cleans_and_converts() -> None:
    made = post(
        post_id=7605529884823420991,
        title="  GLM-5\n\tis   <here> & fast \x07",
        url="https://juejin.cn/post/7605529884823420991",
        heat="1.2万",
        rank="3",
        tags="AI，LLM, ,前端",
        published_at="2026-02-15T18:00:00+08:00",
    )
    assert made.post_id == "7605529884823420991"
    assert made.title == "GLM-5 is <here> & fast"
    assert made.heat == 12000
    assert made.rank == 3
    assert made.tags == ("AI", "LLM", "前端")
    assert made.published_at == datetime(2026, 2, 15, 10, 0, tzinfo=UTC)


def test_epoch_seconds_are_a_published_time() -> None:
    made = post(published_at=1771149600)
    assert made.published_at == datetime(2026, 2, 15, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("stamp", [1e20, 1771149600000, float("nan")])
def test_absurd_epoch_is_a_value_error_on_published_at(stamp: float) -> None:
    # Milliseconds instead of seconds, or garbage, must be reported, not crash a fetch.
    with pytest.raises(ValueError, match="published_at"):
        post(published_at=stamp)


def test_published_at_keeps_the_instant_in_utc_whole_seconds() -> None:
    moment = datetime(2026, 2, 15, 18, 0, 0, 750_000, tzinfo=timezone(timedelta(hours=8)))
    made = post(published_at=moment)
    assert made.published_at == datetime(2026, 2, 15, 10, 0, tzinfo=UTC)
    assert made.published_at is not None and made.published_at.utcoffset() == timedelta(0)


def test_long_title_is_capped_not_dropped() -> None:
    made = post(title="热" * 5000, brief="b" * 10_000)
    assert 0 < len(made.title) <= 1000
    assert made.title.startswith("热" * 100)
    assert made.title.endswith("…")
    assert made.brief is not None and len(made.brief) <= 2000
    # Still a valid Post: building one from its own fields works.
    assert Post(**{name: getattr(made, name) for name in Post.__slots__}) == made


def test_title_keeps_markup_characters_emoji_rtl_and_zero_width() -> None:
    title = "<b>&amp; 🚀👩‍💻 שלום مرحبا zero\u200bwidth"
    assert post(title=title).title == title


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.2万", 12_000),
        ("3,450", 3_450),
        ("12k", 12_000),
        ("12K", 12_000),
        ("2.5w", 25_000),
        ("1亿", 100_000_000),
        ("1.5m", 1_500_000),
        ("999 热度", 999),
        ("128 points", 128),
        (7, 7),
        (7.5, 7.5),
        (0, 0),
        (None, None),
        ("", None),
    ],
)
def test_parse_heat(raw: object, expected: float | None) -> None:
    assert parse_heat(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "12kk", "万", True, -1, "-5", float("inf"), float("nan")])
def test_parse_heat_rejects_what_is_not_a_figure(raw: object) -> None:
    with pytest.raises(ValueError, match="heat"):
        parse_heat(raw)


def test_post_rejects_what_the_store_cannot_keep() -> None:
    with pytest.raises(ValueError, match="title"):
        Post(source="s", post_id="1", title=" ")
    with pytest.raises(ValueError, match="heat"):
        Post(source="s", post_id="1", title="t", heat=float("nan"))
    with pytest.raises(ValueError, match="published_at"):
        Post(source="s", post_id="1", title="t", published_at=datetime(2026, 1, 1))


def test_a_url_too_long_is_dropped_not_cut() -> None:
    """A link cut short and given "…" would still be rendered live, and broken."""
    long_url = "https://example.com/" + "a" * 3000
    post = make_post(source="s", post_id="1", title="t", url=long_url)
    assert post.url is None and post.title == "t"
    fits = "https://example.com/" + "a" * 2000
    assert make_post(source="s", post_id="2", title="t", url=fits).url == fits
    assert make_post(source="s", post_id="3", title="t", url="https://e.com/a b").url is None
