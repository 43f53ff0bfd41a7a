"""``hotdigest build --week``, ``show --week`` and the weekly pages of ``export`` (issue 17)."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import UTC, datetime, time
from pathlib import Path

from click.testing import CliRunner
from PIL import Image
from week_store import WEEK, seed_fortnight

from bot.cli import main
from digest import Store, Subscription, Subscriptions
from digest.render.chart import HEIGHT, WIDTH


def seeded(db_path: Path) -> None:
    store = Store.open(db_path)
    try:
        seed_fortnight(store)
    finally:
        store.close()


def run(runner: CliRunner, db_path: Path, *args: str) -> str:
    result = runner.invoke(main, ["--db", str(db_path), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_build_and_show_a_week(runner: CliRunner, db_path: Path) -> None:
    seeded(db_path)
    out = run(runner, db_path, "build", "--week", WEEK)
    assert out.startswith(f"built digest {WEEK} v1: 11 sources, fingerprint ")
    assert run(runner, db_path, "build", "--week", WEEK).startswith(f"unchanged: digest {WEEK} v1")
    shown = run(runner, db_path, "show", "--week", WEEK, "--section", "highlights", "--lang", "en")
    assert shown.startswith(f"Tech hot list weekly · {WEEK}")
    assert "Longest on the lists" in shown and "“GPT-5 model”: on the lists 7 days" in shown
    data = json.loads(run(runner, db_path, "show", "--week", WEEK, "--json"))
    assert data["date"] == WEEK and data["version"] == 1
    assert [s["id"] for s in data["sections"]["zh"]] == [
        "summary",
        "highlights",
        "metrics",
        "outlook",
        "sources",
    ]
    messages = json.loads(
        run(runner, db_path, "show", "--week", WEEK, "--format", "telegram", "--json")
    )
    assert messages and f"科技热榜周报 · {WEEK}" in messages[0]
    markdown = run(runner, db_path, "show", "--week", WEEK, "--format", "markdown")
    assert markdown.startswith("---")
    # The days' commands never see the week.
    result = runner.invoke(main, ["--db", str(db_path), "show"])
    assert result.exit_code != 0 and "no digest" in result.output


def test_an_empty_or_bad_week(runner: CliRunner, db_path: Path) -> None:
    seeded(db_path)
    out = run(runner, db_path, "build", "--week", "2026-W01")
    assert out.strip() == "no posts collected in week 2026-W01: nothing stored"
    missing = runner.invoke(main, ["--db", str(db_path), "show", "--week", "2026-W01"])
    assert missing.exit_code == 1 and "hotdigest build --week 2026-W01" in missing.output
    for args in (["build", "--week", "2026-7"], ["show", "--week", "W07"]):
        bad = runner.invoke(main, ["--db", str(db_path), *args])
        assert bad.exit_code == 2 and "YYYY-Www" in bad.output, bad.output
    both = runner.invoke(main, ["--db", str(db_path), "build", "--week", WEEK, "--date", "x"])
    assert both.exit_code == 2


def test_date_and_week_exclude_each_other_in_every_command(
    runner: CliRunner, db_path: Path
) -> None:
    seeded(db_path)
    for command in (["push", "--dry-run"], ["deliveries"], ["build"], ["show"]):
        args = ["--db", str(db_path), *command, "--date", "2026-02-15", "--week", WEEK]
        both = runner.invoke(main, args)
        assert both.exit_code == 2, (command, both.output)
        assert "give --date or --week, not both" in both.output
    # one of them alone still works
    assert "2026-W07" in run(runner, db_path, "deliveries", "--week", WEEK)


def test_export_writes_weekly_pages_with_their_chart(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    seeded(db_path)
    run(runner, db_path, "build", "--date", "2026-02-15")
    run(runner, db_path, "build", "--week", WEEK)
    out = tmp_path / "posts"
    assert "wrote 2 digests" in run(runner, db_path, "export", "--out", str(out))
    names = sorted(p.name for p in out.iterdir())
    assert names == ["2026-02-15.md", "2026-02-15.png", f"{WEEK}.md", f"{WEEK}.png"]
    page = (out / f"{WEEK}.md").read_text(encoding="utf-8")
    front = page.split("---")[1]
    assert f'image: "{WEEK}.png"' in front.splitlines()
    assert "GPT-5 model" in page
    png = Image.open(io.BytesIO((out / f"{WEEK}.png").read_bytes()))
    assert png.size == (WIDTH, HEIGHT)


def test_push_a_week_now_to_its_weekly_subscribers(runner: CliRunner, db_path: Path) -> None:
    seeded(db_path)
    run(runner, db_path, "build", "--week", WEEK)
    store = Store.open(db_path)
    try:
        chats, since = Subscriptions(store), datetime(2026, 1, 1, tzinfo=UTC)
        for chat_id, cadence in ((11, "weekly"), (12, "daily"), (13, "both")):
            sub = Subscription(chat_id, "private", "zh", time(8), "Asia/Shanghai")
            chats.subscribe(replace(sub, cadence=cadence, week_chart=False), since)
    finally:
        store.close()
    out = run(runner, db_path, "push", "--week", WEEK, "--dry-run")
    planned = sorted(line.split(" (")[0] for line in out.splitlines() if f"push {WEEK} v1" in line)
    assert planned == ["chat 11", "chat 13"]  # not the daily-only chat
    assert out.splitlines()[-1].startswith("dry run: 2 chats")
    assert run(runner, db_path, "deliveries", "--week", WEEK).strip() == (
        f"{WEEK}: no pushes recorded"
    )
