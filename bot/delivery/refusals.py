"""What a push run does with a refused send: pause, move, deactivate, retry later, or give up.

A chat's daily push may carry the weekly push that follows it (``Push.then``). Whatever
happens to the day, the week is not silently dropped: after a day given up the week is
still sent (a reader expects the week whether or not the day arrived); after a migration
it follows the day to the new chat id; when the chat blocked the bot or is gone (or its
topic closed), it cannot be sent and is recorded in the ledger with the day's status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from digest import Claim, Finish, PartKey, PushJob, Subscriptions, follow_migration, topic_problem

from ..services import StoreRunner
from .ledger import LedgerWriter
from .limits import retry_seconds
from .options import DeliveryOptions, PushReport
from .outbox import Outbox
from .prepare import Push
from .queue import ChatQueue

log = logging.getLogger(__name__)


class Refusals:
    """Sorts a push run's refused sends; ``fatal`` is set when no send can succeed."""

    def __init__(
        self,
        store: StoreRunner,
        outbox: Outbox,
        options: DeliveryOptions,
        writer: LedgerWriter,
        queue: ChatQueue[Push | PushJob],
        report: PushReport,
        *,
        stamp: Callable[[], datetime],
        make: Callable[[PushJob], Push],
    ) -> None:
        self.store, self.outbox, self.options = store, outbox, options
        self.writer, self.queue, self.report = writer, queue, report
        self.stamp = stamp
        self.make = make  # a queued job's Push (its view's texts), as a worker makes it
        self.fatal: TelegramError | None = None

    async def sort(self, push: Push, key: PartKey, exc: TelegramError) -> None:
        """Sort a failed send: pause, move, deactivate, retry later, or give up."""
        if isinstance(exc, InvalidToken):  # every send would fail: stop the run
            await self.writer.write(Finish(key, "retry", error="the bot token was rejected"))
            self.fatal = exc
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
            await self.writer.write(Finish(key, "retry", error=exc.message))
            delay = self.options.backoff * 2 ** (push.attempts - 1)
            self.queue.later(push, self.outbox.clock() + min(delay, self.options.backoff_cap))

    async def _flooded(self, push: Push, key: PartKey, seconds: float) -> None:
        self.report.floods += 1
        push.floods += 1
        if push.floods > self.options.max_floods:
            await self._give_up(push, key, f"flood control: refused {push.floods} times")
            return
        await self.writer.write(
            Finish(key, "retry", error=f"flood control: retry after {seconds:g}s")
        )
        chat_id = push.chat.chat_id
        self.outbox.refused(chat_id, seconds)  # this chat; several at once: every push
        self.queue.later(push, self.outbox.ready_at(chat_id))

    async def _migrated(self, push: Push, key: PartKey, new_id: int) -> None:
        """The group became a supergroup: the push, and the week after it, go to the new id
        (if that chat is subscribed and has not had them yet)."""
        await self.writer.write(Finish(key, "migrated", error=f"migrated to {new_id}"))
        self.report.migrated += 1
        day = await self._follow(push, new_id)
        week = None
        if push.then is not None:
            week = self.make(push.then) if isinstance(push.then, PushJob) else push.then
            week = await self._follow(week, new_id)
            if week is None:
                await self._settle(push.then, "migrated", f"migrated to {new_id}")
        if day is not None:
            day.then = week
            self.queue.add([day])
        elif week is not None:
            self.queue.add([week])

    async def _follow(self, push: Push, new_id: int) -> Push | None:
        """``push`` whole, to the migrated chat; None if that chat should not get it."""
        job, stamp = push.job, self.stamp()
        moved = await self.store.run(lambda s: follow_migration(s, job, new_id, stamp))
        if moved is None:
            return None
        todo = list(range(1, len(push.texts) + 1))
        again = Push(replace(job, chat=moved, delivered=frozenset()), push.texts, todo)
        again.markup, again.photo, again.preview = push.markup, push.photo, push.preview
        self.report.planned += 1
        return again

    async def _gone(self, push: Push, key: PartKey, reason: str, *, topic: bool = False) -> None:
        """The chat blocked the bot or is gone (every topic of it stops), or with ``topic``
        its forum topic was closed or deleted (that topic's subscription pauses)."""
        await self.writer.write(Finish(key, "deactivated", error=reason))
        if push.then is not None:  # the week cannot reach it either
            await self._settle(push.then, "deactivated", reason)
        chat_id, stamp = push.chat.chat_id, self.stamp()
        thread_id = push.chat.thread_id if topic else None
        await self.store.run(
            lambda s: Subscriptions(s).deactivate(chat_id, reason, stamp, thread_id)
        )
        self.report.deactivated += 1
        where = f" topic {thread_id}" if thread_id else ""
        log.info("chat %s%s deactivated: %s", chat_id, where, reason, extra={"chat_id": chat_id})

    async def _give_up(self, push: Push, key: PartKey, reason: str) -> None:
        await self.writer.write(Finish(key, "failed", error=reason))
        self.report.failed += 1
        chat_id = push.chat.chat_id
        self.report.errors.append((chat_id, reason))
        log.warning("push to chat %s failed: %s", chat_id, reason, extra={"chat_id": chat_id})
        if push.then is not None:  # the day failed, the week may well arrive
            self.queue.later(push.then, self.outbox.ready_at(chat_id))

    async def _settle(self, then: Push | PushJob, status: str, reason: str) -> None:
        """Record a follow-up push that will not be sent: its next part, with ``status``."""
        week = self.make(then) if isinstance(then, PushJob) else then
        key = week.key()
        if await self.writer.write(Claim(key, len(week.texts), week.job.kind)):
            await self.writer.write(Finish(key, status, error=reason))
