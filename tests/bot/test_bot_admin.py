"""Admin commands, the error handler, long polling and the webhook, through PTB and the fake."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from bot_harness import (
    ADMIN,
    EN_USER,
    NOW,
    TOKEN,
    ZH_USER,
    Bot,
    bot_running,
    button,
    make_app,
    no_rejections,
    wait_until,
)

from bot.app import build_application, running
from bot.config import Settings, SourceConfig
from bot.fake_telegram import FakeRequest, FakeTelegram
from bot.webhook import SECRET_HEADER, serve_webhook, webhook_server
from digest import Digest, Store, import_posts

NEW_POST = {
    "source": "hackernews",
    "post_id": "new-1",
    "title": "Show HN: a brand new GPT benchmark",
    "url": "https://example.com/new",
    "heat": 5000,
    "seen_at": "2026-02-15T09:00:00Z",
}
FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title>
<item><title>First &lt;post&gt;</title><link>https://example.com/1</link><guid>1</guid></item>
<item><title>Second post</title><link>https://example.com/2</link><guid>2</guid></item>
</channel></rss>"""


def add_post(db_path: Path, tmp_path: Path) -> None:
    feed = tmp_path / "new.jsonl"
    feed.write_text(json.dumps(NEW_POST) + "\n", encoding="utf-8")
    store = Store.open(db_path)
    try:
        import_posts(store, feed, now=NOW)
    finally:
        store.close()


@pytest.mark.parametrize("command", ["/rebuild", "/stats", "/ingest"])
async def test_admin_commands_refuse_everyone_else(bot: Bot, command: str) -> None:
    [en] = await bot.say(EN_USER, EN_USER, command)
    assert en["text"] == f"Sorry, {command} is only for the bot's administrators."
    [zh] = await bot.say(ZH_USER, ZH_USER, command)
    assert zh["text"] == f"抱歉，{command} 只供机器人管理员使用。"


async def test_rebuild_reports_changes_and_old_buttons_know(
    bot: Bot, db_path: Path, tmp_path: Path
) -> None:
    [overview] = await bot.say(EN_USER, EN_USER, "/digest")
    same, _ = await bot.rebuild("/rebuild")
    assert same["text"] == "Digest 2026-02-15 is unchanged: v1 stays.\nWriter: offline"
    add_post(db_path, tmp_path)
    report, _ = await bot.rebuild("/rebuild 2026-02-15")
    assert report["text"].startswith("Digest 2026-02-15: changes from v1 to v2")
    assert f"+ {NEW_POST['title']}" in report["text"]
    [shown], answer = await bot.press(
        EN_USER, EN_USER, overview["message_id"], button(overview, "Outlook"), replies=1
    )
    assert "newer version (v2)" in answer["text"] and shown["text"].startswith("Outlook")
    [newest], _ = await bot.press(EN_USER, EN_USER, overview["message_id"], button(shown, "🆕"), 1)
    assert NEW_POST["title"] in newest["text"]


def record_push(db_path: Path, rows: list[tuple[int, str]], version: int = 1) -> None:
    """Ledger rows of a push of 2026-02-15, as the pusher writes them."""
    store = Store.open(db_path)
    try:
        for chat, status in rows:
            store.db["deliveries"].insert(
                {
                    "date": "2026-02-15",
                    "version": version,
                    "chat_id": chat,
                    "part": 1,
                    "parts": 1,
                    "kind": "push",
                    "status": status,
                    "attempts": 1,
                    "updated_at": "2026-02-15T11:00:00Z",
                }
            )
    finally:
        store.close()


async def test_rebuild_push_sends_a_correction_to_who_got_the_old_version(
    bot: Bot, db_path: Path, tmp_path: Path
) -> None:
    _, [nothing] = await bot.rebuild("/rebuild --push", extra=1)
    assert nothing["text"].startswith("Nothing to push as a correction")
    await bot.say(EN_USER, EN_USER, "/subscribe")
    record_push(db_path, [(EN_USER, "sent")])
    add_post(db_path, tmp_path)
    before = len(bot.fake.sent(EN_USER))
    report, [correction] = await bot.rebuild("/rebuild 2026-02-15 --push", extra=1)
    assert report["text"].startswith("Digest 2026-02-15: changes from v1 to v2")
    assert correction["text"] == "Correction v2: 1 of 1 chats received it (1 messages)."
    pushed = bot.fake.sent(EN_USER)[before:]
    assert pushed and NEW_POST["title"] in "".join(r["text"] for r in pushed)


async def test_rebuild_of_a_day_without_posts_and_a_bad_date(bot: Bot) -> None:
    empty, _ = await bot.rebuild("/rebuild 2026-01-01")
    assert empty["text"] == (
        "No posts were collected for 2026-01-01 (window 2025-12-31 18:30 to 2026-01-01 18:30):"
        " nothing was stored and nothing will be pushed. /digest still shows 2026-02-15."
    )
    replies = await bot.say(ADMIN, ADMIN, "/rebuild 2026-13-01")
    assert "“2026-13-01” is not a date" in replies[0]["text"]
    assert "/rebuild [YYYY-MM-DD]" in replies[-1]["text"]


async def test_stats(bot: Bot, db_path: Path) -> None:
    await bot.say(EN_USER, EN_USER, "/subscribe")
    await bot.say(ZH_USER, ZH_USER, "/subscribe")
    record_push(db_path, [(EN_USER, "sent"), (ZH_USER, "failed")])
    text = "\n".join(r["text"] for r in await bot.say(ADMIN, ADMIN, "/stats"))
    assert "Subscribers: private 2" in text and "Latest digest: 2026-02-15 v1" in text
    assert "Last push: 2026-02-15 to 2 chats: sent 1, failed 1" in text
    assert "no fetch yet" in text


@asynccontextmanager
async def feed_server() -> AsyncIterator[str]:
    """An RSS feed on 127.0.0.1 (the sources' real HTTP client fetches it)."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = FEED.encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/feed.xml"


async def test_ingest_fetches_the_configured_sources(
    fake: FakeTelegram, settings: Settings, digest_v1: Digest
) -> None:
    async with feed_server() as url:
        feeds = (SourceConfig("feed", "rss", {"url": url}),)
        async with bot_running(fake, replace(settings, sources=feeds)) as bot:
            [report] = await bot.say(ADMIN, ADMIN, "/ingest")
            assert report["text"].startswith("Fetched\n✅ feed: 2 posts in")
            text = "\n".join(r["text"] for r in await bot.say(ADMIN, ADMIN, "/stats"))
            assert "✅ feed:" in text and "2 posts" in text and "Posts stored: 46" in text
    no_rejections(fake)


async def test_a_failing_handler_gets_an_apology_and_a_logged_traceback(
    fake: FakeTelegram, settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = replace(settings, db_path=tmp_path)  # a directory: the store cannot open
    async with bot_running(fake, broken) as bot:
        [apology] = await bot.say(ZH_USER, ZH_USER, "/digest")
    assert apology["text"] == "抱歉，我这边出了点问题，请稍后再试。"
    [record] = [r for r in caplog.records if r.name == "bot.handlers.general"]
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert "Traceback" not in apology["text"] and TOKEN not in caplog.text


async def test_long_polling_and_the_command_menu(
    fake: FakeTelegram, settings: Settings, digest_v1: Digest
) -> None:
    async with running(make_app(fake, settings)) as app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        fake.user_sends(EN_USER, EN_USER, "/digest sources")
        await wait_until(lambda: fake.sent(EN_USER))
        await app.updater.stop()
    assert fake.sent(EN_USER)[0]["text"].startswith("Sources · 2026-02-15")
    menus = {key: [c["command"] for c in commands] for key, commands in fake.commands.items()}
    public = ["digest", "sources", "subscribe", "unsubscribe", "settings"]
    public += ["follow", "following", "unfollow", "help", "start"]
    assert menus[("default", "")] == menus[("default", "en")] == public
    assert menus[(f"chat:{ADMIN}", "en")] == [*public, "rebuild", "stats", "ingest"]
    assert fake.commands[("default", "")][0]["description"] == "最新日报，可按栏目查看"
    # Groups: members read, chat administrators also manage the subscription.
    for lang in ("", "en"):
        assert menus[("all_group_chats", lang)] == ["digest", "sources", "following", "help"]
        admins = menus[("all_chat_administrators", lang)]
        assert admins == public[:-1]  # every public command but /start
    # The empty chat screen says what the bot does, per language, within Telegram's limits.
    zh, en = fake.descriptions[("description", "")], fake.descriptions[("description", "en")]
    assert "掘金" in zh and "Hacker News" in en and len(zh) <= 512 and len(en) <= 512
    short = fake.descriptions[("short_description", "en")]
    assert "digest" in short.lower() and len(short) <= 120
    no_rejections(fake)


async def test_the_scheduled_jobs_come_with_the_application(
    fake: FakeTelegram, settings: Settings
) -> None:
    settings = replace(settings, telegram_token=fake.token)
    app = build_application(
        settings, request=FakeRequest(fake), get_updates_request=FakeRequest(fake)
    )
    async with running(app):
        assert app.job_queue is not None
        names = sorted(job.name for job in app.job_queue.jobs() if job.name)
    assert names == [
        "build",
        "deliver",
        "deliver-catch-up",
        "follow-alerts",
        "ingest",
        "maintenance",
    ]


def update_json(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 99,
            "date": 1771149600,
            "chat": {"id": chat_id, "type": "private", "first_name": "Ada"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Ada", "language_code": "en"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }


async def test_webhook_checks_the_secret_token(
    fake: FakeTelegram, settings: Settings, digest_v1: Digest
) -> None:
    async with (
        running(make_app(fake, settings)) as app,
        await webhook_server(app, "/hook", "s3cret", "127.0.0.1", 0) as server,
    ):
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        async with httpx.AsyncClient(base_url=url) as client:
            good = {SECRET_HEADER: "s3cret"}
            update = update_json(1, EN_USER, "/help")
            assert (await client.post("/hook", json=update)).status_code == 403
            wrong = {SECRET_HEADER: "guess"}
            assert (await client.post("/hook", json=update, headers=wrong)).status_code == 403
            assert (await client.get("/hook", headers=good)).status_code == 405
            assert (await client.post("/other", json=update, headers=good)).status_code == 404
            bad = await client.post("/hook", content=b"{not json", headers=good)
            assert bad.status_code == 400
            assert (await client.post("/hook", json=update, headers=good)).status_code == 200
            await wait_until(lambda: fake.sent(EN_USER))
    assert fake.sent(EN_USER)[0]["text"].startswith("Commands")
    no_rejections(fake)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_serve_webhook_registers_and_stops_on_sigterm(
    fake: FakeTelegram, settings: Settings, digest_v1: Digest
) -> None:
    port = free_port()
    app = make_app(fake, settings)
    serving = asyncio.create_task(
        serve_webhook(app, "https://bot.example.com/hook", "127.0.0.1", port, "s3cret")
    )
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        while True:  # an answer means the server waits for signals
            try:
                answered = await client.get("/hook")
                break
            except httpx.ConnectError:
                await asyncio.sleep(0.01)
    assert answered.status_code == 405
    assert fake.webhook == {"url": "https://bot.example.com/hook", "secret_token": "s3cret"}
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(serving, 5)
    assert not app.running
