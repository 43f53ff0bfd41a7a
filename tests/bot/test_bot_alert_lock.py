"""The minute's alert run and the bot's ingest never claim at once: the run takes the
ingest lock in the step that finds it free, and leaves new posts to a running ingest."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot_harness import ZH_USER, make_app, make_fake
from telegram.ext import CallbackContext
from test_bot_topics import fresh_post

from bot.app import running
from bot.config import Settings
from bot.context import services_of
from bot.jobs import alert_job
from digest import Follows, Store, parse_expression, utcnow


def claimed(db_path: Path) -> int:
    store = Store.open(db_path)
    try:
        return int(store.db.execute("SELECT count(*) FROM alert_batches").fetchone()[0])
    finally:
        store.close()


def follow_glm(db_path: Path) -> None:
    store = Store.open(db_path)
    Follows(store).add(ZH_USER, parse_expression("GLM"), utcnow())
    store.close()


async def test_an_ingest_starting_during_the_alert_run_waits_for_its_claims(
    settings: Settings,
) -> None:
    follow_glm(settings.db_path)
    async with running(make_app(make_fake(), settings)) as app:
        services, context = services_of(app), CallbackContext(app)  # type: ignore[arg-type]
        await alert_job(context)  # the alert ledger's mark
        fresh_post(settings.db_path, utcnow())
        job = asyncio.create_task(alert_job(context))
        await asyncio.sleep(0)  # the job runs to its first wait: the plan's worker thread
        assert services.ingest_lock.locked()  # found free and taken in the same step
        async with services.ingest_lock:  # an ingest that starts now
            seen_by_ingest = claimed(settings.db_path)
        await job
    assert seen_by_ingest == 1  # the run's claims were made before the ingest went on


async def test_the_alert_run_leaves_new_posts_to_a_running_ingest(settings: Settings) -> None:
    follow_glm(settings.db_path)
    async with running(make_app(make_fake(), settings)) as app:
        services, context = services_of(app), CallbackContext(app)  # type: ignore[arg-type]
        await alert_job(context)
        fresh_post(settings.db_path, utcnow())
        async with services.ingest_lock:
            await alert_job(context)  # releases held alerts only
            during = claimed(settings.db_path)
        await alert_job(context)
    assert (during, claimed(settings.db_path)) == (0, 1)
