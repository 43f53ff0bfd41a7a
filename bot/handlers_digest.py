"""/digest and /sources and their buttons: views, pages and sources of one digest version."""

from __future__ import annotations

import asyncio
import math
from dataclasses import replace
from datetime import date

from telegram import CallbackQuery, Update

from digest import Digest, Store, digest_versions, get_digest, latest_digest
from digest.render import render_telegram

from .context import BotContext
from .handlers import Turn, edit, explain, reply, send, turn_of
from .keyboards import (
    PAGE_SIZE,
    SourceButton,
    SourcesButton,
    ViewButton,
    decode_as,
    digest_keyboard,
    sources_keyboard,
)
from .parsing import ArgumentError, parse_digest, parse_sources


async def load_digest(turn: Turn, day: date | None) -> tuple[Digest | None, str | None]:
    """The latest version of ``day`` (or of the newest day), and the newest date stored."""

    def load(store: Store) -> tuple[Digest | None, str | None]:
        found = latest_digest(store, day.isoformat() if day else None)
        versions = digest_versions(store)
        return found, versions[0][0] if versions else None

    return await turn.services.store.run(load)


async def load_version(turn: Turn, day: str, version: int) -> tuple[Digest | None, int | None]:
    """The version a button was made for, and the newest version of its day if newer."""

    def load(store: Store) -> tuple[Digest | None, int | None]:
        asked = get_digest(store, day, version)
        newest = latest_digest(store, day)
        return asked, newest.version if newest and newest.version > version else None

    return await turn.services.store.run(load)


async def render(digest: Digest, view: str, lang: str) -> list[str]:
    """Telegram messages of a view, rendered off the event loop (Jinja2 and splitting)."""
    return await asyncio.to_thread(render_telegram, digest, view, lang)


async def acknowledge(
    turn: Turn, query: CallbackQuery, digest: Digest | None, newer: int | None
) -> Digest | None:
    """Answer a digest button, saying plainly if its digest is gone or has a newer version."""
    if digest is None:
        await query.answer(turn.texts.plain("gone", turn.lang), show_alert=True)
        return None
    await query.answer(turn.texts.plain("newer", turn.lang, version=newer) if newer else None)
    return digest


# -- /digest ---------------------------------------------------------------------------


async def digest_command(update: Update, context: BotContext) -> None:
    """The overview with section buttons, or one section in full."""
    if (turn := await turn_of(update, context)) is None:
        return
    try:
        args = parse_digest(context.args or [])
    except ArgumentError as exc:
        await explain(turn, exc)
        return
    digest, latest = await load_digest(turn, args.day)
    if digest is None:
        await reply(
            turn, "no_digest", day=args.day.isoformat() if args.day else None, latest=latest
        )
    elif args.section is not None:
        await send(turn, await render(digest, args.section, turn.lang))
    else:
        await show_view(turn, None, ViewButton(digest.date, digest.version, "push"), digest, None)


async def show_view(
    turn: Turn, query: CallbackQuery | None, at: ViewButton, digest: Digest, newer: int | None
) -> None:
    """One page of a view in a message with the digest keyboard: sent, or edited in place."""
    pages = await render(digest, at.view, turn.lang)
    at = replace(at, page=min(at.page, len(pages) - 1))
    markup = digest_keyboard(at, len(pages), turn.texts, turn.lang, newer)
    if query is None:
        await send(turn, [pages[at.page]], markup)
    else:
        await edit(query, pages[at.page], markup)


async def on_view_button(update: Update, context: BotContext) -> None:
    """Switch section or page in place; an old version's buttons keep working."""
    query = update.callback_query
    if query is None or (turn := await turn_of(update, context)) is None:
        return
    button = decode_as(query.data, ViewButton)
    digest, newer = await load_version(turn, button.day, button.version)
    if (shown := await acknowledge(turn, query, digest, newer)) is not None:
        await show_view(turn, query, button, shown, newer)


# -- /sources --------------------------------------------------------------------------


async def sources_command(update: Update, context: BotContext) -> None:
    """The numbered source list, paged; with a number, that source in full."""
    if (turn := await turn_of(update, context)) is None:
        return
    try:
        args = parse_sources(context.args or [])
    except ArgumentError as exc:
        await explain(turn, exc)
        return
    digest, latest = await load_digest(turn, args.day)
    if digest is None:
        await reply(
            turn, "no_digest", day=args.day.isoformat() if args.day else None, latest=latest
        )
    elif args.index is None:
        await show_sources(turn, None, SourcesButton(digest.date, digest.version), digest, None)
    else:
        await show_source(turn, digest, args.index)


async def show_sources(
    turn: Turn, query: CallbackQuery | None, at: SourcesButton, digest: Digest, newer: int | None
) -> None:
    """A page of the source list (titles shortened, so a page fits one message)."""
    pages = max(1, math.ceil(len(digest.sources) / PAGE_SIZE))
    at = replace(at, page=min(at.page, pages - 1))
    entries = digest.sources[at.page * PAGE_SIZE : (at.page + 1) * PAGE_SIZE]
    text = await asyncio.to_thread(
        turn.texts.html,
        "source_list",
        turn.lang,
        entries=entries,
        page=at.page + 1,
        pages=pages,
        date=digest.date,
        version=digest.version,
        total=len(digest.sources),
    )
    markup = sources_keyboard(at, [e.index for e in entries], pages, newer)
    if query is None:
        await send(turn, [text], markup)
    else:
        await edit(query, text, markup)


async def show_source(turn: Turn, digest: Digest, index: int) -> None:
    """Title, link, site, heat, author, brief, and every digest line citing the source."""
    if not 1 <= index <= len(digest.sources):
        await reply(turn, "no_source", index=index, total=len(digest.sources), date=digest.date)
        return
    lang = turn.lang if turn.lang in digest.sections else digest.language
    cites = [
        {"section": digest.section(section, lang).title, "text": statement.text}
        for section, statement in digest.citing(index, lang)
    ]
    entry = digest.source(index)
    await reply(
        turn, "source_detail", entry=entry, cites=cites, date=digest.date, version=digest.version
    )


async def on_sources_button(update: Update, context: BotContext) -> None:
    """Turn a page of the source list in place."""
    query = update.callback_query
    if query is None or (turn := await turn_of(update, context)) is None:
        return
    button = decode_as(query.data, SourcesButton)
    digest, newer = await load_version(turn, button.day, button.version)
    if (shown := await acknowledge(turn, query, digest, newer)) is not None:
        await show_sources(turn, query, button, shown, newer)


async def on_source_button(update: Update, context: BotContext) -> None:
    """Send one source in full below the list."""
    query = update.callback_query
    if query is None or (turn := await turn_of(update, context)) is None:
        return
    button = decode_as(query.data, SourceButton)
    digest, newer = await load_version(turn, button.day, button.version)
    if (shown := await acknowledge(turn, query, digest, newer)) is not None:
        await show_source(turn, shown, button.index)
