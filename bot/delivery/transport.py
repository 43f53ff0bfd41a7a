"""How the bot reaches the Bot API: a lean HTTP/1.1 request class, and a push's sendMessage.

Why not PTB's HTTPXRequest: measured by ``bench/send_path.py`` against a fake Bot API on
127.0.0.1, a push message cost the bot 1.2 ms of CPU, half of it in httpx and httpcore
(request and response objects, pool bookkeeping, a socket check per request), and a
quarter in PTB building a ``Message`` with dozens of entities from each answer, which a
push never reads (:func:`send_text` skips that). The bot's calls are small JSON POSTs to
one host that need none of httpx's features (redirects, cookies, proxies, HTTP/2), so
:class:`LeanRequest` speaks just that HTTP/1.1 over asyncio streams: JSON bodies (multipart
for a chart's photo), Content-Length or chunked answers, keep-alive connections, TLS for https.
PTB's :class:`~telegram.request.BaseRequest` around it still turns statuses into
``RetryAfter``, ``Forbidden``, ``ChatMigrated``... The application uses it for replies
and polling too (``bench/commands.py``: 8 -> 5 ms of CPU per command).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import ssl
import time
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

_NO_PREVIEW = {"is_disabled": True}  # LinkPreviewOptions: a digest links many pages; no card
_MAX_HEAD = 64 * 1024
_DEFAULT = type(BaseRequest.DEFAULT_NONE)  # PTB's "not given" marker for timeouts


class Parameters(RequestData):
    """A Bot API call's parameters as JSON-ready values (PTB's Bot methods build theirs
    from TelegramObjects; a push has plain values already)."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]) -> None:
        super().__init__()
        self._values = values

    @property
    def parameters(self) -> dict[str, Any]:
        return self._values

    @property
    def json_parameters(self) -> dict[str, str]:
        # As PTB encodes form fields: strings as they are, anything else as JSON.
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in self._values.items()}


async def send_text(
    bot: Bot, chat_id: int, text: str, *, markup: InlineKeyboardMarkup | None, paid: bool
) -> int:
    """Send one HTML message without link previews; returns its message_id.

    Goes through the bot's request object, so Telegram's errors arrive as PTB's
    exceptions, but not through ``Bot.send_message``, which parses a ``Message`` from
    every answer.
    """
    values: dict[str, Any] = {
        "chat_id": chat_id,
        "text": text,
        "parse_mode": ParseMode.HTML.value,
        "link_preview_options": _NO_PREVIEW,
    }
    if markup is not None:
        values["reply_markup"] = markup.to_dict()
    if paid:
        values["allow_paid_broadcast"] = True
    result = await bot.request.post(f"{bot.base_url}/sendMessage", Parameters(values))
    message_id = result.get("message_id") if isinstance(result, dict) else None
    if not isinstance(message_id, int):
        raise TelegramError("sendMessage answered without a message_id")
    return message_id


@cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()  # loading the CA bundle takes milliseconds: once


@dataclass(eq=False)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    origin: tuple[str, str, int]
    idle_since: float

    def usable(self, origin: tuple[str, str, int], idle_limit: float) -> bool:
        """Still open, same server, not idle so long the server may be closing it."""
        fresh = time.monotonic() - self.idle_since < idle_limit
        alive = not self.writer.is_closing() and not self.reader.at_eof()
        return fresh and alive and self.origin == origin

    def close(self) -> None:
        self.writer.close()


class LeanRequest(BaseRequest):
    """Up to ``connections`` keep-alive HTTP/1.1 connections to the Bot API, JSON bodies.

    Calls beyond ``connections`` wait for a free one. Files go as multipart/form-data.

    :param idle_timeout: a connection idle this long is replaced rather than reused, so a
        server closing idle connections never meets a request on its way.
    """

    __slots__ = (
        "_connect_timeout",
        "_idle",
        "_idle_timeout",
        "_read_timeout",
        "_slots",
        "_write_timeout",
    )

    def __init__(
        self,
        connections: int = 1,
        *,
        read_timeout: float = 10.0,
        write_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        idle_timeout: float = 30.0,
    ) -> None:
        self._slots = asyncio.Semaphore(max(1, connections))
        self._idle: list[_Connection] = []
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._idle_timeout = idle_timeout

    @property
    def read_timeout(self) -> float:
        return self._read_timeout

    async def initialize(self) -> None:
        """Connections open on first use."""

    async def shutdown(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One request on an idle connection (or a new one); (status, body) as BaseRequest wants."""
        body, content_type = _encode(request_data)
        parts = urlsplit(url)
        tls = parts.scheme == "https"
        origin = (parts.scheme, parts.hostname or "", parts.port or (443 if tls else 80))
        target = f"{parts.path}?{parts.query}" if parts.query else parts.path
        head = (
            f"{method} {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        write = self._seconds(write_timeout, self._write_timeout)
        read = self._seconds(read_timeout, self._read_timeout)
        async with self._slots:
            connection = await self._connection(origin, connect_timeout)
            try:
                status, answer, keep = await _exchange(connection, head + body, write, read)
            except BaseException:  # a failure, or a cancelled call: the stream is in between
                connection.close()
                raise
            if keep:
                connection.idle_since = time.monotonic()
                self._idle.append(connection)
            else:
                connection.close()
        return status, answer

    async def _connection(self, origin: tuple[str, str, int], timeout: Any) -> _Connection:
        while self._idle:
            connection = self._idle.pop()
            if connection.usable(origin, self._idle_timeout):
                return connection
            connection.close()
        scheme, host, port = origin
        tls = _tls() if scheme == "https" else None
        try:
            async with asyncio.timeout(self._seconds(timeout, self._connect_timeout)):
                reader, writer = await asyncio.open_connection(host, port, ssl=tls, limit=_MAX_HEAD)
        except TimeoutError:
            raise TimedOut(f"could not connect to {host}:{port} in time") from None
        except OSError as exc:
            raise NetworkError(f"could not connect to {host}:{port}: {exc!r}") from exc
        return _Connection(reader, writer, origin, time.monotonic())

    @staticmethod
    def _seconds(value: Any, default: float) -> float | None:
        return default if isinstance(value, _DEFAULT) else value


def _encode(request_data: RequestData | None) -> tuple[bytes, str]:
    """The body and its content type: JSON, or multipart/form-data when files go along
    (a chart's photo), fields encoded as PTB's own HTTPXRequest encodes them."""
    if request_data is None:
        return b"", "application/json"
    if not request_data.contains_files:
        return json.dumps(request_data.parameters).encode(), "application/json"
    boundary = secrets.token_hex(16)
    parts: list[bytes] = []
    for name, value in request_data.json_parameters.items():
        head = f'Content-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(head.encode() + value.encode())
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        head = (
            f'Content-Disposition: form-data; name="{name}"; filename="{filename or name}"\r\n'
            f"Content-Type: {mimetype}\r\n\r\n"
        )
        data = content if isinstance(content, bytes) else content.read()
        parts.append(head.encode() + data)
    delimiter = f"--{boundary}\r\n".encode()
    body = b"".join(delimiter + part + b"\r\n" for part in parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


async def _exchange(
    connection: _Connection, request: bytes, write: float | None, read: float | None
) -> tuple[int, bytes, bool]:
    """Send a request and read its response, with PTB's errors for what goes wrong."""
    try:
        async with asyncio.timeout(write):
            connection.writer.write(request)
            await connection.writer.drain()
        async with asyncio.timeout(read):
            return await _read_response(connection.reader)
    except TimeoutError:
        raise TimedOut("the Bot API did not answer in time") from None
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
        raise NetworkError(f"connection to the Bot API failed: {exc!r}") from exc
    except ValueError as exc:  # not HTTP as we know it
        raise NetworkError(f"malformed answer from the Bot API: {exc}") from exc


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, keep-alive) of one HTTP/1.1 response."""
    lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    version, status, _ = (lines[0] + " ").split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip().lower()
    if headers.get("transfer-encoding", "") == "chunked":
        chunks = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            chunks.append((await reader.readexactly(size + 2))[:-2])
        await reader.readuntil(b"\r\n")  # no trailers are expected; the last CRLF
        body = b"".join(chunks)
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    else:  # the body runs to the end of the connection
        body = await reader.read()
        return int(status), body, False
    connection = headers.get("connection", "")
    keep = connection != "close" and (version != "HTTP/1.0" or connection == "keep-alive")
    return int(status), body, keep
