"""Follow alerts from the running bot: claimed by the domain, rendered and sent here.

``send_follow_alert`` is the one place a follow alert leaves the bot. It goes through
the delivery path's shared flood gate (the bot-wide pace with headroom left for command
replies, the per-chat and per-group spacing) and its lean ``send_text``, so alerts keep
to the same budget as pushes and leave room for replies. There is no priority queue
yet: when bot/delivery grows one outgoing scheduler (replies first), re-point this
function at it; nothing else here sends. (Admin alerts have their own, ``bot.alerts``.)
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from digest import (
    AlertBatch,
    AlertOptions,
    AlertRun,
    BotTexts,
    Follows,
    Store,
    finish_batch,
    load_batches,
    parse_group,
    plan_alerts,
    release_held,
    stored_language,
    topic_problem,
    utcnow,
)

from .config import Settings
from .delivery.client import send_text
from .delivery.options import DeliveryOptions
from .delivery.outbox import Kind
from .keyboards import alert_keyboard
from .services import Services

log = logging.getLogger(__name__)

PAGE = 10  # items per alert message; the rest behind "and N more"
# Alerts share the application bot's connections with replies; a few in flight carry
# the flood gate's pace (~30/s at a 100 ms round trip) and leave the rest to replies.
SENDS_AT_ONCE = 4


@dataclass
class AlertReport:
    """What one alert step did."""

    run: AlertRun | None = None
    sent: int = 0
    failed: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def alert_options(services: Services) -> AlertOptions:
    settings = services.settings
    exclude = tuple(parse_group(text, checked=True) for text in settings.digest_exclude)
    return AlertOptions(timezone=settings.timezone, exclude=exclude)


def alert_language(store: Store, chat_id: int, settings: Settings, thread_id: int = 0) -> str:
    """The chat's digest language if it has one, else the one it followed in, else the default."""
    chosen: str | None = (
        stored_language(store, chat_id, thread_id) or Follows(store).settings(chat_id).language
    )
    return chosen or settings.language


def render_alert(texts: BotTexts, batch: AlertBatch, language: str, page: int = 0) -> str:
    """One page of a batch: its items grouped by follow group, with source, heat and link."""
    items = batch.items[page * PAGE : (page + 1) * PAGE]
    groups: dict[str, list[object]] = {}
    for item in items:
        groups.setdefault(item.label, []).append(item)
    more = len(batch.items) - (page + 1) * PAGE
    return texts.html(
        "follow_alert",
        language,
        groups=list(groups.items()),
        more=max(more, 0),
        total=len(batch.items),
        first=page * PAGE + 1,
    )


def pages_of(batch: AlertBatch) -> int:
    return max(1, -(-len(batch.items) // PAGE))


async def send_follow_alert(
    services: Services,
    bot: Bot,
    chat_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None,
    options: DeliveryOptions | None = None,
    thread_id: int = 0,
) -> int:
    """Send one alert message (into forum topic ``thread_id``, 0: none) in its turn in the
    outbox (a notice: after command replies, ahead of pushes; a 429 waits and goes again);
    returns its message id."""
    call = partial(send_text, bot, chat_id, text, markup=markup, paid=False, thread_id=thread_id)
    return await services.outbox.send(Kind.NOTICE, chat_id, call, group=chat_id < 0)


async def run_alerts(
    services: Services,
    bot: Bot,
    now: datetime,
    *,
    release_only: bool = False,
    delivery: DeliveryOptions | None = None,
) -> AlertReport:
    """Claim the alerts of newly seen posts (or only release held ones) and send them.

    :param delivery: the pace (default: the settings'); tests that run many ingests in
        a second lift the one-message-a-second-per-chat spacing.
    """
    options = alert_options(services)
    report = AlertReport()
    if release_only:
        batches = await services.store.run(lambda s: release_held(s, now, options))
    else:
        report.run = await plan_in_thread(services, now, options)
        batches = report.run.batches
    if not batches:
        return report
    limit = asyncio.Semaphore(SENDS_AT_ONCE)

    async def one(batch: AlertBatch) -> None:
        async with limit:
            await _deliver(services, bot, batch, report, delivery)

    await asyncio.gather(*(one(batch) for batch in batches))
    log.info("alerts: %d sent, %d failed", report.sent, report.failed)
    return report


async def plan_in_thread(services: Services, now: datetime, options: AlertOptions) -> AlertRun:
    """``plan_alerts`` on a worker thread with its own connection, as ingests run.

    Matching 10,000 chats' groups takes a second or more; on the store thread it would
    hold up every command reply that reads the store meanwhile.
    """
    path = services.settings.db_path
    if str(path) == ":memory:":  # one connection only: the store thread's
        return await services.store.run(lambda s: plan_alerts(s, now, options))

    def plan() -> AlertRun:
        store = Store.open(path)
        try:
            return plan_alerts(store, now, options)
        finally:
            store.close()

    return await asyncio.to_thread(plan)


async def resend_alerts(services: Services, bot: Bot, batch_ids: tuple[int, ...]) -> AlertReport:
    """Send again the alert batches a reopened forum topic had refused (claimed already)."""
    batches = await services.store.run(lambda s: load_batches(s, batch_ids))
    report = AlertReport()
    for batch in batches:  # one topic's: they take their turns in that chat one by one
        await _deliver(services, bot, batch, report, None)
    log.info("alerts sent again: %d sent, %d failed", report.sent, report.failed)
    return report


async def _deliver(
    services: Services,
    bot: Bot,
    batch: AlertBatch,
    report: AlertReport,
    delivery: DeliveryOptions | None,
) -> None:
    chat_id = batch.chat_id
    thread = batch.thread_id
    language = await services.store.run(
        lambda s: alert_language(s, chat_id, services.settings, thread)
    )
    texts = services.renderer.texts
    text = render_alert(texts, batch, language)
    markup = alert_keyboard(batch.id, 0, pages_of(batch), len(batch.items) - PAGE, texts, language)
    try:
        message_id = await send_follow_alert(
            services, bot, chat_id, text, markup, delivery, batch.thread_id
        )
    except TelegramError as exc:
        await _failed(services, batch, exc)
        report.failed += 1
        report.errors.append((chat_id, exc.message))
        return
    stamp = utcnow()
    await services.store.run(
        lambda s: finish_batch(s, batch.id, "sent", stamp, message_id=message_id)
    )
    report.sent += 1


async def _failed(services: Services, batch: AlertBatch, exc: TelegramError) -> None:
    """Record the failure; a chat that blocked the bot or is gone gets no more alerts, and
    the groups set in a forum topic that was closed or deleted pause (/following resumes)."""
    chat_id, stamp = batch.chat_id, utcnow()
    gone = isinstance(exc, Forbidden) or (
        isinstance(exc, BadRequest) and "chat not found" in exc.message.lower()
    )
    topic = isinstance(exc, BadRequest) and topic_problem(exc.message) is not None

    def record(store: Store) -> None:
        finish_batch(store, batch.id, "failed", stamp, error=exc.message[:200])
        follows = Follows(store)
        if isinstance(exc, ChatMigrated):
            follows.migrate(chat_id, exc.new_chat_id)
        elif topic:
            follows.pause_topic(chat_id, batch.thread_id)
        elif gone:
            off = replace(follows.settings(chat_id), alerts=False, off_reason=exc.message[:200])
            follows.save_settings(off, stamp)

    await services.store.run(record)
    log.info("alert to chat %s failed: %s", chat_id, exc.message)
