"""The benchmarks' own checks of their options (bench/ is not run in CI; these are)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    last = dict(pair.split("=") for pair in done.stdout.strip().splitlines()[-1].split())
    assert set(last) == {"ledger_cpu_ms_batch_5", "ledger_cpu_ms_batch_64"}
    assert all(float(value) > 0 for value in last.values())
