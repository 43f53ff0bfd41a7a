"""Careless operators and tampered files (issue 10): clear errors, nothing written astray."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.cli.common import CliState
from bot.cli.store_commands import import_command
from bot.config import load_settings
from digest import BuildOptions, ConfigError, Store, build_digest, import_posts, store_problem

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "posts.jsonl"
SEEN = datetime(2026, 2, 15, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _in_empty_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def run(runner: CliRunner, db_path: Path, *args: str) -> Result:
    return runner.invoke(main, ["--db", str(db_path), *args])


def clean_failure(result: Result, *expected: str) -> None:
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    for text in expected:
        assert text in result.output, result.output


def seeded_store(db_path: Path) -> Store:
    store = Store.open(db_path)
    import_posts(store, SAMPLE, now=SEEN)
    build_digest(store, SEEN.date(), BuildOptions(), SEEN)
    return store


def seeded(db_path: Path) -> Path:
    store = Store.open(db_path)
    try:
        import_posts(store, SAMPLE, now=SEEN)
        build_digest(store, SEEN.date(), BuildOptions(), SEEN)
    finally:
        store.close()
    return db_path


# -- the store -----------------------------------------------------------------------------


def test_a_locked_store_is_a_clear_error(runner: CliRunner, db_path: Path) -> None:
    seeded(db_path)
    writer = sqlite3.connect(db_path)
    writer.execute("BEGIN IMMEDIATE")  # another writer, mid-transaction
    try:
        state = CliState(None, str(db_path), busy_timeout=0.1)
        result = runner.invoke(import_command, [str(SAMPLE)], obj=state)
    finally:
        writer.rollback()
        writer.close()
    clean_failure(result, str(db_path), "is locked by another writer")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files")
def test_a_read_only_store_is_a_clear_error(runner: CliRunner, db_path: Path) -> None:
    seeded(db_path)
    db_path.chmod(stat.S_IRUSR)
    try:
        result = run(runner, db_path, "import", str(SAMPLE))
    finally:
        db_path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    clean_failure(result, str(db_path), "write access")


def test_a_store_damaged_past_its_header_is_a_clear_error(runner: CliRunner, db_path: Path) -> None:
    seeded(db_path)
    data = bytearray(db_path.read_bytes())
    assert len(data) > 8192
    data[4096:] = b"\xa5" * (len(data) - 4096)  # the header page intact, the rest garbage
    db_path.write_bytes(bytes(data))
    for wal in ("-wal", "-shm"):
        Path(f"{db_path}{wal}").unlink(missing_ok=True)
    result = run(runner, db_path, "posts")
    clean_failure(result, str(db_path), "is damaged")


# -- export -----------------------------------------------------------------------------


def test_export_never_writes_outside_out(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    seeded(db_path)
    with sqlite3.connect(db_path) as conn:
        (data,) = conn.execute("SELECT data FROM digests").fetchone()
        tampered = json.loads(data) | {"date": "../../escaped"}
        conn.execute("UPDATE digests SET data = ?", [json.dumps(tampered)])
    out = tmp_path / "site" / "posts"
    result = run(runner, db_path, "export", "--out", str(out))
    clean_failure(result, "skipped: stored digest has a bad date")
    assert not list(tmp_path.rglob("escaped*"))
    assert list(out.iterdir()) == []


# -- config -----------------------------------------------------------------------------


def test_a_deeply_nested_toml_array_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "hotdigest.toml"
    path.write_text("timezone = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_settings(path, {})


def test_a_read_only_database_says_what_to_do(db_path: Path) -> None:
    """As root the file mode cannot make it read-only; SQLite's own read-only mode can."""
    store = seeded_store(db_path)
    try:
        store.db.execute("PRAGMA query_only = ON")
        with pytest.raises(sqlite3.OperationalError) as raw:
            import_posts(store, SAMPLE, now=SEEN)
    finally:
        store.close()
    problem = str(store_problem(db_path, raw.value))
    assert str(db_path) in problem and "write access" in problem and "readonly" in problem
