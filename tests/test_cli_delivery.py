"""``hotdigest push`` and ``hotdigest deliveries`` against the fake Bot API over HTTP."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import time, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.common import CliState
from bot.cli.delivery_commands import deliveries_command, push_command
from bot.fake_telegram import FakeTelegram, serve_http
from digest import Store

sys.path.insert(0, str(Path(__file__).resolve().parent / "bot"))
from delivery_worker import TOKEN, add_chat, store_digest
from real_clock import clear_of_midnight

CONFIG = """\
timezone = "UTC"
[digest]
build_time = "00:00"
"""


@pytest.fixture
def fake_api() -> Iterator[tuple[FakeTelegram, str]]:
    """The fake served on 127.0.0.1 from its own thread, as CliRunner runs its own loop."""
    fake = FakeTelegram(TOKEN)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict[str, object] = {}

    async def serve() -> None:
        stop = asyncio.Event()
        async with serve_http(fake) as url:
            box.update(url=url, stop=stop)
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(5)
    yield fake, str(box["url"])
    loop.call_soon_threadsafe(box["stop"].set)  # type: ignore[attr-defined]
    thread.join(5)
    loop.close()


@pytest.fixture
def state(tmp_path: Path, db_path: Path) -> CliState:
    config = tmp_path / "hotdigest.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return CliState(str(config), str(db_path))


def setup_chats(db_path: Path, fake: FakeTelegram, chats: range) -> tuple[str, str]:
    """Chats in UTC whose push time was a minute ago; digests of today and yesterday."""
    now = clear_of_midnight(timedelta(seconds=90))  # the command reads the real clock
    at = (now - timedelta(minutes=1)).time().replace(second=0, microsecond=0)
    today, yesterday = now.date().isoformat(), (now.date() - timedelta(days=1)).isoformat()
    store = Store.open(db_path)
    for day in (yesterday, today):
        store_digest(store, day)
    for chat_id in chats:
        add_chat(store, chat_id, timezone="UTC", push_time=at, since=now - timedelta(days=3))
        fake.add_chat(chat_id)
    store.close()
    return today, yesterday


def env(url: str) -> dict[str, str]:
    return {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": url}


def sends(fake: FakeTelegram) -> Counter[int]:
    return Counter(r["chat_id"] for r in fake.sent() if r["kind"] == "send")


def test_a_dry_run_lists_due_chats_and_sends_nothing(
    runner: CliRunner, state: CliState, db_path: Path, fake_api: tuple[FakeTelegram, str]
) -> None:
    fake, url = fake_api
    setup_chats(db_path, fake, range(1, 4))
    result = runner.invoke(push_command, ["--dry-run"], obj=state, env=env(url))
    assert result.exit_code == 0, result.output
    assert result.output.count("parts 1 of 1") == 3
    # Yesterday's slots passed unserved more than 12 h ago: a real run records them skipped.
    assert result.output.count("more than 12 h past the push time") == 3
    assert "dry run: 3 chats, 3 messages would be sent; 3 skipped" in result.output
    assert fake.sent() == []
    store = Store.open(db_path)
    assert store.db.execute("SELECT count(*) FROM deliveries").fetchone() == (0,)
    store.close()


def test_push_sends_to_due_chats_once_and_deliveries_reports_it(
    runner: CliRunner, state: CliState, db_path: Path, fake_api: tuple[FakeTelegram, str]
) -> None:
    fake, url = fake_api
    today, yesterday = setup_chats(db_path, fake, range(1, 6))
    fake.inject(5, "blocked")
    result = runner.invoke(push_command, [], obj=state, env=env(url))
    assert result.exit_code == 0, result.output
    assert "pushed 4 messages to 4 of 5 chats" in result.output
    assert "1 deactivated" in result.output
    assert sends(fake) == {1: 1, 2: 1, 3: 1, 4: 1}
    again = runner.invoke(push_command, [], obj=state, env=env(url))
    assert "pushed 0 messages to 0 of 0 chats" in again.output
    assert len(fake.sent()) == 4

    day = next(r["text"] for r in fake.sent())  # which digest the slot got
    pushed = today if today in day else yesterday
    report = runner.invoke(deliveries_command, ["--date", pushed], obj=state)
    assert report.exit_code == 0, report.output
    assert f"{pushed}: 5 chats" in report.output
    assert "push sent: 4 parts" in report.output and "push deactivated: 1 parts" in report.output
    assert "chat 5 v1 part 1 (push): deactivated: Forbidden: bot was blocked by the user" in (
        report.output
    )


def test_push_with_a_date_sends_that_digest_to_every_chat_without_it(
    runner: CliRunner, state: CliState, db_path: Path, fake_api: tuple[FakeTelegram, str]
) -> None:
    fake, url = fake_api
    _, yesterday = setup_chats(db_path, fake, range(1, 3))
    store = Store.open(db_path)
    add_chat(store, 3, timezone="UTC", push_time=time(23, 59))  # not due, gets it anyway
    fake.add_chat(3)
    store.close()
    result = runner.invoke(push_command, ["--date", yesterday], obj=state, env=env(url))
    assert result.exit_code == 0, result.output
    assert "pushed 3 messages to 3 of 3 chats" in result.output
    assert all(yesterday in r["text"] for r in fake.sent())
    missing = runner.invoke(push_command, ["--date", "2001-01-01"], obj=state, env=env(url))
    assert missing.exit_code == 1 and "no digest is stored for 2001-01-01" in missing.output


def test_push_needs_a_token_and_deliveries_an_existing_push(
    runner: CliRunner, state: CliState
) -> None:
    result = runner.invoke(push_command, [], obj=state)
    assert result.exit_code != 0 and "TELEGRAM_BOT_TOKEN is not set" in result.output
    empty = runner.invoke(deliveries_command, [], obj=state)
    assert empty.exit_code == 0 and "no pushes recorded yet" in empty.output
