"""/follow, /following, /unfollow and their buttons; the "and N more" button of alerts.

In groups and channels only the chat's administrators change follows (the same check as
/subscribe: ``is_chat_admin``); anyone may look at them.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from telegram import CallbackQuery, Update
from telegram.constants import ChatType

from digest import (
    AlertSettings,
    Follow,
    Follows,
    Store,
    UsageError,
    load_batch,
    matching_posts,
    parse_expression,
    parse_group,
    parse_quiet,
)

from ..buttons import AlertButton, FollowButton, decode_as
from ..context import BotContext
from ..follow_alerts import PAGE, pages_of, render_alert
from ..keyboards import alert_keyboard, following_keyboard
from .common import Turn, edit, in_channel, is_chat_admin, may_press_for, reply, send, turn_of

PREVIEW_HOURS = 24
PREVIEW_ITEMS = 5


def expression_of(text: str | None) -> str:
    """What follows the command (``/follow@bot``) in the message, newlines kept."""
    parts = (text or "").split(maxsplit=1)
    return parts[1] if len(parts) == 2 else ""


def following_change(args: list[str]) -> tuple[str, str] | None:
    """``/following alerts on`` and the like as (setting, value); None just lists.

    :raises UsageError: not one of the forms.
    """
    if not args:
        return None
    if len(args) == 2 and args[0] in {"alerts", "quiet", "max"}:
        return args[0], args[1]
    raise UsageError("use /following alerts on|off, quiet HH:MM-HH:MM|off, or max N")


def changed(settings: AlertSettings, setting: str, value: str) -> AlertSettings:
    """The alert settings after one typed change; UsageError for a bad value."""
    if setting == "alerts":
        if value.lower() not in {"on", "off"}:
            raise UsageError(f"{value!r} is not on or off")
        return replace(settings, alerts=value.lower() == "on", off_reason=None)
    if setting == "quiet":
        return replace(settings, quiet=parse_quiet(value))
    if not value.isdigit():
        raise UsageError(f"{value!r} is not a number of alerts per day")
    return replace(settings, max_per_day=int(value))


async def may_change(turn: Turn) -> bool:
    """Private chats, a group's administrators, a channel's posts; else reply why not."""
    sender = turn.message.sender_chat if turn.message is not None else None
    if turn.chat.type == ChatType.CHANNEL:
        # Only a channel's administrators can post in it, so a command posted there
        # (the channel as its sender) comes from one of them.
        allowed = sender is not None and sender.id == turn.chat.id
    else:
        allowed = await is_chat_admin(turn.chat, turn.user, sender)
    if not allowed:
        await reply(turn, "admins_only", channel=in_channel(turn))
    return allowed


async def follow_command(update: Update, context: BotContext) -> None:
    """Add follow groups; reply with what they match and the last 24 hours' matches."""
    if (turn := await turn_of(update, context)) is None:
        return
    text = expression_of(turn.message.text if turn.message else None)
    try:
        groups = await asyncio.to_thread(parse_expression, text)
    except UsageError as exc:
        await reply(turn, "follow_problem", reason=str(exc))
        return
    if not await may_change(turn):
        return
    chat_id, now, lang, thread = turn.chat.id, turn.services.clock(), turn.lang, turn.thread_id
    exclude = [parse_group(t, checked=True) for t in turn.services.settings.digest_exclude]

    def add(store: Store) -> tuple[list[Follow], list[object]]:
        follows = Follows(store)
        added = follows.add(chat_id, groups, now, thread)  # alerts go to the topic it came from
        follows.save_settings(replace(follows.settings(chat_id), language=lang), now)
        start = now - timedelta(hours=PREVIEW_HOURS)
        return added, list(matching_posts(store, groups, start, now, exclude))

    try:
        added, preview = await turn.services.store.run(add)
    except UsageError as exc:
        await reply(turn, "follow_problem", reason=str(exc))
        return
    await reply(
        turn,
        "follow_added",
        added=added,
        preview=preview[:PREVIEW_ITEMS],
        count=len(preview),
    )


async def following_command(update: Update, context: BotContext) -> None:
    """List the groups with buttons; ``alerts``, ``quiet`` and ``max`` change the settings."""
    if (turn := await turn_of(update, context)) is None:
        return
    try:
        change = following_change(context.args or [])
    except UsageError as exc:
        await reply(turn, "follow_problem", reason=str(exc))
        return
    if change is not None:
        if not await may_change(turn):
            return
        try:
            await save_alert_settings(turn, *change)
        except UsageError as exc:
            await reply(turn, "follow_problem", reason=str(exc))
            return
    await show_following(turn, None)


async def save_alert_settings(turn: Turn, setting: str, value: str) -> None:
    chat_id, now = turn.chat.id, turn.services.clock()

    def save(store: Store) -> None:
        follows = Follows(store)
        follows.save_settings(changed(follows.settings(chat_id), setting, value), now)

    await turn.services.store.run(save)


async def show_following(turn: Turn, query: CallbackQuery | None) -> None:
    chat_id = turn.chat.id

    def load(store: Store) -> tuple[list[Follow], AlertSettings]:
        follows = Follows(store)
        return follows.of_chat(chat_id), follows.settings(chat_id)

    follows, settings = await turn.services.store.run(load)
    text = turn.texts.html("following", turn.lang, follows=follows, settings=settings, channel=None)
    rows = [(f.number, f.id, f.paused) for f in follows]
    markup = following_keyboard(chat_id, rows, settings.alerts, turn.texts, turn.lang)
    if query is None:
        await send(turn, [text], markup)
    else:
        await edit(turn, query, text, markup)


async def unfollow_command(update: Update, context: BotContext) -> None:
    """Remove a group by its number in /following or its name."""
    if (turn := await turn_of(update, context)) is None:
        return
    ref = " ".join(context.args or [])
    if not ref:
        await reply(turn, "follow_problem", reason="/unfollow needs a number or a name")
        return
    if not await may_change(turn):
        return
    chat_id = turn.chat.id

    def remove(store: Store) -> Follow:
        follow = Follows(store).find(chat_id, ref)
        Follows(store).remove(chat_id, follow.id)
        return follow

    try:
        gone = await turn.services.store.run(remove)
    except UsageError as exc:
        await reply(turn, "follow_problem", reason=str(exc))
        return
    await reply(turn, "unfollowed", label=gone.label)


async def on_follow_button(update: Update, context: BotContext) -> None:
    """Pause, resume or remove a group, or switch alerts; then redraw the list in place."""
    query = update.callback_query
    if query is None or (turn := await turn_of(update, context)) is None:
        return
    button = decode_as(query.data, FollowButton)
    if not await may_press_for(turn, query, button.chat_id):
        return
    chat_id, now = turn.chat.id, turn.services.clock()

    def apply(store: Store) -> None:
        follows = Follows(store)
        if button.action == "remove":
            follows.remove(chat_id, button.follow_id)
        elif button.action in {"pause", "resume"}:
            follows.pause(chat_id, button.follow_id, button.action == "pause")
        else:
            on = button.action == "alerts_on"
            follows.save_settings(replace(follows.settings(chat_id), alerts=on), now)

    await turn.services.store.run(apply)
    await query.answer(turn.texts.plain("saved", turn.lang))
    await show_following(turn, query)


async def on_alert_button(update: Update, context: BotContext) -> None:
    """Turn an alert message's pages: the items behind "and N more"."""
    query = update.callback_query
    if query is None or (turn := await turn_of(update, context)) is None:
        return
    button = decode_as(query.data, AlertButton)
    batch = await turn.services.store.run(lambda store: load_batch(store, button.batch_id))
    pages = pages_of(batch) if batch is not None else 0
    if batch is None or batch.chat_id != turn.chat.id or button.page >= pages:
        await query.answer(turn.texts.plain("invalid", turn.lang), show_alert=True)
        return
    await query.answer()
    more = len(batch.items) - PAGE
    text = render_alert(turn.texts, batch, turn.lang, button.page)
    markup = alert_keyboard(batch.id, button.page, pages, more, turn.texts, turn.lang)
    await edit(turn, query, text, markup)
