"""``hotdigest export`` writes each page's heat chart beside it as its cover image."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

from click.testing import CliRunner
from PIL import Image

from bot.cli import main
from digest import BuildOptions, Store, build_digest, import_posts, load_themes
from digest.render.chart import HEIGHT, WIDTH

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "posts.jsonl"
SEEN = datetime(2026, 2, 15, 10, 30, tzinfo=UTC)


def seeded(db_path: Path) -> None:
    store = Store.open(db_path)
    try:
        import_posts(store, SAMPLE, now=SEEN)
        build_digest(store, date(2026, 2, 15), BuildOptions(themes=load_themes()), SEEN)
    finally:
        store.close()


def test_export_writes_the_chart_as_the_cover(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    seeded(db_path)
    out = tmp_path / "posts"
    result = runner.invoke(main, ["--db", str(db_path), "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["2026-02-15.md", "2026-02-15.png"]
    page = (out / "2026-02-15.md").read_text(encoding="utf-8")
    front = page.split("---")[1]
    assert 'image: "2026-02-15.png"' in front.splitlines()
    png = Image.open(io.BytesIO((out / "2026-02-15.png").read_bytes()))
    assert png.format == "PNG" and png.size == (WIDTH, HEIGHT)


def test_export_without_charts_has_no_image(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    seeded(db_path)
    out = tmp_path / "posts"
    args = ["--db", str(db_path), "export", "--out", str(out), "--no-chart"]
    assert runner.invoke(main, args).exit_code == 0
    assert [p.name for p in out.iterdir()] == ["2026-02-15.md"]
    assert "image:" not in (out / "2026-02-15.md").read_text(encoding="utf-8")
