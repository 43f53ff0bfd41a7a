"""Alerts end to end: real ingests from a local DailyHotApi server, the bot on the fake Bot API."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from bot_harness import EN_USER, GROUP, ZH_USER, make_app, make_fake
from delivery_worker import TOKEN, add_chat, push_on_fake, store_digest
from telegram.ext import CallbackContext

from bot.app import running
from bot.cli import main
from bot.config import Settings, SourceConfig
from bot.context import services_of
from bot.delivery.engine import DeliveryOptions
from bot.delivery.limits import Limits
from bot.delivery.outbox import Outbox
from bot.fake_telegram import FakeTelegram
from bot.follow_alerts import run_alerts
from bot.jobs import alert_job, ingest_job
from bot.services import Services
from digest import Follows, Store, ingest_in_thread, make_source, parse_expression, utcnow

FAST = DeliveryOptions()


def fast(services: Services) -> Services:
    """The services with an outbox that keeps no pace: these tests count alerts, not time."""
    services.outbox.close()
    services.outbox = Outbox(Limits(per_second=1000, chat_interval=0, group_per_minute=10_000))
    return services


@dataclass
class Lists:
    """What the two local hot lists answer: changes with ``run``."""

    run: int = 0

    def items(self, route: str) -> list[dict[str, Any]]:
        n = self.run
        own = [
            {
                "id": f"{route}{n}-rust",
                "title": f"Rust release {n}",
                "url": f"https://x.test/r{n}",
                "hot": 100 + n,
            },
            {
                "id": f"{route}{n}-glm",
                "title": f"GLM-{n} 发布",
                "url": f"https://{route}.test/g{n}",
                "hot": 50,
            },
            {"id": f"{route}{n}-other", "title": f"Something else {n}", "hot": 1},
        ]
        # Every earlier run's first post shows up again: reappearing posts never realert.
        again = [
            {
                "id": f"{route}{m}-rust",
                "title": f"Rust release {m}",
                "url": f"https://x.test/r{m}",
                "hot": 100 + m,
            }
            for m in range(1, n)
        ]
        return own + again


@pytest.fixture
def lists() -> Iterator[tuple[Lists, str]]:
    state = Lists()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"code": 200, "data": state.items(self.path.strip("/"))}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def alert_settings(settings: Settings, base: str) -> Settings:
    # Two lists carry the same Rust links under their own ids (r{n} on both).
    sources = tuple(SourceConfig(name, "dailyhot", {"url": f"{base}/{name}"}) for name in "ab")
    return replace(settings, sources=sources, ingest_timeout=5.0)


def alerts_in(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [m["html"] for m in fake.sent(chat_id) if "🔔" in m.get("text", "")]


async def test_no_duplicate_alerts_across_three_restarts_and_24_ingest_runs(
    settings: Settings, lists: tuple[Lists, str]
) -> None:
    state, base = lists
    settings = alert_settings(settings, base)
    store = Store.open(settings.db_path)
    follows = Follows(store)
    follows.add(ZH_USER, parse_expression("rust"), utcnow())
    follows.add(EN_USER, parse_expression("GLM rust => both"), utcnow())
    follows.add(GROUP, parse_expression("+rust +release"), utcnow())
    store.close()
    fake = make_fake()
    sources = [make_source(s.kind, s.name, s.options) for s in settings.sources]
    for _restart in range(3):
        async with running(make_app(fake, settings)) as app:
            services = fast(services_of(app))
            for _ in range(8):
                state.run += 1
                await asyncio.to_thread(ingest_in_thread, settings.db_path, sources, 5.0)
                await run_alerts(services, app.bot, utcnow(), delivery=FAST)
    for chat_id, per_run in ((ZH_USER, 1), (EN_USER, 3), (GROUP, 1)):
        texts = alerts_in(fake, chat_id)
        assert len(texts) == 24  # one message per chat per run
        links = [part.split('"')[0] for t in texts for part in t.split('href="')[1:]]
        assert len(links) == len(set(links)) == 24 * per_run  # no post twice, same link once
    assert fake.stats()["errors_by_code"] == {}


async def test_the_ingest_job_sends_the_alerts_of_its_new_posts(
    settings: Settings, lists: tuple[Lists, str]
) -> None:
    state, base = lists
    settings = alert_settings(settings, base)
    store = Store.open(settings.db_path)
    Follows(store).add(ZH_USER, parse_expression("GLM => 模型"), utcnow())
    store.close()
    fake = make_fake()
    state.run = 1
    async with running(make_app(fake, settings)) as app:
        await ingest_job(CallbackContext(app))  # type: ignore[arg-type]
    (text,) = alerts_in(fake, ZH_USER)
    assert "<b>模型</b>" in text and "GLM-1 发布" in text and "热度 50" in text
    assert 'href="https://a.test/g1"' in text and 'href="https://b.test/g1"' in text


async def test_a_push_cites_the_chats_follows_the_digest_matches(
    services: Services, db_path: Path
) -> None:
    fake = FakeTelegram(TOKEN, limits=None)
    store = Store.open(db_path)
    store_digest(store, "2026-03-09")  # cites "Post 1 & more", "Post 2 …", "Post 3 …"
    for chat_id, expression in ((1, "Post => 帖子"), (2, "nothing here")):
        add_chat(store, chat_id)
        fake.add_chat(chat_id)
        Follows(store).add(chat_id, parse_expression(expression), utcnow())
    add_chat(store, 3)
    fake.add_chat(3)
    store.close()
    await push_on_fake(services, fake, now=datetime(2026, 3, 10, 0, 30, tzinfo=UTC))
    assert fake.sent(1)[-1]["text"].endswith("🔔 你关注的：帖子 [1][2][3]")
    assert "你关注的" not in fake.sent(2)[-1]["text"]
    assert "你关注的" not in fake.sent(3)[-1]["text"]
    assert len(fake.sent(1)) == len(fake.sent(3))  # the line never adds a message


async def test_a_blocked_bot_switches_the_chats_alerts_off_and_a_flood_waits(
    settings: Settings, lists: tuple[Lists, str]
) -> None:
    state, base = lists
    settings = alert_settings(settings, base)
    store = Store.open(settings.db_path)
    for chat_id in (ZH_USER, EN_USER):
        Follows(store).add(chat_id, parse_expression("rust"), utcnow())
    store.close()
    fake = make_fake()
    fake.inject(ZH_USER, "blocked")
    fake.inject(EN_USER, "flood", retry_after=1)
    sources = [make_source(s.kind, s.name, s.options) for s in settings.sources]
    async with running(make_app(fake, settings)) as app:
        for _ in range(2):
            state.run += 1
            await asyncio.to_thread(ingest_in_thread, settings.db_path, sources, 5.0)
            report = await run_alerts(fast(services_of(app)), app.bot, utcnow(), delivery=FAST)
            assert report.failed == 0 or report.errors[0][0] == ZH_USER
    assert alerts_in(fake, ZH_USER) == []
    assert len(alerts_in(fake, EN_USER)) == 2  # the 429 was waited out, then sent
    store = Store.open(settings.db_path)
    off = Follows(store).settings(ZH_USER)
    store.close()
    assert not off.alerts and off.off_reason


async def test_posts_the_cli_ingested_alert_from_the_bots_minute_job(
    settings: Settings, lists: tuple[Lists, str], runner: Any, tmp_path: Path
) -> None:
    # `hotdigest ingest` (cron, say) stores the posts; the bot never fetched them, and
    # before, only the alert run after the bot's own ingest could alert them.
    state, base = lists
    settings = alert_settings(settings, base)
    config = tmp_path / "cli.toml"
    config.write_text(
        "".join(
            f'[[sources]]\nname = "{s}"\nkind = "dailyhot"\nurl = "{base}/{s}"\n\n' for s in "ab"
        ),
        encoding="utf-8",
    )
    store = Store.open(settings.db_path)
    Follows(store).add(ZH_USER, parse_expression("GLM => 模型"), utcnow())
    store.close()
    fake = make_fake()
    cli = ["--config", str(config), "--db", str(settings.db_path), "ingest"]
    async with running(make_app(fake, settings)) as app:
        context = CallbackContext(app)  # type: ignore[arg-type]
        await alert_job(context)  # the alert ledger's mark, before the CLI stores anything
        for run in (1, 2):
            state.run = run
            done = await asyncio.to_thread(runner.invoke, main, cli)
            assert done.exit_code == 0, done.output
            await alert_job(context)
            await alert_job(context)  # nothing new: nothing twice
    texts = alerts_in(fake, ZH_USER)
    assert len(texts) == 2 and "GLM-1 发布" in texts[0] and "GLM-2 发布" in texts[1]
    assert "GLM-1" not in texts[1]
