"""The store commands end to end on a temporary database: config, import, posts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "reference_posts.jsonl"
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

# The sample's ten juejin posts by heat; the four without a heat figure come last.
BY_HEAT = [
    ("7605490752096829503", 1233),
    ("7605529884823420991", 1188),
    ("7605049329779327017", 1143),
    ("7605816833192067072", 1053),
    ("7605097326727266350", 729),
    ("7605451617286750235", 648),
]
WITHOUT_HEAT = {
    "7605941424535601206",
    "7604964464690184255",
    "7605807405306740799",
    "7605941424535388214",
}


@pytest.fixture(autouse=True)
def _in_empty_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No ./hotdigest.toml from the developer's checkout.
    monkeypatch.chdir(tmp_path)


def run(runner: CliRunner, db_path: Path, *args: str, **kwargs: object) -> Result:
    return runner.invoke(main, ["--db", str(db_path), *args], **kwargs)  # type: ignore[arg-type]


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# -- config -----------------------------------------------------------------------


def test_config_prints_settings_with_secrets_masked(runner: CliRunner, db_path: Path) -> None:
    result = run(runner, db_path, "config", env={"TELEGRAM_BOT_TOKEN": TOKEN})
    assert result.exit_code == 0, result.output
    assert "timezone" in result.output and "Asia/Shanghai" in result.output
    assert "$TELEGRAM_BOT_TOKEN" in result.output
    assert TOKEN not in result.output


def test_config_json(runner: CliRunner, db_path: Path) -> None:
    result = run(runner, db_path, "config", "--json", env={"HOTDIGEST_TZ": "Europe/Berlin"})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["timezone"] == {"value": "Europe/Berlin", "from": "$HOTDIGEST_TZ"}
    assert data["telegram.token"]["value"] == "(not set)"


@pytest.mark.parametrize("command", [["config"], ["posts"], ["import", str(SAMPLE)]])
def test_invalid_config_file_exits_2_naming_file_and_key(
    runner: CliRunner, tmp_path: Path, command: list[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[digest]\nbuild_time = "25:61"\n', encoding="utf-8")
    result = runner.invoke(main, ["--config", str(bad), *command])
    assert result.exit_code == 2, result.output
    assert str(bad) in result.output
    assert "digest.build_time" in result.output
    no_traceback(result)


def test_config_file_from_environment(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "env.toml"
    bad.write_text('timezone = "Atlantis/Capital"\n', encoding="utf-8")
    result = runner.invoke(main, ["config"], env={"HOTDIGEST_CONFIG": str(bad)})
    assert result.exit_code == 2
    assert str(bad) in result.output and "timezone" in result.output
    no_traceback(result)


# -- import and posts --------------------------------------------------------------


def test_import_sample_then_posts_by_heat(runner: CliRunner, db_path: Path) -> None:
    imported = run(runner, db_path, "import", str(SAMPLE))
    assert imported.exit_code == 0, imported.output
    assert "imported 10 posts, 0 bad rows" in imported.output

    result = run(runner, db_path, "posts", "--date", "2026-02-15")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 10
    shown = [(re.search(r"/post/(\d+)", line).group(1), line) for line in lines]  # type: ignore[union-attr]
    assert [post_id for post_id, _ in shown[:6]] == [post_id for post_id, _ in BY_HEAT]
    assert "1,233" in shown[0][1]
    assert {post_id for post_id, _ in shown[6:]} == WITHOUT_HEAT
    assert all("—" in line for _, line in shown[6:])
    assert "测完 GLM-5" in result.stdout


def test_posts_json(runner: CliRunner, db_path: Path) -> None:
    run(runner, db_path, "import", str(SAMPLE))
    result = run(runner, db_path, "posts", "--date", "2026-02-15", "--json")
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert [item["post_id"] for item in items[:6]] == [post_id for post_id, _ in BY_HEAT]
    assert [item["heat"] for item in items[:6]] == [heat for _, heat in BY_HEAT]
    assert [item["heat"] for item in items[6:]] == [None] * 4
    assert {item["source"] for item in items} == {"juejin"}


def test_posts_on_another_day_is_empty(runner: CliRunner, db_path: Path) -> None:
    run(runner, db_path, "import", str(SAMPLE))
    result = run(runner, db_path, "posts", "--date", "2026-02-14")
    assert result.exit_code == 0
    assert "no posts" in result.output
    as_json = run(runner, db_path, "posts", "--date", "2026-02-14", "--json")
    assert json.loads(as_json.stdout) == []


def test_posts_day_follows_the_configured_zone(runner: CliRunner, db_path: Path) -> None:
    run(runner, db_path, "import", str(SAMPLE))
    # 10:00 UTC on 2026-02-15 is still 2026-02-14 in Pago Pago (UTC-11).
    env = {"HOTDIGEST_TZ": "Pacific/Pago_Pago"}
    day_before = run(runner, db_path, "posts", "--date", "2026-02-15", "--json", env=env)
    assert json.loads(day_before.stdout) == []
    assert (
        len(
            json.loads(
                run(runner, db_path, "posts", "--date", "2026-02-14", "--json", env=env).stdout
            )
        )
        == 10
    )


def test_posts_filters_by_source(runner: CliRunner, db_path: Path) -> None:
    run(runner, db_path, "import", str(SAMPLE))
    result = run(runner, db_path, "posts", "--date", "2026-02-15", "--source", "v2ex", "--json")
    assert json.loads(result.stdout) == []


def test_posts_with_a_bad_date_is_a_usage_error(runner: CliRunner, db_path: Path) -> None:
    result = run(runner, db_path, "posts", "--date", "nope")
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output
    no_traceback(result)


def test_database_from_environment(runner: CliRunner, db_path: Path) -> None:
    env = {"HOTDIGEST_DB": str(db_path)}
    assert runner.invoke(main, ["import", str(SAMPLE)], env=env).exit_code == 0
    assert db_path.is_file()
    result = runner.invoke(main, ["posts", "--date", "2026-02-15", "--json"], env=env)
    assert len(json.loads(result.stdout)) == 10


def test_import_with_bad_rows_exits_1_and_keeps_good_rows(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps(
                    {
                        "source": "v2ex",
                        "post_id": "1",
                        "title": "good",
                        "seen_at": "2026-02-15T10:00:00Z",
                        "heat": 3,
                    }
                ),
                "{oops",
                json.dumps({"source": "v2ex", "post_id": "2", "seen_at": "2026-02-15T10:00:00Z"}),
                json.dumps(
                    {
                        "source": "v2ex",
                        "post_id": "3",
                        "title": "also good",
                        "seen_at": "2026-02-15T10:00:00Z",
                        "mood": "happy",
                    }
                ),
            ]
        ),
        encoding="utf-8",
    )
    result = run(runner, db_path, "import", str(path))
    assert result.exit_code == 1
    assert f"{path}:2:" in result.output and f"{path}:3:" in result.output
    assert "title" in result.output
    assert "mood" in result.output
    assert "imported 2 posts, 2 bad rows" in result.output
    no_traceback(result)

    listed = run(runner, db_path, "posts", "--date", "2026-02-15", "--json")
    assert [item["post_id"] for item in json.loads(listed.stdout)] == ["1", "3"]


def test_import_of_a_missing_file_is_a_usage_error(runner: CliRunner, db_path: Path) -> None:
    result = run(runner, db_path, "import", "no-such-file.jsonl")
    assert result.exit_code == 2
    no_traceback(result)


def test_unopenable_database_is_a_clean_error(runner: CliRunner, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"not a database " * 100)
    result = runner.invoke(main, ["--db", str(bogus), "posts", "--date", "2026-02-15"])
    assert result.exit_code == 1
    assert "bogus.db" in result.output
    no_traceback(result)
