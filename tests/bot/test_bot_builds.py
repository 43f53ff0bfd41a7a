"""The bot builds what the CLI builds, with the LLM on 127.0.0.1, and tells its admins."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from bot_harness import ADMIN, EN_USER, Bot, bot_running, make_fake, no_rejections, seed, wait_until
from fake_llm import FakeLlm, Reply, answering, invalid_answer, serve, valid_answer

from bot.cli import main
from bot.config import Settings
from bot.context import services_of
from bot.fake_telegram import FakeTelegram
from bot.jobs import upgrade_fallback
from digest import Store, latest_digest

MODEL = "fake-model"


@pytest.fixture
def fake() -> FakeTelegram:
    return make_fake()


@pytest.fixture
def llm() -> FakeLlm:
    return FakeLlm()


@pytest.fixture
def llm_url(llm: FakeLlm) -> Iterator[str]:
    with serve(llm) as url:
        yield url


def with_llm(settings: Settings, url: str) -> Settings:
    return replace(settings, llm_enabled=True, llm_base_url=url, llm_model=MODEL, llm_timeout=10.0)


@pytest.fixture
async def bot(
    fake: FakeTelegram, settings: Settings, db_path: Path, llm_url: str
) -> AsyncIterator[Bot]:
    seed(db_path)
    async with bot_running(fake, with_llm(settings, llm_url)) as running_bot:
        yield running_bot
    no_rejections(fake)


def stored(db_path: Path, day: str = "2026-02-15") -> Any:
    store = Store.open(db_path)
    try:
        return latest_digest(store, day)
    finally:
        store.close()


def alerts(fake: FakeTelegram, since: int = 0) -> list[str]:
    """Texts of the admin alerts (not replies) sent to the admin chat."""
    marks = ("🚨", "⚠️", "✅")
    return [r["text"] for r in fake.sent(ADMIN)[since:] if r["text"].startswith(marks)]


async def test_the_bot_and_the_cli_store_the_same_digest(
    runner: Any, fake: FakeTelegram, settings: Settings, tmp_path: Path, llm_url: str
) -> None:
    cli_db, bot_db = tmp_path / "cli.db", tmp_path / "bot.db"
    seed(cli_db)
    shutil.copy(cli_db, bot_db)
    config = tmp_path / "hotdigest.toml"
    config.write_text(
        f'[llm]\nenabled = true\nbase_url = "{llm_url}"\nmodel = "{MODEL}"\ntimeout = 10\n',
        encoding="utf-8",
    )
    built = runner.invoke(
        main, ["--config", str(config), "--db", str(cli_db), "build", "--date", "2026-02-15"]
    )
    assert built.exit_code == 0, built.output
    assert "writer llm:fake-model" in built.output
    async with bot_running(fake, replace(with_llm(settings, llm_url), db_path=bot_db)) as bot:
        report, _ = await bot.rebuild("/rebuild 2026-02-15")
    by_cli, by_bot = stored(cli_db), stored(bot_db)
    assert (by_bot.fingerprint, by_bot.footer.writer, by_bot.version) == (
        by_cli.fingerprint,
        by_cli.footer.writer,
        by_cli.version,
    )
    assert by_bot.footer.writer == f"llm:{MODEL}" and by_bot.version == 2  # v1: the seed's
    assert by_bot.sections == by_cli.sections
    assert "Writer: llm:fake-model" in report["text"]


async def test_rebuild_edits_one_message_through_its_stages(
    bot: Bot, llm: FakeLlm, fake: FakeTelegram
) -> None:
    slow = answering(valid_answer)

    def after_a_while(request: dict[str, Any]) -> Reply:
        time.sleep(0.8)  # the endpoint's thread, not the bot's
        return slow(request)

    llm.responder = after_a_while
    before = len(fake.sent(ADMIN))
    final, others = await bot.rebuild("/rebuild", timeout=20)
    records = fake.sent(ADMIN)[before:]
    assert {r["message_id"] for r in records} == {final["message_id"]} and others == []
    texts = [r["text"] for r in records]
    assert texts[0] == "⏳ Rebuilding 2026-02-15: collecting posts…"
    assert any(f"writing with {MODEL}" in t for t in texts[1:-1])
    assert all(r["kind"] == "edit" for r in records[1:])
    assert final["text"].startswith("Digest 2026-02-15: changes from v1 to v2")
    assert "writer changed" in final["text"] and final["text"].endswith(f"Writer: llm:{MODEL}")


async def test_a_fallback_is_reported_alerted_and_upgraded_once_the_llm_answers(
    bot: Bot, llm: FakeLlm, fake: FakeTelegram, db_path: Path
) -> None:
    llm.responder = answering(invalid_answer)
    first, [alert] = await bot.rebuild("/rebuild", extra=1)
    assert "Digest 2026-02-15 is unchanged: v1 stays." in first["text"]  # the seed: offline
    assert (
        "⚠️ The LLM's text was rejected (summary: offline text (answer rejected twice"
        in (first["text"])
    )
    assert "the offline text was kept" in first["text"]
    # Alerts speak the configured language (zh by default).
    assert alert["text"].startswith(f"⚠️ 2026-02-15 的日报没有用上大模型（{MODEL}）：summary:")
    _, none = await bot.rebuild("/rebuild")  # still failing: the incident is open already
    assert none == []
    llm.responder = answering(valid_answer)
    upgraded, [recovered] = await bot.rebuild("/rebuild", extra=1)
    assert "The stored offline text was replaced by the LLM's." in upgraded["text"]
    assert recovered["text"] == f"✅ 大模型（{MODEL}）已恢复：2026-02-15 已有其撰写的文本。"
    digest = stored(db_path)
    assert digest.version == 2 and digest.footer.writer == f"llm:{MODEL}"
    same, quiet = await bot.rebuild("/rebuild")
    assert same["text"].startswith("Digest 2026-02-15 is unchanged: v2 stays.") and quiet == []


async def test_an_ingest_run_upgrades_a_stored_fallback_once_the_llm_answers(
    bot: Bot, llm: FakeLlm, fake: FakeTelegram, db_path: Path
) -> None:
    llm.responder = answering(invalid_answer)
    await bot.rebuild("/rebuild", extra=1)  # v1 (offline) kept, the LLM incident opened
    services = services_of(bot.app)
    after_build = datetime(2026, 2, 15, 11, 0, tzinfo=UTC)  # 2026-02-15 is the due day
    await upgrade_fallback(services, bot.app.bot, after_build)  # still rejected: kept
    assert stored(db_path).version == 1
    llm.responder = answering(valid_answer)
    await upgrade_fallback(services, bot.app.bot, after_build)
    digest = stored(db_path)
    assert digest.version == 2 and digest.footer.writer == f"llm:{MODEL}"
    assert alerts(fake)[-1] == f"✅ 大模型（{MODEL}）已恢复：2026-02-15 已有其撰写的文本。"
    asked = len(llm.requests)
    await upgrade_fallback(services, bot.app.bot, after_build)  # LLM text stored: nothing to do
    assert len(llm.requests) == asked


async def test_an_llm_build_never_holds_up_other_users(
    bot: Bot, llm: FakeLlm, fake: FakeTelegram
) -> None:
    answer = answering(valid_answer)
    release = threading.Event()
    inside: list[int] = []  # requests the endpoint holds now: the build is waiting on them

    def held(request: dict[str, Any]) -> Reply:
        inside.append(1)
        try:
            release.wait(60)  # the endpoint's thread, not the bot's, until the test says
            return answer(request)
        finally:
            inside.pop()

    llm.responder = held
    fake.user_sends(ADMIN, ADMIN, "/rebuild")
    await bot.feed()
    await wait_until(lambda: inside)  # the build waits on the endpoint now
    [overview] = await bot.say(EN_USER, EN_USER, "/digest", timeout=30)
    # Order of events, not seconds: the answer came while the build's request was still
    # held unanswered, so it cannot have waited for the build.
    in_flight, asked = len(inside), len(llm.requests)
    release.set()
    assert "2026-02-15" in overview["text"]
    assert (in_flight, asked) == (1, 1), "the /digest answer waited for the LLM build"
    assert fake.sent(ADMIN)[-1]["text"].startswith("⏳")  # the rebuild had not finished
    await wait_until(lambda: not fake.sent(ADMIN)[-1]["text"].startswith("⏳"), 30)


async def test_the_cli_says_when_a_day_had_no_posts(runner: Any, db_path: Path) -> None:
    seed(db_path)
    result = runner.invoke(main, ["--db", str(db_path), "build", "--date", "2026-01-01"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("no posts collected for 2026-01-01 (")
    assert "nothing stored" in result.output
    assert stored(db_path, "2026-01-01") is None
