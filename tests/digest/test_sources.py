"""Collectors: shared HTTP behaviour, the registry, and the JSON APIs (Juejin, Hacker News)."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.errors import ConfigError, SourceError
from digest.models import MAX_TITLE
from digest.sources import (
    SOURCE_KINDS,
    USER_AGENT,
    HackerNewsSource,
    JuejinSource,
    RetryPolicy,
    make_http_client,
    make_source,
)
from digest.sources.hackernews import parse_algolia
from digest.sources.http import request, retry_after_seconds
from digest.sources.juejin import parse_article_rank

FIXTURES = Path(__file__).parent.parent / "fixtures" / "sources"
Handler = (
    Callable[[httpx.Request], httpx.Response]
    | Callable[[httpx.Request], Coroutine[Any, Any, httpx.Response]]
)


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class Sleeps(list[float]):
    """A retry sleep that records the delay instead of waiting."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def retry(sleeps: Sleeps) -> RetryPolicy:
    return RetryPolicy(sleep=sleeps, rand=lambda: 0.0)


def mock_client(handler: Handler) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler), follow_redirects=True)


def juejin_envelope(*items: object) -> dict[str, Any]:
    return {"err_no": 0, "err_msg": "success", "data": list(items)}


def juejin_item(content_id: str, title: str = "标题", hot_rank: object = 100) -> dict[str, Any]:
    item: dict[str, Any] = copy.deepcopy(load("juejin_article_rank.item.json"))
    item["content"]["content_id"] = content_id
    item["content"]["title"] = title
    item["content_counter"]["hot_rank"] = hot_rank
    return item


# -- the shared client and retries -------------------------------------------


async def test_make_http_client_follows_redirects_with_timeouts() -> None:
    async with make_http_client(7.5) as client:
        assert client.follow_redirects is True
        assert client.timeout.read == 7.5
        assert client.timeout.connect == 7.5
        assert client.headers["User-Agent"] == USER_AGENT


async def test_429_then_success_honours_retry_after(retry: RetryPolicy, sleeps: Sleeps) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "7"})
        return httpx.Response(200, json=[])

    async with mock_client(handler) as client:
        response = await request(client, "demo", "https://example.com/x", retry=retry)
    assert response.status_code == 200
    assert sleeps == [7.0]


async def test_retry_after_is_capped(sleeps: Sleeps) -> None:
    retry = RetryPolicy(attempts=2, retry_after_cap=30, sleep=sleeps, rand=lambda: 0.0)
    responses = iter([httpx.Response(429, headers={"Retry-After": "3600"}), httpx.Response(200)])
    transport = httpx.MockTransport(lambda request: next(responses))
    async with httpx.AsyncClient(transport=transport, timeout=20) as client:  # budget 2 × 20 s
        await request(client, "demo", "https://example.com/x", retry=retry)
    assert sleeps == [30.0]


def test_retry_after_accepts_http_dates_and_ignores_junk() -> None:
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Wed, 01 May 2024 12:00:20 GMT", now) == 20.0
    assert retry_after_seconds("Wed, 01 May 2024 11:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None) is None


async def test_429_forever_ends_as_source_error(retry: RetryPolicy, sleeps: Sleeps) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(429)

    async with mock_client(handler) as client:
        with pytest.raises(SourceError, match="HTTP 429 Too Many Requests after 3 attempts") as e:
            await request(client, "demo", "https://example.com/x", retry=retry)
    assert len(calls) == 3
    assert sleeps == [1.0, 2.0]  # exponential backoff when no Retry-After
    assert isinstance(e.value.__cause__, httpx.HTTPStatusError)


async def test_5xx_forever_backs_off_with_jitter(sleeps: Sleeps) -> None:
    retry = RetryPolicy(attempts=4, base_delay=2, max_delay=5, sleep=sleeps, rand=lambda: 1.0)
    async with mock_client(lambda request: httpx.Response(503)) as client:
        with pytest.raises(SourceError, match=r"^demo: HTTP 503 Service Unavailable after 4"):
            await request(client, "demo", "https://example.com/x?token=secret", retry=retry)
    # 2, 4, then capped at 5; each stretched by the full 50 % jitter.
    assert sleeps == [3.0, 6.0, 7.5]


async def test_error_message_leaves_out_the_query_string(retry: RetryPolicy) -> None:
    async with mock_client(lambda request: httpx.Response(503)) as client:
        with pytest.raises(SourceError) as e:
            await request(client, "demo", "https://example.com/feed?token=secret", retry=retry)
    assert "secret" not in str(e.value)
    assert "example.com/feed" in str(e.value)


async def test_404_is_not_retried(retry: RetryPolicy, sleeps: Sleeps) -> None:
    async with mock_client(lambda request: httpx.Response(404)) as client:
        with pytest.raises(SourceError, match="demo: HTTP 404 Not Found"):
            await request(client, "demo", "https://example.com/x", retry=retry)
    assert sleeps == []


async def test_timeouts_end_as_source_error(retry: RetryPolicy) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    async with mock_client(handler) as client:
        with pytest.raises(SourceError, match="timed out \\(ReadTimeout\\) after 3 attempts") as e:
            await request(client, "demo", "https://example.com/x", retry=retry)
    assert isinstance(e.value.__cause__, httpx.ReadTimeout)


async def test_transport_error_then_success(retry: RetryPolicy, sleeps: Sleeps) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, text="ok")

    async with mock_client(handler) as client:
        response = await request(client, "demo", "https://example.com/x", retry=retry)
    assert response.text == "ok"
    assert sleeps == [1.0]


# -- payload problems, through a real collector ------------------------------


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx.Response(200, text='{"err_no": 0, "data": [{"con'), "juejin: payload is not JSON"),
        (
            httpx.Response(
                200,
                text="<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>",
                headers={"content-type": "text/html; charset=utf-8"},
            ),
            "juejin: HTML error page titled 'Just a moment...' instead of JSON",
        ),
        (httpx.Response(200, text=""), "juejin: empty body instead of JSON"),
        (httpx.Response(200, json={"err_no": 0, "err_msg": "success"}), "field data missing"),
        (httpx.Response(200, json={"err_no": 0, "data": {"a": 1}}), "data is an object, not a"),
        (
            httpx.Response(200, json={"err_no": 2, "err_msg": "参数错误", "data": None}),
            "juejin: API error 2: 参数错误",
        ),
        (httpx.Response(200, json=[1, 2]), "juejin: payload is a list, not an object"),
    ],
)
async def test_unusable_payloads_are_source_errors(
    response: httpx.Response, reason: str, retry: RetryPolicy
) -> None:
    async with mock_client(lambda request: response) as client:
        with pytest.raises(SourceError, match=reason):
            await JuejinSource(retry=retry).fetch(client)


# -- registry and options ----------------------------------------------------


def test_every_kind_builds_from_minimal_options() -> None:
    needs_url = {"rss", "dailyhot"}
    for kind in SOURCE_KINDS:
        options = {"url": "https://example.com/feed"} if kind in needs_url else {}
        source = make_source(kind, f"my-{kind}", options)
        assert (source.kind, source.name) == (kind, f"my-{kind}")


@pytest.mark.parametrize(
    ("kind", "options", "key", "reason"),
    [
        ("reddit", {}, "sources.src.kind", "unknown source kind 'reddit'"),
        ("hackernews", {"colour": "red"}, "sources.src.colour", "unknown option"),
        ("hackernews", {"limit": "10"}, "sources.src.limit", "must be an integer"),
        ("hackernews", {"limit": True}, "sources.src.limit", "must be an integer"),
        ("hackernews", {"limit": 0}, "sources.src.limit", "between 1 and 500"),
        ("hackernews", {"api": "bigquery"}, "sources.src.api", "must be one of algolia"),
        ("juejin", {"categories": "1"}, "sources.src.categories", "non-empty list"),
        ("juejin", {"categories": [1]}, "sources.src.categories", "non-empty strings"),
        ("github", {"since": "hourly"}, "sources.src.since", "daily, monthly, weekly"),
        ("rss", {}, "sources.src.url", "is required"),
        ("rss", {"url": "ftp://example.com/x"}, "sources.src.url", r"http\(s\) URL"),
        ("dailyhot", {"url": 6688}, "sources.src.url", "must be a string"),
    ],
)
def test_bad_options_are_config_errors(
    kind: str, options: dict[str, object], key: str, reason: str
) -> None:
    with pytest.raises(ConfigError, match=reason) as e:
        make_source(kind, "src", options)
    assert e.value.key == key


def test_options_reach_the_source() -> None:
    source = make_source(
        "hackernews", "hn", {"api": "algolia", "limit": 10, "concurrency": 4}, retry=RetryPolicy()
    )
    assert isinstance(source, HackerNewsSource)
    assert (source.api, source.limit, source.concurrency) == ("algolia", 10, 4)


# -- Juejin ------------------------------------------------------------------


async def test_juejin_real_item_in_real_envelope(retry: RetryPolicy) -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json=juejin_envelope(load("juejin_article_rank.item.json")))

    async with mock_client(handler) as client:
        result = await JuejinSource(retry=retry).fetch(client)
    assert seen[0].path == "/content_api/v1/content/article_rank"
    assert dict(seen[0].params) == {"category_id": "1", "type": "hot"}
    assert result.skipped == []
    [post] = result.posts
    assert post.post_id == "7296751524809048073"
    assert post.title == "去掉 if...else 的七种绝佳之法..."
    assert post.url == "https://juejin.cn/post/7296751524809048073"
    assert (post.author, post.heat, post.rank, post.category) == ("大明哥_", 9198.0, 1, "1")
    # brief "" and ctime 0 mean "not given"; tag_ids are ids, not names.
    assert (post.brief, post.published_at, post.tags) == (None, None, ())


def test_juejin_recommend_feed_is_rejected_as_the_wrong_endpoint() -> None:
    with pytest.raises(SourceError, match="recommend-feed payload, not article_rank"):
        parse_article_rank(load("juejin_recommend_feed.json"), source="juejin", category="1")


def test_juejin_bad_items_are_skipped_and_the_good_kept() -> None:
    no_title = juejin_item("2")
    del no_title["content"]["title"]
    string_heat = juejin_item("3", hot_rank="very hot")
    content_is_text = juejin_item("4")
    content_is_text["content"] = "oops"
    payload = juejin_envelope(
        juejin_item("1"), no_title, string_heat, content_is_text, None, juejin_item("6")
    )
    result = parse_article_rank(payload, source="juejin", category="1")
    assert [(p.post_id, p.rank) for p in result.posts] == [("1", 1), ("6", 6)]
    assert result.skipped == [
        "item 2: field 'title' missing",
        "item 3: field 'hot_rank' is a string, not an integer or a number",
        "item 4: field 'content' is a string, not an object",
        "item 5: item is null, not an object",
    ]


def test_juejin_odd_titles_survive() -> None:
    titles = ["a < b && c > d", "Fish & Chips", "Rust 🦀 ships 🚀", "长" * 5000]
    items = [juejin_item(str(i), title) for i, title in enumerate(titles)]
    posts = parse_article_rank(juejin_envelope(*items), source="juejin", category="1").posts
    assert [p.title for p in posts][:3] == titles[:3]
    assert len(posts[3].title) == MAX_TITLE and posts[3].title.endswith("…")


def test_juejin_limit_and_tag_names_when_present() -> None:
    tagged = juejin_item("1")
    tagged["tags"] = [{"tag_id": "6809640408797167623", "tag_name": "后端"}]
    result = parse_article_rank(
        juejin_envelope(tagged, juejin_item("2")), source="juejin", category="1", limit=1
    )
    assert [p.tags for p in result.posts] == [("后端",)]


async def test_juejin_categories_are_fetched_and_deduplicated(retry: RetryPolicy) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        category = request.url.params["category_id"]
        other = juejin_item(f"only-{category}")
        return httpx.Response(200, json=juejin_envelope(juejin_item("shared"), other))

    source = JuejinSource(categories=("1", "6809637769959178254"), retry=retry)
    async with mock_client(handler) as client:
        result = await source.fetch(client)
    assert [(p.post_id, p.category) for p in result.posts] == [
        ("shared", "1"),
        ("only-1", "1"),
        ("only-6809637769959178254", "6809637769959178254"),
    ]


# -- Hacker News -------------------------------------------------------------


def hn_handler(items: dict[int, httpx.Response], top: object) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "hacker-news.firebaseio.com"
        if request.url.path == "/v0/topstories.json":
            return httpx.Response(200, json=top)
        story_id = int(request.url.path.removeprefix("/v0/item/").removesuffix(".json"))
        return items[story_id]

    return handler


async def test_hackernews_firebase_flow_skips_what_is_not_a_live_story(
    retry: RetryPolicy,
) -> None:
    story = load("hackernews_item_story.json")
    ask = {"by": "pg", "id": 121003, "score": 25, "time": 1203647620, "type": "story"}
    ask["title"] = "Ask HN: The Arc Effect"
    items = {
        8863: httpx.Response(200, json=story),
        1: httpx.Response(200, text="null"),
        2: httpx.Response(200, json={**story, "id": 2, "dead": True}),
        3: httpx.Response(200, json={"id": 3, "type": "job", "title": "We're hiring"}),
        4: httpx.Response(500),
        121003: httpx.Response(200, json=ask),
        5: httpx.Response(200, json={**story, "id": 5, "title": 5}),
    }
    top = [8863, 1, 2, 3, 4, 121003, 5, 6, 7]
    source = HackerNewsSource(limit=7, retry=retry)
    async with mock_client(hn_handler(items, top)) as client:
        result = await source.fetch(client)
    first, second = result.posts
    assert (first.post_id, first.rank, first.heat, first.author) == ("8863", 1, 111.0, "dhouston")
    assert first.title == "My YC app: Dropbox - Throw away your USB drive"
    assert first.url == "http://www.getdropbox.com/u/2/screencast.html"
    assert first.published_at == datetime(2007, 4, 4, 19, 16, 40, tzinfo=UTC)
    assert first.brief is None
    assert (second.rank, second.url) == (6, "https://news.ycombinator.com/item?id=121003")
    assert result.skipped == [
        "item 2 (id 1): item is null (deleted or not yet visible)",
        "item 3 (id 2): story is dead (flagged or killed)",
        "item 4 (id 3): item is a job, not a story",
        "item 5 (id 4): HTTP 500 Internal Server Error after 3 attempts"
        " (GET hacker-news.firebaseio.com/v0/item/4.json)",
        "item 7 (id 5): field 'title' is an integer, not a string",
    ]


async def test_hackernews_item_requests_are_bounded(retry: RetryPolicy) -> None:
    story = load("hackernews_item_story.json")
    in_flight, peak = 0, 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        if request.url.path == "/v0/topstories.json":
            return httpx.Response(200, json=list(range(1, 13)))
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.001)
        in_flight -= 1
        story_id = int(request.url.path.split("/")[-1].removesuffix(".json"))
        return httpx.Response(200, json={**story, "id": story_id})

    source = HackerNewsSource(limit=12, concurrency=3, retry=retry)
    async with mock_client(handler) as client:
        result = await source.fetch(client)
    assert len(result.posts) == 12
    assert peak == 3


async def test_hackernews_all_items_bad_is_a_source_error(retry: RetryPolicy) -> None:
    items = {1: httpx.Response(200, text="null"), 2: httpx.Response(200, text="null")}
    async with mock_client(hn_handler(items, [1, 2])) as client:
        with pytest.raises(SourceError, match="none of the 2 items is usable"):
            await HackerNewsSource(retry=retry).fetch(client)


async def test_hackernews_topstories_must_be_a_list(retry: RetryPolicy) -> None:
    async with mock_client(hn_handler({}, {"error": "Permission denied"})) as client:
        with pytest.raises(SourceError, match="topstories is an object, not a list of ids"):
            await HackerNewsSource(retry=retry).fetch(client)


async def test_hackernews_algolia_flow_with_real_hits(retry: RetryPolicy) -> None:
    envelope = load("hackernews_algolia_search_envelope.doc.json")
    envelope["hits"] = [load("hackernews_algolia_front_page_hit.json"), *envelope["hits"]]
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json=envelope)

    source = HackerNewsSource(api="algolia", limit=20, retry=retry)
    async with mock_client(handler) as client:
        result = await source.fetch(client)
    assert (seen[0].host, seen[0].path) == ("hn.algolia.com", "/api/v1/search")
    assert seen[0].params["tags"] == "front_page"
    julia, yc = result.posts
    assert (julia.post_id, julia.heat, julia.author, julia.rank) == (
        "29902846",
        107.0,
        "agnosticmantis",
        1,
    )
    assert julia.title == "State of Machine Learning in Julia"
    assert julia.published_at == datetime(2022, 1, 12, 5, 56, 4, tzinfo=UTC)
    assert (yc.post_id, yc.url, yc.heat, yc.published_at) == (
        "1",
        "http://ycombinator.com",
        57,
        None,
    )


def test_algolia_bad_hit_is_skipped() -> None:
    hit = load("hackernews_algolia_front_page_hit.json")
    bad = {**hit, "objectID": 29902847, "points": "many"}
    result = parse_algolia({"hits": [bad, hit]}, source="hn")
    assert [p.post_id for p in result.posts] == ["29902846"]
    assert result.skipped == ["item 1: field 'objectID' is an integer, not a string"]


# -- robustness against any JSON ---------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["content", "title", "content_id", "content_counter", "hot_rank", "ctime"]
            )
            | st.text(max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@given(items=st.lists(JSON, max_size=5))
def test_juejin_parser_only_ever_raises_source_error(items: list[object]) -> None:
    try:
        result = parse_article_rank(juejin_envelope(*items), source="juejin", category="1")
    except SourceError:
        return
    assert len(result.posts) + len(result.skipped) == len(items)


@given(hits=st.lists(JSON, max_size=5))
def test_algolia_parser_only_ever_raises_source_error(hits: list[object]) -> None:
    try:
        result = parse_algolia({"hits": hits}, source="hn")
    except SourceError:
        return
    assert len(result.posts) + len(result.skipped) == len(hits)
