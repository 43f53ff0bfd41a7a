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
from ..models import MAX_BRIEF, Post, make_post
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
# A legitimate field (a brief) may span lines; one this long is rows swallowed by a quote.
MAX_FIELD = 4 * MAX_BRIEF


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
        except (ValueError, RecursionError):  # a 4,300+ digit integer; nesting too deep
            yield number, "not usable JSON (a number too long or nesting too deep)"
            continue
        yield number, record if isinstance(record, dict) else "not a JSON object"


def _csv_records(text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(first line, record or why it is unreadable) for each CSV row.

    Parsing is strict, and a row whose quoted field runs on past where a quote should
    have closed is bad on its own: its first line is reported and parsing resumes on
    the next line, so one stray quote never swallows the rows after it.
    """
    lines = io.StringIO(text, newline="").readlines()
    header = next(csv.reader(lines[:1]), None)
    if header is None:
        return
    start = 1  # index of the next line to parse
    while start < len(lines):
        # A plain reader, not DictReader: DictReader skips blank lines silently, and
        # a row's first line is only known by counting every row, blank ones included.
        reader = csv.reader((lines[i] for i in range(start, len(lines))), strict=True)
        done = 0  # lines this reader has consumed before the current row
        try:
            for values in reader:
                first, last = start + done + 1, start + reader.line_num
                if problem := _runaway(values, header, lines[first - 1 : last]):
                    raise csv.Error(problem)
                done = reader.line_num
                if values:
                    yield first, _csv_row(header, values)
        except csv.Error as exc:
            first = start + done + 1
            yield first, f"not valid CSV ({exc}): an unclosed quote? this row is skipped"
            start = first  # resume on the line after the bad row's first line
            continue
        return


def _runaway(values: list[str], header: list[str], lines: list[str]) -> str | None:
    """Why a row spanning ``lines`` looks like a quote that never closed, if it does:
    a field far over any limit, or a line inside it shaped like a row of its own."""
    if len(lines) <= 1:
        return None
    if any(len(value) > MAX_FIELD for value in values):
        return f"a field over {len(lines)} lines is longer than {MAX_FIELD:,} characters"
    for inner in lines[1:]:
        if len(header) > 2 and len(next(csv.reader([inner]), [])) == len(header):
            return f"a quoted field runs over {len(lines)} lines that look like rows"
    return None


def _csv_row(header: list[str], values: list[str]) -> dict[str, Any] | str:
    if len(values) > len(header):
        return "more values than header columns"
    row = dict(zip(header, values, strict=False))
    return {key: value for key, value in row.items() if value != ""}


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
        except (ValueError, RecursionError):
            raise ImportRowError("tags: not a JSON list") from None
    try:
        fields: dict[str, Any] = {name: record.get(name) for name in FIELDS if name != "tags"}
        post = make_post(**fields, tags=tags)
    except ValueError as exc:
        raise ImportRowError(str(exc)) from None
    return post, seen_at
