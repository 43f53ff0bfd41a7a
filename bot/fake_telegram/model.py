"""The fake's state: bot, users, chats, messages, the update queue, records and injections."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, InjectedTimeout, JSONDict, bad_request, too_many_requests
from .limits import FloodControl, FloodLimits
from .methods import dispatch
from .records import Journal

# Update kinds Telegram sends only to a bot that lists them in allowed_updates.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

# Injection kinds and the error each one serves.
INJECTION_KINDS = ("blocked", "not_found", "migrate", "server_error", "timeout", "flood")
MAX_QUERY_ANSWERS = 1  # Telegram accepts exactly one answer per callback query


@dataclass
class ChatState:
    """One chat as Telegram sees it, plus what the fake needs to answer about it."""

    chat: JSONDict  # the Chat object returned inside messages
    admins: tuple[int, ...] = ()
    bot_is_admin: bool = True
    last_message_id: int = 0
    migrated_to: int | None = None


@dataclass
class Injection:
    """A scripted failure for the next ``remaining`` calls touching ``chat_id``."""

    chat_id: int | None
    kind: str
    remaining: int | None
    retry_after: int = 3
    code: int = 500
    hold: float | None = None

    def fire(self) -> None:
        """Raise the error this injection serves."""
        if self.kind == "blocked":
            raise ApiError(403, "bot was blocked by the user")
        if self.kind == "not_found":
            raise bad_request("chat not found")
        if self.kind == "server_error":
            raise ApiError(self.code)
        if self.kind == "flood":
            raise too_many_requests(self.retry_after)
        raise InjectedTimeout(self.hold)


class FakeTelegram:
    """An in-memory Telegram: pure state and Bot API method handlers, no I/O.

    Both transports (:class:`~bot.fake_telegram.request.FakeRequest` in-process and
    :func:`~bot.fake_telegram.http.serve_http`) call :meth:`call`. Use it from one event loop.
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        bot_id: int | None = None,
        bot_username: str = "hotdigest_bot",
        limits: FloodLimits | None = FloodLimits(),  # noqa: B008 - frozen, safe to share
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        prefix = token.partition(":")[0]
        self.token = token
        self.bot_id = bot_id if bot_id is not None else int(prefix) if prefix.isdigit() else 1
        self.bot_username = bot_username
        self.clock = clock
        self.flood = FloodControl(limits, clock) if limits is not None else None
        self.users: dict[int, JSONDict] = {}
        self.chats: dict[int, ChatState] = {}
        self.store: dict[tuple[int, int], JSONDict] = {}  # current Message objects
        self.journal = Journal(clock)
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        # ("description" | "short_description", language code or "") -> text
        self.descriptions: dict[tuple[str, str], str] = {}
        self.webhook: JSONDict | None = None
        # What getUpdates/setWebhook last asked for; None is Telegram's default set.
        self.allowed_updates: frozenset[str] | None = None
        self.reactions: dict[tuple[int, int, int], list[str]] = {}  # (chat, message, user)
        self.photos: dict[str, JSONDict] = {}  # file_id -> PhotoSize and "content" (bytes)
        self._queries: dict[str, int] = {}  # callback query id -> answers given
        self._updates: list[JSONDict] = []
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._waiters: list[asyncio.Future[None]] = []
        self._injections: list[Injection] = []

    # -- the bot -------------------------------------------------------------------

    @property
    def bot_user(self) -> JSONDict:
        """The bot as a Telegram ``User``, as getMe returns it."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "HotDigest",
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def call(
        self, token: str, method: str, params: Mapping[str, Any]
    ) -> tuple[int, JSONDict]:
        """Run one Bot API call; return (HTTP status, JSON body) as Telegram would.

        :raises InjectedTimeout: the transport must time out instead of answering.
        """
        self.journal.counters.requests += 1
        try:
            result = await dispatch(self, token, method, params)
        except ApiError as exc:
            self.journal.counters.errors_by_code[exc.code] += 1
            if exc.code == 429:
                self.journal.counters.served_429 += 1
            return exc.code, exc.payload()
        except InjectedTimeout:
            self.journal.counters.timeouts += 1
            raise
        return 200, {"ok": True, "result": result}

    # -- users and chats -----------------------------------------------------------

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
    ) -> JSONDict:
        """Register a chat; returns the Telegram ``Chat`` object."""
        if type not in ("private", "group", "supergroup", "channel"):
            raise ValueError(f"unknown chat type {type!r}")
        chat: JSONDict = {"id": chat_id, "type": type}
        if type == "private":
            user = self.users.get(chat_id) or self.add_user(chat_id)
            chat["first_name"] = user["first_name"]
            if "username" in user:
                chat["username"] = user["username"]
        else:
            chat["title"] = title or f"Chat {chat_id}"
        self.chats[chat_id] = ChatState(chat, tuple(admins), bot_is_admin)
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
        service messages Telegram sends.
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

    # -- users acting ----------------------------------------------------------------

    def user_sends(self, chat_id: int, user_id: int, text: str) -> JSONDict:
        """A user writes ``text`` in a chat; the bot will get it from getUpdates.

        Private chats are created on first contact; a ``/command`` at the start gets
        its ``bot_command`` entity, as Telegram adds it.
        """
        user = self.users.get(user_id) or self.add_user(user_id)
        state = self._chat_for(chat_id, user_id)
        fields: JSONDict = {"from": user, "text": text}
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

    # -- updates -------------------------------------------------------------------

    def raw_update(self, body: JSONDict) -> None:
        """Queue an update exactly as given, even one no client can read (robustness tests)."""
        self._push_update(body)

    def _push_update(self, body: JSONDict) -> None:
        [kind] = body
        allowed = self.allowed_updates
        if (kind in OPT_IN_UPDATES) if allowed is None else (kind not in allowed):
            return  # Telegram never creates updates of a kind the bot did not ask for
        self._updates.append({"update_id": next(self._update_ids), **body})
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)

    def pending_updates(self, offset: int, limit: int) -> list[JSONDict]:
        """Confirm updates below ``offset`` (negative: keep the last -offset) and peek."""
        if offset < 0:
            del self._updates[:offset]
        elif offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        return self._updates[:limit]

    def drop_updates(self) -> None:
        """Forget every pending update (deleteWebhook with drop_pending_updates)."""
        self._updates.clear()

    async def wait_for_updates(self, timeout: float) -> None:
        """Return when an update arrives or after ``timeout`` seconds (long polling)."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            pass
        finally:
            self._waiters.remove(waiter)

    def answer_query(self, query_id: str, record: JSONDict) -> None:
        """Record an answer; Telegram refuses unknown, expired or already answered queries."""
        if self._queries.get(query_id, MAX_QUERY_ANSWERS) >= MAX_QUERY_ANSWERS:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self._queries[query_id] += 1
        self.journal.callback_answers.append(record)

    # -- injections ----------------------------------------------------------------

    def inject(
        self,
        chat_id: int | None,
        kind: str,
        times: int | None = 1,
        *,
        retry_after: int = 3,
        code: int = 500,
        hold: float | None = None,
    ) -> int | None:
        """Make the next ``times`` calls for ``chat_id`` fail (``None`` times: forever).

        ``chat_id=None`` matches every call, getUpdates included. ``"migrate"`` upgrades
        the group at once and returns the new chat id; it affects every later call.

        :param retry_after: for ``"flood"``.
        :param code: for ``"server_error"``: 500 or 502.
        :param hold: for ``"timeout"`` over HTTP: seconds of silence before the
            connection is closed (default: the server's ``timeout_hold``).
        """
        if kind not in INJECTION_KINDS:
            raise ValueError(f"unknown injection {kind!r}; expected one of {INJECTION_KINDS}")
        if kind == "migrate":
            if chat_id is None:
                raise ValueError("migrate needs a chat_id")
            return self.migrate_group(chat_id)
        self._injections.append(Injection(chat_id, kind, times, retry_after, code, hold))
        return None

    def fire_injection(self, chat_id: int | None) -> None:
        """Serve the first injection matching a call for ``chat_id``, if any."""
        for injection in self._injections:
            if injection.chat_id is None or injection.chat_id == chat_id:
                if injection.remaining is not None:
                    injection.remaining -= 1
                    if injection.remaining <= 0:
                        self._injections.remove(injection)
                injection.fire()

    # -- records -------------------------------------------------------------------

    def user(self, user_id: int) -> JSONDict:
        """A registered user, or a stand-in ``User`` for an id nobody registered."""
        return self.users.get(user_id) or {
            "id": user_id,
            "is_bot": False,
            "first_name": f"User {user_id}",
        }

    @property
    def update_count(self) -> int:
        """Updates not yet confirmed by getUpdates."""
        return len(self._updates)

    @property
    def callback_answers(self) -> list[JSONDict]:
        """Every answerCallbackQuery the bot made, oldest first."""
        return self.journal.callback_answers

    def sent(self, chat_id: int | None = None) -> list[JSONDict]:
        """Every message the bot sent or edited, oldest first (``kind``: send or edit).

        Each record has chat_id, message_id, text (plain), html (as sent), parse_mode,
        entities, reply_markup, kind, time (from ``clock``) and allow_paid_broadcast.
        """
        return self.journal.sent(chat_id)

    def messages(self, chat_id: int) -> list[JSONDict]:
        """The current state (latest record) of each bot message in a chat, not deleted."""
        return self.journal.messages(chat_id)

    def stats(self) -> JSONDict:
        """Counters: requests, sent, edited, served_429, timeouts, errors_by_code,
        pending_updates, and the limits the 429s were for (refused_by)."""
        refused = dict(self.flood.refusals) if self.flood is not None else {}
        return {
            **self.journal.stats(),
            "pending_updates": len(self._updates),
            "refused_by": refused,
        }
