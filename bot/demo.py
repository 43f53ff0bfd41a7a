"""The offline demo: the real bot on the in-process fake Telegram, played as a transcript.

Everything is real but the network: the sample is imported into a scratch store and its
digest built; the Application with its handlers, JobQueue and delivery engine runs
against ``FakeTelegram`` through PTB's request layer; a subscriber and an admin type
commands and press a button. Only the scheduled push's clock is shifted, to the
subscriber's push time, so the push fires at once instead of at 19:00.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from digest import BuildOptions, Store, build_digest, import_posts, load_themes

from .app import ALLOWED_UPDATES, App, build_application, running
from .config import Settings, SourceConfig
from .context import services_of
from .fake_telegram import FakeRequest, FakeTelegram, FloodLimits
from .jobs import DELIVER_JOB, INGEST_JOB

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample" / "posts.jsonl"
SAMPLE_DATE = date(2026, 2, 15)
SEEN = datetime(2026, 2, 15, 10, 0, tzinfo=UTC)  # when the sample's posts were on the lists
BEFORE_PUSH = datetime(2026, 2, 15, 10, 55, tzinfo=UTC)  # 18:55 in Shanghai
AFTER_PUSH = datetime(2026, 2, 15, 11, 0, 30, tzinfo=UTC)  # 19:00:30 in Shanghai
TOKEN = "123456:DEMO-TOKEN-not-a-real-one"
READER, ADMIN = 1001, 42
SETTLE = 0.15  # seconds without a new bot message before a turn counts as answered
# A person does not type twice within a second; Telegram (and the fake) allow one message
# per second in a chat, so a faster script would only show flood errors.
TURN_GAP = 1.05


@dataclass
class Transcript:
    """What was said, in order, as printable lines."""

    lines: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.lines.append(f"\n── {text}")

    def user(self, name: str, text: str) -> None:
        self.lines.append(f"\n👤 {name}: {text}")

    def bot(self, record: dict[str, Any]) -> None:
        label = "🤖 bot (edits its message)" if record["kind"] == "edit" else "🤖 bot"
        self.lines.append(f"{label}:")
        self.lines.extend(f"   {line}" for line in record["text"].splitlines())
        buttons = [
            f"[{b['text']}]"
            for row in (record.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row
        ]
        if buttons:
            self.lines.append("   " + " ".join(buttons))


@dataclass
class Stage:
    """The fake, the running bot and the transcript of one demo run."""

    fake: FakeTelegram
    app: App
    transcript: Transcript
    names: dict[int, str]

    async def pause(self, chat_id: int) -> None:
        """Wait until a second has passed since the bot last wrote in this chat."""
        sent = self.fake.sent(chat_id)
        if sent:
            await asyncio.sleep(max(0.0, sent[-1]["time"] + TURN_GAP - self.fake.clock()))

    async def say(self, chat_id: int, user_id: int, text: str) -> list[dict[str, Any]]:
        await self.pause(chat_id)
        self.transcript.user(self.names[user_id], text)
        before = len(self.fake.sent(chat_id))
        self.fake.user_sends(chat_id, user_id, text)
        return await self.answers(chat_id, before)

    async def press(
        self, chat_id: int, user_id: int, record: dict[str, Any], label: str
    ) -> list[dict[str, Any]]:
        data = next(
            b["callback_data"]
            for row in record["reply_markup"]["inline_keyboard"]
            for b in row
            if b["text"] == label
        )
        await self.pause(chat_id)
        self.transcript.user(self.names[user_id], f"(presses [{label}])")
        before = len(self.fake.sent(chat_id))
        self.fake.user_presses(chat_id, user_id, record["message_id"], data)
        return await self.answers(chat_id, before)

    async def answers(
        self, chat_id: int, before: int, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        """Wait until the bot has answered and gone quiet; record and return its messages."""
        deadline, last_count, quiet_since = time.monotonic() + timeout, before, time.monotonic()
        while time.monotonic() < deadline:
            count = len(self.fake.sent(chat_id))
            if count != last_count:
                last_count, quiet_since = count, time.monotonic()
            elif (
                count > before
                and time.monotonic() - quiet_since >= SETTLE
                # /rebuild's progress: its result is an edit still to come
                and not self.fake.sent(chat_id)[-1]["text"].startswith("⏳")
            ):
                break
            await asyncio.sleep(0.01)
        new = self.fake.sent(chat_id)[before:]
        for record in new:
            self.transcript.bot(record)
        return new


async def play(settings: Settings, out: Callable[[str], None]) -> dict[str, Any]:
    """Run the demo conversation; print its transcript through ``out``; return figures."""
    with scratch_store(settings) as demo_settings:
        fake = FakeTelegram(TOKEN, limits=FloodLimits())
        fake.add_user(READER, "小明", "zh-hans")
        fake.add_user(ADMIN, "Admin", "en")
        for user in (READER, ADMIN):
            fake.add_chat(user)
        request = FakeRequest(fake)
        app = build_application(
            demo_settings, request=request, get_updates_request=FakeRequest(fake)
        )
        transcript = Transcript()
        async with running(app):
            services_of(app).clock = lambda: BEFORE_PUSH
            # No network in the demo: the sample stands in for what ingest would fetch.
            assert app.job_queue is not None
            for job in app.job_queue.get_jobs_by_name(INGEST_JOB):
                job.schedule_removal()
            assert app.updater is not None
            await app.updater.start_polling(
                poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES
            )
            try:
                await converse(Stage(fake, app, transcript, {READER: "小明", ADMIN: "Admin"}))
            finally:
                await app.updater.stop()
        for line in transcript.lines:
            out(line)
        return fake.stats()


async def converse(stage: Stage) -> None:
    t = stage.transcript
    t.note("a reader finds the bot")
    await stage.say(READER, READER, "/start")
    await stage.say(READER, READER, "/subscribe 19:00 Asia/Shanghai")
    t.note("the clock moves to 19:00:30 in Shanghai; the delivery tick runs")
    await stage.pause(READER)
    before = len(stage.fake.sent(READER))
    services_of(stage.app).clock = lambda: AFTER_PUSH
    assert stage.app.job_queue is not None
    tick = stage.app.job_queue.get_jobs_by_name(DELIVER_JOB)[0]
    await tick.run(stage.app)
    push = await stage.answers(READER, before)
    t.note("the reader switches the pushed message to another section")
    await stage.press(
        READER,
        READER,
        push[0],
        next(
            b["text"]
            for row in push[0]["reply_markup"]["inline_keyboard"]
            for b in row
            if "要点" in b["text"] or "ighlights" in b["text"]
        ),
    )
    await stage.say(READER, READER, "/digest highlights")
    await stage.say(READER, READER, "/sources 3")
    t.note("the operator rebuilds the day's digest")
    await stage.say(ADMIN, ADMIN, "/rebuild 2026-02-15")


# The sample's hnrss posts come from this feed; its display name is what the digest shows.
SAMPLE_FEED = SourceConfig(
    "hnrss", "rss", {"url": "https://hnrss.org/newest"}, display_name="Hacker News 最新"
)


@contextmanager
def scratch_store(settings: Settings) -> Iterator[Settings]:
    """A temporary store holding the sample and its digest; removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="hotdigest-demo-") as folder:
        db_path = Path(folder) / "demo.db"
        store = Store.open(db_path)
        try:
            import_posts(store, SAMPLE, now=SEEN)
            options = BuildOptions(
                themes=load_themes(),
                timezone="Asia/Shanghai",
                build_time=settings.build_time,
                language=settings.language,
                source_names=((SAMPLE_FEED.name, SAMPLE_FEED.display_name or ""),),
            )
            build_digest(store, SAMPLE_DATE, options, SEEN)
        finally:
            store.close()
        yield replace(
            settings,
            db_path=db_path,
            telegram_token=TOKEN,
            telegram_base_url="http://127.0.0.1:1/bot",  # never used: requests stay in-process
            admins=(ADMIN,),
            timezone="Asia/Shanghai",
            llm_enabled=False,
            sources=(*settings.sources, SAMPLE_FEED),
        )
