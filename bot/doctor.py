"""``hotdigest doctor``: is everything the bot needs there, and reachable the way it is set up?

Each check is one line: the Bot API (through the configured transport and proxy), the
token, the webhook, the database, each source (one request, timed), the LLM endpoint.
Texts never hold the token, keys or proxy passwords: they are masked at the end as well.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from telegram import Bot, WebhookInfo
from telegram.error import InvalidToken, TelegramError
from telegram.request import BaseRequest

from digest import (
    check_store,
    make_http_client,
    make_source,
    mask_password,
    probe_llm,
    probe_source,
)

from .config import Settings, ingest_proxies, telegram_proxy
from .delivery.client import TransportOptions, make_request
from .llm import llm_config
from .logs import mask_secrets


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report."""

    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


async def run_checks(settings: Settings, request: BaseRequest | None = None) -> list[Check]:
    """Every check, in the order a reader fixes them; ``request`` replaces the configured one."""
    checks = await telegram_checks(settings, request)
    store = check_store(settings.db_path)
    checks.append(Check("database", store.ok, f"{settings.db_path}: {store.detail}"))
    checks += await source_checks(settings)
    if (config := llm_config(settings)) is not None:
        llm = await probe_llm(config)
        checks.append(Check("llm", llm.ok, f"{settings.llm_base_url}: {llm.detail}"))
    secrets = settings.secrets
    return [Check(c.name, c.ok, mask_secrets(c.detail, secrets)) for c in checks]


async def telegram_checks(settings: Settings, request: BaseRequest | None) -> list[Check]:
    """The Bot API base URL answers (getMe), accepts the token, and the webhook state."""
    proxy = telegram_proxy(settings)
    route = f"via {mask_password(proxy)}" if proxy else "direct"
    where = f"{settings.telegram_base_url} ({settings.telegram_transport}, {route})"
    if not settings.telegram_token:
        return [
            Check("telegram.base_url", False, f"{where}: not checked, no token to ask with"),
            Check("telegram.token", False, "TELEGRAM_BOT_TOKEN is not set"),
        ]
    request = request or make_request(TransportOptions.from_settings(settings), 2)
    bot = Bot(settings.telegram_token, base_url=settings.telegram_base_url, request=request)
    await request.initialize()
    try:
        return await _ask_telegram(bot, where)
    finally:
        await request.shutdown()


async def _ask_telegram(bot: Bot, where: str) -> list[Check]:
    started = time.monotonic()
    try:
        me = await bot.get_me()
    except InvalidToken:
        answered = Check("telegram.base_url", True, f"{where}: the Bot API answered")
        return [answered, Check("telegram.token", False, "Telegram rejected the token")]
    except TelegramError as exc:
        reason = f"{where}: {type(exc).__name__}: {exc}"
        return [
            Check("telegram.base_url", False, reason),
            Check("telegram.token", False, "not checked: the Bot API did not answer"),
        ]
    ms = (time.monotonic() - started) * 1000
    checks = [
        Check("telegram.base_url", True, f"{where}: answered in {ms:.0f} ms"),
        Check("telegram.token", True, f"accepted: @{me.username} (id {me.id})"),
    ]
    try:
        checks.append(_webhook(await bot.get_webhook_info()))
    except TelegramError as exc:
        checks.append(Check("telegram.webhook", False, f"getWebhookInfo failed: {exc}"))
    return checks


def _webhook(info: WebhookInfo) -> Check:
    if info.last_error_message:
        return Check(
            "telegram.webhook",
            False,
            f"{info.url or 'none'}: Telegram's last delivery failed: {info.last_error_message}",
        )
    if not info.url:
        return Check("telegram.webhook", True, "none set (hotdigest run polls)")
    pending = info.pending_update_count
    return Check("telegram.webhook", True, f"set to {info.url}, {pending} updates pending")


async def source_checks(settings: Settings) -> list[Check]:
    """One request per configured source, at once, through the sources' proxies."""
    sources = [make_source(s.kind, s.name, s.options) for s in settings.sources]
    async with make_http_client(
        settings.ingest_timeout, settings.ingest_max_body_bytes, proxies=ingest_proxies(settings)
    ) as client:
        probes = await asyncio.gather(*(probe_source(client, source) for source in sources))
    return [
        Check(f"source {source.name}", probe.ok, probe.detail.removeprefix(f"{source.name}: "))
        for source, probe in zip(sources, probes, strict=True)
    ]
