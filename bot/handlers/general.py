"""General commands: /start, /help, unknown commands and buttons, and the error handler."""

from __future__ import annotations

import logging
from functools import partial

from telegram import Update
from telegram.error import TelegramError

from digest import chat_settings, language_of, source_label

from ..context import BotContext
from ..delivery.outbox import Kind
from ..keyboards import subscribe_keyboard
from .common import defaults_for, reply, topic_of, turn_of

log = logging.getLogger(__name__)


async def start_command(update: Update, context: BotContext) -> None:
    """What the bot does, and a Subscribe button."""
    if (turn := await turn_of(update, context)) is None:
        return
    defaults = defaults_for(turn.chat, turn)
    sub = await turn.services.store.run(lambda store: chat_settings(store, defaults))
    names = [
        source_label(source.name, turn.lang, {source.name: source.display_name or ""})
        for source in turn.services.settings.sources
    ]
    markup = subscribe_keyboard(turn.chat.id, turn.texts, turn.lang)
    await reply(
        turn,
        "start",
        markup,
        subscribed=sub.active,
        push_time=f"{sub.push_time:%H:%M}",
        timezone=sub.timezone,
        sources=names,
    )


async def help_command(update: Update, context: BotContext) -> None:
    if (turn := await turn_of(update, context)) is None:
        return
    await reply(turn, "help", is_admin=turn.is_bot_admin)


async def unknown_command(update: Update, context: BotContext) -> None:
    """An unknown command gets the list of commands; plain text in private gets a hint."""
    if (turn := await turn_of(update, context)) is None or turn.message is None:
        return
    text = turn.message.text or ""
    if not text.startswith("/"):
        await reply(turn, "hint")
        return
    command, _, bot_name = text.split(maxsplit=1)[0].partition("@")
    if bot_name and bot_name.lower() != (turn.chat.get_bot().username or "").lower():
        return  # addressed to another bot in the group
    await reply(turn, "unknown", command=command)


async def on_shown_button(update: Update, context: BotContext) -> None:
    """A button for what the message already shows: only stop the client's spinner."""
    if update.callback_query is not None:
        await update.callback_query.answer()


async def on_unknown_button(update: Update, context: BotContext) -> None:
    """Data this bot never made (or an older release made): say the button no longer works."""
    query = update.callback_query
    if query is not None:
        user = update.effective_user
        lang = language_of(user.language_code if user else None) or "en"
        texts = context.services.renderer.texts
        await query.answer(texts.plain("invalid", lang), show_alert=True)


async def error_handler(update: object, context: BotContext) -> None:
    """Log the failure with its traceback; tell the chat briefly, never with details."""
    update_id = update.update_id if isinstance(update, Update) else None
    chat = update.effective_chat if isinstance(update, Update) else None
    chat_id = chat.id if chat else None
    log.error(
        "handling update %s in chat %s failed",
        update_id,
        chat_id,
        exc_info=context.error,
        extra={"chat_id": chat_id, "update_id": update_id},
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    user = update.effective_user
    settings_language = context.application.bot_data.get("language", "zh")
    lang = language_of(user.language_code if user else None) or settings_language
    chat, texts = update.effective_chat, context.services.renderer.texts
    thread = topic_of(update.effective_message) or None  # in the topic it came from
    apology = partial(chat.send_message, texts.html("apology", lang), message_thread_id=thread)
    try:
        group = chat.type != "private"
        await context.services.outbox.send(Kind.REPLY, chat.id, apology, group=group)
    except TelegramError as exc:  # the chat may be gone; the error is already logged
        log.warning(
            "could not apologise in chat %s: %s",
            chat.id,
            type(exc).__name__,
            extra={"chat_id": chat.id},
        )
