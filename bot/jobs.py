"""Scheduled work: ingest every N minutes, build at the configured time, the delivery tick.

PTB's JobQueue rather than APScheduler directly: the JobQueue *is* APScheduler (an
AsyncIOScheduler on the application's event loop), started and stopped with the
Application, its callbacks get the bot's context and services, and their exceptions
reach the one registered error handler. Using APScheduler directly would mean rebuilding
that lifecycle. APScheduler's own settings are passed per job through ``job_kwargs``.

Misfires are set on purpose. APScheduler's default ``misfire_grace_time`` is one second:
a run that comes while the loop is busy or the machine sleeps would be silently dropped.
Each job gets a grace that fits it, ``coalesce`` (several missed runs make one) and one
instance at a time. Downtime is not a misfire (the jobs are rebuilt at start-up), so the
delivery tick also catches up: it builds the due digest if no run built it, and pushes to
every chat whose push time passed while the bot was down (within the age bound).

The tick runs on the minute (its first run at the next :00, then every 60 s of the
scheduler's wall clock), so a chat that chose 13:37 is planned at 13:37:00, not up to a
minute later as with a tick counted from start-up; a one-off catch-up runs a second
after start-up. The tick only starts a push; the push runs as a task so a long fan-out
(10,000 chats at 30/s take minutes) never blocks the tick, and it stops between sends
when the bot stops.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from telegram import Bot
from telegram.ext import Application, CallbackContext, JobQueue

from digest import (
    CORRECTION,
    IngestResult,
    Store,
    ingest_in_thread,
    is_week,
    last_full_week,
    latest_digest,
    local_moment,
    make_source,
    utcnow,
    week_missing,
    zone,
)

from .alerts import check_ingest
from .builds import build, build_weekly
from .config import Settings, ingest_proxies
from .context import services_of
from .delivery.engine import plan_due, push_due
from .delivery.options import PushReport
from .follow_alerts import run_alerts
from .llm import llm_config
from .services import Services

log = logging.getLogger(__name__)

INGEST_JOB = "ingest"
BUILD_JOB = "build"
DELIVER_JOB = "deliver"
CATCH_UP_JOB = "deliver-catch-up"
FOLLOW_ALERT_JOB = "follow-alerts"  # new posts' alerts, whoever stored them; held ones
TICK_SECONDS = 60
BUILD_GRACE = timedelta(minutes=2)  # the scheduled build's head start on the tick's catch-up

App = Application[Any, Any, Any, Any, Any, Any]
Context = CallbackContext[Any, Any, Any, Any]


@dataclass
class PushTask:
    """The push the tick started, so a tick never starts a second one beside it."""

    task: asyncio.Task[PushReport] | None = None
    last: PushReport | None = None

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()


def register_jobs(application: App, settings: Settings | None = None) -> None:
    """Add (or replace, by name) the ingest, build and delivery jobs.

    :param settings: defaults to the services' settings, so this may run in post_init.
    """
    settings = settings or services_of(application).settings
    queue: JobQueue[Any] | None = application.job_queue
    if queue is None:
        raise RuntimeError('the JobQueue needs "python-telegram-bot[job-queue]"')
    ingest_every = settings.ingest_minutes * 60
    _replace(queue, INGEST_JOB)
    queue.run_repeating(
        ingest_job,
        interval=ingest_every,
        first=10,
        name=INGEST_JOB,
        job_kwargs=_kwargs(INGEST_JOB, grace=ingest_every // 2),
    )
    _replace(queue, BUILD_JOB)
    queue.run_daily(
        build_job,
        time=settings.build_time.replace(tzinfo=zone(settings.timezone)),
        name=BUILD_JOB,
        job_kwargs=_kwargs(BUILD_JOB, grace=3600),  # late beats never; the tick covers more
    )
    _replace(queue, DELIVER_JOB)
    _replace(queue, CATCH_UP_JOB)
    run = PushTask()  # shared: the catch-up and the ticks never push side by side
    queue.run_repeating(
        deliver_job,
        interval=TICK_SECONDS,
        first=next_minute(datetime.now(UTC)),  # on the minute: a 13:37 push leaves at 13:37:00
        name=DELIVER_JOB,
        data=run,
        job_kwargs=_kwargs(DELIVER_JOB, grace=TICK_SECONDS // 2),
    )
    queue.run_once(
        deliver_job,
        when=1,  # at start-up: catch up at once, not at the next minute
        name=CATCH_UP_JOB,
        data=run,
        job_kwargs=_kwargs(CATCH_UP_JOB, grace=TICK_SECONDS // 2),
    )

    _replace(queue, FOLLOW_ALERT_JOB)
    queue.run_repeating(
        alert_job,
        interval=TICK_SECONDS,
        first=TICK_SECONDS,
        name=FOLLOW_ALERT_JOB,
        job_kwargs=_kwargs(FOLLOW_ALERT_JOB, grace=TICK_SECONDS // 2),
    )


def next_minute(now: datetime) -> datetime:
    """The next whole minute after ``now`` (the tick's first run)."""
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


def _kwargs(name: str, grace: int) -> dict[str, Any]:
    # The id makes APScheduler replace a job of the same name rather than add a twin.
    return {
        "id": name,
        "replace_existing": True,
        "misfire_grace_time": grace,
        "coalesce": True,
        "max_instances": 1,
    }


def _replace(queue: JobQueue[Any], name: str) -> None:
    for job in queue.get_jobs_by_name(name):
        job.schedule_removal()


async def ingest_job(context: Context) -> None:
    """Fetch every configured source, then what follows an ingest (see after_ingest)."""
    services = services_of(context.application)
    async with services.ingest_lock:
        results = await fetch_sources(services)
        await after_ingest(services, context.application.bot, results)


async def fetch_sources(services: Services) -> list[IngestResult]:
    """Fetch every configured source on a worker thread with its own connection (the
    store thread stays free for commands); the scheduled ingest and /ingest both."""
    settings = services.settings
    sources = [make_source(s.kind, s.name, s.options) for s in settings.sources]
    results = await asyncio.to_thread(
        ingest_in_thread,
        settings.db_path,
        sources,
        settings.ingest_timeout,
        settings.ingest_max_body_bytes,
        ingest_proxies(settings),
    )
    services.metrics.ingested(results)
    log.info("ingest: %d of %d sources ok", sum(r.ok for r in results), len(results))
    return results


async def after_ingest(services: Services, bot: Bot, results: list[IngestResult]) -> None:
    """Admins hear of failing sources, a fallen-back digest asks the LLM again, and the
    posts this run saw first go out to the chats that follow them (issue 15)."""
    await check_ingest(services, bot, results, services.clock())
    await upgrade_fallback(services, bot, services.clock())
    await run_alerts(services, bot, utcnow())


async def alert_job(context: Context) -> None:
    """Each minute: the alerts of posts stored since the last alert run whoever stored them
    (`hotdigest ingest`, an import), and those held through quiet hours that just ended.
    While the bot ingests, the posts are left to the alert run after its ingest."""
    services = services_of(context.application)
    lock, bot = services.ingest_lock, context.application.bot
    if lock.locked():
        await run_alerts(services, bot, utcnow(), release_only=True)
        return
    # Try-acquire: taking a free lock does not yield to the loop, so no ingest can start
    # between the check above and here, and one that starts during this run waits for
    # its claims (as the ingest's own alert run holds the lock). Were an ingest already
    # queued for the lock, this run waits for it and then claims what it stored.
    async with lock:
        await run_alerts(services, bot, utcnow())


async def upgrade_fallback(services: Services, bot: Bot, now: datetime) -> None:
    """While the due digest holds offline text where an LLM is configured (it fell back),
    every ingest run asks the LLM again; once it answers, its text is a new version."""
    config = llm_config(services.settings)
    if config is None or services.build_lock.locked():
        return
    day = due_build_date(services.settings, now)
    stored = await services.store.run(lambda store: latest_digest(store, day.isoformat()))
    if stored is not None and not stored.is_empty and stored.footer.writer != f"llm:{config.model}":
        await build(services, bot, day, now)


async def build_job(context: Context) -> None:
    """Build today's digest (in the configured zone) as a new version if its input changed."""
    services = services_of(context.application)
    await build_due(services, context.application.bot, services.clock(), missing_only=False)


async def build_due(services: Services, bot: Bot, now: datetime, *, missing_only: bool) -> date:
    """Build the newest digest whose build time has passed.

    :param missing_only: the tick's catch-up: build only if no digest with posts exists
        (an empty day is tried again every tick), and give the scheduled build a head
        start of ``BUILD_GRACE``.
    """
    day = due_build_date(services.settings, now - BUILD_GRACE if missing_only else now)
    if not missing_only or not await services.store.run(lambda store: _has_posts(store, day)):
        await build(services, bot, day, now)
    # The week's last daily build (Sunday's) is followed by the weekly build, the same
    # one as `hotdigest build --week`; the tick's catch-up builds a week a restart missed.
    week = last_full_week(day)
    options = services.options
    if (not missing_only and day.isoweekday() == 7) or (
        missing_only and await services.store.run(lambda s: week_missing(s, week, options))
    ):
        await build_weekly(services, bot, week, now)
    return day


def _has_posts(store: Store, day: date) -> bool:
    found = latest_digest(store, day.isoformat())
    return found is not None and not found.is_empty


async def refresh_due(services: Services, bot: Bot, now: datetime) -> None:
    """Before a push: rebuild each digest date chats are due for, so posts collected since
    its build go out too (a new version only if the input changed)."""
    plan = await plan_due(services, now=now, record=False)
    due = sorted({job.date for job in plan.jobs if job.kind != CORRECTION and not job.delivered})
    for day in due:
        if is_week(day):
            await build_weekly(services, bot, day, now, retry_llm=False)
        else:
            await build(services, bot, date.fromisoformat(day), now, retry_llm=False)


def due_build_date(settings: Settings, now: datetime) -> date:
    """The newest date whose build time (configured zone) is at least ``now``'s."""
    tz = zone(settings.timezone)
    today = now.astimezone(tz).date()
    if local_moment(today, settings.build_time, tz) <= now:
        return today
    return today - timedelta(days=1)


async def deliver_job(context: Context) -> None:
    """The delivery tick: make sure the due digest exists, then push to due chats."""
    run = context.job.data if context.job else None
    if not isinstance(run, PushTask) or run.running:
        return  # the running push goes on; what it leaves, the next tick picks up
    application = context.application
    services = services_of(application)
    now = services.clock()
    # A build already running (an LLM build may take minutes) makes the fresh version;
    # the tick does not wait behind it: what is due now goes out, the rest next tick.
    if not services.build_lock.locked():
        await build_due(services, application.bot, now, missing_only=True)
        await refresh_due(services, application.bot, now)
    run.task = application.create_task(_push(application, services, run), name="hotdigest-push")


async def _push(application: App, services: Services, run: PushTask) -> PushReport:
    report = await push_due(
        services, application.bot, now=services.clock(), stop=lambda: not application.running
    )
    run.last = report
    return report
