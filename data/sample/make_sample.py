"""Write data/sample/posts.jsonl: the reference posts plus the fixture posts, seen together.

Run by hand after either input changes: ``uv run python data/sample/make_sample.py``.
The fixture posts get the reference posts' ``seen_at`` so one digest date covers them all;
nothing else is added or changed.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    reference = [
        json.loads(line) for line in (HERE / "reference_posts.jsonl").open() if line.strip()
    ]
    seen_at = reference[0]["seen_at"]
    fixtures = [json.loads(line) for line in (HERE / "fixture_posts.jsonl").open() if line.strip()]
    with (HERE / "posts.jsonl").open("w", encoding="utf-8") as out:
        for record in reference + [{**post, "seen_at": seen_at} for post in fixtures]:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {len(reference) + len(fixtures)} posts to {HERE / 'posts.jsonl'}")


if __name__ == "__main__":
    main()
