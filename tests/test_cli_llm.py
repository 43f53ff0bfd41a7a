"""`hotdigest build --force` with [llm] pointed at a fake endpoint on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

from fake_llm import FakeLlm, answering, invalid_answer, serve

from bot.cli import main
from digest import Store, latest_digest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "posts.jsonl"


def build(runner, tmp_path: Path, url: str) -> str:
    config = tmp_path / "hotdigest.toml"
    config.write_text(
        f'[llm]\nenabled = true\nbase_url = "{url}"\nmodel = "fake-model"\ntimeout = 5\n',
        encoding="utf-8",
    )
    db = str(tmp_path / "hotdigest.db")
    env = {"HOTDIGEST_LLM_API_KEY": "sk-cli-test"}
    common = ["--config", str(config), "--db", db]
    imported = runner.invoke(main, [*common, "import", str(SAMPLE)], env=env)
    assert imported.exit_code == 0, imported.output
    built = runner.invoke(main, [*common, "build", "--date", "2026-02-15", "--force"], env=env)
    assert built.exit_code == 0, built.output
    return db


def stored_writer(db: str) -> tuple[str, tuple[str, ...]]:
    store = Store.open(db)
    try:
        digest = latest_digest(store, "2026-02-15")
    finally:
        store.close()
    assert digest is not None
    return digest.footer.writer, digest.footer.notes


def test_build_force_stores_prose_from_the_endpoint(runner, tmp_path):
    fake = FakeLlm()
    with serve(fake) as url:
        db = build(runner, tmp_path, url)
    assert stored_writer(db) == ("llm:fake-model", ())
    assert fake.headers[0]["authorization"] == "Bearer sk-cli-test"


def test_build_force_names_the_fallback_when_answers_are_invalid(runner, tmp_path):
    with serve(FakeLlm(answering(invalid_answer))) as url:
        db = build(runner, tmp_path, url)
    writer, notes = stored_writer(db)
    assert writer == "offline (llm fallback)"
    assert len(notes) == 3
