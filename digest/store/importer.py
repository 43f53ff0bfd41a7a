"""Import posts from JSON Lines or CSV files with the normalized record's field names."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..clock import from_iso
from ..errors import ImportRowError
from ..models import Post, make_post
from .store import Store

FIELDS = (
    "source",
    "post_id",
    "title",
    "url",
    "author",
    "heat",
    "rank",
    "category",
    "tags",
    "brief",
    "published_at",
)
REQUIRED = ("source", "post_id", "title")
TIME_FIELD = "seen_at"  # when the post was on the list; "now" when absent


@dataclass(slots=True)
class ImportReport:
    """What an import kept and what it skipped, by line number."""

    saved: int = 0
    bad_rows: list[tuple[int, str]] = field(default_factory=list)
    ignored_fields: set[str] = field(default_factory=set)


def import_posts(store: Store, path: Path, now: datetime, batch: int = 5000) -> ImportReport:
    """Read ``path`` (``.csv`` or JSON Lines) into the store; bad rows are reported, not fatal."""
    report = ImportReport()
    pending: list[tuple[Post, datetime]] = []
    for line, record in _records(path):
        try:
            pending.append(_sighting(record, now, report))
        except ImportRowError as exc:
            report.bad_rows.append((line, str(exc)))
            continue
        if len(pending) >= batch:
            report.saved += store.save_sightings(pending)
            pending.clear()
    report.saved += store.save_sightings(pending)
    return report


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, record or a reason it is unreadable) for each row of the file."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        yield from _csv_records(text)
        return
    # Split on "\n" only: str.splitlines() also breaks at U+2028, U+0085 and
    # friends, which JSON strings may hold raw.
    for number, raw in enumerate(text.split("\n"), start=1):
        raw = raw.removesuffix("\r")
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield number, f"not valid JSON ({exc.msg} at column {exc.colno})"
            continue
        yield number, record if isinstance(record, dict) else "not a JSON object"


def _csv_records(text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    # A plain reader, not DictReader: DictReader skips blank lines silently, and
    # a row's first line is only known by counting every row, blank ones included.
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return
    ended = reader.line_num
    for values in reader:
        first, ended = ended + 1, reader.line_num
        if not values:
            continue
        if len(values) > len(header):
            yield first, "more values than header columns"
            continue
        row = dict(zip(header, values, strict=False))
        yield first, {key: value for key, value in row.items() if value != ""}


def _sighting(
    record: dict[str, Any] | str, now: datetime, report: ImportReport
) -> tuple[Post, datetime]:
    if isinstance(record, str):
        raise ImportRowError(record)
    missing = [name for name in REQUIRED if record.get(name) in (None, "")]
    if missing:
        raise ImportRowError(f"missing required field(s): {', '.join(missing)}")
    report.ignored_fields.update(set(record) - set(FIELDS) - {TIME_FIELD})
    seen_at = now
    if record.get(TIME_FIELD) not in (None, ""):
        try:
            seen_at = from_iso(str(record[TIME_FIELD]))
        except ValueError as exc:
            raise ImportRowError(f"{TIME_FIELD}: {exc}") from None
    tags = record.get("tags", ())
    if isinstance(tags, str) and tags.startswith("["):
        try:
            tags = json.loads(tags)
        except json.JSONDecodeError:
            raise ImportRowError("tags: not a JSON list") from None
    try:
        fields: dict[str, Any] = {name: record.get(name) for name in FIELDS if name != "tags"}
        post = make_post(**fields, tags=tags)
    except ValueError as exc:
        raise ImportRowError(str(exc)) from None
    return post, seen_at
