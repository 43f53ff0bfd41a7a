"""Users and chats of the fake, and what users do: write, press buttons, react, post in
channels, open and close topics.

Each action changes the fake's state as Telegram would and queues the update the bot
gets from getUpdates. :class:`UserActions` is a part of :class:`~.model.FakeTelegram`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .errors import JSONDict, bad_request
from .state import ChatState, Topic
from .topics import change_topic, create_topic, rename_topic


class UserActions:
    """Users and chats: registering them, and what users do (the methods tests and the
    ``/_fake/`` endpoints call)."""

    users: dict[int, JSONDict]
    chats: dict[int, ChatState]
    store: dict[tuple[int, int], JSONDict]
    reactions: dict[tuple[int, int, int], list[str]]
    _queries: dict[str, int]
    _query_ids: itertools.count[int]

    bot_id: int

    if TYPE_CHECKING:  # the update queue is the model's

        def _push_update(self, body: JSONDict) -> None: ...

    # -- users and chats ----------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str = "",
        language_code: str = "zh-hans",
        username: str | None = None,
    ) -> JSONDict:
        """Register a user; returns the Telegram ``User`` object."""
        user: JSONDict = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name or f"User {user_id}",
            "language_code": language_code,
        }
        if username:
            user["username"] = username
        self.users[user_id] = user
        return user

    def add_chat(
        self,
        chat_id: int,
        type: str = "private",  # Telegram's field name, though it shadows a builtin
        title: str | None = None,
        admins: tuple[int, ...] = (),
        bot_is_admin: bool = True,
        forum: bool = False,
    ) -> JSONDict:
        """Register a chat; returns the Telegram ``Chat`` object.

        :param forum: the chat has topics: a forum supergroup, or a private chat with
            topics enabled (Bot API 9.3).
        """
        if type not in ("private", "group", "supergroup", "channel"):
            raise ValueError(f"unknown chat type {type!r}")
        if forum and type not in ("private", "supergroup"):
            raise ValueError("only supergroups and private chats have topics")
        chat: JSONDict = {"id": chat_id, "type": type}
        if type == "private":
            user = self.users.get(chat_id) or self.add_user(chat_id)
            chat["first_name"] = user["first_name"]
            if "username" in user:
                chat["username"] = user["username"]
        else:
            chat["title"] = title or f"Chat {chat_id}"
        if forum and type == "supergroup":
            chat["is_forum"] = True
        self.chats[chat_id] = ChatState(chat, tuple(admins), bot_is_admin, forum=forum)
        return chat

    def chat_state(self, chat_id: int) -> ChatState:
        """The chat the bot addresses, with Telegram's errors for unknown or migrated chats."""
        state = self.chats.get(chat_id)
        if state is None:
            raise bad_request("chat not found")
        if state.migrated_to is not None:
            raise bad_request(
                "group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": state.migrated_to},
            )
        return state

    def migrate_group(self, old_id: int, new_id: int | None = None) -> int:
        """Upgrade a group to a supergroup, as Telegram does; returns the new chat id.

        Later calls to ``old_id`` fail with ``migrate_to_chat_id``; the bot gets the two
        service messages Telegram sends. A basic group has no topics; the supergroup
        starts without them too.
        """
        old = self.chats.get(old_id)
        if old is None or old.chat["type"] != "group":
            raise ValueError(f"chat {old_id} is not a group")
        new_id = new_id if new_id is not None else -1_000_000_000_000 - abs(old_id)
        self.add_chat(new_id, "supergroup", old.chat["title"], old.admins, old.bot_is_admin)
        owner = self.users.get(old.admins[0]) if old.admins else None
        extra: JSONDict = {"from": owner} if owner else {}
        self._user_message(old, {**extra, "migrate_to_chat_id": new_id})
        old.migrated_to = new_id
        self._user_message(self.chats[new_id], {**extra, "migrate_from_chat_id": old_id})
        return new_id

    def new_message(self, state: ChatState, fields: JSONDict) -> JSONDict:
        """Store a new message in the chat with the next message_id."""
        state.last_message_id += 1
        message = {
            "message_id": state.last_message_id,
            "date": int(time.time()),
            "chat": state.chat,
            **fields,
        }
        self.store[(state.chat["id"], state.last_message_id)] = message
        return message

    # -- messages, buttons, reactions -------------------------------------------------

    def user_sends(
        self, chat_id: int, user_id: int, text: str, thread_id: int | None = None
    ) -> JSONDict:
        """A user writes ``text`` in a chat (in forum topic ``thread_id``, if given); the
        bot will get it from getUpdates.

        Private chats are created on first contact; a ``/command`` at the start gets
        its ``bot_command`` entity, as Telegram adds it.
        """
        user = self.users.get(user_id) or self.add_user(user_id)
        state = self._chat_for(chat_id, user_id)
        fields: JSONDict = {"from": user, "text": text}
        if thread_id:
            topic = self._topic(state, thread_id)
            if topic.deleted or (topic.closed and user_id not in state.admins):
                raise ValueError(f"topic {thread_id} is closed or deleted")
            fields.update(message_thread_id=thread_id, is_topic_message=True)
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            length = len(command.encode("utf-16-le")) // 2
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._user_message(state, fields)

    def user_presses(self, chat_id: int, user_id: int, message_id: int, data: str) -> str:
        """A user presses an inline button; returns the callback query id.

        The query embeds the message as the bot last sent or edited it.
        """
        message = self.store.get((chat_id, message_id))
        if message is None:
            raise ValueError(f"no message {message_id} in chat {chat_id}")
        user = self.users.get(user_id) or self.add_user(user_id)
        query_id = str(4_000_000_000_000_000 + next(self._query_ids))
        self._queries[query_id] = 0
        query = {
            "id": query_id,
            "from": user,
            "message": message,
            "chat_instance": str(abs(chat_id) * 31 + 7),
            "data": data,
        }
        self._push_update({"callback_query": query})
        return query_id

    def user_reacts(
        self, chat_id: int, user_id: int, message_id: int, emojis: Sequence[str]
    ) -> None:
        """A user sets their reactions on a message (an empty list removes them)."""
        if (chat_id, message_id) not in self.store:
            raise ValueError(f"no message {message_id} in chat {chat_id}")
        user = self.users.get(user_id) or self.add_user(user_id)
        key = (chat_id, message_id, user_id)
        old, self.reactions[key] = self.reactions.get(key, []), list(emojis)
        self._push_update(
            {
                "message_reaction": {
                    "chat": self.chats[chat_id].chat,
                    "message_id": message_id,
                    "user": user,
                    "date": int(time.time()),
                    "old_reaction": [{"type": "emoji", "emoji": e} for e in old],
                    "new_reaction": [{"type": "emoji", "emoji": e} for e in emojis],
                }
            }
        )

    def reaction_totals(self, chat_id: int, message_id: int, totals: Mapping[str, int]) -> None:
        """Anonymous reactions changed (channels): Telegram sends only the new totals."""
        self._push_update(
            {
                "message_reaction_count": {
                    "chat": self.chats[chat_id].chat,
                    "message_id": message_id,
                    "date": int(time.time()),
                    "reactions": [
                        {"type": {"type": "emoji", "emoji": e}, "total_count": n}
                        for e, n in totals.items()
                    ],
                }
            }
        )

    def channel_post(self, chat_id: int, text: str) -> JSONDict:
        """A post appears in a channel the bot administers."""
        state = self.chats.get(chat_id)
        if state is None or state.chat["type"] != "channel":
            raise ValueError(f"chat {chat_id} is not a channel")
        return self._user_message(state, {"sender_chat": state.chat, "text": text}, "channel_post")

    # -- forum topics -------------------------------------------------------------------

    # A member's topic changes leave service messages, which reach the bot as updates.

    def create_topic(self, chat_id: int, name: str, user_id: int | None = None) -> int:
        """A member (default: the chat's owner) opens a topic; returns its thread id."""
        state = self.chats[chat_id]
        thread = create_topic(self, state, name, self._actor(state, user_id)).thread_id
        self._push_update({"message": self.store[(chat_id, thread)]})
        return thread

    def rename_topic(
        self, chat_id: int, thread_id: int, name: str, user_id: int | None = None
    ) -> None:
        state = self.chats[chat_id]
        message = rename_topic(self, state, thread_id, name, self._actor(state, user_id))
        self._push_update({"message": message})

    def close_topic(self, chat_id: int, thread_id: int, user_id: int | None = None) -> None:
        """An administrator closes a topic: only administrators may post in it now."""
        self._change_topic(chat_id, thread_id, "close", user_id)

    def reopen_topic(self, chat_id: int, thread_id: int, user_id: int | None = None) -> None:
        self._change_topic(chat_id, thread_id, "reopen", user_id)

    def _change_topic(self, chat_id: int, thread_id: int, change: str, user_id: int | None) -> None:
        state = self.chats[chat_id]
        message = change_topic(self, state, thread_id, change, self._actor(state, user_id))
        if message is not None:
            self._push_update({"message": message})

    def delete_topic(self, chat_id: int, thread_id: int, user_id: int | None = None) -> None:
        """An administrator deletes a topic with all its messages."""
        state = self.chats[chat_id]
        change_topic(self, state, thread_id, "delete", self._actor(state, user_id))

    def _topic(self, state: ChatState, thread_id: int) -> Topic:
        topic = state.topics.get(thread_id)
        if topic is None:
            raise ValueError(f"chat {state.chat['id']} has no topic {thread_id}")
        return topic

    def _actor(self, state: ChatState, user_id: int | None) -> JSONDict:
        chosen = user_id if user_id is not None else (state.admins or (state.chat["id"],))[0]
        return self.users.get(chosen) or self.add_user(chosen)

    # -- helpers ------------------------------------------------------------------------

    def _chat_for(self, chat_id: int, user_id: int) -> ChatState:
        state = self.chats.get(chat_id)
        if state is None:
            if chat_id > 0 and chat_id != user_id:
                raise ValueError("a private chat's id is its user's id")
            self.add_chat(chat_id, "private" if chat_id > 0 else "group")
            state = self.chats[chat_id]
        if state.migrated_to is not None:
            raise ValueError(f"chat {chat_id} was migrated to {state.migrated_to}")
        return state

    def _user_message(self, state: ChatState, fields: JSONDict, kind: str = "message") -> JSONDict:
        message = self.new_message(state, fields)
        self._push_update({kind: message})
        return message
