"""Admin alerts: rendered from the domain's incident changes and sent to every bot admin.

Every alert leaves through :func:`send_alert`, which takes its turn in the bot's one
outbox (``Services.outbox``) as a notice: after command replies, ahead of pushes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial

from telegram import Bot
from telegram.error import TelegramError

from digest import Alert, IngestResult, ingest_alerts

from .delivery.client import send_text
from .delivery.outbox import Kind
from .services import Services

log = logging.getLogger(__name__)


async def send_alert(services: Services, bot: Bot, chat_id: int, text: str) -> bool:
    """Send one alert message in its turn in the outbox (a notice: after command replies,
    ahead of pushes); False if it failed."""
    call = partial(send_text, bot, chat_id, text, markup=None, paid=False)
    try:
        await services.outbox.send(Kind.NOTICE, chat_id, call)
    except TelegramError as exc:  # e.g. an admin who never opened a chat with the bot
        log.warning("admin alert to %s not sent: %s", chat_id, exc.message)
        return False
    return True


async def announce(services: Services, bot: Bot, alerts: Sequence[Alert]) -> int:
    """Tell every admin about each alert; returns how many messages were sent."""
    settings = services.settings
    if not alerts or not settings.admins:
        return 0
    texts = [
        await asyncio.to_thread(
            services.renderer.texts.html,
            "alert",
            settings.language,
            a=alert,
            tz=settings.timezone,
        )
        for alert in alerts
    ]
    sent = 0
    for text in texts:
        for admin in settings.admins:
            sent += await send_alert(services, bot, admin, text)
    log.info("admin alerts: %d incidents, %d messages", len(alerts), sent)
    return sent


async def check_ingest(
    services: Services, bot: Bot, results: Sequence[IngestResult], now: datetime
) -> None:
    """After an ingest run: alert on all sources failing, or one failing too long."""
    after = timedelta(hours=services.settings.alert_after_hours)
    alerts = await services.store.run(lambda store: ingest_alerts(store, results, now, after))
    await announce(services, bot, alerts)
