"""The "Done when" check: settings point at a fake endpoint served on 127.0.0.1 over HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from fake_llm import MARK, FakeLlm, answering, invalid_answer, llm_settings, serve

from bot.llm import llm_config
from digest import (
    SECTION_IDS,
    BuildOptions,
    build_day,
    latest_digest,
    load_themes,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample" / "posts.jsonl"
DAY = date(2026, 2, 15)
BUILT = datetime(2026, 2, 15, 10, 30, tzinfo=UTC)
PROSE = ("summary", "highlights", "outlook")


def test_no_endpoint_when_llm_is_off(settings):
    assert llm_config(settings) is None


def test_build_stores_prose_from_the_endpoint(settings, sample):
    fake = FakeLlm()
    with serve(fake) as url:
        llm = llm_config(llm_settings(settings, url))
        build_day(sample, DAY, BuildOptions(themes=load_themes()), BUILT, llm=llm, force=True)
    stored = latest_digest(sample, DAY.isoformat())
    assert stored is not None and stored.footer.writer == "llm:fake-model"
    for section in PROSE:
        assert stored.section(section).writer == "llm:fake-model"
        first = stored.section(section).blocks[0].statements[0]
        assert first.text.startswith(MARK["zh"])
    assert fake.headers[0]["authorization"] == "Bearer sk-local-test"
    assert len(fake.requests) == 3


def test_invalid_answers_store_a_complete_digest_naming_the_fallback(settings, sample):
    fake = FakeLlm(answering(invalid_answer))
    with serve(fake) as url:
        llm = llm_config(llm_settings(settings, url))
        options = BuildOptions(themes=load_themes())
        built = build_day(sample, DAY, options, BUILT, llm=llm, force=True)
    stored = latest_digest(sample, DAY.isoformat())
    assert built.saved is not None and stored == built.saved.digest
    assert built.llm_reason.startswith("summary: offline text (answer rejected twice")
    assert stored.footer.writer == "offline (llm fallback)"
    assert [s.id for s in stored.sections["zh"]] == list(SECTION_IDS)
    assert all(s.blocks for s in stored.sections["zh"])
    assert all(s.writer == "offline" for s in stored.sections["zh"])
    assert [note.split(":")[0] for note in stored.footer.notes] == list(PROSE)
    assert len(fake.requests) == 6
