"""Write one labelled day's posts (JSONL for `hotdigest import`) from mirrored archive repos.

Run by hand after `fetch`ing the repositories named in bench/days/README.md; the
output files are committed, this script only documents how they were made.

    uv run python bench/days/extract.py 2026-03-18 [--juejin 25] [--github 25] [--skip github]

`--skip` leaves a source out where its archive file is not that day's list (GitHub
trending in website-hot-hub repeats 2025-11-12's list every day until 2025-12-04);
`--github N` keeps a day's first N repositories (2025-12-05's file is that day's 25 then
the repeated list appended after them).
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import subprocess
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

MIRROR = Path("/work/.mirror")
HERE = Path(__file__).resolve().parent
HN = ("L5T2Y0/daily-hn-archives", "archives/{day}.md")
# Before 2026-02-14 (where daily-hn-archives starts): a daily HN summary, top 10 taken,
# order and original titles and links only (no points).
HN_SUMMARIES = ("yuxiaopeng/hacker-news-summarizer", "output/hacker_news_summary_{day}.md")
HN_TOP = 10
V2EX = ("lonnyzhang423/v2ex-hot-hub", "archives/{day}.md")
JUEJIN = ("cxyfreedom/website-hot-hub", "raw/juejin/{day}.json")
GITHUB = ("cxyfreedom/website-hot-hub", "raw/github/{day}.json")
_HN_LINE = re.compile(r"^\d+\. \[(?P<title>.+)\]\((?P<url>\S+)\) - (?P<points>\d+) points")
_MD_LINE = re.compile(r"^1\. \[(?P<title>.+)\]\((?P<url>https://www\.v2ex\.com/t/(?P<id>\d+))\S*\)")


def _git(repo: str, *args: str) -> str:
    path = MIRROR / repo.replace("/", "+") / "repo"
    return subprocess.run(
        ["git", "-C", str(path), *args], check=True, capture_output=True, text=True
    ).stdout


def _show(spec: tuple[str, str], day: str) -> tuple[str, str, str]:
    repo, pattern = spec
    path = pattern.format(day=day)
    # The last commit that wrote the file: the 2025 files were deleted from the archive's
    # tree later (2026-02), so the newest commit touching them is a deletion.
    commit = _git(repo, "log", "-1", "--diff-filter=AM", "--format=%H", "HEAD", "--", path).strip()
    return _git(repo, "show", f"{commit}:{path}"), f"{repo} {path} @ {commit}", commit


def _juejin(text: str, stamp: str, top: int) -> list[dict[str, object]]:
    posts: list[dict[str, object]] = []
    for rank, entry in enumerate(json.loads(text)[:top], start=1):
        post_id = entry["url"].rstrip("/").rsplit("/", 1)[-1]
        posts.append(
            {
                "source": "juejin",
                "post_id": post_id,
                "title": entry["title"].strip(),
                "url": entry["url"],
                "rank": rank,
                "seen_at": stamp,
            }
        )
    return posts


def _github(text: str, stamp: str, top: int | None) -> list[dict[str, object]]:
    posts: list[dict[str, object]] = []
    for rank, entry in enumerate(json.loads(text)[:top], start=1):
        record: dict[str, object] = {
            "source": "github",
            "post_id": entry["title"],
            "title": entry["title"],
            "url": entry["url"],
            "rank": rank,
            "seen_at": stamp,
        }
        if entry.get("description"):
            record["brief"] = entry["description"]
        if entry.get("language"):
            record["category"] = entry["language"]
        posts.append(record)
    return posts


def _matches(pattern: re.Pattern[str], text: str) -> list[re.Match[str]]:
    """The lines of a Markdown archive that are list entries, in rank order."""
    return [match for line in text.splitlines() if (match := pattern.match(line))]


def _hackernews(text: str, stamp: str) -> list[dict[str, object]]:
    posts: list[dict[str, object]] = []
    for rank, match in enumerate(_matches(_HN_LINE, text), start=1):
        url = match["url"]
        item = re.search(r"item\?id=(\d+)", url)
        post_id = item.group(1) if item else url
        posts.append(
            {
                "source": "hackernews",
                "post_id": post_id,
                "title": match["title"],
                "url": url,
                "heat": int(match["points"]),
                "rank": rank,
                "seen_at": stamp,
            }
        )
    return posts


def _hackernews_summaries(text: str, stamp: str) -> list[dict[str, object]]:
    titles = re.findall(r"^\*\*原文标题\*\*: (.+)$", text, flags=re.MULTILINE)
    links = re.findall(r"^\*\*原文链接\*\*: \[(\S+)\]", text, flags=re.MULTILINE)
    return [
        {
            "source": "hackernews",
            "post_id": url,
            "title": title.strip(),
            "url": url,
            "rank": rank,
            "seen_at": stamp,
        }
        for rank, (title, url) in enumerate(list(zip(titles, links, strict=True))[:HN_TOP], start=1)
    ]


def _v2ex(text: str, stamp: str) -> list[dict[str, object]]:
    return [
        {
            "source": "v2ex",
            "post_id": match["id"],
            "title": match["title"],
            "url": match["url"],
            "rank": rank,
            "seen_at": stamp,
        }
        for rank, match in enumerate(_matches(_MD_LINE, text), start=1)
    ]


def extract(
    day: str, juejin_top: int, skip: frozenset[str] = frozenset(), github_top: int | None = None
) -> tuple[list[dict[str, object]], list[str]]:
    # Seen at 10:00 UTC (18:00 Asia/Shanghai), inside the default 18:30 build window.
    seen = datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)
    stamp = (seen + timedelta(hours=10)).isoformat().replace("+00:00", "Z")
    posts: list[dict[str, object]] = []
    origins = []
    parsers: list[tuple[tuple[str, str], Callable[[str, str], list[dict[str, object]]]]] = [
        (JUEJIN, functools.partial(_juejin, top=juejin_top)),
        (GITHUB, functools.partial(_github, top=github_top)),
        (HN, _hackernews) if day >= "2026-02-14" else (HN_SUMMARIES, _hackernews_summaries),
        (V2EX, _v2ex),
    ]
    for spec, parse in parsers:
        if any(f"/{source}/" in spec[1] or source in spec[0] for source in skip):
            continue
        text, origin, _ = _show(spec, day)
        origins.append(origin)
        posts += parse(text, stamp)
    return posts, origins


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("day")
    parser.add_argument("--juejin", type=int, default=25)
    parser.add_argument("--github", type=int, default=None)
    parser.add_argument("--skip", action="append", default=[], help="a source to leave out")
    args = parser.parse_args()
    posts, origins = extract(args.day, args.juejin, frozenset(args.skip), args.github)
    out = HERE / f"{args.day}.jsonl"
    out.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in posts), "utf-8")
    print(f"{out}: {len(posts)} posts")
    for origin in origins:
        print("  ", origin)


if __name__ == "__main__":
    main()
