"""Collectors for V2EX, GitHub trending, RSS/Atom feeds and DailyHotApi routes."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.errors import SourceError
from digest.models import MAX_TITLE
from digest.sources import (
    BROWSER_USER_AGENT,
    DailyHotSource,
    GitHubSource,
    RetryPolicy,
    RssSource,
    V2exSource,
)
from digest.sources.dailyhot import parse_dailyhot
from digest.sources.github import parse_trending
from digest.sources.rss import parse_feed
from digest.sources.v2ex import parse_hot_topics

FIXTURES = Path(__file__).parent.parent / "fixtures" / "sources"
LONG_TITLE = "长" * 5000
ODD_TITLES = ["a < b && c > d", "Fish & Chips &amp; more", "Rust 🦀 ships 🚀 today", LONG_TITLE]


async def no_sleep(seconds: float) -> None:
    return None


RETRY = RetryPolicy(sleep=no_sleep, rand=lambda: 0.0)


def text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def mock_client(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


def assert_odd_titles_survive(titles: list[str]) -> None:
    assert titles[:3] == ODD_TITLES[:3]
    assert len(titles[3]) == MAX_TITLE and titles[3].endswith("…")


# -- V2EX --------------------------------------------------------------------


async def test_v2ex_real_hot_topics() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, text=text("v2ex_topics_hot.json"))

    async with mock_client(handler) as client:
        result = await V2exSource(retry=RETRY).fetch(client)
    assert str(seen[0]) == "https://www.v2ex.com/api/topics/hot.json"
    assert len(result.posts) == 9 and result.skipped == []
    first = result.posts[0]
    assert (first.post_id, first.url) == ("310976", "https://www.v2ex.com/t/310976")
    assert (first.heat, first.rank, first.author, first.category) == (90, 1, "moonkiller", "问与答")
    assert first.title == "如果你的已婚伴侣办理了信用卡，欠款逾期了还在欺瞒你，该怎么办？"
    assert first.published_at == datetime.fromtimestamp(1475830542, tz=UTC)
    assert first.brief is not None and len(first.brief) <= 200
    assert "\r" not in first.brief and first.brief.startswith("月底手机收到某行短信")
    assert [p.rank for p in result.posts] == list(range(1, 10))


def test_v2ex_bad_topics_are_skipped() -> None:
    topics = json.loads(text("v2ex_topics_hot.json"))[:3]
    topics[0]["title"] = 42
    del topics[1]["id"]
    topics.append({**topics[2], "id": 1, "deleted": 1})
    result = parse_hot_topics(topics, source="v2ex")
    assert [p.post_id for p in result.posts] == ["311098"]
    assert result.skipped == [
        "item 1: field 'title' is an integer, not a string",
        "item 2: field 'id' missing",
        "item 4: topic was deleted",
    ]


def test_v2ex_error_object_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="v2ex: API error: 请求过于频繁"):
        parse_hot_topics({"status": "error", "message": "请求过于频繁"}, source="v2ex")


def test_v2ex_odd_titles_survive() -> None:
    topic = json.loads(text("v2ex_topics_hot.json"))[0]
    topics = [{**topic, "id": i, "title": title} for i, title in enumerate(ODD_TITLES)]
    assert_odd_titles_survive([p.title for p in parse_hot_topics(topics, source="v2ex").posts])


# -- GitHub trending ---------------------------------------------------------


def trending_page(*articles: str) -> str:
    return f"<html><body><div class='Box'>{''.join(articles)}</div></body></html>"


async def test_github_real_trending_row() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text=trending_page(text("github_trending.article.html")))

    source = GitHubSource(language="Python", since="weekly", retry=RETRY)
    async with mock_client(handler) as client:
        result = await source.fetch(client)
    assert seen[0].url.path == "/trending/python"
    assert seen[0].url.params["since"] == "weekly"
    assert seen[0].headers["User-Agent"] == BROWSER_USER_AGENT
    [post] = result.posts
    assert (post.post_id, post.title, post.author) == (
        "smol-ai/developer",
        "smol-ai/developer",
        "smol-ai",
    )
    assert post.url == "https://github.com/smol-ai/developer"
    assert (post.heat, post.rank, post.category) == (1582.0, 1, "Python")
    assert post.brief == (
        "with 100k context windows on the way, it's now feasible for every dev "
        "to have their own smol developer"
    )


def test_github_page_without_rows_is_a_source_error() -> None:
    page = "<html><body><h1>Trending</h1><p>It looks like we don't have any trending</p></body>"
    with pytest.raises(SourceError, match="no trending repositories found: page layout changed"):
        parse_trending(page, source="github")


def test_github_row_without_link_is_skipped_and_period_stars_parsed() -> None:
    real = text("github_trending.article.html")
    weekly = real.replace("1,582 stars today", "1 star this week").replace(
        "/smol-ai/developer", "/octo/cat"
    )
    broken = '<article class="Box-row"><h2>no link</h2><p>desc</p></article>'
    no_figure = real.replace("1,582 stars today", "").replace("/smol-ai/developer", "/a/b")
    result = parse_trending(trending_page(real, broken, weekly, no_figure), source="github")
    assert [(p.post_id, p.rank, p.heat) for p in result.posts] == [
        ("smol-ai/developer", 1, 1582.0),
        ("octo/cat", 3, 1.0),
        ("a/b", 4, None),  # no figure on the page: no heat, never a guess
    ]
    assert result.skipped == ["item 2: no repository link in the heading"]


def test_github_odd_descriptions_survive() -> None:
    row = text("github_trending.article.html")
    rows = [
        row.replace("/smol-ai/developer", f"/o/r{i}").replace(
            "with 100k context windows on the way, it's now feasible for every dev to have "
            "their own smol developer",
            title.replace("&", "&amp;").replace("<", "&lt;"),
        )
        for i, title in enumerate(ODD_TITLES[:3])
    ]
    briefs = [p.brief for p in parse_trending(trending_page(*rows), source="github").posts]
    assert briefs == ODD_TITLES[:3]


# -- RSS and Atom ------------------------------------------------------------

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Example blog</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2024-05-01T10:00:00Z</updated>
  <entry>
    <title type="html">Parsing &lt;b&gt;HTML&lt;/b&gt; &amp;amp; you</title>
    <link href="https://example.com/posts/1"/>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
    <updated>2024-05-01T09:30:00+02:00</updated>
    <author><name>Ada</name></author>
    <category term="python"/>
    <summary type="html">&lt;p&gt;A &lt;em&gt;short&lt;/em&gt; note.&lt;/p&gt;</summary>
  </entry>
  <entry>
    <title>No link, no id</title>
  </entry>
</feed>
"""


async def test_rss_real_hnrss_feed() -> None:
    async with mock_client(lambda r: httpx.Response(200, text=text("rss_hnrss_newest.xml"))) as c:
        result = await RssSource(url="https://hnrss.org/newest", name="hnrss", retry=RETRY).fetch(c)
    assert len(result.posts) == 20 and result.skipped == []
    first = result.posts[0]
    assert first.title == "Museum of Ancient Greek Technology"  # CDATA padding stripped
    assert first.post_id == "https://news.ycombinator.com/item?id=23923750"
    assert (first.url, first.author, first.rank) == (
        "http://kotsanas.com/gb/index.php",
        "apsec112",
        None,
    )
    assert first.published_at == datetime(2020, 7, 23, 2, 55, 32, tzinfo=UTC)
    assert first.heat == 1.0  # hnrss writes "Points: 1" into the description
    # Its description is only link boilerplate ("Article URL: … Points: 1"): no brief.
    assert first.brief is None
    ask_hn = next(p for p in result.posts if p.title.startswith("Ask HN: Rewriting"))
    assert ask_hn.brief and ask_hn.brief.startswith("We have a fairly complex dashboard")
    assert "Comments URL" not in ask_hn.brief and "<" not in ask_hn.brief
    assert {p.heat for p in result.posts} == {1.0, 2.0}


def test_atom_feed_inline() -> None:
    result = parse_feed(ATOM.encode(), source="blog")
    [post] = result.posts
    assert result.skipped == ["item 2: entry has neither an id/guid nor a link"]
    assert post.post_id == "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    assert (post.url, post.author, post.tags) == ("https://example.com/posts/1", "Ada", ("python",))
    assert post.published_at == datetime(2024, 5, 1, 7, 30, tzinfo=UTC)
    assert post.brief == "A short note."
    assert post.heat is None  # an ordinary feed gives no figure
    assert "&" in post.title and "HTML" in post.title


async def test_rss_conditional_request_and_304() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("If-None-Match") == '"v1"':
            return httpx.Response(304)
        headers = {"ETag": '"v1"', "Last-Modified": "Wed, 01 May 2024 10:00:00 GMT"}
        return httpx.Response(200, text=ATOM, headers=headers)

    source = RssSource(url="https://example.com/atom.xml", retry=RETRY)
    async with mock_client(handler) as client:
        first = await source.fetch(client)
        second = await source.fetch(client)
    assert len(first.posts) == 1
    assert (second.posts, second.skipped) == ([], [])
    assert "If-None-Match" not in seen[0].headers
    assert seen[1].headers["If-None-Match"] == '"v1"'
    assert seen[1].headers["If-Modified-Since"] == "Wed, 01 May 2024 10:00:00 GMT"


@pytest.mark.parametrize(
    "body",
    [
        "<!DOCTYPE html><html><head><title>Login</title></head><body>x</body></html>",
        '{"items": []}',
        "",
    ],
)
async def test_rss_body_that_is_not_a_feed(body: str) -> None:
    source = RssSource(url="https://example.com/feed", retry=RETRY)
    async with mock_client(lambda r: httpx.Response(200, text=body)) as client:
        with pytest.raises(SourceError, match="body is not an RSS or Atom feed"):
            await source.fetch(client)
    assert source.etag is None


def test_truncated_feed_keeps_the_entries_before_the_cut() -> None:
    body = text("rss_hnrss_newest.xml")
    cut = body[: body.index("<item>", body.index("Ooh the Rubble"))]
    result = parse_feed(cut.encode(), source="hnrss")
    assert [p.title for p in result.posts] == [
        "Museum of Ancient Greek Technology",
        "Ooh the Rubble",
    ]


def test_rss_odd_titles_survive() -> None:
    items = "".join(
        f"<item><title><![CDATA[ {title} ]]></title><link>https://e.com/{i}</link></item>"
        for i, title in enumerate(ODD_TITLES)
    )
    feed = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    )
    assert_odd_titles_survive([p.title for p in parse_feed(feed.encode(), source="rss").posts])


# -- DailyHotApi (no captured payload exists; the shape is DailyHotApi's own) --


def dailyhot_payload(*items: dict[str, Any]) -> dict[str, Any]:
    return {"code": 200, "name": "weibo", "title": "微博", "type": "热搜榜", "data": list(items)}


async def test_dailyhot_route() -> None:
    item = {
        "id": "abc",
        "title": "热搜 #1",
        "url": "https://s.weibo.com/weibo?q=%231%23",
        "hot": "123万",
        "author": None,
        "desc": "描述",
        "timestamp": 1714557600000,
    }
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json=dailyhot_payload(item, {**item, "id": 2, "hot": 99}))

    source = DailyHotSource(url="http://127.0.0.1:6688/weibo", name="weibo", retry=RETRY)
    async with mock_client(handler) as client:
        result = await source.fetch(client)
    assert str(seen[0]) == "http://127.0.0.1:6688/weibo"
    first, second = result.posts
    assert (first.source, first.post_id, first.heat, first.rank) == ("weibo", "abc", 1230000.0, 1)
    assert (first.brief, first.author) == ("描述", None)
    assert first.published_at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert (second.post_id, second.heat, second.rank) == ("2", 99.0, 2)


def test_dailyhot_bad_items_and_errors() -> None:
    good = {"id": 1, "title": "ok", "url": "https://e.com/1", "hot": 5}
    result = parse_dailyhot(
        dailyhot_payload(good, {**good, "id": 2, "hot": "lots"}, {"title": "x"}), source="dh"
    )
    assert [p.post_id for p in result.posts] == ["1"]
    assert result.skipped == [
        "item 2: heat 'lots' is not a number",
        "item 3: item has neither an id nor a url",
    ]
    with pytest.raises(SourceError, match="dh: API error 500: 获取失败"):
        parse_dailyhot({"code": 500, "message": "获取失败"}, source="dh")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["id", "title", "url", "hot", "timestamp", "replies", "created", "member"]
            )
            | st.text(max_size=8),
            children,
            max_size=6,
        )
    ),
    max_leaves=20,
)


@given(items=st.lists(JSON, max_size=5))
def test_list_parsers_only_ever_raise_source_error(items: list[object]) -> None:
    results = []
    with contextlib.suppress(SourceError):
        results.append(parse_hot_topics(items, source="v2ex"))
    with contextlib.suppress(SourceError):
        results.append(parse_dailyhot({"code": 200, "data": items}, source="dh"))
    for result in results:
        assert len(result.posts) + len(result.skipped) == len(items)


@given(body=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_feed_parser_only_ever_raises_source_error(body: bytes) -> None:
    with contextlib.suppress(SourceError):
        parse_feed(body, source="rss")
