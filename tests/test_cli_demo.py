"""`hotdigest demo`, the README's main command: the real bot on the sample, offline."""

from __future__ import annotations

import re

from click.testing import CliRunner

from bot.cli import main


def test_demo_plays_the_whole_conversation_without_errors():
    result = CliRunner().invoke(main, ["demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    for said in (
        "/start",
        "/subscribe 19:00 Asia/Shanghai",
        "(presses [要点])",
        "/digest highlights",
        "/sources 3",
        "/rebuild 2026-02-15",
    ):
        assert f": {said}" in out
    # The scheduled push arrived: the digest's headline and its section keyboard.
    assert "测完 GLM-5 我沉默了" in out and "[· 🏠 概览]" in out
    assert "🤖 bot (edits its message)" in out  # the button switched the section in place
    assert "[3] State of Machine Learning in Julia" in out  # /sources 3, from the store
    assert "unchanged" in out  # /rebuild on unchanged data keeps v1
    done = re.search(
        r"(\d+) messages sent, (\d+) edited, (\d+) flood errors, (\d+) API errors", out
    )
    assert done and done.group(3) == "0" and done.group(4) == "0"


def test_demo_digest_only_prints_the_sample_digest():
    result = CliRunner().invoke(main, ["demo", "--digest-only", "--lang", "en"])
    assert result.exit_code == 0, result.output
    for title in ("Summary", "Highlights", "Metrics", "Outlook", "Sources"):
        assert title in result.output
