"""The push run: due chats' parts sent through the outbox, each part once, recorded in the ledger.

Every part is claimed in the ledger (``sending``) before its request leaves and finished
after (``sent``, ``retry``, ``failed``...), so a run cut short by a crash or a stop resumes
where it was. Crash policy: a part still ``sending`` when its pusher died (found older
than ``stale_after``) becomes ``unconfirmed`` and is never resent. Telegram has no
idempotency key, so such a part cannot be known to have arrived; resending could
duplicate it, not resending can at worst miss that one part. A crash never duplicates.
The one duplicate left possible is a retried timeout: a 5xx did not deliver, but a
timeout or a dropped connection after Telegram took the message did. Retries are
bounded by ``max_attempts`` and counted in the row's ``attempts``.

The pace is the bot's one outbox (``Services.outbox``): pushes take their turns there
behind command replies. They go through their own Bots on the configured transport
(``bot.delivery.client``: aiohttp by default, and no PTB Message parsed from each
answer). What is sent comes from ``bot.delivery.prepare``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest

from digest import (
    Claim,
    Digest,
    Finish,
    PartKey,
    PushJob,
    PushPlan,
    Subscriptions,
    correction_jobs,
    follow_migration,
    plan_date,
    plan_pushes,
    topic_problem,
    utcnow,
)

from ..services import Services, StoreRunner
from .aiohttp_request import AiohttpRequest
from .client import TransportOptions, make_request, send_text
from .ledger import LedgerWriter
from .limits import retry_seconds
from .options import DeliveryOptions, PushReport, schedule_of
from .outbox import Kind, Outbox, OutboxClosedError
from .prepare import Prepared, Push, prepare
from .queue import ChatQueue

log = logging.getLogger(__name__)


class _Engine:
    """Workers that take chats in turn: a chat's next part waits for its gap, others go on."""

    def __init__(
        self,
        store: StoreRunner,
        outbox: Outbox,
        options: DeliveryOptions,
        bots: Sequence[Bot],
        *,
        stamp: Callable[[], datetime],
        stop: Callable[[], bool],
    ) -> None:
        self.store, self.outbox, self.options, self.bots = store, outbox, options, bots
        self.stamp, self.stop = stamp, stop
        self.clock = outbox.clock
        self.report = PushReport()
        self._writer = LedgerWriter(store, stamp)
        self._queue: ChatQueue[Push | PushJob] = ChatQueue(outbox.chats, lambda i: i.chat.chat_id)
        self._fatal: TelegramError | None = None

    async def run(self, prepared: Prepared) -> PushReport:
        started = time.perf_counter()
        self._queue.add(prepared.first)  # a chat's second push follows its first
        self.report.planned += len(prepared)
        workers = max(1, len(self.bots) * self.options.connections)
        async with asyncio.TaskGroup() as group:
            for number in range(workers):
                group.create_task(self._work(self.bots[number % len(self.bots)], prepared))
        await self._writer.drain()  # the sent parts' outcomes, posted without waiting
        self.report.seconds = time.perf_counter() - started
        if self._fatal is not None:
            raise self._fatal
        return self.report

    async def _work(self, bot: Bot, prepared: Prepared) -> None:
        while (item := await self._queue.take(self._stopped)) is not None:
            push = item if isinstance(item, Push) else prepared.push(item)  # its turn: made now
            try:
                await self._send(push, bot)
            finally:
                self._queue.done()

    def queued(self) -> int:
        """Chats whose parts are not all sent yet (for the queue-depth gauge)."""
        return len(self._queue)

    def _stopped(self) -> bool:
        return self._fatal is not None or self.outbox.closed or self.stop()

    async def _send(self, push: Push, bot: Bot) -> None:
        # The turn before the claim: a claimed part must leave at once, or a crash while
        # it waited would leave an unsent part marked as possibly sent.
        chat = push.chat
        group = chat.chat_type != "private"
        try:
            await self.outbox.turn(Kind.PUSH, chat.chat_id, group=group)
        except OutboxClosedError:  # the bot is stopping: unclaimed, the next run sends it
            return
        key = push.key()
        if not await self._writer.write(Claim(key, len(push.texts), push.job.kind)):
            self.outbox.forgo()  # its turn's place frees at once
            self.report.busy += 1  # another pusher holds this part; the chat is theirs
            return
        departure = await self.outbox.depart(chat.chat_id, group=group)
        try:
            message_id = await self.outbox.timed(departure, self._post(push, key, bot))
        except TelegramError as exc:
            await self._refused(push, key, exc)
            return
        self._writer.post(Finish(key, "sent", message_id))  # not awaited (LedgerWriter.post)
        self.report.messages += 1
        del push.todo[0]
        push.attempts = push.floods = 0
        if push.todo:
            self._queue.later(push, self.outbox.ready_at(chat.chat_id))
        else:
            self.report.delivered += 1
            if push.then is not None:
                self._queue.later(push.then, self.outbox.ready_at(chat.chat_id))

    async def _post(self, push: Push, key: PartKey, bot: Bot) -> int:
        """Send one part (into the chat's topic, if it has one); its message_id."""
        chat, text = push.chat, push.texts[key.part - 1]
        markup = push.markup if key.part == len(push.texts) else None
        paid = self.options.paid_broadcast
        if push.photo is not None and key.part == 1:
            return await push.photo.send(
                bot, chat.chat_id, text, markup=markup, paid=paid, thread_id=chat.thread_id
            )
        preview = push.preview if key.part == 1 else None
        return await send_text(
            bot,
            chat.chat_id,
            text,
            markup=markup,
            paid=paid,
            thread_id=chat.thread_id,
            preview=preview,
        )

    async def _refused(self, push: Push, key: PartKey, exc: TelegramError) -> None:
        """Sort a failed send: pause, move, deactivate, retry later, or give up."""
        if isinstance(exc, InvalidToken):  # every send would fail: stop the run
            await self._writer.write(Finish(key, "retry", error="the bot token was rejected"))
            self._fatal = exc
        elif isinstance(exc, RetryAfter):
            await self._flooded(push, key, retry_seconds(exc.retry_after))
        elif isinstance(exc, ChatMigrated):
            await self._migrated(push, key, exc.new_chat_id)
        elif isinstance(exc, BadRequest) and (problem := topic_problem(exc.message)):
            await self._gone(push, key, problem, topic=True)
        elif isinstance(exc, Forbidden) or (
            isinstance(exc, BadRequest) and "chat not found" in exc.message.lower()
        ):
            await self._gone(push, key, exc.message)
        elif isinstance(exc, BadRequest) or not isinstance(exc, NetworkError):
            await self._give_up(push, key, exc.message)  # the request is wrong: retrying won't help
        else:  # TimedOut, 5xx, a dropped connection
            push.attempts += 1
            if push.attempts >= self.options.max_attempts:
                await self._give_up(push, key, f"{exc.message} ({push.attempts} attempts)")
                return
            self.report.retries += 1
            await self._writer.write(Finish(key, "retry", error=exc.message))
            delay = self.options.backoff * 2 ** (push.attempts - 1)
            self._queue.later(push, self.clock() + min(delay, self.options.backoff_cap))

    async def _flooded(self, push: Push, key: PartKey, seconds: float) -> None:
        self.report.floods += 1
        push.floods += 1
        if push.floods > self.options.max_floods:
            await self._give_up(push, key, f"flood control: refused {push.floods} times")
            return
        await self._writer.write(
            Finish(key, "retry", error=f"flood control: retry after {seconds:g}s")
        )
        chat_id = push.chat.chat_id
        self.outbox.refused(chat_id, seconds)  # this chat; several at once: every push
        self._queue.later(push, self.outbox.ready_at(chat_id))

    async def _migrated(self, push: Push, key: PartKey, new_id: int) -> None:
        await self._writer.write(Finish(key, "migrated", error=f"migrated to {new_id}"))
        self.report.migrated += 1
        job, stamp = push.job, self.stamp()
        moved = await self.store.run(lambda s: follow_migration(s, job, new_id, stamp))
        if moved is not None:
            todo = list(range(1, len(push.texts) + 1))
            again = Push(replace(job, chat=moved, delivered=frozenset()), push.texts, todo)
            again.markup = push.markup
            self._queue.add([again])
            self.report.planned += 1

    async def _gone(self, push: Push, key: PartKey, reason: str, *, topic: bool = False) -> None:
        """The chat blocked the bot or is gone (every topic of it stops), or with ``topic``
        its forum topic was closed or deleted (that topic's subscription pauses)."""
        await self._writer.write(Finish(key, "deactivated", error=reason))
        chat_id, stamp = push.chat.chat_id, self.stamp()
        thread_id = push.chat.thread_id if topic else None
        await self.store.run(
            lambda s: Subscriptions(s).deactivate(chat_id, reason, stamp, thread_id)
        )
        self.report.deactivated += 1
        where = f" topic {thread_id}" if thread_id else ""
        log.info("chat %s%s deactivated: %s", chat_id, where, reason, extra={"chat_id": chat_id})

    async def _give_up(self, push: Push, key: PartKey, reason: str) -> None:
        await self._writer.write(Finish(key, "failed", error=reason))
        self.report.failed += 1
        self.report.errors.append((push.chat.chat_id, reason))
        chat_id = push.chat.chat_id
        log.warning("push to chat %s failed: %s", chat_id, reason, extra={"chat_id": chat_id})


# -- the public functions: the delivery tick, `hotdigest push` and /rebuild --push ----------


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
        engine = _Engine(
            services.store,
            services.outbox,
            options,
            chosen,
            stamp=utcnow,
            stop=stop or (lambda: False),
        )
        engine.report = report
        log.info("push run: %d chats", len(prepared))
        with services.metrics.queue(engine.queued):
            result = await engine.run(prepared)
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
