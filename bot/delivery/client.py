"""How the bot reaches the Bot API: the request object for the configured transport and
proxy, and a push's sendMessage.

Every call the bot makes (polling, replies, edits, callback answers, pushes) goes through
a request made by :func:`make_request`: aiohttp by default, PTB's own HTTPXRequest with
``[telegram] transport = "httpx"`` (the way back, should aiohttp misbehave somewhere).
"""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.request import BaseRequest, HTTPXRequest

from ..config import Settings, telegram_proxy
from .aiohttp_request import AiohttpRequest, EncodedData

_HTML = ParseMode.HTML.value  # an enum's attribute costs a descriptor call on every read
# LinkPreviewOptions: a digest links many pages, so no card unless one is chosen.
_NO_PREVIEW = {"is_disabled": True}
# A sent message's answer as Telegram (and the fake) writes it: the Message's own
# message_id first. Matched at the very start, it can be no nested message's id.
_SENT = re.compile(rb'\{"ok":true,"result":\{"message_id":(\d{1,19})[,}]')
# Replies and pushes share Telegram's 30 messages/s; 128 calls in flight carry 1,000/s
# (paid broadcast) at a 128 ms round trip, and a connection is only opened when needed.
CONNECTIONS = 128


@dataclass(frozen=True, slots=True)
class TransportOptions:
    """Which client, through which proxy, with which timeouts (seconds; None: no limit).

    :param tls: verify servers with this context instead of the CA bundle (tests, a
        self-hosted Bot API with its own CA).
    """

    kind: str = "aiohttp"
    proxy: str | None = None
    read_timeout: float | None = 10.0
    write_timeout: float | None = 5.0
    connect_timeout: float | None = 5.0
    pool_timeout: float | None = 5.0
    tls: ssl.SSLContext | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> TransportOptions:
        return cls(kind=settings.telegram_transport, proxy=telegram_proxy(settings))


def make_request(options: TransportOptions, connections: int = CONNECTIONS) -> BaseRequest:
    """A request object for ``options`` with up to ``connections`` at a time."""
    timeouts: dict[str, Any] = {
        "read_timeout": options.read_timeout,
        "write_timeout": options.write_timeout,
        "connect_timeout": options.connect_timeout,
        "pool_timeout": options.pool_timeout,
    }
    if options.kind == "httpx":
        extra = {"verify": options.tls} if options.tls else None
        return HTTPXRequest(connections, proxy=options.proxy, httpx_kwargs=extra, **timeouts)
    return AiohttpRequest(connections, proxy=options.proxy, tls=options.tls, **timeouts)


class Parameters(EncodedData):  # type: ignore[misc]  # RequestData is final in PTB
    """A Bot API call's parameters as JSON-ready values (PTB's Bot methods build theirs
    from TelegramObjects; a push has plain values already), made when first asked for
    (never, when the aiohttp transport is given the ``body`` already encoded)."""

    __slots__ = ("_make", "_values")

    def __init__(
        self, values: dict[str, Any] | Callable[[], dict[str, Any]], body: bytes | None = None
    ) -> None:
        super().__init__(body)
        self._values: dict[str, Any] | None = None
        self._make: Callable[[], dict[str, Any]] | None = None
        if isinstance(values, dict):
            self._values = values
        else:
            self._make = values

    @property
    def parameters(self) -> dict[str, Any]:
        if self._values is None:
            assert self._make is not None
            self._values = self._make()
        return self._values

    @property
    def json_parameters(self) -> dict[str, str]:
        # As PTB encodes form fields: strings as they are, anything else as JSON.
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in self.parameters.items()}


class Bodies:
    """sendMessage bodies without their chat, encoded once: a push sends each of its texts
    to many chats, and encoded a 20 KB part (~8 µs of orjson under cProfile) and a brief
    push's keyboard (PTB's ``to_dict``) again for each. Each chat's id (and topic) is
    spliced in front.

    :param limit: texts kept (a push has a few per view; chats with a follows line add
        their own, which are encoded each time once it is full).
    """

    def __init__(self, limit: int = 256) -> None:
        self.limit = limit
        # (text, id(markup), preview, paid) -> (markup, the body from its first field on)
        self._tails: dict[tuple[str, int, str | None, bool], tuple[object, bytes]] = {}

    def body(
        self,
        chat_id: int,
        text: str,
        *,
        markup: InlineKeyboardMarkup | None,
        paid: bool,
        thread_id: int,
        preview: str | None,
    ) -> bytes:
        """The JSON body of :func:`send_text`'s call with these arguments."""
        key = (text, id(markup), preview, paid)
        entry = self._tails.get(key)
        if entry is None or entry[0] is not markup:  # an id outlives its object: check
            values = _message(text, markup=markup, paid=paid, preview=preview)
            entry = (markup, orjson.dumps(values)[1:])
            if len(self._tails) < self.limit:
                self._tails[key] = entry
        if thread_id:
            return b'{"chat_id":%d,"message_thread_id":%d,%s' % (chat_id, thread_id, entry[1])
        return b'{"chat_id":%d,%s' % (chat_id, entry[1])


def preview_options(url: str | None) -> dict[str, Any]:
    """LinkPreviewOptions showing ``url``'s card (chosen, whatever the text links first),
    or none at all."""
    if url is None:
        return _NO_PREVIEW
    return {"url": url, "prefer_small_media": True, "show_above_text": False}


async def send_text(
    bot: Bot,
    chat_id: int,
    text: str,
    *,
    markup: InlineKeyboardMarkup | None,
    paid: bool,
    thread_id: int = 0,
    preview: str | None = None,
    bodies: Bodies | None = None,
) -> int:
    """Send one HTML message, into forum topic ``thread_id`` (0: none), previewing the
    link ``preview`` (None: no preview); returns its message_id. ``bodies``: encode the
    body through these (a push's texts, sent to many chats).

    Goes through the bot's request object, so Telegram's errors arrive as PTB's
    exceptions, but not through ``Bot.send_message``, which builds a ``Message`` (with
    dozens of entities) from every answer: a quarter of a push's CPU, for nothing read.
    Nor is the answer parsed when it starts as Telegram's do (:func:`message_id_of`).
    """

    def values() -> dict[str, Any]:
        head: dict[str, Any] = {"chat_id": chat_id}
        if thread_id:
            head["message_thread_id"] = thread_id
        return {**head, **_message(text, markup=markup, paid=paid, preview=preview)}

    if bodies is None:
        parameters = Parameters(values())
    else:
        body = bodies.body(
            chat_id, text, markup=markup, paid=paid, thread_id=thread_id, preview=preview
        )
        parameters = Parameters(values, body)
    # BaseRequest.post is _request_wrapper (the call, and an error answer as PTB's
    # exception) and then a parse of the whole answer; the parse is what is left out.
    answer = await bot.request._request_wrapper(f"{bot.base_url}/sendMessage", "POST", parameters)
    return message_id_of(bot.request, answer)


def _message(
    text: str, *, markup: InlineKeyboardMarkup | None, paid: bool, preview: str | None
) -> dict[str, Any]:
    """A sendMessage's parameters but its chat and topic."""
    values: dict[str, Any] = {
        "text": text,
        "parse_mode": _HTML,
        "link_preview_options": preview_options(preview),
    }
    if markup is not None:
        values["reply_markup"] = markup.to_dict()
    if paid:
        values["allow_paid_broadcast"] = True
    return values


def message_id_of(request: BaseRequest, answer: bytes) -> int:
    """The message_id of a sendMessage's successful answer.

    The answer repeats the message, entities and all (20 KB for a digest part); parsing
    it whole was an eighth of a push's CPU per message. When it starts as Telegram
    writes it, the id is read from its first bytes; anything else is parsed with the
    request's own parser.
    """
    if (match := _SENT.match(answer)) is not None:
        return int(match[1])
    parsed: Any = request.parse_json_payload(answer)
    result = parsed.get("result") if isinstance(parsed, dict) else None
    message_id = result.get("message_id") if isinstance(result, dict) else None
    if not isinstance(message_id, int):
        raise TelegramError("sendMessage answered without a message_id")
    return message_id
