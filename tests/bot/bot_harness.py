"""Drive the real bot through python-telegram-bot against the fake Telegram, as users would."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from telegram import Update

from bot.app import App, build_application, running
from bot.config import Settings
from bot.fake_telegram import FakeRequest, FakeTelegram
from digest import BuildOptions, Digest, Store, build_digest, import_posts, load_themes, save_digest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample" / "posts.jsonl"
DAY = date(2026, 2, 15)
NOW = datetime(2026, 2, 15, 10, 0, tzinfo=UTC)

ADMIN = 42  # in HOTDIGEST_ADMINS
ZH_USER = 1001  # language_code zh-hans
EN_USER = 1002  # language_code en
OTHER_USER = 1003  # language_code fr: replies fall back to the configured language
GROUP = -2002  # administered by ZH_USER; EN_USER is a member
CHANNEL = -1003003  # the bot is an administrator
NO_BOT_CHANNEL = -1004004  # the bot is not an administrator
TOKEN = "123456:TEST-TOKEN"
PROGRESS = "⏳"  # how /rebuild's progress stages begin


def seed(db_path: Path) -> Digest:
    """The sample posts and their digest for 2026-02-15 (v1) in a new store file."""
    store = Store.open(db_path)
    try:
        import_posts(store, SAMPLE, now=NOW)
        return build_digest(store, DAY, BuildOptions(themes=load_themes()), NOW).digest
    finally:
        store.close()


def save_variant(db_path: Path, digest: Digest) -> Digest:
    """Store ``digest`` as the next version of its date (tests' hand-made versions)."""
    store = Store.open(db_path)
    try:
        return save_digest(store, replace(digest, fingerprint=f"t{time.time_ns()}"), NOW).digest
    finally:
        store.close()


def make_fake() -> FakeTelegram:
    """Users, a group, two channels; no flood limits, so tests never wait."""
    fake = FakeTelegram(TOKEN, limits=None)
    fake.add_user(ADMIN, "Admin", "en")
    fake.add_user(ZH_USER, "小明", "zh-hans")
    fake.add_user(EN_USER, "Ada", "en")
    fake.add_user(OTHER_USER, "Émile", "fr")
    for user in (ADMIN, ZH_USER, EN_USER, OTHER_USER):
        fake.add_chat(user)
    fake.add_chat(GROUP, "group", "Readers <&> 读者", admins=(ZH_USER,))
    fake.add_chat(CHANNEL, "channel", "Hot <b>News</b>", admins=(ADMIN,))
    fake.add_chat(NO_BOT_CHANNEL, "channel", "Elsewhere", admins=(ADMIN,), bot_is_admin=False)
    return fake


def make_app(fake: FakeTelegram, settings: Settings, **ops: Any) -> App:
    """The bot as ``hotdigest run`` builds it; ``ops``: its ``metrics`` and ``health``."""
    settings = replace(settings, telegram_token=fake.token, admins=(ADMIN,))
    # No scheduled jobs: the tests drive every update themselves (tests/bot/test_jobs.py
    # covers the jobs).
    return build_application(
        settings,
        request=FakeRequest(fake),
        get_updates_request=FakeRequest(fake),
        schedule=False,
        **ops,
    )


# The bound only keeps a broken test from waiting forever (pytest-timeout is the last
# resort): generous, since a loaded 2-core machine can stall a healthy wait for seconds.
async def wait_until(condition: Callable[[], object], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


@dataclass
class Bot:
    """The running application and the fake it talks to, with user actions."""

    fake: FakeTelegram
    app: App

    async def feed(self) -> None:
        """Hand every pending update to the application, as getUpdates would, and confirm."""
        updates = self.fake.pending_updates(0, 100)
        for raw in updates:
            await self.app.process_update(Update.de_json(raw, self.app.bot))
        if updates:
            self.fake.pending_updates(updates[-1]["update_id"] + 1, 1)

    async def say(
        self, chat_id: int, user_id: int, text: str, replies: int = 1, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """A user writes ``text``; returns what the bot sent or edited in that chat since.

        Each message after the first in a chat waits its second (Telegram's limit, kept by
        the outbox): ``timeout`` leaves room for that.
        """
        before = len(self.fake.sent(chat_id))
        self.fake.user_sends(chat_id, user_id, text)
        await self.feed()
        await wait_until(lambda: len(self.fake.sent(chat_id)) >= before + replies, timeout)
        return self.fake.sent(chat_id)[before:]

    async def rebuild(
        self, text: str, extra: int = 0, chat_id: int = ADMIN, timeout: float = 10.0
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """An admin sends /rebuild …; returns the progress message as it ends, and the
        ``extra`` messages sent after it (a correction's report)."""
        before = len(self.fake.sent(chat_id))
        self.fake.user_sends(chat_id, chat_id, text)
        await self.feed()

        def split() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            records = self.fake.sent(chat_id)[before:]
            first = records[0]["message_id"] if records else None
            mine = [r for r in records if r["message_id"] == first]
            return mine, [r for r in records if r["message_id"] != first]

        def finished() -> bool:
            mine, others = split()
            return bool(mine) and not mine[-1]["text"].startswith(PROGRESS) and len(others) >= extra

        await wait_until(finished, timeout)
        mine, others = split()
        return mine[-1], others

    async def press(
        self, chat_id: int, user_id: int, message_id: int, data: str, replies: int = 0
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """A user presses a button; returns the bot's sends/edits since, and its answer."""
        before, answers = len(self.fake.sent(chat_id)), len(self.fake.callback_answers)
        self.fake.user_presses(chat_id, user_id, message_id, data)
        await self.feed()
        await wait_until(lambda: len(self.fake.callback_answers) > answers)
        await wait_until(lambda: len(self.fake.sent(chat_id)) >= before + replies)
        return self.fake.sent(chat_id)[before:], self.fake.callback_answers[-1]


@asynccontextmanager
async def bot_running(fake: FakeTelegram, settings: Settings, **ops: Any) -> AsyncIterator[Bot]:
    """The bot built and started as ``hotdigest run`` would, updates fed by the test."""
    async with running(make_app(fake, settings, **ops)) as app:
        yield Bot(fake, app)


def buttons(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, callback data) of every inline button of a sent or edited message."""
    markup = record.get("reply_markup") or {}
    return [
        (button["text"], button.get("callback_data", ""))
        for row in markup.get("inline_keyboard", [])
        for button in row
    ]


def button(record: dict[str, Any], label_part: str) -> str:
    """The callback data of the button whose label contains ``label_part``."""
    found = [data for label, data in buttons(record) if label_part in label]
    assert found, f"no button with {label_part!r} in {buttons(record)}"
    return found[0]


def no_rejections(fake: FakeTelegram) -> None:
    """Every call the bot made was one Telegram accepts (no 400s, no other errors)."""
    assert fake.stats()["errors_by_code"] == {}
