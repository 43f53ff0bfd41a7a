"""/digest and /sources and their buttons: views, pages and sources of one digest version."""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass, replace
from datetime import date
from typing import TypeVar

from telegram import CallbackQuery, Update

from digest import ChartError, Digest, Store, digest_versions, get_digest, is_week, last_build

from ..buttons import SourceButton, SourcesButton, ViewButton, decode_as
from ..context import BotContext
from ..keyboards import PAGE_SIZE, digest_keyboard, sources_keyboard
from ..parsing import ArgumentError, DigestArgs, parse_digest, parse_sources
from .common import Turn, edit, explain, reply, send, send_photo, turn_of

log = logging.getLogger(__name__)


async def stored_digest(turn: Turn, day: str, version: int) -> Digest | None:
    """A digest version as the chat sees it (its source filter applied, as in its pushes),
    from the views kept or else from the store."""
    views = turn.services.views
    if (found := views.digest(day, version)) is None:
        found = await turn.services.store.run(lambda store: get_digest(store, day, version))
        if found is not None:
            views.keep_digest(found)
    return None if found is None else await turn.services.as_seen_by(found, turn.sources)


@dataclass(frozen=True, slots=True)
class Found:
    """The digest a command shows, the newest date with one, and a newer day left empty."""

    digest: Digest | None
    latest: str | None
    empty_day: str | None = None  # a newer (or the asked) day whose build found no posts


def newest(store: Store, day: str | None) -> tuple[list[tuple[str, int]], str | None]:
    """Digests with posts (date, version), newest first, and the day a build found empty:
    ``day`` itself, or (without one) the newest day built if its build was empty."""
    versions = [(d, v) for d, v, *_ in digest_versions(store, with_posts=True)]
    record = last_build(store, day)
    return versions, record.date if record is not None and record.outcome == "empty" else None


async def load_digest(turn: Turn, day: date | None) -> Found:
    """The latest version of ``day`` (or of the newest day with posts), and why not newer."""
    asked = day.isoformat() if day else None
    versions, empty = await turn.services.store.run(lambda store: newest(store, asked))
    latest = versions[0][0] if versions else None
    wanted = asked or latest
    found = next((version for d, version in versions if d == wanted), None)  # newest first
    if found is not None and (asked is not None or (latest or "") >= (empty or "")):
        empty = None  # the day has a digest; an older empty day says nothing about it
    if wanted is None or found is None:
        return Found(None, latest, empty)
    return Found(await stored_digest(turn, wanted, found), latest, empty)


async def load_week(turn: Turn, asked: str | None) -> Found:
    """The latest version of week ``asked`` (YYYY-Www), or of the newest weekly digest (a
    week without posts is never stored)."""
    versions = await turn.services.store.run(
        lambda store: digest_versions(store, with_posts=True, weeks=True)
    )
    found = next(((w, v) for w, v, *_ in versions if asked in (None, w)), None)
    if found is None:
        return Found(None, versions[0][0] if versions else None)
    return Found(await stored_digest(turn, *found), found[0])


async def load_version(turn: Turn, day: str, version: int) -> tuple[Digest | None, int | None]:
    """The version a button was made for, and the newest version of its day if newer."""
    weeks = is_week(day)
    versions = await turn.services.store.run(lambda s: digest_versions(s, weeks=weeks))
    newest = next((v for d, v, *_ in versions if d == day), None)
    asked = await stored_digest(turn, day, version)
    return asked, newest if newest is not None and newest > version else None


async def render(turn: Turn, digest: Digest, view: str, lang: str) -> list[str]:
    """Telegram messages of a view: kept ones, or rendered off the event loop (Jinja2)."""
    views = turn.services.views
    if (pages := views.pages(digest, view, lang)) is None:
        pages = await asyncio.to_thread(turn.services.renderer.telegram, digest, view, lang)
        views.keep_pages(digest, view, lang, pages)
    return pages


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
    if (digest := await asked_digest(turn, args)) is None:
        return
    if args.chart:
        await send_chart(turn, digest)
    elif args.section is not None:
        await send(turn, await render(turn, digest, args.section, turn.lang))
    else:
        await show_view(turn, None, ViewButton(digest.date, digest.version, "push"), digest, None)


async def asked_digest(turn: Turn, args: DigestArgs) -> Digest | None:
    """The digest /digest asked for (a day's or a week's); else say why there is none, and
    when the newest day had no posts, say so before showing the latest with posts."""
    if args.week:
        found = await load_week(turn, args.week_key)
        if found.digest is None:
            await reply(turn, "no_week", week=args.week_key, latest=found.latest)
        return found.digest
    found = await load_digest(turn, args.day)
    if found.empty_day is not None:
        asked = args.day is not None
        await reply(turn, "empty_day", day=found.empty_day, latest=found.latest, asked=asked)
    elif found.digest is None:
        day = args.day.isoformat() if args.day else None
        await reply(turn, "no_digest", day=day, latest=found.latest)
    return found.digest


async def send_chart(turn: Turn, digest: Digest) -> None:
    """The heat chart as a photo, the brief push as its caption; what did not fit follows."""
    try:
        png = await turn.services.chart(digest, turn.lang, turn.sources)
    except ChartError as exc:  # the digest is still there: say so, then show its text
        log.warning("no heat chart for %s v%d: %s", digest.date, digest.version, exc)
        await reply(turn, "no_chart")
        await show_view(turn, None, ViewButton(digest.date, digest.version, "push"), digest, None)
        return
    renderer = turn.services.renderer
    caption, rest = await asyncio.to_thread(renderer.telegram_caption, digest, turn.lang)
    await send_photo(turn, png, caption)
    if rest:
        await send(turn, rest)


async def show_view(
    turn: Turn, query: CallbackQuery | None, at: ViewButton, digest: Digest, newer: int | None
) -> None:
    """One page of a view in a message with the digest keyboard: sent, or edited in place."""
    pages = await render(turn, digest, at.view, turn.lang)
    at = replace(at, page=min(at.page, len(pages) - 1))
    markup = digest_keyboard(at, len(pages), turn.texts, turn.lang, newer)
    if query is None:
        await send(turn, [pages[at.page]], markup)
    else:
        await edit(turn, query, pages[at.page], markup)


B = TypeVar("B", ViewButton, SourcesButton, SourceButton)


async def pressed(
    update: Update, context: BotContext, kind: type[B]
) -> tuple[Turn, CallbackQuery, B, Digest, int | None] | None:
    """A digest button's turn, query, data and digest version, answered; None if gone.

    Every digest button carries its digest's date and version, so an old message's
    buttons still find their version (and say when a newer one exists).
    """
    query = update.callback_query
    if query is None or (turn := await turn_of(update, context)) is None:
        return None
    button = decode_as(query.data, kind)
    digest, newer = await load_version(turn, button.day, button.version)
    if (shown := await acknowledge(turn, query, digest, newer)) is None:
        return None
    return turn, query, button, shown, newer


async def on_view_button(update: Update, context: BotContext) -> None:
    """Switch section or page in place; an old version's buttons keep working."""
    if (found := await pressed(update, context, ViewButton)) is not None:
        turn, query, button, digest, newer = found
        await show_view(turn, query, button, digest, newer)


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
    found = await load_digest(turn, args.day)
    digest = found.digest
    if digest is None:
        day = args.day.isoformat() if args.day else None
        await reply(turn, "no_digest", day=day, latest=found.latest)
    elif args.left_out:
        await show_left_out(turn, digest)
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
        names=digest.facts.get("source_names", {}),
    )
    markup = sources_keyboard(at, [e.index for e in entries], pages, newer)
    if query is None:
        await send(turn, [text], markup)
    else:
        await edit(turn, query, text, markup)


LEFT_OUT_SHOWN = 25  # one message: 25 short lines stay far below 4096 characters


async def show_left_out(turn: Turn, digest: Digest) -> None:
    """The window's posts the digest did not cite (``digest.max_posts``), hottest first."""
    posts = digest.facts.get("left_out", [])
    entries = posts if isinstance(posts, list) else []
    await reply(
        turn,
        "left_out_list",
        entries=entries[:LEFT_OUT_SHOWN],
        total=len(entries),
        date=digest.date,
        names=digest.facts.get("source_names", {}),
    )


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
    names = digest.facts.get("source_names", {})
    await reply(
        turn,
        "source_detail",
        entry=entry,
        cites=cites,
        date=digest.date,
        version=digest.version,
        names=names,
    )


async def on_sources_button(update: Update, context: BotContext) -> None:
    """Turn a page of the source list in place."""
    if (found := await pressed(update, context, SourcesButton)) is not None:
        turn, query, button, digest, newer = found
        await show_sources(turn, query, button, digest, newer)


async def on_source_button(update: Update, context: BotContext) -> None:
    """Send one source in full below the list."""
    if (found := await pressed(update, context, SourceButton)) is not None:
        turn, _, button, digest, _ = found
        await show_source(turn, digest, button.index)
