"""The benchmarks' own checks of their options (bench/ is not run in CI; these are)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_busy_refuses_too_few_chats_at_once_and_says_why() -> None:
    # With 100 chats the push is over before the users start: it used to wait 600 s
    # for a 300th message, then say "the bot's push did not start".
    done = subprocess.run(
        [sys.executable, str(BENCH / "busy.py"), "--chats", "100"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert "--chats 100 is too few" in done.stderr
    assert "use --chats 1500 or more" in done.stderr  # 300 + (4 × 5 s × 1.5 + 10 s) × 30


def test_a_script_that_runs_an_anchors_bot_seeds_its_store_with_the_anchors_code() -> None:
    # A store seeded by this checkout has this schema version, which an older anchor
    # refuses ("database schema version 17 is newer than this hotdigest's (6)"): burst's
    # anchor answered no /start and busy's pushed nothing. seed_with seeds as ``code``.
    for script in sorted(BENCH.glob("*.py")):
        text = script.read_text(encoding="utf-8")
        if "checkouts(" in text:
            assert "seed_store(" not in text, f"{script.name} seeds with this checkout's code"


def test_the_ledger_bench_replays_a_whole_push_and_every_write_changes_a_row() -> None:
    # bench/ledger.py's figure is only the ledger's if its stream is a real push's: each
    # part claimed once, then finished once; replay() raises if any write found no row.
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH / "ledger.py"),
            "--chats",
            "50",
            "--in-flight",
            "7",
            "--batch",
            "5",
            "64",
            "--week",  # a week after each chat's day: no claim may wait for a day all sent
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    last = dict(pair.split("=") for pair in done.stdout.strip().splitlines()[-1].split())
    assert set(last) == {
        f"ledger{week}_cpu_ms_batch_{size}" for week in ("", "_week") for size in (5, 64)
    }
    assert all(float(value) > 0 for value in last.values())


def test_the_day_extractor_leaves_out_exactly_the_sources_skipped_in_both_hn_eras() -> None:
    # `--skip hackernews` kept Hacker News: the skip was matched against archive paths,
    # and neither HN archive spells "hackernews". A misspelt source must not pass silently.
    spec = importlib.util.spec_from_file_location("extract", BENCH / "days" / "extract.py")
    assert spec is not None and spec.loader is not None
    extract = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(extract)
    for day in ("2025-10-28", "2026-03-28"):  # HN summaries, then daily-hn-archives
        names = [name for name, _, _ in extract.sources(day, 25, frozenset({"hackernews"}))]
        assert names == ["juejin", "github", "v2ex"]
        names = [name for name, _, _ in extract.sources(day, 25, frozenset({"github"}))]
        assert names == ["juejin", "hackernews", "v2ex"]
    with pytest.raises(SystemExit, match="no source hacker-news"):
        extract.sources("2025-10-28", 25, frozenset({"hacker-news"}))


def test_a_day_scored_lists_the_posts_its_digest_cut_by_their_titles() -> None:
    # `themes.py -v` listed an on-topic post the digest cut as "juejin:7554318621717348379":
    # only the digest's sources gave titles. 2025-09-29 (seven history days before it) cuts
    # some of its labelled posts; each must be listed by its gold title.
    sys.path.insert(0, str(BENCH.parent))
    try:
        from bench.themes_days import DAYS, build_day, load_gold, score_day
    finally:
        sys.path.remove(str(BENCH.parent))
    gold = load_gold(DAYS / "2025-09-29.gold.toml")
    score = score_day("2025-09-29", build_day(DAYS / "2025-09-29.jsonl"), gold)
    cut = [(source, post_id) for source, post_id, _, got in score.outcomes if got == "(cut)"]
    assert cut, "no post cut: the check needs a day whose digest leaves labelled posts out"
    assert not set(score.missing) & {f"{source}:{post_id}" for source, post_id in gold.themes}
    assert {gold.titles[key] for key in cut if gold.themes[key] != "other"} <= set(score.missing)
