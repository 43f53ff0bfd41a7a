"""Regenerate fixture_posts.jsonl: the collectors' parsers run over the captured real payloads.

Run by hand from the project root whenever a parser or a fixture changes::

    uv run python data/sample/make_fixture_posts.py

It reads ``tests/fixtures/sources/`` (see the ``*.SOURCE.txt`` note next to each
payload), parses every payload with the same functions the collectors use, and
writes one JSON object per post to ``data/sample/fixture_posts.jsonl`` with the
normalized fields (source, post_id, title, url, author, heat, rank, category,
tags, brief, published_at). Nothing is invented: a field the payload lacks is
null, and so is the rank of an item lifted out of a list at an unknown
position. Payloads a parser rejects are reported on stderr and contribute
nothing. No network access.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from digest.errors import SourceError
from digest.models import Post
from digest.sources.base import FetchResult
from digest.sources.github import parse_trending
from digest.sources.hackernews import parse_algolia, parse_item
from digest.sources.juejin import parse_article_rank
from digest.sources.rss import parse_feed
from digest.sources.v2ex import parse_hot_topics

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "sources"
OUTPUT = Path(__file__).resolve().parent / "fixture_posts.jsonl"


def _json(name: str) -> object:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _unranked(result: FetchResult) -> FetchResult:
    """For an item lifted out of a list at an unknown position: its rank is unknown."""
    return FetchResult([replace(post, rank=None) for post in result.posts], result.skipped)


def _juejin_rank() -> FetchResult:
    # The fixture is one item of .data[]; the SOURCE note gives the real envelope.
    envelope = {"err_no": 0, "err_msg": "success", "data": [_json("juejin_article_rank.item.json")]}
    return _unranked(parse_article_rank(envelope, source="juejin", category="1"))


def _juejin_recommend() -> FetchResult:
    return parse_article_rank(_json("juejin_recommend_feed.json"), source="juejin", category="1")


def _hn_firebase() -> FetchResult:
    post = parse_item(_json("hackernews_item_story.json"), rank=1, source="hackernews")
    return _unranked(FetchResult(posts=[post]))


def _hn_algolia_front_page() -> FetchResult:
    hit = _json("hackernews_algolia_front_page_hit.json")
    return _unranked(parse_algolia({"hits": [hit]}, source="hackernews"))


def _hn_algolia_search() -> FetchResult:
    # A search for "pg", so its order is search order, not front-page rank.
    return _unranked(
        parse_algolia(_json("hackernews_algolia_search_envelope.doc.json"), source="hackernews")
    )


def _v2ex() -> FetchResult:
    return parse_hot_topics(_json("v2ex_topics_hot.json"), source="v2ex")


def _github() -> FetchResult:
    # The fixture is the page's first Box-row, so rank 1 is the real rank.
    html = (FIXTURES / "github_trending.article.html").read_text(encoding="utf-8")
    return parse_trending(html, source="github")


def _hnrss() -> FetchResult:
    return parse_feed((FIXTURES / "rss_hnrss_newest.xml").read_bytes(), source="hnrss")


PAYLOADS: list[tuple[str, Callable[[], FetchResult]]] = [
    ("juejin_article_rank.item.json", _juejin_rank),
    ("juejin_recommend_feed.json", _juejin_recommend),
    ("hackernews_item_story.json", _hn_firebase),
    ("hackernews_algolia_front_page_hit.json", _hn_algolia_front_page),
    ("hackernews_algolia_search_envelope.doc.json", _hn_algolia_search),
    ("v2ex_topics_hot.json", _v2ex),
    ("github_trending.article.html", _github),
    ("rss_hnrss_newest.xml", _hnrss),
]


def main() -> int:
    posts: dict[tuple[str, str], Post] = {}
    for name, parse in PAYLOADS:
        try:
            result = parse()
        except SourceError as exc:
            print(f"{name}: rejected: {exc}", file=sys.stderr)
            continue
        for reason in result.skipped:
            print(f"{name}: skipped {reason}", file=sys.stderr)
        for post in result.posts:
            posts.setdefault((post.source, post.post_id), post)
        print(f"{name}: {len(result.posts)} posts", file=sys.stderr)
    with OUTPUT.open("w", encoding="utf-8") as out:
        for post in posts.values():
            out.write(json.dumps(post.to_row(), ensure_ascii=False, sort_keys=False) + "\n")
    print(f"wrote {len(posts)} posts to {OUTPUT.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
