"""The fake's state: the bot, messages, the update queue, records and injections (users and
chats, and what users do, are :mod:`.actors`; topics :mod:`.topics`)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Mapping
from typing import Any

from .actors import UserActions
from .errors import ApiError, InjectedTimeout, JSONDict, bad_request
from .html import ParsedTexts
from .injections import Injection, Injections
from .limits import FloodControl, FloodLimits
from .methods import dispatch
from .records import Journal
from .state import ChatState

# Update kinds Telegram sends only to a bot that lists them in allowed_updates.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

MAX_QUERY_ANSWERS = 1  # Telegram accepts exactly one answer per callback query


class FakeTelegram(UserActions):
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
        self.html = ParsedTexts()  # a broadcast's parts are parsed once, not once per chat
        self._queries: dict[str, int] = {}  # callback query id -> answers given
        self._updates: list[JSONDict] = []
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._waiters: list[asyncio.Future[None]] = []
        self._injections = Injections()

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
        if kind == "migrate":
            if chat_id is None:
                raise ValueError("migrate needs a chat_id")
            return self.migrate_group(chat_id)
        self._injections.add(Injection(chat_id, kind, times, retry_after, code, hold))
        return None

    def clear_injections(self, chat_id: int | None) -> int:
        """Drop the pending injections for ``chat_id`` (a forever one ends); returns how many."""
        return self._injections.clear(chat_id)

    def fire_injection(self, chat_id: int | None) -> None:
        """Serve the first injection matching a call for ``chat_id``, if any."""
        self._injections.fire(chat_id)

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
        entities, reply_markup, kind, time (from ``clock``), allow_paid_broadcast,
        thread_id (the forum topic, None outside one) and link_preview_options (as sent).
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
