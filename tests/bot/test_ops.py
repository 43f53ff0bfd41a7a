"""Health and metrics: what /healthz judges, what /metrics counts, served on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from bot_harness import EN_USER, bot_running, make_fake
from delivery_worker import TOKEN, add_chat, delivery_settings, fast_options, store_digest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from telegram import Bot

from bot.context import services_of
from bot.delivery.aiohttp_request import AiohttpRequest
from bot.delivery.engine import push_due
from bot.fake_telegram import FakeRequest, FakeTelegram, serve_http
from bot.health import POLL_SILENCE, VITALS_SECONDS, Health, ops_server, parse_address
from bot.jobs import build_due
from bot.log_format import JsonFormatter
from bot.logs import SecretFilter
from bot.metrics import Metrics
from bot.services import Services
from bot.upkeep import check_vitals
from digest import IngestResult, Store, StoreVitals

NOW = datetime(2026, 2, 15, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def healthy(clock: Clock, ingest_every: float | None = 3600.0) -> Health:
    health = Health(ingest_every, clock=clock, started=NOW)
    health.polled()
    health.checked(StoreVitals(checked_at=NOW, last_ingest=NOW))
    return health


def test_a_fresh_bot_with_recent_checks_is_healthy() -> None:
    assert healthy(Clock()).problems() == []


def test_each_failure_gives_its_reason() -> None:
    clock = Clock()
    health = healthy(clock)
    clock.now = NOW + timedelta(hours=3, minutes=1)
    health.checked(StoreVitals(checked_at=clock.now, last_ingest=NOW))
    assert health.problems() == [
        "ingest: no source fetched successfully for 10860s (last: 2026-02-15T10:00:00+00:00)"
    ]
    health.checked(None, "attempt to write a readonly database")
    health.polled_at = time.monotonic() - POLL_SILENCE - 5
    problems = health.problems()
    assert problems[0].startswith("polling: no getUpdates answer for 6")
    assert problems[1] == "store: not writable: attempt to write a readonly database"


def test_a_stuck_store_thread_shows_as_a_stale_check() -> None:
    clock = Clock()
    health = healthy(clock, ingest_every=None)  # --no-schedule: no ingest expected
    clock.now = NOW + timedelta(seconds=3 * VITALS_SECONDS + 1)
    assert health.problems() == ["store: no successful check for 46s (store thread stuck?)"]


def test_a_webhook_bot_is_alive_while_its_server_serves() -> None:
    health = replace(healthy(Clock()), webhook=True)
    assert health.problems() == ["webhook: the server is not serving"]
    health.serving = lambda: True
    assert health.problems() == []


def test_the_metrics_address_is_host_and_port() -> None:
    assert parse_address("127.0.0.1:9108") == ("127.0.0.1", 9108)
    assert parse_address("[::1]:9108") == ("::1", 9108)
    for bad in ("9108", "127.0.0.1:", "host:port", "127.0.0.1:70000"):
        with pytest.raises(ValueError, match="HOST:PORT"):
            parse_address(bad)


def sample(text: str, name: str) -> float:
    """The value of one sample line (``name`` with its labels) of a /metrics answer."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics")


async def served(
    client: httpx.AsyncClient, path: str, ready: Callable[[httpx.Response], bool]
) -> httpx.Response:
    """The first answer on ``path`` that is ``ready``: the child takes a publication soon
    after it is sent, on a thread of its own."""
    for _ in range(200):
        answer = await client.get(path)
        if ready(answer):
            return answer
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path}: still {answer.status_code} {answer.text!r} after 10 s")


async def test_healthz_and_metrics_over_http(db_path: Path, settings: object) -> None:
    fake = make_fake()
    metrics, clock = Metrics(), Clock()
    health = Health(3600.0, clock=clock, started=NOW)
    async with bot_running(fake, settings, metrics=metrics, health=health) as bot:  # type: ignore[arg-type]
        services = services_of(bot.app)
        services.clock = clock
        with ops_server("127.0.0.1", 0, health, metrics) as server:
            base = f"http://{server.address[0]}:{server.address[1]}"
            async with httpx.AsyncClient(base_url=base) as client:
                answer = await client.get("/healthz")
                assert answer.status_code == 200  # starting up
                assert float(answer.headers["Server-Timing"].rpartition("handle;dur=")[2]) >= 0
                clock.now = NOW + timedelta(minutes=1)
                server.publish()  # what the publisher thread does every PUBLISH_SECONDS
                answer = await served(client, "/healthz", lambda a: a.status_code == 503)
                assert answer.text == "store: no successful check for 60s (store thread stuck?)\n"
                await bot.say(EN_USER, EN_USER, "/help")
                await check_vitals(services)
                server.publish()
                answer = await served(client, "/healthz", lambda a: a.status_code == 200)
                assert answer.text == "ok\n"
                services.metrics.ingested(
                    [IngestResult("v2ex", True, 12), IngestResult("hn", False, 0)]
                )
                server.publish()
                answer = await served(client, "/metrics", lambda a: "v2ex" in a.text)
                assert answer.headers["Content-Type"] == CONTENT_TYPE_PLAIN_0_0_4
                text = answer.text
                assert (await client.get("/nope")).status_code == 404
                assert (await client.post("/healthz")).status_code == 405
    with pytest.raises(httpx.ConnectError):  # the child exited with the server
        httpx.get(base + "/healthz")
    assert sample(text, 'hotdigest_messages_sent_total{kind="reply"}') >= 1
    assert sample(text, 'hotdigest_messages_failed_total{kind="push"}') == 0
    assert sample(text, 'hotdigest_send_seconds_count{kind="reply"}') >= 1
    assert sample(text, 'hotdigest_ingest_posts_total{source="v2ex"}') == 12
    assert sample(text, 'hotdigest_ingest_runs_total{outcome="failed",source="hn"}') == 1
    assert sample(text, 'hotdigest_subscribers{mode="brief"}') == 0
    assert sample(text, 'hotdigest_llm_calls_total{outcome="valid"}') == 0
    assert sample(text, "hotdigest_llm_fallbacks_total") == 0
    assert sample(text, "hotdigest_push_queue_depth") == 0


async def test_pushes_are_counted_as_push_with_their_429s_and_failures(db_path: Path) -> None:
    fake = FakeTelegram(TOKEN, limits=None)
    store = Store.open(db_path)
    store_digest(store, "2026-02-14")
    for chat_id in range(1, 6):
        add_chat(store, chat_id)
        fake.add_chat(chat_id)
    store.close()
    async with serve_http(fake) as url:
        services = Services.create(delivery_settings(db_path, telegram_base_url=url))
        bot = Bot(TOKEN, base_url=url, request=AiohttpRequest(1))
        fake.inject(2, "blocked")
        fake.inject(3, "flood", retry_after=1)
        depths: list[float] = []
        sampler = asyncio.create_task(watch(services.metrics, depths))
        try:
            report = await push_due(services, bot, now=NOW, options=fast_options(senders=1))
            await check_vitals(services)
        finally:
            sampler.cancel()
            await services.close()
            await bot.shutdown()
    value = services.metrics.registry.get_sample_value
    assert report.delivered == 4 and report.deactivated == 1 and report.floods == 1
    assert value("hotdigest_messages_sent_total", {"kind": "push"}) == 4
    assert value("hotdigest_messages_failed_total", {"kind": "push"}) == 1
    assert value("hotdigest_flood_waits_total", {"kind": "push"}) == 1
    assert value("hotdigest_messages_sent_total", {"kind": "reply"}) == 0
    assert max(depths) >= 1 and value("hotdigest_push_queue_depth") == 0
    assert value("hotdigest_subscribers", {"mode": "brief"}) == 4  # one blocked the bot


async def watch(metrics: Metrics, depths: list[float]) -> None:
    while True:
        depths.append(metrics.registry.get_sample_value("hotdigest_push_queue_depth") or 0)
        await asyncio.sleep(0.005)


def test_json_log_lines_carry_the_chat_id_and_never_the_token() -> None:
    token = "123456789:AAH-secret-token-0123456789abcdef"
    record = logging.LogRecord("bot", logging.ERROR, __file__, 1, "call to %s failed", None, None)
    record.args = (f"https://api.telegram.org/bot{token}/sendMessage",)
    record.chat_id = -1001  # as extra={"chat_id": ...} sets it
    SecretFilter([token]).filter(record)
    line = JsonFormatter().format(record)
    data = json.loads(line)
    assert token not in line
    assert data["chat_id"] == -1001 and data["level"] == "ERROR" and data["logger"] == "bot"
    assert data["message"] == "call to https://api.telegram.org/bot<secret>/sendMessage failed"


async def test_a_build_is_timed(db_path: Path) -> None:
    services = Services.create(delivery_settings(db_path, sources=()))
    bot = Bot(TOKEN, request=FakeRequest(FakeTelegram(TOKEN)))  # no admins: never used
    try:
        day = await build_due(services, bot, NOW, missing_only=False)  # empty, still timed
        store = Store.open(db_path)
        store_digest(store, day.isoformat())
        store.close()
        await build_due(services, bot, NOW, missing_only=True)  # exists: not built, not timed
    finally:
        await services.close()
    value = services.metrics.registry.get_sample_value
    assert value("hotdigest_build_seconds_count") == 1
    assert (value("hotdigest_build_seconds_sum") or 0) > 0
