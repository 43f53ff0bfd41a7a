"""The push runs the bot starts: the delivery tick, `hotdigest push` and /rebuild --push.

Each plans its jobs, renders them (``bot.delivery.prepare``) and hands them to a
:class:`~bot.delivery.run.PushRun`, which sends every part once through the outbox and
records it in the ledger.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from telegram import Bot

from digest import (
    Digest,
    PushJob,
    PushPlan,
    correction_jobs,
    plan_date,
    plan_pushes,
    utcnow,
)

from ..services import Services
from .options import DeliveryOptions, PushReport, schedule_of
from .prepare import prepare
from .run import PushRun
from .senders import push_senders

__all__ = ["DeliveryOptions", "deliver", "plan_due", "push_correction", "push_due"]

log = logging.getLogger(__name__)


async def plan_due(
    services: Services,
    *,
    now: datetime | None = None,
    day: str | None = None,
    options: DeliveryOptions | None = None,
    record: bool = True,
) -> PushPlan:
    """The pushes due at ``now`` (or, with ``day``, that digest to every chat without it);
    with ``record`` it also recovers cut-off parts and records skips."""
    opts = options or DeliveryOptions.from_settings(services.settings)
    schedule = schedule_of(services.settings)
    moment, stamp = now or utcnow(), utcnow()
    stale = stamp - opts.stale_after
    if day is not None:
        return await services.store.run(
            lambda s: plan_date(s, day, stamp=stamp, stale_before=stale, record=record)
        )
    return await services.store.run(
        lambda s: plan_pushes(s, moment, schedule, stamp=stamp, stale_before=stale, record=record)
    )


async def push_due(
    services: Services,
    bot: Bot,
    *,
    now: datetime | None = None,
    day: str | None = None,
    options: DeliveryOptions | None = None,
    bots: Sequence[Bot] | None = None,
    stop: Callable[[], bool] | None = None,
) -> PushReport:
    """Push the current digest to every chat whose push time has come (the delivery tick).

    :param bot: the bot whose token (and transport, for in-process fakes) pushes use.
    :param day: instead, push that digest now to every active chat that has not had it.
    :param bots: send through these instead of fresh HTTP senders (tests).
    :param stop: polled between sends; True ends the run after the sends in flight.
    """
    opts = options or DeliveryOptions.from_settings(services.settings)
    plan = await plan_due(services, now=now, day=day, options=opts)
    return await deliver(services, bot, plan.jobs, opts, bots=bots, stop=stop, plan=plan)


async def push_correction(
    services: Services,
    bot: Bot,
    old: Digest,
    new: Digest,
    *,
    options: DeliveryOptions | None = None,
    bots: Sequence[Bot] | None = None,
    stop: Callable[[], bool] | None = None,
) -> PushReport:
    """Send ``new``, marked as a correction, to the active chats that received ``old``."""
    if (old.date, old.version) == (new.date, new.version):
        return PushReport()
    opts = options or DeliveryOptions.from_settings(services.settings)
    jobs = await services.store.run(
        lambda s: correction_jobs(s, new.date, old.version, new.version)
    )
    log.info("correction of %s v%s: %d chats", new.date, new.version, len(jobs))
    return await deliver(services, bot, jobs, opts, bots=bots, stop=stop)


async def deliver(
    services: Services,
    bot: Bot,
    jobs: Sequence[PushJob],
    options: DeliveryOptions,
    *,
    bots: Sequence[Bot] | None = None,
    stop: Callable[[], bool] | None = None,
    plan: PushPlan | None = None,
) -> PushReport:
    """Render and send ``jobs``; a chat that fails never stops the others."""
    with services.collections.pushing():
        return await _deliver(services, bot, jobs, options, bots=bots, stop=stop, plan=plan)


async def _deliver(
    services: Services,
    bot: Bot,
    jobs: Sequence[PushJob],
    options: DeliveryOptions,
    *,
    bots: Sequence[Bot] | None,
    stop: Callable[[], bool] | None,
    plan: PushPlan | None,
) -> PushReport:
    prepared, failed = await prepare(
        services.store,
        services.renderer,
        jobs,
        services.options,
        link_preview=services.settings.link_preview,
        charts=services.charts,
    )
    report = PushReport(failed=len(failed), errors=failed)
    if plan is not None:
        report.skipped, report.busy = len(plan.skipped), plan.in_flight
    if not prepared:
        return report
    services.outbox.chats.prune()
    senders = contextlib.nullcontext(list(bots)) if bots else push_senders(services, bot, options)
    async with senders as chosen:
        run = PushRun(
            services.store,
            services.outbox,
            options,
            prepared,
            report,
            stamp=utcnow,
            stop=stop or (lambda: False),
        )
        log.info("push run: %d chats", len(prepared))
        with services.metrics.queue(run.queued):
            result = await run.run(chosen)
    log.info(
        "push run done: %d chats delivered, %d messages in %.1fs (%.1f/s), %d deactivated, "
        "%d migrated, %d failed, %d 429s",
        result.delivered,
        result.messages,
        result.seconds,
        result.rate,
        result.deactivated,
        result.migrated,
        result.failed,
        result.floods,
    )
    return result
