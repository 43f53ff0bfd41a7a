"""/subscribe, /unsubscribe and /settings, typed or with buttons; the Subscribe button."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from telegram import CallbackQuery, Update
from telegram.constants import ChatType

from digest import (
    Edit,
    Subscription,
    Subscriptions,
    UsageError,
    chat_settings,
    edit_settings,
    subscribe_chat,
    topic_names,
    unsubscribe_chat,
)

from ..buttons import SettingsButton, SubscribeButton, decode_as
from ..context import BotContext
from ..keyboards import settings_edit, settings_keyboard
from ..parsing import ArgumentError, parse_settings, parse_subscribe, parse_unsubscribe
from .common import (
    AnyChat,
    Turn,
    defaults_for,
    edit,
    explain,
    find_channel,
    in_channel,
    managed_chat,
    may_press,
    may_press_for,
    reply,
    send,
    turn_of,
)


def source_names(turn: Turn) -> list[str]:
    return [source.name for source in turn.services.settings.sources]


def language_for(turn: Turn, sub: Subscription) -> str:
    """A chat's own settings speak its (maybe just changed) language; a channel's, the asker's."""
    return sub.language if sub.chat_id == turn.chat.id else turn.lang


def channel_title(chat: AnyChat, turn: Turn) -> str | None:
    """A chat managed from elsewhere (a channel) is named in replies."""
    return None if chat.id == turn.chat.id else chat.title or str(chat.id)


async def subscribe_command(update: Update, context: BotContext) -> None:
    """Subscribe this chat (or, for bot admins, a channel) with a push time and zone."""
    if (turn := await turn_of(update, context)) is None:
        return
    try:
        args = parse_subscribe(context.args or [])
    except ArgumentError as exc:
        await explain(turn, exc)
        return
    if (chat := await managed_chat(turn, args.target, "subscribe")) is None:
        return
    defaults = defaults_for(chat, turn)
    now = turn.services.clock()
    sub = await turn.services.store.run(
        lambda store: subscribe_chat(
            store, defaults, now, args.push_time, args.timezone, args.weekly
        )
    )
    await reply(turn, "subscribed", sub=sub, channel=channel_title(chat, turn))


async def unsubscribe_command(update: Update, context: BotContext) -> None:
    if (turn := await turn_of(update, context)) is None:
        return
    try:
        target = parse_unsubscribe(context.args or [])
    except ArgumentError as exc:
        await explain(turn, exc)
        return
    if (chat := await managed_chat(turn, target, "unsubscribe")) is None:
        return
    now, thread = turn.services.clock(), defaults_for(chat, turn).thread_id
    done = await turn.services.store.run(
        lambda store: unsubscribe_chat(store, chat.id, now, thread)
    )
    await reply(turn, "unsubscribed", done=done, channel=channel_title(chat, turn))


async def settings_command(update: Update, context: BotContext) -> None:
    """Show the settings with their keyboard; with arguments, change one first."""
    if (turn := await turn_of(update, context)) is None:
        return
    try:
        args = parse_settings(context.args or [], source_names(turn))
    except ArgumentError as exc:
        await explain(turn, exc)
        return
    # Anyone may look at a group's settings; changing them is for its administrators.
    viewing = args.change is None and args.target is None and turn.chat.type != ChatType.CHANNEL
    chat = turn.chat if viewing else await managed_chat(turn, args.target, "settings")
    if chat is None:
        return
    sub = await save_settings(turn, chat, args.change)
    await show_settings(turn, None, sub, "main")


async def save_settings(turn: Turn, chat: AnyChat, change: Edit | None) -> Subscription:
    """The chat's settings after ``change`` (saved), or as they are."""
    defaults = defaults_for(chat, turn)
    if change is None:
        return await turn.services.store.run(lambda store: chat_settings(store, defaults))
    now = turn.services.clock()
    return await turn.services.store.run(lambda store: edit_settings(store, defaults, change, now))


async def show_settings(
    turn: Turn, query: CallbackQuery | None, sub: Subscription, menu: str
) -> None:
    """The settings text and the keyboard of ``menu``; in the chat's (maybe new) language."""
    own = sub.chat_id == turn.chat.id
    lang = language_for(turn, sub)
    names = source_names(turn)
    preview = sub.link_preview or turn.services.settings.link_preview
    chat_id = sub.chat_id
    rows, labels = await turn.services.store.run(
        lambda store: (Subscriptions(store).topics(chat_id), topic_names(store, chat_id))
    )
    text = await asyncio.to_thread(
        turn.texts.html,
        "settings",
        lang,
        sub=sub,
        channel=None if own else sub.title,
        sources=names,
        preview=preview,
        topics=[row for row in rows if row.thread_id != sub.thread_id],
        names=labels,
    )
    markup = settings_keyboard(replace(sub, link_preview=preview), menu, names, turn.texts, lang)
    if query is None:
        await send(turn, [text], markup)
    else:
        await edit(turn, query, text, markup)


async def pressed_chat(turn: Turn, query: CallbackQuery, chat_id: int) -> AnyChat | None:
    """The chat a settings button changes, if the presser may; else answer why not."""
    if chat_id != turn.chat.id:
        found = await find_channel(turn, chat_id) if turn.is_bot_admin else "refused"
        if not isinstance(found, str):
            return found
        await query.answer(turn.texts.plain("invalid", turn.lang), show_alert=True)
        return None
    if await may_press(turn, query):
        return turn.chat
    await query.answer(
        turn.texts.plain("admins_only", turn.lang, channel=in_channel(turn)), show_alert=True
    )
    return None


async def on_settings_button(update: Update, context: BotContext) -> None:
    """Open a menu or change one setting, then redraw the settings in place."""
    query = update.callback_query
    if query is None or (turn := await turn_of(update, context)) is None:
        return
    button = decode_as(query.data, SettingsButton)
    if (chat := await pressed_chat(turn, query, button.chat_id)) is None:
        return
    try:
        change, menu = settings_edit(button, source_names(turn))
        sub = await save_settings(turn, chat, change)
    except UsageError:  # the last section switched off, or a button of an older keyboard
        name = "keep_one" if button.action == "section" else "invalid"
        await query.answer(turn.texts.plain(name, turn.lang), show_alert=True)
        return
    await query.answer(turn.texts.plain("saved", language_for(turn, sub)) if change else None)
    await show_settings(turn, query, sub, menu)


async def on_subscribe_button(update: Update, context: BotContext) -> None:
    """The Subscribe button of /start: subscribe this chat with its settings."""
    query = update.callback_query
    if query is None or (turn := await turn_of(update, context)) is None:
        return
    button = decode_as(query.data, SubscribeButton)
    if not await may_press_for(turn, query, button.chat_id):
        return
    defaults = defaults_for(turn.chat, turn)
    now = turn.services.clock()
    sub = await turn.services.store.run(lambda store: subscribe_chat(store, defaults, now))
    await query.answer(turn.texts.plain("saved", turn.lang))
    await reply(turn, "subscribed", sub=sub, channel=None)
