"""The bot admins' commands: /rebuild, /stats and /ingest."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date, datetime
from functools import partial
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest

from digest import (
    DayBuild,
    Digest,
    Store,
    collect_stats,
    compare_digests,
    digest_versions,
    zone,
)

from ..builds import build
from ..context import BotContext
from ..delivery.engine import push_correction
from ..delivery.outbox import Kind
from ..jobs import after_ingest, fetch_sources
from ..llm import llm_config
from ..parsing import ArgumentError, parse_rebuild
from .common import Turn, explain, no_arguments, reply, turn_of

PROGRESS_GAP = 1.0  # seconds between two progress edits of /rebuild's message


async def admitted(turn: Turn, command: str) -> bool:
    """True for the bot's admins; everyone else gets a polite refusal."""
    if not turn.is_bot_admin:
        await reply(turn, "bot_admins_only", command=f"/{command}")
    return turn.is_bot_admin


def default_day(store: Store, now: datetime, timezone: str) -> date:
    """What /rebuild without a date rebuilds: the newest digest's day, else today."""
    versions = digest_versions(store, with_posts=True)
    return date.fromisoformat(versions[0][0]) if versions else now.astimezone(zone(timezone)).date()


class Progress:
    """/rebuild's one message, edited as the build goes: stages, then the result.

    Edits are coalesced and spaced by ``PROGRESS_GAP``: an LLM build reports its steps
    faster than Telegram lets a chat's message change; the latest step wins.
    """

    def __init__(self, turn: Turn, day: date, model: str | None) -> None:
        self.turn, self.day, self.model = turn, day, model
        self.message: Message | None = None
        self._shown = ""
        self._last = 0.0  # loop time of the last send or edit: one per PROGRESS_GAP
        self._stage: tuple[str, str] | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        text = self._shown = self._render("collecting", "")
        turn, chat = self.turn, self.turn.chat
        send = turn.message.reply_text if turn.message is not None else chat.send_message
        group = chat.type != ChatType.PRIVATE
        self.message = await turn.services.outbox.send(
            Kind.REPLY, chat.id, partial(send, text), group=group
        )
        self._last = asyncio.get_running_loop().time()

    def update(self, stage: str, detail: str) -> None:
        """Called on the event loop for each build step."""
        self._stage = (stage, detail)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._edit_stages())

    async def finish(self, text: str) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        # Telegram allows about one message (edits too) per second in a chat.
        await asyncio.sleep(self._last + PROGRESS_GAP - asyncio.get_running_loop().time())
        await self._edit(text)

    async def _edit_stages(self) -> None:
        while self._stage is not None:
            await asyncio.sleep(self._last + PROGRESS_GAP - asyncio.get_running_loop().time())
            stage, self._stage = self._stage, None
            await self._edit(self._render(*stage))

    def _render(self, stage: str, detail: str) -> str:
        section = "" if detail == "offline" else detail
        values = {"day": self.day.isoformat(), "stage": stage, "section": section}
        return self.turn.texts.html("rebuild_progress", self.turn.lang, model=self.model, **values)

    async def _edit(self, text: str) -> None:
        if self.message is None or text == self._shown:
            return
        self._shown = text
        self._last = asyncio.get_running_loop().time()
        try:
            edit = partial(self.message.edit_text, text)
            await self.turn.services.outbox.send(Kind.REPLY, self.turn.chat.id, edit, edit=True)
        except BadRequest as exc:  # the same text again is not an error
            if "not modified" not in exc.message.lower():
                raise


async def rebuild_command(update: Update, context: BotContext) -> None:
    """Rebuild a digest, reporting progress in one edited message, then what changed."""
    if (turn := await turn_of(update, context)) is None or not await admitted(turn, "rebuild"):
        return
    try:
        args = parse_rebuild(context.args or [])
    except ArgumentError as exc:
        await explain(turn, exc)
        return
    services, now = turn.services, turn.services.clock()
    tz = services.settings.timezone
    day = args.day if args.day else await services.store.run(lambda s: default_day(s, now, tz))
    config = llm_config(services.settings)
    progress = Progress(turn, day, config.model if config else None)
    await progress.start()
    built = await build(services, context.bot, day, now, progress=progress.update)
    await progress.finish(await result_text(turn, built))
    if args.push and built.saved is not None:
        saved = built.saved
        await push(turn, context, saved.previous if saved.created else None, saved.digest)


async def result_text(turn: Turn, built: DayBuild) -> str:
    """/rebuild's last word: what was stored and why, or that the day had no posts."""
    if built.saved is None:
        versions = await turn.services.store.run(lambda s: digest_versions(s, with_posts=True))
        start, end = (m.astimezone(zone(turn.services.settings.timezone)) for m in built.window)
        values: dict[str, Any] = {
            "day": built.day.isoformat(),
            "start": start.strftime("%Y-%m-%d %H:%M"),
            "end": end.strftime("%Y-%m-%d %H:%M"),
            "latest": versions[0][0] if versions else None,
        }
        return turn.texts.html("rebuild_empty", turn.lang, **values)
    new, old = built.saved.digest, built.saved.previous
    return turn.texts.html(
        "rebuild",
        turn.lang,
        day=new.date,
        created=built.saved.created,
        version=new.version,
        change=compare_digests(old, new) if old is not None else None,
        writer=new.footer.writer,
        reason=built.llm_reason,
        upgraded=built.upgraded,
    )


async def push(turn: Turn, context: BotContext, old: Digest | None, new: Digest) -> None:
    """Send ``new`` as a correction to the chats that received ``old``, and report."""
    if old is None:  # unchanged, or a first version: the scheduled push sends that
        await reply(turn, "nothing_to_correct", version=new.version)
        return
    report = await push_correction(turn.services, context.bot, old, new)
    await reply(turn, "correction", version=new.version, report=report)


async def stats_command(update: Update, context: BotContext) -> None:
    """Subscribers by type, the last push's figures and each source's last fetch."""
    if (turn := await turn_of(update, context)) is None or not await admitted(turn, "stats"):
        return
    if await no_arguments(turn, context.args, "stats"):
        stats = await turn.services.store.run(collect_stats)
        await reply(turn, "stats", s=stats)


async def ingest_command(update: Update, context: BotContext) -> None:
    """Fetch every configured source now and report each one's result."""
    if (turn := await turn_of(update, context)) is None or not await admitted(turn, "ingest"):
        return
    if not await no_arguments(turn, context.args, "ingest"):
        return
    await turn.chat.send_action(ChatAction.TYPING)
    async with turn.services.ingest_lock:
        results = await fetch_sources(turn.services)
        await reply(turn, "ingest", results=results)
        await after_ingest(turn.services, context.bot, results)
