"""`hotdigest backup`, `restore` and `stats`, and what `run` refuses, on temporary stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from digest import store_lock

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "posts.jsonl"
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@pytest.fixture(autouse=True)
def _in_empty_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def imported(runner: CliRunner, db: Path) -> None:
    result = runner.invoke(main, ["--db", str(db), "import", str(SAMPLE)])
    assert result.exit_code == 0, result.output


def test_backup_then_restore_round_trips_the_store(runner: CliRunner, tmp_path: Path) -> None:
    db, copy = tmp_path / "live.db", tmp_path / "copy.db"
    imported(runner, db)
    result = runner.invoke(main, ["--db", str(db), "backup", str(copy)])
    assert result.exit_code == 0, result.output
    assert "integrity ok" in result.output and "posts 44" in result.output
    fresh = tmp_path / "fresh.db"
    result = runner.invoke(main, ["--db", str(fresh), "restore", str(copy)])
    assert result.exit_code == 0, result.output  # nothing to replace: no question asked
    stats = runner.invoke(main, ["--db", str(fresh), "stats", "--json"])
    sizes = {row["name"]: row for row in json.loads(stats.output)}
    assert sizes["posts"]["rows"] == 44 and sizes["posts"]["oldest"] == "2026-02-15T10:00:00Z"


def test_backup_into_a_directory_names_the_file_by_time(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    imported(runner, db)
    (tmp_path / "backups").mkdir()
    result = runner.invoke(main, ["--db", str(db), "backup", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    (made,) = (tmp_path / "backups").iterdir()
    assert made.name.startswith("hotdigest-") and made.suffix == ".db"


def test_restore_asks_before_replacing_and_refuses_a_damaged_backup(
    runner: CliRunner, tmp_path: Path
) -> None:
    db, bad = tmp_path / "live.db", tmp_path / "bad.db"
    imported(runner, db)
    bad.write_bytes(b"not a database" * 500)
    result = runner.invoke(main, ["--db", str(db), "restore", str(bad)], input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    result = runner.invoke(main, ["--db", str(db), "restore", str(bad), "--yes"])
    assert result.exit_code == 1 and "is damaged" in result.output
    stats = runner.invoke(main, ["--db", str(db), "stats"])
    assert "posts" in stats.output and " 44 " in stats.output  # the store is untouched


def test_restore_and_a_second_bot_are_refused_while_a_bot_runs(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, copy = tmp_path / "live.db", tmp_path / "copy.db"
    imported(runner, db)
    assert runner.invoke(main, ["--db", str(db), "backup", str(copy)]).exit_code == 0
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    with store_lock(db):  # as `hotdigest run` holds it
        result = runner.invoke(main, ["--db", str(db), "restore", str(copy), "--yes"])
        assert result.exit_code == 1
        assert "is running on" in result.output and "stop it before restoring" in result.output
        result = runner.invoke(main, ["--db", str(db), "run"])
        assert result.exit_code == 1 and "is running on" in result.output
    assert TOKEN not in result.output


def test_run_rejects_a_metrics_address_that_is_not_host_and_port(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    result = runner.invoke(main, ["--db", str(tmp_path / "h.db"), "run", "--metrics", "9108"])
    assert result.exit_code == 2 and "HOST:PORT" in result.output
