"""`hotdigest follows` and `hotdigest match` on a temporary database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from digest import AlertOptions, Follows, Store, make_post, parse_expression, plan_alerts

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "posts.jsonl"
T0 = datetime(2026, 2, 15, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _in_empty_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./hotdigest.toml from the developer's checkout


def run(runner: CliRunner, db_path: Path, *args: str) -> Result:
    return runner.invoke(main, ["--db", str(db_path), *args])


def test_match_lists_the_posts_of_a_day_an_expression_matches(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    assert run(runner, db_path, "import", str(SAMPLE)).exit_code == 0
    result = run(runner, db_path, "match", "GLM 发布 !flutter", "--date", "2026-02-15")
    assert result.exit_code == 0, result.output
    assert "3 matching posts" in result.output and "GLM-5" in result.output
    assert "Flutter" not in result.output
    as_json = run(runner, db_path, "match", "GLM", "--date", "2026-02-15", "--json")
    assert [row["post_id"] for row in json.loads(as_json.output)] == ["7605529884823420991"]
    config = tmp_path / "hotdigest.toml"
    config.write_text('[digest]\nexclude = ["沉默"]\n', encoding="utf-8")
    filtered = runner.invoke(
        main,
        ["--config", str(config), "--db", str(db_path), "match", "GLM", "--date", "2026-02-15"],
    )
    assert "0 matching posts" in filtered.output


def test_match_refuses_a_slow_pattern_with_the_reason(runner: CliRunner, db_path: Path) -> None:
    result = run(runner, db_path, "match", "/(x+x+)+y/")
    assert result.exit_code == 1 and "too slow" in result.output
    assert "Traceback" not in result.output


def test_a_bad_global_filter_is_a_config_error(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "hotdigest.toml"
    config.write_text('[digest]\nexclude = ["/[x/"]\n', encoding="utf-8")
    result = runner.invoke(main, ["--config", str(config), "config"])
    assert result.exit_code == 2 and "digest.exclude" in result.output
    assert "not a valid regular expression" in result.output


def test_follows_lists_groups_settings_and_alert_counts(runner: CliRunner, db_path: Path) -> None:
    store = Store.open(db_path)
    Follows(store).add(7, parse_expression("rust => Rust\n\nGLM +发布"), T0)
    store.save_posts([make_post(source="hn", post_id="1", title="Rust 2")], T0)
    plan_alerts(store, T0 + timedelta(minutes=1), AlertOptions())
    store.close()
    result = run(runner, db_path, "follows")
    assert result.exit_code == 0, result.output
    assert "chat 7: alerts on, 1 posts alerted in 0 messages" in result.output
    assert " 1. Rust: rust => Rust" in result.output and " 2. glm: glm +发布" in result.output
    rows = json.loads(run(runner, db_path, "follows", "--chat", "7", "--json").output)
    assert rows[0]["posts_alerted"] == 1 and len(rows[0]["groups"]) == 2
    other = run(runner, db_path, "follows", "--chat", "8").output
    assert other == "chat 8: alerts on, 0 posts alerted in 0 messages\n"
