"""Polling through the fake Bot API: an update PTB cannot read is skipped, logged once."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from bot_harness import EN_USER, make_app, make_fake, seed, wait_until

from bot.app import running
from bot.config import Settings


async def test_an_unreadable_update_is_skipped_and_logged_once(
    settings: Settings, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    seed(db_path)
    fake = make_fake()
    chat = {"id": EN_USER, "type": "private", "first_name": "Ada"}
    fake.raw_update({"message": {"message_id": 99, "date": "yesterday", "chat": chat}})
    fake.user_sends(EN_USER, EN_USER, "/help")
    app = make_app(fake, settings)
    async with running(app):
        assert app.updater is not None
        with caplog.at_level(logging.DEBUG):
            await app.updater.start_polling(poll_interval=0, timeout=0)
            try:
                await wait_until(lambda: fake.sent(EN_USER), timeout=10)
            finally:
                await app.updater.stop()
    assert fake.sent(EN_USER)[0]["text"].startswith("Commands")  # /help, past the bad one
    skipped = [r for r in caplog.records if "cannot read it" in r.getMessage()]
    assert len(skipped) == 1 and "update 1" in skipped[0].getMessage()
    assert "yesterday" not in caplog.text  # the update's content is not logged
    assert fake.pending_updates(0, 10) == []  # both confirmed
