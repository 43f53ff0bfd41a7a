"""Forum topics' service messages: a topic's name, its closing and its reopening."""

from __future__ import annotations

import logging

from telegram import Update

from digest import close_topic, name_topic, reopen_topic

from ..context import BotContext
from ..follow_alerts import resend_alerts
from .common import topic_of

log = logging.getLogger(__name__)


async def on_topic_message(update: Update, context: BotContext) -> None:
    """A topic was created, renamed, closed or reopened: keep its name; pause what goes
    there while it is closed, and resume it (with the alerts it refused) once reopened."""
    message, chat = update.effective_message, update.effective_chat
    thread = topic_of(message)
    if message is None or chat is None or not thread:
        return
    services, chat_id = context.services, chat.id
    now = services.clock()
    named = message.forum_topic_created or message.forum_topic_edited
    if named is not None and named.name:
        name = named.name
        await services.store.run(lambda s: name_topic(s, chat_id, thread, name, now))
    elif message.forum_topic_closed is not None or message.forum_topic_reopened is not None:
        closing = message.forum_topic_closed is not None
        change = close_topic if closing else reopen_topic
        done = await services.store.run(lambda s: change(s, chat_id, thread, now))
        what = "closed: push paused" if closing else "reopened: push resumed"
        log.info(
            "chat %s topic %s %s %s, %d follow groups, %d alerts to send again",
            *(chat_id, thread, what, done.push, done.follows, len(done.resend)),
        )
        if done.resend:
            # Not awaited here: this chat's updates wait for this handler (ChatOrder), and
            # the resend takes the chat's turns (a group's: one every few seconds). The
            # Application awaits the task when it stops and hands its errors to the
            # error handler with this update.
            context.application.create_task(
                resend_alerts(services, context.bot, done.resend),
                update=update,
                name=f"resend_alerts {chat_id}/{thread}",
            )
