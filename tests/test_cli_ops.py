"""`hotdigest backup`, `restore` and `stats`, and what `run` refuses, on temporary stores."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from test_cli_bot import _free_port, _python, _wait_for

from bot.cli import main
from digest import Store, lock_holder, store_lock

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


def test_run_serves_health_and_metrics_holds_the_lock_and_logs_json(tmp_path: Path) -> None:
    """`hotdigest --log-format json run --metrics` as a process, against the fake Bot API."""
    db = tmp_path / "live.db"
    Store.open(db).close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTDIGEST_", "TELEGRAM_"))}
    port, ops_port, token = _free_port(), _free_port(), "123456:ops-token-0123456789abcdefghij"
    fake = _python(
        "from bot.cli.bot_commands import fake_telegram_command as c; c()",
        *("--port", str(port), "--token", token, "--latency", "0", "--no-limits"),
        env=env,
        cwd=tmp_path,
    )
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=f"{base}/_fake") as control:
        _wait_for(lambda: control.get("/stats").json()["ok"], [fake])
    bot_env = {**env, "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_BASE_URL": f"{base}/bot"}
    args = ["--db", str(db), "--log-format", "json", "run", "--no-schedule"]
    run = _python(
        "import sys; from bot.cli import main; main(sys.argv[1:])",
        *args,
        *("--metrics", f"127.0.0.1:{ops_port}"),
        env=bot_env,
        cwd=tmp_path,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{ops_port}") as ops:
            _wait_for(lambda: ops.get("/healthz").status_code == 200, [fake, run])
            assert lock_holder(db) == run.pid
            with httpx.Client(base_url=f"{base}/_fake") as control:
                said = {"chat_id": 1001, "user_id": 1001, "text": "/help"}
                assert control.post("/user_message", json=said).json()["ok"]
                _wait_for(
                    lambda: control.get("/messages", params={"chat_id": 1001}).json()["result"],
                    [fake, run],
                )
            sent = 'hotdigest_messages_sent_total{kind="reply"} 1.0'
            _wait_for(lambda: sent in ops.get("/metrics").text, [fake, run])  # published each 1 s
    finally:
        run.send_signal(signal.SIGINT)
        fake.send_signal(signal.SIGINT)
        _, run_err = run.communicate(timeout=20)
        fake.communicate(timeout=20)
    assert run.returncode == 0, run_err
    assert lock_holder(db) is None
    lines = [json.loads(line) for line in run_err.splitlines() if line.strip()]
    assert any(line["message"] == "bot @hotdigest_bot ready" for line in lines)
    assert token not in run_err and token.split(":")[1] not in run_err
