"""The upkeep jobs: the daily backup and pruning, and the store check feeding /healthz."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from delivery_worker import TOKEN, delivery_settings
from telegram.ext import Application, CallbackContext

from bot.context import SERVICES_KEY
from bot.fake_telegram import FakeRequest, FakeTelegram
from bot.health import Health
from bot.services import Services
from bot.upkeep import MAINTENANCE_JOB, VITALS_JOB, maintenance_job, register_upkeep, vitals_job
from digest import Post, Store

NOW = datetime(2027, 3, 1, 4, 0, tzinfo=UTC)
App = Application[Any, Any, Any, Any, Any, Any]


@pytest.fixture
async def app(db_path: Path, tmp_path: Path) -> AsyncIterator[App]:
    fake = FakeTelegram(TOKEN, limits=None)
    settings = delivery_settings(db_path, backup_dir=tmp_path / "backups", backup_keep=2)
    application = (
        Application.builder()
        .token(TOKEN)
        .request(FakeRequest(fake))
        .get_updates_request(FakeRequest(fake))
        .build()
    )
    services = Services.create(settings, health=Health(3600.0, started=NOW))
    services.clock = lambda: NOW
    application.bot_data[SERVICES_KEY] = services
    yield application
    await services.close()


def context_for(app: App, name: str) -> CallbackContext[Any, Any, Any, Any]:
    assert app.job_queue is not None
    (job,) = app.job_queue.get_jobs_by_name(name)
    return CallbackContext.from_job(job, app)


def seed(db_path: Path) -> None:
    store = Store.open(db_path)
    for days in (0, 100, 399, 401, 700):
        store.save_posts(
            [Post("hackernews", str(days), f"post {days}")], NOW - timedelta(days=days)
        )
    store.close()


async def test_maintenance_backs_up_keeps_n_and_prunes_old_snapshots(
    app: App, db_path: Path, tmp_path: Path
) -> None:
    seed(db_path)
    services: Services = app.bot_data[SERVICES_KEY]
    register_upkeep(app, services.settings, vitals=True, maintenance=True)
    for day in range(3):
        services.clock = lambda day=day: NOW + timedelta(days=day)  # type: ignore[misc]
        await maintenance_job(context_for(app, MAINTENANCE_JOB))
    backups = sorted(path.name for path in (tmp_path / "backups").iterdir())
    assert backups == ["hotdigest-20270302T040000Z.db", "hotdigest-20270303T040000Z.db"]
    # The first backup was taken before the first prune: it has all five snapshots.
    store = Store.open(db_path)
    kept = [r[0] for r in store.db.execute("SELECT post_id FROM snapshots ORDER BY 1")]
    autocheckpoint = store.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    assert kept == ["0", "100"]  # 399 days old on day 0 is 401 on day 2
    assert store.count_posts() == 5
    store.close()
    assert autocheckpoint == 1000


async def test_the_store_check_makes_the_bot_healthy_and_names_a_failure(
    app: App, db_path: Path
) -> None:
    services: Services = app.bot_data[SERVICES_KEY]
    assert services.health is not None
    register_upkeep(app, services.settings, vitals=True, maintenance=False)
    assert app.job_queue is not None
    assert [job.name for job in app.job_queue.jobs()] == [VITALS_JOB]
    services.health.polled()
    services.health.clock = lambda: NOW + timedelta(minutes=5)
    assert services.health.problems() == [
        "store: no successful check for 300s (store thread stuck?)"
    ]
    services.clock = lambda: NOW + timedelta(minutes=5)
    await vitals_job(context_for(app, VITALS_JOB))
    assert services.health.problems() == []
    store = Store.open(db_path)  # from now on the store refuses writes, as a full disk does
    store.db.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON _meta BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    store.close()
    await vitals_job(context_for(app, VITALS_JOB))
    assert services.health.problems() == ["store: not writable: store check failed: disk full"]


def test_settings_turn_the_backup_off_by_default() -> None:
    settings = delivery_settings(Path("x.db"))
    assert settings.backup_dir is None and settings.keep_days == 400
    assert replace(settings, backup_keep=3).backup_keep == 3
