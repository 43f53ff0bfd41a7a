"""The Bots a push run sends through: fresh HTTP senders sharing the bot's token."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from telegram import Bot
from telegram.request import HTTPXRequest

from ..services import Services
from .aiohttp_request import AiohttpRequest
from .client import TransportOptions, make_request
from .options import DeliveryOptions


@asynccontextmanager
async def push_senders(
    services: Services, bot: Bot, options: DeliveryOptions
) -> AsyncIterator[list[Bot]]:
    """Bots to push through, each with ``options.connections`` keep-alive connections on the
    configured transport and proxy.

    They share the bot's token, and skip ``Bot.initialize``: its getMe per sender tells a
    push nothing. An in-process transport (the demo's fake) has no connections to spread,
    so the application's own bot is used as it is.
    """
    if not isinstance(getattr(bot.request, "inner", bot.request), HTTPXRequest | AiohttpRequest):
        yield [bot]
        return
    transport = replace(
        TransportOptions.from_settings(services.settings), read_timeout=options.read_timeout
    )
    senders = []
    for _ in range(max(1, options.senders)):
        request = services.metrics.metered(make_request(transport, options.connections), "push")
        await request.initialize()
        senders.append(
            Bot(
                bot.token,
                base_url=services.settings.telegram_base_url,
                request=request,
                get_updates_request=request,  # never polls
            )
        )
    try:
        yield senders
    finally:
        await asyncio.gather(*(sender.request.shutdown() for sender in senders))
