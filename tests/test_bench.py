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
