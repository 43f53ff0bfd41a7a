"""The bot's digest builds: ``build_day`` off the event loop and the store thread, then alerts.

The scheduled build, the delivery tick's catch-up and pre-push builds and /rebuild all
come here, with the same options and LLM endpoint ``hotdigest build`` uses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime

from telegram import Bot

from digest import DayBuild, WeekBuild, build_alerts, build_off_loop, build_week_off_loop

from .alerts import announce
from .llm import llm_config
from .services import Services

log = logging.getLogger(__name__)


async def build(
    services: Services,
    bot: Bot,
    day: date,
    now: datetime,
    *,
    force: bool = False,
    retry_llm: bool = True,
    progress: Callable[[str, str], None] | None = None,
) -> DayBuild:
    """Build ``day`` on a worker thread with its own connection, then tell admins what
    changed (an empty day, an LLM fallback, and their recoveries)."""
    settings = services.settings
    async with services.build_lock:
        with services.metrics.build_seconds.time():
            built = await build_off_loop(
                settings.db_path,
                day,
                services.options,
                now,
                llm=llm_config(settings),
                force=force,
                retry_llm=retry_llm,
                progress=progress,
            )
    saved = built.saved
    state = "empty" if saved is None else ("new" if saved.created else "unchanged")
    version = saved.digest.version if saved else 0
    log.info("build %s: v%d %s (%d posts)", day, version, state, built.posts)
    alerts = await services.store.run(lambda store: build_alerts(store, built, now))
    await announce(services, bot, alerts)
    return built


async def build_weekly(
    services: Services, bot: Bot, week: str, now: datetime, *, retry_llm: bool = True
) -> WeekBuild:
    """Build ``week``'s digest as ``hotdigest build --week`` does (same options, same LLM
    endpoint), on a worker thread with its own connection, after the day builds.
    ``retry_llm=False`` (before a push): an unchanged week is not sent to the LLM again."""
    settings = services.settings
    llm = llm_config(settings)
    async with services.build_lock:
        built = await build_week_off_loop(
            settings.db_path, week, services.options, now, llm=llm, retry_llm=retry_llm
        )
    saved = built.saved
    state = "empty" if saved is None else ("new" if saved.created else "unchanged")
    version = saved.digest.version if saved else 0
    log.info("weekly build %s: v%d %s (%d posts)", week, version, state, built.posts)
    return built
