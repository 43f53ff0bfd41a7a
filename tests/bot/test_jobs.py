"""The scheduled jobs: their settings, the build, and the tick pushing on a running bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from delivery_worker import TOKEN, add_chat, delivery_settings, store_digest
from real_clock import clear_of_midnight
from telegram.ext import Application, CallbackContext

from bot.config import Settings
from bot.context import SERVICES_KEY
from bot.fake_telegram import FakeRequest, FakeTelegram
from bot.jobs import (
    BUILD_JOB,
    CATCH_UP_JOB,
    DELIVER_JOB,
    FOLLOW_ALERT_JOB,
    INGEST_JOB,
    TICK_SECONDS,
    PushTask,
    build_job,
    deliver_job,
    due_build_date,
    ingest_job,
    next_minute,
    register_jobs,
)
from bot.services import Services
from digest import Store, last_build, latest_digest, make_post
from digest.push.ledger import Ledger

App = Application[Any, Any, Any, Any, Any, Any]


@pytest.fixture
def fake() -> FakeTelegram:
    return FakeTelegram(TOKEN)  # Telegram's own limits


@pytest.fixture
async def app(fake: FakeTelegram, db_path: Path) -> AsyncIterator[App]:
    settings = delivery_settings(db_path, sources=())
    application = (
        Application.builder()
        .token(TOKEN)
        .request(FakeRequest(fake))
        .get_updates_request(FakeRequest(fake))
        .build()
    )
    services = Services.create(settings)
    application.bot_data[SERVICES_KEY] = services
    yield application
    await services.close()


def context_for(app: App, name: str) -> CallbackContext[Any, Any, Any, Any]:
    assert app.job_queue is not None
    (job,) = app.job_queue.get_jobs_by_name(name)
    return CallbackContext.from_job(job, app)


def test_jobs_are_named_replaceable_and_set_their_misfires(app: App, db_path: Path) -> None:
    settings = delivery_settings(db_path, ingest_minutes=30, build_time=time(18, 30))
    register_jobs(app, settings)
    register_jobs(app, settings)  # replaced by name, not doubled
    assert app.job_queue is not None
    jobs = {job.name: job.job for job in app.job_queue.jobs()}
    assert sorted(jobs) == sorted(
        [INGEST_JOB, BUILD_JOB, DELIVER_JOB, CATCH_UP_JOB, FOLLOW_ALERT_JOB]
    )
    assert jobs[INGEST_JOB].misfire_grace_time == 15 * 60
    assert jobs[BUILD_JOB].misfire_grace_time == 3600
    assert jobs[DELIVER_JOB].misfire_grace_time == 30
    assert jobs[CATCH_UP_JOB].misfire_grace_time == 30
    assert all(job.coalesce and job.max_instances == 1 for job in jobs.values())
    trigger = jobs[BUILD_JOB].trigger
    assert str(trigger.timezone) == "Asia/Shanghai"
    fields = {f.name: str(f) for f in trigger.fields}
    assert (fields["hour"], fields["minute"]) == ("18", "30")


def test_the_due_build_is_todays_once_its_time_has_passed(db_path: Path) -> None:
    settings = delivery_settings(db_path)  # 18:30 in Shanghai = 10:30 UTC
    before = datetime(2026, 3, 10, 10, 29, tzinfo=UTC)
    assert due_build_date(settings, before).isoformat() == "2026-03-09"
    assert due_build_date(settings, before + timedelta(minutes=1)).isoformat() == "2026-03-10"


async def test_the_build_and_ingest_jobs_run_the_domain_functions(app: App, db_path: Path) -> None:
    register_jobs(app)
    await ingest_job(context_for(app, INGEST_JOB))  # no sources configured: nothing to fetch
    await build_job(context_for(app, BUILD_JOB))
    store = Store.open(db_path)
    day = due_build_date(delivery_settings(db_path), datetime.now(UTC))
    assert latest_digest(store, day.isoformat()) is None  # no posts: nothing stored
    record = last_build(store, day)
    assert record is not None and record.outcome == "empty" and record.posts == 0
    store.close()


async def test_a_tick_never_starts_a_second_push_beside_a_running_one(app: App) -> None:
    register_jobs(app)
    context = context_for(app, DELIVER_JOB)
    running = asyncio.create_task(asyncio.sleep(10))
    data = context.job.data  # type: ignore[union-attr]
    assert isinstance(data, PushTask)
    data.task = running  # type: ignore[assignment]
    await deliver_job(context)
    assert data.task is running
    running.cancel()


def due_now(db_path: Path) -> Settings:
    """Settings whose build time, in UTC, was three minutes ago: a chat at two minutes ago
    is due now, and no digest has been built for it yet."""
    now = clear_of_midnight(timedelta(minutes=4))  # the jobs read the real clock
    build = (now - timedelta(minutes=3)).time().replace(second=0, microsecond=0)
    return delivery_settings(db_path, sources=(), timezone="UTC", build_time=build)


async def test_a_running_bot_builds_the_missing_digest_and_pushes_on_its_tick(
    fake: FakeTelegram, db_path: Path, app: App
) -> None:
    settings = due_now(db_path)
    services: Services = app.bot_data[SERVICES_KEY]
    services = replace(services, settings=settings)
    app.bot_data[SERVICES_KEY] = services
    push = (datetime.now(UTC) - timedelta(minutes=2)).time().replace(second=0, microsecond=0)
    store = Store.open(db_path)
    store_digest(store, "2020-01-01")  # an old digest: not what is due
    post = make_post(source="hackernews", post_id="1", title="A post seen an hour ago", heat=9)
    store.save_posts([post], datetime.now(UTC) - timedelta(hours=1))  # in the due window
    since = datetime.now(UTC) - timedelta(days=3)
    for chat_id in (11, 12, 13):
        add_chat(store, chat_id, timezone="UTC", push_time=push, since=since)
        fake.add_chat(chat_id)
    store.close()
    register_jobs(app, settings)
    async with app:
        await app.start()
        for _ in range(100):
            if len(fake.sent()) >= 3:
                break
            await asyncio.sleep(0.05)
        await app.stop()
    assert sorted(r["chat_id"] for r in fake.sent()) == [11, 12, 13]
    store = Store.open(db_path)
    day = due_build_date(settings, datetime.now(UTC) - timedelta(minutes=2)).isoformat()
    assert latest_digest(store, day) is not None
    assert Ledger(store).counts(day) == {("push", "sent"): 3}
    store.close()


def test_the_tick_runs_on_the_minute(app: App, db_path: Path) -> None:
    assert next_minute(datetime(2026, 3, 10, 13, 36, 59, 900, tzinfo=UTC)) == datetime(
        2026, 3, 10, 13, 37, tzinfo=UTC
    )
    assert next_minute(datetime(2026, 3, 10, 13, 37, tzinfo=UTC)).minute == 38
    register_jobs(app, delivery_settings(db_path))
    assert app.job_queue is not None
    (tick,) = app.job_queue.get_jobs_by_name(DELIVER_JOB)
    first = tick.job.trigger.start_date  # a job not yet started has no next_run_time
    assert (first.second, first.microsecond) == (0, 0)
    assert timedelta(0) < first - datetime.now(UTC) <= timedelta(minutes=1)
    assert tick.job.trigger.interval == timedelta(minutes=1)


async def test_a_chat_that_chose_13_37_gets_its_push_from_the_tick_at_13_37_00(
    fake: FakeTelegram, db_path: Path, app: App
) -> None:
    settings = delivery_settings(db_path, sources=(), timezone="UTC", build_time=time(8, 0))
    services: Services = app.bot_data[SERVICES_KEY]
    minute = datetime(2026, 3, 10, 13, 37, tzinfo=UTC)
    now = [minute - timedelta(seconds=1)]
    app.bot_data[SERVICES_KEY] = replace(services, settings=settings, clock=lambda: now[0])
    store = Store.open(db_path)
    store_digest(store, "2026-03-10")
    for chat_id, at in ((1337, time(13, 37)), (1338, time(13, 38))):
        add_chat(store, chat_id, timezone="UTC", push_time=at, since=minute - timedelta(days=1))
        fake.add_chat(chat_id)
    store.close()
    register_jobs(app, settings)
    context = context_for(app, DELIVER_JOB)
    run = context.job.data  # type: ignore[union-attr]
    assert isinstance(run, PushTask)
    async with app:
        await app.start()
        for tick_at in (minute - timedelta(seconds=1), minute):  # 13:36:59, then on the minute
            now[0] = tick_at
            began = asyncio.get_running_loop().time()
            await deliver_job(context)
            assert run.task is not None
            await asyncio.wait_for(run.task, 10)
        took = asyncio.get_running_loop().time() - began
        await app.stop()
    assert [r["chat_id"] for r in fake.sent()] == [1337]  # 13:38 is not due yet
    # That tick's own push sent it, not the next tick's a minute later. (Its "within a
    # couple of seconds" is wall time, which a loaded 2-core machine stretches: a bound
    # of 2 s failed there; half a tick still tells this tick from the next.)
    assert took < TICK_SECONDS / 2
