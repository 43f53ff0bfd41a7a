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

A chat's week follows its day (``Push.then``); whether its parts may go yet is the
ledger's to say, for every pusher at once (``Claimed.WAIT``: the chat's day is still
being sent, here or by another pusher), so a week is never sent between its day's parts.

The pace is the bot's one outbox (``Services.outbox``): pushes take their turns there
behind command replies. What a refused send leads to is ``bot.delivery.refusals``'s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from telegram import Bot
from telegram.error import TelegramError

from digest import Claim, Claimed, Finish, PartKey, PushJob

from ..services import StoreRunner
from .client import Bodies, send_text
from .ledger import LedgerWriter
from .options import DeliveryOptions, PushReport
from .outbox import Kind, Outbox, OutboxClosedError
from .prepare import Prepared, Push
from .queue import ChatQueue
from .refusals import Refusals

# Seconds before a week whose day is still being sent claims again: that day's parts go a
# second apart at best (Telegram's pace for one chat), so looking sooner finds nothing new.
WAIT = 1.0


class PushRun:
    """Workers that take chats in turn: a chat's next part waits for its gap, others go on."""

    def __init__(
        self,
        store: StoreRunner,
        outbox: Outbox,
        options: DeliveryOptions,
        prepared: Prepared,
        report: PushReport,
        *,
        stamp: Callable[[], datetime],
        stop: Callable[[], bool],
    ) -> None:
        self.outbox, self.options, self.prepared, self.report = outbox, options, prepared, report
        self.stop = stop
        self._bodies = Bodies()  # each part's text encoded once for all its chats
        self._writer = LedgerWriter(
            store, stamp, options.ledger_gather, stale_after=options.stale_after
        )
        self._queue: ChatQueue[Push | PushJob] = ChatQueue(outbox.chats, lambda i: i.chat.chat_id)
        writer, queue = self._writer, self._queue
        self._refusals = Refusals(
            store, outbox, options, writer, queue, report, stamp=stamp, make=prepared.push
        )

    async def run(self, bots: Sequence[Bot]) -> PushReport:
        """Send every prepared push through ``bots``; the report, or the error that ended it."""
        started = time.perf_counter()
        self._queue.add(self.prepared.first)  # a chat's second push follows its first
        self.report.planned += len(self.prepared)
        workers = max(1, len(bots) * self.options.connections)
        try:
            async with asyncio.TaskGroup() as group:
                for number in range(workers):
                    group.create_task(self._work(bots[number % len(bots)]))
        finally:
            # The sent parts' outcomes, posted without waiting: even when a worker failed,
            # each reaches the ledger, or a restart would find it `unconfirmed`.
            await self._writer.drain()
        self.report.seconds = time.perf_counter() - started
        if self._refusals.fatal is not None:
            raise self._refusals.fatal
        return self.report

    def queued(self) -> int:
        """Chats whose parts are not all sent yet (for the queue-depth gauge)."""
        return len(self._queue)

    async def _work(self, bot: Bot) -> None:
        while (item := await self._queue.take(self._stopped)) is not None:
            # Its turn: the Push is made now (a big run would otherwise hold one per chat).
            push = item if isinstance(item, Push) else self.prepared.push(item)
            try:
                await self._send(push, bot)
            finally:
                self._queue.done()

    def _stopped(self) -> bool:
        return self._refusals.fatal is not None or self.outbox.closed or self.stop()

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
        claimed = await self._writer.write(Claim(key, len(push.texts), push.job.kind))
        if not claimed:
            self.outbox.forgo(chat.chat_id, group=group)  # its turn's place frees at once
            if claimed is Claimed.WAIT:  # a week while its day is being sent: look again
                again = max(self.outbox.ready_at(chat.chat_id), self.outbox.clock() + WAIT)
                self._queue.later(push, again)
                return
            self.report.busy += 1  # another pusher holds this part; this push is theirs
            self._next(push)
            return
        departure = await self.outbox.depart(chat.chat_id, group=group)
        try:
            message_id = await self.outbox.timed(departure, self._post(push, key, bot))
        except TelegramError as exc:
            await self._refusals.sort(push, key, exc)
            return
        self._writer.post(Finish(key, "sent", message_id))  # not awaited (LedgerWriter.post)
        self.report.messages += 1
        del push.todo[0]
        push.attempts = push.floods = 0
        if push.todo:
            self._queue.later(push, self.outbox.ready_at(chat.chat_id))
        else:
            self.report.delivered += 1
            self._next(push)

    def _next(self, push: Push) -> None:
        """The chat's next push (its week after its day), once this one is over for this
        run: whether its parts may go yet is the ledger's to say (``Claimed.WAIT``)."""
        if push.then is not None:
            self._queue.later(push.then, self.outbox.ready_at(push.chat.chat_id))

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
            bodies=self._bodies,
        )
