"""Shared handler steps: the resolved turn, language, replies and edits, permissions."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from telegram import (
    CallbackQuery,
    Chat,
    ChatFullInfo,
    ChatMember,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden

from digest import (
    BotTexts,
    ChatDefaults,
    SourceFilter,
    chat_reading,
    language_of,
)

from ..context import BotContext
from ..delivery.outbox import Kind
from ..parsing import ArgumentError, parse_nothing
from ..services import Services

log = logging.getLogger(__name__)

ADMIN_STATUSES = (ChatMember.ADMINISTRATOR, ChatMember.OWNER)


@dataclass(frozen=True, slots=True)
class Turn:
    """An update resolved once: its chat, message, user, the language to reply in, and the
    forum topic it came from (``thread_id``, 0 for none: replies and settings go there)."""

    chat: Chat
    message: Message | None
    user: User | None
    lang: str
    services: Services
    thread_id: int = 0
    sources: SourceFilter = ((), ())  # the chat's (topic's) source filter: (include, exclude)

    @property
    def texts(self) -> BotTexts:
        return self.services.renderer.texts

    @property
    def is_bot_admin(self) -> bool:
        return self.user is not None and self.user.id in self.services.settings.admins


async def turn_of(update: Update, context: BotContext) -> Turn | None:
    """The update's chat, language (stored setting, else the user's, else the config's)
    and source filter."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return None
    services, message = context.services, update.effective_message
    thread = topic_of(message)
    reading = await services.store.run(lambda store: chat_reading(store, chat.id, thread))
    lang = reading.language or language_of(user.language_code if user else None)
    lang = lang or services.settings.language
    return Turn(chat, message, user, lang, services, thread, reading.sources)


def topic_of(message: Message | None) -> int:
    """The forum topic a message is in (supergroup forums, private chats with topics), or 0.

    Only ``is_topic_message`` counts: elsewhere message_thread_id names a reply chain.
    """
    if message is None or not message.is_topic_message:
        return 0
    return message.message_thread_id or 0


AnyChat = Chat | ChatFullInfo  # getChat answers with the latter


def defaults_for(chat: AnyChat, turn: Turn) -> ChatDefaults:
    """A chat's settings before it chose any: the config's, in the asker's language."""
    settings = turn.services.settings
    title = None if chat.type == ChatType.PRIVATE else chat.title  # no user names stored
    thread = turn.thread_id if chat.id == turn.chat.id else 0  # a channel named from elsewhere
    return ChatDefaults(
        chat.id, chat.type, title, turn.lang, settings.push_time, settings.timezone, thread
    )


async def send(turn: Turn, parts: list[str], markup: InlineKeyboardMarkup | None = None) -> None:
    """Send ``parts`` in order through the outbox, the first as a reply; the keyboard goes
    on the last one. Each waits its turn (replies go ahead of pushes) and is never given
    up on a 429."""
    outbox, chat = turn.services.outbox, turn.chat
    for n, part in enumerate(parts):
        keyboard = markup if n == len(parts) - 1 else None
        call: Callable[[], Awaitable[Message]]
        if turn.message is not None:
            quote = None if n == 0 else False  # None: PTB quotes in groups, not in private
            call = partial(turn.message.reply_text, part, reply_markup=keyboard, do_quote=quote)
        else:
            call = partial(
                chat.send_message,
                part,
                reply_markup=keyboard,
                message_thread_id=turn.thread_id or None,
            )
        await outbox.send(Kind.REPLY, chat.id, call, group=chat.type != ChatType.PRIVATE)


async def send_photo(turn: Turn, png: bytes, caption: str) -> None:
    """Send a chart as a photo with its caption (a reply when there is a message), in its
    turn through the outbox."""
    chat = turn.chat
    call: Callable[[], Awaitable[Message]]
    if turn.message is not None:
        call = partial(turn.message.reply_photo, png, caption=caption or None, do_quote=None)
    else:
        call = partial(
            chat.send_photo, png, caption=caption or None, message_thread_id=turn.thread_id or None
        )
    await turn.services.outbox.send(Kind.REPLY, chat.id, call, group=chat.type != ChatType.PRIVATE)


async def reply(
    turn: Turn, name: str, markup: InlineKeyboardMarkup | None = None, **values: Any
) -> None:
    """Render the reply ``name`` in the chat's language (in a thread) and send it."""
    parts = await asyncio.to_thread(turn.texts.messages, name, turn.lang, **values)
    await send(turn, parts, markup)


async def explain(turn: Turn, error: ArgumentError) -> None:
    """The reply to a bad argument: what is wrong and the command's valid forms."""
    await reply(turn, "usage", command=error.command, problem=error.problem, value=error.value)


async def edit(
    turn: Turn, query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Replace a message's text and keyboard (in the chat's turn, through the outbox); an
    edit into the same content is not an error.

    Keyboards never offer what is already shown (ShownButton), but two quick presses of
    one button can still race into the same edit.
    """
    call = partial(query.edit_message_text, text, reply_markup=markup)
    try:
        await turn.services.outbox.send(Kind.REPLY, turn.chat.id, call, edit=True)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


def in_channel(turn: Turn) -> bool:
    """Whether this turn is in a channel (refusals name a channel, not a group)."""
    return turn.chat.type == ChatType.CHANNEL


async def is_chat_admin(chat: Chat, user: User | None, sender_chat: Chat | None = None) -> bool:
    """True in private chats and for the administrators of a group or channel.

    :param sender_chat: the sender of a typed command, where an anonymous group
        administrator writes as the group itself. Never a button's message: that is
        the bot's own, and in a channel it always carries the channel as its sender;
        on a button only the presser counts.
    """
    if chat.type == ChatType.PRIVATE:
        return True
    if sender_chat is not None:
        return sender_chat.id == chat.id and chat.type != ChatType.CHANNEL
    if user is None:
        return False
    try:
        member = await chat.get_member(user.id)
    except (BadRequest, Forbidden):  # not a member, or the bot may not see the members
        return False
    return member.status in ADMIN_STATUSES


async def may_press(turn: Turn, query: CallbackQuery) -> bool:
    """Whether the presser of a button may change this chat: its administrators, and in a
    channel (where anyone who can read may press) also the bot's admins."""
    if turn.chat.type == ChatType.CHANNEL and query.from_user.id in turn.services.settings.admins:
        return True
    return await is_chat_admin(turn.chat, query.from_user)


async def may_press_for(turn: Turn, query: CallbackQuery, chat_id: int) -> bool:
    """:func:`may_press` for a button that names ``chat_id``, which must be this chat; when
    not, the presser is told so in an alert."""
    if chat_id == turn.chat.id and await may_press(turn, query):
        return True
    await query.answer(
        turn.texts.plain("admins_only", turn.lang, channel=in_channel(turn)), show_alert=True
    )
    return False


async def find_channel(turn: Turn, target: int | str) -> AnyChat | str:
    """The channel a bot admin named, or why it cannot be managed (a template's ``kind``)."""
    bot = turn.chat.get_bot()
    try:
        chat = await bot.get_chat(target)
    except (BadRequest, Forbidden):
        return "not_found"
    if chat.type != ChatType.CHANNEL:
        return "not_channel"
    member = await chat.get_member(bot.id)
    return chat if member.status in ADMIN_STATUSES else "bot_not_admin"


async def managed_chat(turn: Turn, target: int | str | None, command: str) -> AnyChat | None:
    """The chat a settings command acts on, if this user may change it; else reply why.

    Groups: their administrators. Channels: the bot's admins, from anywhere, naming the
    channel; inside a channel the reply says how.
    """
    if target is not None:
        if not turn.is_bot_admin:
            await reply(turn, "bot_admins_only", command=f"/{command} {target}")
            return None
        found = await find_channel(turn, target)
        if isinstance(found, str):
            await reply(turn, "target_problem", kind=found, target=str(target))
            return None
        return found
    if turn.chat.type == ChatType.CHANNEL:
        await reply(turn, "channel_how", chat_id=turn.chat.id)
        return None
    sender = turn.message.sender_chat if turn.message is not None else None
    if not await is_chat_admin(turn.chat, turn.user, sender):
        await reply(turn, "admins_only", channel=in_channel(turn))
        return None
    return turn.chat


async def no_arguments(turn: Turn, args: list[str] | None, command: str) -> bool:
    """False (after explaining) when a command that takes no arguments got some."""
    try:
        parse_nothing(args or [], command)
    except ArgumentError as exc:
        await explain(turn, exc)
        return False
    return True
