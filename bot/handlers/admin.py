"""The bot admins' commands: /rebuild, /stats and /ingest."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

from telegram import Update
from telegram.constants import ChatAction

from digest import (
    BuildOptions,
    Digest,
    SavedDigest,
    Store,
    build_digest,
    collect_stats,
    compare_digests,
    digest_versions,
    ingest_in_thread,
    make_source,
    zone,
)

from ..config import ingest_proxies
from ..context import BotContext
from ..delivery.engine import push_correction
from ..parsing import ArgumentError, parse_rebuild
from .common import Turn, explain, no_arguments, reply, turn_of


async def admitted(turn: Turn, command: str) -> bool:
    """True for the bot's admins; everyone else gets a polite refusal."""
    if not turn.is_bot_admin:
        await reply(turn, "bot_admins_only", command=f"/{command}")
    return turn.is_bot_admin


def rebuild(store: Store, day: date | None, options: BuildOptions, now: datetime) -> SavedDigest:
    """Build ``day`` (default: the newest digest's, else today) unless its input is unchanged."""
    if day is None:
        versions = digest_versions(store)
        today = now.astimezone(zone(options.timezone)).date()
        day = date.fromisoformat(versions[0][0]) if versions else today
    return build_digest(store, day, options, now, force=False)


async def rebuild_command(update: Update, context: BotContext) -> None:
    """Rebuild a digest and report what changed against the version it replaces."""
    if (turn := await turn_of(update, context)) is None or not await admitted(turn, "rebuild"):
        return
    try:
        args = parse_rebuild(context.args or [])
    except ArgumentError as exc:
        await explain(turn, exc)
        return
    await turn.chat.send_action(ChatAction.TYPING)
    options = turn.services.options
    now = turn.services.clock()
    saved = await turn.services.store.run(lambda s: rebuild(s, args.day, options, now))
    new, old = saved.digest, saved.previous
    change = compare_digests(old, new) if old is not None else None
    await reply(
        turn, "rebuild", day=new.date, created=saved.created, version=new.version, change=change
    )
    if args.push:
        await push(turn, context, old if saved.created else None, new)


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
    settings = turn.services.settings
    sources = [make_source(s.kind, s.name, s.options) for s in settings.sources]
    results = await asyncio.to_thread(
        ingest_in_thread,
        settings.db_path,
        sources,
        settings.ingest_timeout,
        settings.ingest_max_body_bytes,
        ingest_proxies(settings),
    )
    await reply(turn, "ingest", results=results)
