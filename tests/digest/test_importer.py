"""import_posts: JSON Lines and CSV, bad rows reported by line number and skipped."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest import Store, import_posts

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample" / "reference_posts.jsonl"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def ids(store: Store) -> set[str]:
    rows = store.db.execute("SELECT post_id FROM posts").fetchall()
    return {post_id for (post_id,) in rows}


def test_sample_imports_cleanly(store: Store, now: datetime) -> None:
    report = import_posts(store, SAMPLE, now=now + timedelta(days=30))

    assert (report.saved, report.bad_rows, report.ignored_fields) == (10, [], set())
    seen = store.posts_in_window(
        datetime(2026, 2, 15, tzinfo=UTC), datetime(2026, 2, 16, tzinfo=UTC)
    )
    assert len(seen) == 10
    assert sum(item.heat is None for item in seen) == 4
    # seen_at from the file wins over "now".
    assert {item.last_seen_at for item in seen} == {datetime(2026, 2, 15, 10, tzinfo=UTC)}


def test_jsonl_bad_rows_are_reported_by_line_and_good_rows_kept(
    store: Store, tmp_path: Path, now: datetime
) -> None:
    lines = [
        json.dumps({"source": "s", "post_id": "ok1", "title": "fine"}),  # 1
        '{"source": "s", "post_id": "broken", ',  # 2
        "[1, 2, 3]",  # 3
        json.dumps({"source": "s", "post_id": "notitle"}),  # 4
        "",  # 5: blank lines are not rows
        json.dumps(
            {"source": "s", "post_id": "naive", "title": "t", "seen_at": "2026-02-15T10:00:00"}
        ),  # 6
        json.dumps({"source": "s", "post_id": "heat", "title": "t", "heat": "lots"}),  # 7
        json.dumps({"source": "s", "post_id": "ok2", "title": "also fine", "heat": "1.2万"}),  # 8
    ]
    report = import_posts(store, write(tmp_path, "posts.jsonl", "\n".join(lines) + "\n"), now)

    assert report.saved == 2
    assert ids(store) == {"ok1", "ok2"}
    by_line = dict(report.bad_rows)
    assert sorted(by_line) == [2, 3, 4, 6, 7]
    assert "JSON" in by_line[2]
    assert "object" in by_line[3]
    assert "title" in by_line[4]
    assert "seen_at" in by_line[6] and "zone" in by_line[6]
    assert "heat" in by_line[7]


def test_jsonl_line_separators_inside_strings_stay_one_row(
    store: Store, tmp_path: Path, now: datetime
) -> None:
    # json.dumps(ensure_ascii=False) writes U+2028/U+2029/U+0085 raw; they are not newlines.
    title = "first\u2028second\u2029third\x85fourth"
    lines = [
        json.dumps({"source": "s", "post_id": "1", "title": title}, ensure_ascii=False),
        "not json",
    ]
    path = write(tmp_path, "posts.jsonl", "\r\n".join(lines) + "\r\n")
    report = import_posts(store, path, now)

    assert report.saved == 1
    assert [line for line, _ in report.bad_rows] == [2]


def test_seen_at_defaults_to_now(store: Store, tmp_path: Path, now: datetime) -> None:
    path = write(tmp_path, "posts.jsonl", json.dumps({"source": "s", "post_id": "1", "title": "t"}))
    import_posts(store, path, now)
    seen = store.get_post("s", "1")
    assert seen is not None and seen.first_seen_at == seen.last_seen_at == now


def test_unknown_fields_are_listed_as_ignored(store: Store, tmp_path: Path, now: datetime) -> None:
    row = {"source": "s", "post_id": "1", "title": "t", "votes": 3, "colour": "red"}
    report = import_posts(store, write(tmp_path, "posts.jsonl", json.dumps(row)), now)
    assert report.saved == 1
    assert report.ignored_fields == {"votes", "colour"}


CSV_TEXT = (
    "source,post_id,title,heat,seen_at,tags\r\n"  # 1
    'juejin,1,"A title, with a comma",3450,2026-02-15T10:00:00Z,"[""ai"", ""llm""]"\r\n'  # 2
    'juejin,2,"A title\r\nover\r\nthree lines",12k,,\r\n'  # 3-5
    "juejin,3,,5,,\r\n"  # 6: no title
    "\r\n"  # 7: blank
    "juejin,4,Bad heat,abc,,\r\n"  # 8
    "juejin,5,Bad time,1,15/02/2026,\r\n"  # 9
    "juejin,6,Too many,1,,,extra\r\n"  # 10
    "juejin,7,Last good,,,\r\n"  # 11
)


def test_csv_rows_with_multiline_fields_keep_line_numbers(
    store: Store, tmp_path: Path, now: datetime
) -> None:
    report = import_posts(store, write(tmp_path, "posts.csv", CSV_TEXT), now)

    assert ids(store) == {"1", "2", "7"}
    assert report.saved == 3
    by_line = dict(report.bad_rows)
    assert sorted(by_line) == [6, 8, 9, 10]
    assert "title" in by_line[6]
    assert "heat" in by_line[8]
    assert "seen_at" in by_line[9]

    first = store.get_post("juejin", "1")
    assert first is not None
    assert (first.post.title, first.heat, first.post.tags) == (
        "A title, with a comma",
        3450,
        ("ai", "llm"),
    )
    second = store.get_post("juejin", "2")
    assert second is not None
    assert (second.post.title, second.heat, second.last_seen_at) == (
        "A title over three lines",
        12_000,
        now,
    )


def test_csv_with_byte_order_mark(store: Store, tmp_path: Path, now: datetime) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffsource,post_id,title\nv2ex,9,导出\n".encode())
    report = import_posts(store, path, now)
    assert (report.saved, report.bad_rows) == (1, [])


def test_reimporting_adds_no_posts(store: Store, now: datetime) -> None:
    import_posts(store, SAMPLE, now)
    import_posts(store, SAMPLE, now)
    assert store.count_posts() == 10


# -- hostile rows (issue 10): each row stands alone --------------------------------------


def row(post_id: str, **fields: object) -> str:
    return json.dumps({"source": "s", "post_id": post_id, "title": f"t {post_id}", **fields})


def test_out_of_range_numbers_are_bad_rows_and_the_rest_is_stored(
    store: Store, tmp_path: Path, now: datetime
) -> None:
    lines = [row(f"p{n}") for n in range(6000)]
    lines[10] = row("p10", heat=10**400)
    lines[2000] = row("p2000", rank=10**30)
    lines[3000] = row("p3000", heat="9" * 400)
    lines[4000] = '{"source": "s", "post_id": "p4000", "title": "t", "rank": ' + "7" * 5000 + "}"
    lines[5000] = row("p5000", rank=-1)
    report = import_posts(store, write(tmp_path, "big.jsonl", "\n".join(lines)), now, batch=1000)

    bad = dict(report.bad_rows)
    assert sorted(bad) == [11, 2001, 3001, 4001, 5001]
    assert "heat" in bad[11] and "out of range" in bad[11] and len(bad[11]) < 200
    assert "rank" in bad[2001] and "out of range" in bad[2001]
    assert "too long" in bad[4001]
    assert report.saved == 5995 and len(ids(store)) == 5995


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("x" * 100_000, "is not a name"),
        ("hn\u202egnp.exe", "is not a name"),
        (["juejin"], "is not a name"),
        ({"a": 1}, "is not a name"),
        (True, "is not a name"),
        ("two words", "is not a name"),
    ],
)
def test_source_names_are_short_identifiers(
    store: Store, tmp_path: Path, now: datetime, source: object, problem: str
) -> None:
    lines = [row("ok"), json.dumps({"source": source, "post_id": "bad", "title": "t"})]
    report = import_posts(store, write(tmp_path, "s.jsonl", "\n".join(lines)), now)

    assert report.saved == 1 and ids(store) == {"ok"}
    [(line, reason)] = report.bad_rows
    assert line == 2 and problem in reason and len(reason) < 200


def test_csv_unclosed_quote_loses_only_its_row(store: Store, tmp_path: Path, now: datetime) -> None:
    rows = ["source,post_id,title,heat"]
    rows += [f"s,p{n},Title {n},{n}" for n in range(1, 101)]
    rows[2] = 's,p2,"Title 2 opens a quote,2'  # line 3: the quote never closes
    report = import_posts(store, write(tmp_path, "posts.csv", "\n".join(rows) + "\n"), now)

    [(line, reason)] = report.bad_rows
    assert line == 3 and "quote" in reason
    assert report.saved == 99 and len(ids(store)) == 99 and "p2" not in ids(store)


def test_csv_quote_closed_rows_later_is_caught(store: Store, tmp_path: Path, now: datetime) -> None:
    rows = ["source,post_id,title,heat"]
    rows += [f"s,p{n},Title {n},{n}" for n in range(1, 11)]
    rows[2] = 's,p2,"Title 2 opens,2'
    rows[6] = 's,p6,Title 6 closes",6'  # strict CSV: a quote in an unquoted field
    report = import_posts(store, write(tmp_path, "posts.csv", "\n".join(rows) + "\n"), now)

    assert [line for line, _ in report.bad_rows] == [3]
    assert report.saved == 9 and "p6" in ids(store)


def test_csv_multiline_brief_is_still_one_good_row(
    store: Store, tmp_path: Path, now: datetime
) -> None:
    text = 'source,post_id,title,brief\ns,p1,One,"two\nlines"\ns,p2,Two,\n'
    report = import_posts(store, write(tmp_path, "posts.csv", text), now)

    assert (report.saved, report.bad_rows) == (2, [])
