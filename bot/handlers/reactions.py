"""Reactions on pushed digests: stored per digest version and chat as readers' feedback."""

from __future__ import annotations

from telegram import ReactionType, ReactionTypeCustomEmoji, ReactionTypeEmoji, Update

from digest import ANONYMOUS_REACTOR, record_reactions

from ..context import BotContext

CUSTOM, PAID = "custom", "⭐"


def reaction_key(reaction: ReactionType) -> str:
    """The emoji itself; custom emoji and paid stars each count as one kind."""
    if isinstance(reaction, ReactionTypeEmoji):
        return str(reaction.emoji)
    return CUSTOM if isinstance(reaction, ReactionTypeCustomEmoji) else PAID


async def on_reaction(update: Update, context: BotContext) -> None:
    """A reader's reactions (or a channel's totals) changed on a message; keep the new set.

    Messages that are not pushed digests are ignored by the domain.
    """
    chat = update.effective_chat
    counts: dict[str, int] = {}
    if (changed := update.message_reaction) is not None:
        actor = changed.user or changed.actor_chat
        reactor = actor.id if actor is not None else ANONYMOUS_REACTOR
        message_id = changed.message_id
        for reaction in changed.new_reaction:
            counts[reaction_key(reaction)] = counts.get(reaction_key(reaction), 0) + 1
    elif (totals := update.message_reaction_count) is not None:
        reactor, message_id = ANONYMOUS_REACTOR, totals.message_id
        for count in totals.reactions:
            key = reaction_key(count.type)
            counts[key] = counts.get(key, 0) + count.total_count
    else:
        return
    if chat is None:
        return
    services = context.services
    now = services.clock()
    await services.store.run(
        lambda store: record_reactions(store, chat.id, message_id, reactor, counts, now)
    )
