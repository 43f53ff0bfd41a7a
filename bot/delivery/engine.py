"""The delivery engine: pushes digests to due chats, each part once, within the flood limits.

Every part is claimed in the ledger (``sending``) before its request leaves and finished
after (``sent``, ``retry``, ``failed``...), so a run cut short by a crash or a stop resumes
where it was. Crash policy: a part still ``sending`` when its pusher died (found older
than ``stale_after``) becomes ``unconfirmed`` and is never resent. Telegram has no
idempotency key, so such a part cannot be known to have arrived; resending could
duplicate it, not resending can at worst miss that one part. A crash never duplicates.
The one duplicate left possible is a retried timeout: a 5xx did not deliver, but a
timeout or a dropped connection after Telegram took the message did. Retries are
bounded by ``max_attempts`` and counted in the row's ``attempts``.

Pushes go through their own Bot on the configured transport (``bot.delivery.client``:
aiohttp by default, and no PTB Message parsed from each answer) and their own limiter
(``bot.limits``), never PTB's AIORateLimiter: a 429 pauses the chat it concerns and
command replies stay responsive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from telegram import Bot, InlineKeyboardMarkup
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
    CORRECTION,
    MESSAGE_LIMIT,
    SECTION_IDS,
    BotTexts,
    BuildOptions,
    Claim,
    Digest,
    DigestError,
    Finish,
    Ledger,
    PartKey,
    PushJob,
    PushPlan,
    Renderer,
    Schedule,
    Store,
    Subscription,
    Subscriptions,
    cited_follows,
    correction_jobs,
    filtered_digest,
    follow_migration,
    get_digest,
    plan_date,
    plan_pushes,
    utcnow,
    with_follows,
)

from ..buttons import ViewButton
from ..config import Settings
from ..keyboards import digest_keyboard
from ..services import Services, StoreRunner
from .aiohttp_request import AiohttpRequest
from .client import TransportOptions, make_request, send_text
from .limits import ChatQueue, FloodGate, Limits
from .photos import ChartKey, ChartPhoto, chart_parts, wants_chart

log = logging.getLogger(__name__)

GATE_KEY = "delivery.gate"
_NOTE_ROOM = 80  # UTF-16 units a correction note may take from the first message
CORRECTION_NOTES = {
    "zh": "<b>更正</b>：这份日报已更新为第 {version} 版。\n\n",
    "en": "<b>Correction</b>: this digest was updated to version {version}.\n\n",
}


@dataclass(frozen=True, slots=True)
class DeliveryOptions:
    """How pushes are paced, retried and sent.

    :param max_attempts: sends of one part that time out or get a 5xx before it fails.
    :param max_floods: 429s one part may get before it fails.
    :param backoff: seconds before the first retry after a timeout or 5xx; doubles.
    :param stale_after: a ``sending`` row this old lost its pusher (longer than any send).
    :param senders: Bots to push through; ``connections`` is each one's number of
        keep-alive connections, and their product the number of sends in flight.
    """

    limits: Limits = field(default_factory=Limits)
    paid_broadcast: bool = False
    max_attempts: int = 4
    max_floods: int = 8
    backoff: float = 1.0
    backoff_cap: float = 30.0
    stale_after: timedelta = timedelta(minutes=2)
    senders: int = 4
    connections: int = 32  # 128 sends in flight: 1,000/s at a 128 ms round trip
    read_timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryOptions:
        limits = Limits(
            per_second=settings.messages_per_second,
            group_per_minute=settings.group_messages_per_minute,
        )
        return cls(limits=limits, paid_broadcast=settings.allow_paid_broadcast)


def schedule_of(settings: Settings) -> Schedule:
    """The push schedule the settings describe."""
    delay = timedelta(hours=settings.max_push_delay_hours)
    return Schedule(settings.build_time, settings.timezone, delay)


@dataclass
class PushReport:
    """What a push run did; ``messages`` per ``seconds`` is the rate it achieved."""

    planned: int = 0  # chats with parts to send
    delivered: int = 0  # chats that got every part
    messages: int = 0
    deactivated: int = 0
    migrated: int = 0
    failed: int = 0
    busy: int = 0  # chats another pusher was sending to
    skipped: int = 0  # chats recorded as skipped (too late, superseded)
    floods: int = 0  # 429s received
    retries: int = 0  # timeouts and 5xx retried
    seconds: float = 0.0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (chat, reason)

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


def render_parts(renderer: Renderer, digest: Digest, chat: Subscription, kind: str) -> list[str]:
    """The messages one chat gets: the brief push, or its sections; a correction says so."""
    correction = kind == CORRECTION
    limit = MESSAGE_LIMIT - _NOTE_ROOM if correction else MESSAGE_LIMIT
    zone = chat.timezone  # "generated at" shows in the reader's time if theirs differs
    if chat.mode == "brief":
        parts = renderer.telegram(digest, "push", chat.language, limit, zone)
    elif tuple(chat.sections) == SECTION_IDS:
        parts = renderer.telegram(digest, "full", chat.language, limit, zone)
    else:
        parts = [
            p
            for s in chat.sections
            for p in renderer.telegram(digest, s, chat.language, limit, zone)
        ]
    if correction and parts:
        note = CORRECTION_NOTES.get(chat.language, CORRECTION_NOTES["en"])
        parts[0] = note.format(version=digest.version) + parts[0]
    return parts


def push_keyboard(
    texts: BotTexts, digest: Digest, chat: Subscription, parts: int
) -> InlineKeyboardMarkup | None:
    """A brief push ends with the /digest keyboard, so a reader opens any section in place."""
    if chat.mode != "brief" or not parts:
        return None
    at = ViewButton(digest.date, digest.version, "push", page=parts - 1)
    return digest_keyboard(at, parts, texts, chat.language)


@dataclass(eq=False, slots=True)
class _Push:
    """One chat's push in this run: the texts, the parts still to send, its retry counts.

    A run holds one per chat (100,000 for a big push), hence slots and a list, not a
    deque, for ``todo``: a deque takes over 600 bytes even for one part.
    """

    job: PushJob
    texts: list[str]
    todo: list[int]
    markup: InlineKeyboardMarkup | None = None  # on the last part: switch sections in place
    photo: ChartPhoto | None = None  # part 1 is this chart, texts[0] its caption
    attempts: int = 0
    floods: int = 0

    @property
    def chat(self) -> Subscription:
        return self.job.chat

    def key(self) -> PartKey:
        return PartKey(self.job.date, self.job.version, self.chat.chat_id, self.todo[0])


class _LedgerWriter:
    """Group commit: ledger writes that arrive while one batch commits share the next one."""

    def __init__(self, store: StoreRunner, stamp: Callable[[], datetime]) -> None:
        self.store = store
        self.stamp = stamp
        self._pending: list[tuple[Claim | Finish, asyncio.Future[bool]]] = []
        self._task: asyncio.Task[None] | None = None

    async def write(self, op: Claim | Finish) -> bool:
        future = asyncio.get_running_loop().create_future()
        self._pending.append((op, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            ops, stamp = [op for op, _ in batch], self.stamp()
            try:
                results = await self.store.run(partial(_apply, ops, stamp))
            except Exception as exc:  # handed to every waiter, which re-raises it
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                future.set_result(result)


class _Engine:
    """Workers that take chats in turn: a chat's next part waits for its gap, others go on."""

    def __init__(
        self,
        store: StoreRunner,
        gate: FloodGate,
        options: DeliveryOptions,
        bots: Sequence[Bot],
        *,
        stamp: Callable[[], datetime],
        stop: Callable[[], bool],
    ) -> None:
        self.store, self.gate, self.options, self.bots = store, gate, options, bots
        self.stamp, self.stop = stamp, stop
        self.clock = gate.chats.clock
        self.report = PushReport()
        self._writer = _LedgerWriter(store, stamp)
        self._queue: ChatQueue[_Push] = ChatQueue(gate.chats, lambda push: push.chat.chat_id)
        self._fatal: TelegramError | None = None

    async def run(self, pushes: Sequence[_Push]) -> PushReport:
        started = time.perf_counter()
        self._queue.add(pushes)
        self.report.planned += len(pushes)
        workers = max(1, len(self.bots) * self.options.connections)
        async with asyncio.TaskGroup() as group:
            for number in range(workers):
                group.create_task(self._work(self.bots[number % len(self.bots)]))
        self.report.seconds = time.perf_counter() - started
        if self._fatal is not None:
            raise self._fatal
        return self.report

    async def _work(self, bot: Bot) -> None:
        while (push := await self._queue.take(self._stopped)) is not None:
            try:
                await self._send(push, bot)
            finally:
                self._queue.done()

    def queued(self) -> int:
        """Chats whose parts are not all sent yet (for the queue-depth gauge)."""
        return len(self._queue)

    def _stopped(self) -> bool:
        return self._fatal is not None or self.stop()

    async def _send(self, push: _Push, bot: Bot) -> None:
        # Pace before claiming: a claimed part must leave at once, or a crash while it
        # waited would leave an unsent part marked as possibly sent.
        await self.gate.pacer.reserve()
        key = push.key()
        if not await self._writer.write(Claim(key, len(push.texts), push.job.kind)):
            self.report.busy += 1  # another pusher holds this part; the chat is theirs
            return
        await self.gate.pacer.admit()
        chat = push.chat
        self.gate.chats.sent(chat.chat_id, group=chat.chat_type != "private")
        send = push.photo.send if push.photo is not None and key.part == 1 else send_text
        try:
            message_id = await send(
                bot,
                chat.chat_id,
                push.texts[key.part - 1],
                markup=push.markup if key.part == len(push.texts) else None,
                paid=self.options.paid_broadcast,
            )
        except TelegramError as exc:
            await self._refused(push, key, exc)
            return
        await self._writer.write(Finish(key, "sent", message_id))
        self.report.messages += 1
        del push.todo[0]
        push.attempts = push.floods = 0
        if push.todo:
            self._queue.later(push, self.gate.chats.ready_at(chat.chat_id))
        else:
            self.report.delivered += 1

    async def _refused(self, push: _Push, key: PartKey, exc: TelegramError) -> None:
        """Sort a failed send: pause, move, deactivate, retry later, or give up."""
        if isinstance(exc, InvalidToken):  # every send would fail: stop the run
            await self._writer.write(Finish(key, "retry", error="the bot token was rejected"))
            self._fatal = exc
        elif isinstance(exc, RetryAfter):
            await self._flooded(push, key, _seconds(exc.retry_after))
        elif isinstance(exc, ChatMigrated):
            await self._migrated(push, key, exc.new_chat_id)
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

    async def _flooded(self, push: _Push, key: PartKey, seconds: float) -> None:
        self.report.floods += 1
        push.floods += 1
        if push.floods > self.options.max_floods:
            await self._give_up(push, key, f"flood control: refused {push.floods} times")
            return
        await self._writer.write(
            Finish(key, "retry", error=f"flood control: retry after {seconds:g}s")
        )
        chat_id = push.chat.chat_id
        self.gate.chats.pause(chat_id, seconds)
        if self.gate.watch.refused(chat_id):
            self.gate.pacer.pause(seconds)
        self._queue.later(push, self.gate.chats.ready_at(chat_id))

    async def _migrated(self, push: _Push, key: PartKey, new_id: int) -> None:
        await self._writer.write(Finish(key, "migrated", error=f"migrated to {new_id}"))
        self.report.migrated += 1
        job, stamp = push.job, self.stamp()
        moved = await self.store.run(lambda s: follow_migration(s, job, new_id, stamp))
        if moved is not None:
            todo = list(range(1, len(push.texts) + 1))
            self._queue.add(
                [
                    _Push(
                        replace(job, chat=moved, delivered=frozenset()),
                        push.texts,
                        todo,
                        push.markup,
                    )
                ]
            )
            self.report.planned += 1

    async def _gone(self, push: _Push, key: PartKey, reason: str) -> None:
        await self._writer.write(Finish(key, "deactivated", error=reason))
        chat_id, stamp = push.chat.chat_id, self.stamp()
        await self.store.run(lambda s: Subscriptions(s).deactivate(chat_id, reason, stamp))
        self.report.deactivated += 1
        log.info("chat %s deactivated: %s", chat_id, reason, extra={"chat_id": chat_id})

    async def _give_up(self, push: _Push, key: PartKey, reason: str) -> None:
        await self._writer.write(Finish(key, "failed", error=reason))
        self.report.failed += 1
        self.report.errors.append((push.chat.chat_id, reason))
        chat_id = push.chat.chat_id
        log.warning("push to chat %s failed: %s", chat_id, reason, extra={"chat_id": chat_id})


def _fail(ledger: Ledger, job: PushJob, reason: str, stamp: datetime) -> None:
    ledger.fail(PartKey(job.date, job.version, job.chat.chat_id, 1), job.kind, reason, stamp)


def _apply(ops: list[Claim | Finish], stamp: datetime, store: Store) -> list[bool]:
    return Ledger(store).apply(ops, stamp)


def _seconds(value: float | timedelta) -> float:
    """PTB gives retry_after as a timedelta (PTB_TIMEDELTA=true) or as seconds."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


# -- the public functions: the delivery tick, `hotdigest push` and /rebuild --push ----------


def flood_gate(services: Services, options: DeliveryOptions) -> FloodGate:
    """The process's limiter, shared by every push it runs at once (tick and correction)."""
    gate = services.extras.get(GATE_KEY)
    if not isinstance(gate, FloodGate) or gate.limits != options.limits:
        gate = FloodGate.create(options.limits)
        services.extras[GATE_KEY] = gate
    gate.chats.prune()
    return gate


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
    pushes, report = await prepare(services.store, services.renderer, jobs, services.options)
    if plan is not None:
        report.skipped, report.busy = len(plan.skipped), plan.in_flight
    if not pushes:
        return report
    gate = flood_gate(services, options)
    senders = contextlib.nullcontext(list(bots)) if bots else push_senders(services, bot, options)
    async with senders as chosen:
        engine = _Engine(
            services.store, gate, options, chosen, stamp=utcnow, stop=stop or (lambda: False)
        )
        engine.report = report
        log.info("push run: %d chats", len(pushes))
        with services.metrics.queue(engine.queued):
            result = await engine.run(pushes)
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


async def prepare(
    store: StoreRunner,
    renderer: Renderer,
    jobs: Sequence[PushJob],
    options: BuildOptions | None = None,
) -> tuple[list[_Push], PushReport]:
    """Load each job's digest and render its parts (once per view); a bad view fails its chat.

    A chat with a source filter gets the digest rebuilt from those sources (once per
    distinct filter) when ``options`` are given.
    """
    keys = {(job.date, job.version, *_filter(job, options)) for job in jobs}

    def load(s: Store) -> tuple[dict[tuple[Any, ...], Digest | None], dict[Any, Any]]:
        found: dict[tuple[Any, ...], Digest | None] = {}
        for day, version, include, exclude in sorted(keys, key=lambda k: (k[2], k[3])):
            stored = found.get((day, version, (), ())) or get_digest(s, day, version)
            found[(day, version, include, exclude)] = (
                filtered_digest(s, stored, options, include, exclude)
                if stored is not None and options is not None
                else stored
            )
        # Issue 15: the chats' follow groups the digest they get cites.
        follows = {
            key: cited_follows(s, digest.sources, chats_of.get(key, ()))
            for key, digest in found.items()
            if digest is not None
        }
        return found, follows

    chats_of: dict[tuple[Any, ...], set[int]] = {}
    for job in jobs:
        key = (job.date, job.version, *_filter(job, options))
        chats_of.setdefault(key, set()).add(job.chat.chat_id)
    digests, follows = await store.run(load)
    rendered: dict[tuple[object, ...], list[str]] = {}
    markups: dict[tuple[object, ...], InlineKeyboardMarkup | None] = {}
    pictures: dict[tuple[object, ...], ChartPhoto | None] = {}
    photos: dict[ChartKey, ChartPhoto | None] = {}
    pushes, report, failed = [], PushReport(), []
    for job in jobs:
        chat, chosen = job.chat, _filter(job, options)
        digest = digests[(job.date, job.version, *chosen)]
        # The zone too: "generated at" is a tg-time for a reader in another zone.
        view = (
            job.date,
            job.version,
            job.kind,
            chat.mode,
            chat.sections,
            chat.language,
            chat.timezone,
            chosen,
            wants_chart(chat, job.kind),
        )
        try:
            if digest is None:
                raise DigestError(f"digest {job.date} v{job.version} is not stored")
            if view not in rendered:
                charted = None
                if wants_chart(chat, job.kind):
                    charted = await chart_parts(store, renderer, digest, chat, options, photos)
                pictures[view], rendered[view] = charted or (
                    None,
                    render_parts(renderer, digest, chat, job.kind),
                )
                markups[view] = push_keyboard(renderer.texts, digest, chat, len(rendered[view]))
        except DigestError as exc:
            failed.append((job, str(exc)))
            continue
        hits = follows.get((job.date, job.version, *chosen), {}).get(chat.chat_id)
        texts = with_follows(renderer.texts, rendered[view], hits or (), chat.language)
        todo = [n for n in range(1, len(texts) + 1) if n not in job.delivered]
        if todo:
            pushes.append(_Push(job, texts, todo, markups[view], pictures[view]))
    if failed:
        stamp = utcnow()
        await store.run(lambda s: [_fail(Ledger(s), job, why, stamp) for job, why in failed])
        report.failed = len(failed)
        report.errors = [(job.chat.chat_id, reason) for job, reason in failed]
    return pushes, report


def _filter(job: PushJob, options: BuildOptions | None) -> tuple[tuple[str, ...], ...]:
    """The chat's (include, exclude) source filter, or none when it cannot be applied."""
    if options is None:
        return ((), ())
    return (tuple(job.chat.include_sources), tuple(job.chat.exclude_sources))


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
