"""HTTP transport: a small asyncio HTTP/1.1 server for the Bot API and ``/_fake/`` controls.

Enough HTTP for PTB's HTTPXRequest and httpx clients: keep-alive, Content-Length or
chunked bodies, form, JSON and multipart payloads. Each connection is one task, so a
slow (long-polling or delayed) request never blocks the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from .control import control
from .errors import ApiError, InjectedTimeout, encode, reason_phrase
from .limits import FloodLimits
from .model import FakeTelegram
from .request import split_bot_path

logger = logging.getLogger(__name__)

_MAX_HEAD = 64 * 1024


class _MalformedRequest(Exception):
    """The bytes on the connection are not HTTP we understand; close it."""


@dataclass
class _Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool


def _header_param(value: str, name: str, header: str = "content-type") -> str | None:
    """A ``; name=value`` parameter of a header, quotes handled by the email package."""
    message = Message()
    message[header] = value
    found = message.get_param(name, header=header)
    return found if isinstance(found, str) else None


def parse_multipart(body: bytes, content_type: str) -> dict[str, Any]:
    """Fields of a multipart/form-data body: text as str, files as dicts with bytes."""
    boundary = _header_param(content_type, "boundary")
    if not boundary:
        raise _MalformedRequest("multipart body without boundary")
    fields: dict[str, Any] = {}
    for part in body.split(b"--" + boundary.encode())[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.removeprefix(b"\r\n").removesuffix(b"\r\n").partition(b"\r\n\r\n")
        headers = dict(
            line.split(":", 1)
            for line in head.decode("utf-8", "replace").split("\r\n")
            if ":" in line
        )
        disposition = next(
            (v for k, v in headers.items() if k.lower() == "content-disposition"), ""
        )
        name = _header_param(disposition, "name", "content-disposition")
        filename = _header_param(disposition, "filename", "content-disposition")
        if name is None:
            continue
        fields[name] = (
            content.decode("utf-8", "replace")
            if filename is None
            else {"filename": filename, "content": content}
        )
    return fields


def _load_json(body: bytes) -> Any:
    """orjson for speed; ``json`` for what orjson refuses, so its error wording is kept."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def parse_body(request: _Request) -> dict[str, Any]:
    """Query-string parameters overlaid with the body's, whatever its content type."""
    params: dict[str, Any] = dict(parse_qsl(request.query, keep_blank_values=True))
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";", 1)[0].strip().lower()
    if not request.body:
        return params
    if kind == "application/json":
        loaded = _load_json(request.body)
        if not isinstance(loaded, dict):
            raise ValueError("a JSON body must be an object")
        params.update(loaded)
    elif kind == "multipart/form-data":
        params.update(parse_multipart(request.body, content_type))
    else:  # PTB's HTTPXRequest sends form-urlencoded when there are no files
        params.update(parse_qsl(request.body.decode(), keep_blank_values=True))
    return params


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)  # data + CRLF
            if size == 0:
                return b"".join(chunks)
            chunks.append(chunk[:-2])
    length = int(headers.get("content-length", "0") or 0)
    return await reader.readexactly(length) if length else b""


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    """Read one request; ``None`` when the client closed the connection cleanly."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise _MalformedRequest("truncated request head") from exc
        return None
    except asyncio.LimitOverrunError as exc:
        raise _MalformedRequest("request head too large") from exc
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, version = lines[0].split(" ", 2)
        headers = {
            name.strip().lower(): value.strip()
            for name, value in (line.split(":", 1) for line in lines[1:] if line)
        }
        body = await _read_body(reader, headers)
    except ValueError as exc:
        raise _MalformedRequest(str(exc)) from exc
    connection = headers.get("connection", "").lower()
    keep_alive = connection != "close" and (version != "HTTP/1.0" or connection == "keep-alive")
    url = urlsplit(target)
    return _Request(method.upper(), url.path, url.query, headers, body, keep_alive)


def _response(status: int, payload: object, keep_alive: bool) -> bytes:
    body = encode(payload)
    head = (
        f"HTTP/1.1 {status} {reason_phrase(status)}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
    )
    return head.encode() + body


class _Server:
    """Connection handling around one FakeTelegram."""

    def __init__(self, fake: FakeTelegram, latency: float, timeout_hold: float) -> None:
        self.fake = fake
        self.latency = latency
        self.timeout_hold = timeout_hold
        self.connections: set[asyncio.Task[None]] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.connections.add(task)
        try:
            while (request := await _read_request(reader)) is not None:
                answer = await self.answer(request)
                if answer is None:  # an injected timeout: say nothing, then hang up
                    break
                writer.write(answer)
                await writer.drain()
                if not request.keep_alive:
                    break
        except (_MalformedRequest, ConnectionError):
            pass  # nothing useful can be sent back; the client sees a closed connection
        except asyncio.CancelledError:
            # Only close() cancels these tasks. Python 3.11's stream callback calls
            # task.exception() on the finished task, which raises for a cancelled one.
            pass
        finally:
            self.connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def answer(self, request: _Request) -> bytes | None:
        """The full HTTP response for a request, or ``None`` to drop the connection."""
        try:
            params = parse_body(request)
        except (ValueError, _MalformedRequest) as exc:
            payload = ApiError(400, f"can't parse request body: {exc}").payload()
            return _response(400, payload, request.keep_alive)
        if request.path.startswith("/_fake/"):
            status, payload = control(self.fake, request.method, request.path, params)
            return _response(status, payload, request.keep_alive)
        route = split_bot_path(request.path)
        if route is None:
            return _response(404, ApiError(404).payload(), request.keep_alive)
        try:
            status, body = await self.fake.call(*route, params)
        except InjectedTimeout as exc:
            await asyncio.sleep(exc.hold if exc.hold is not None else self.timeout_hold)
            return None
        # The round trip after the call: Telegram counts a message against its limits
        # when it arrives. Counted after the wait instead, a message also carried the
        # wait's own lateness on a busy machine (up to 35 ms measured, in a 5 ms margin),
        # and the flood limits refused sends that had arrived evenly spaced.
        if self.latency:
            await asyncio.sleep(self.latency)
        return _response(status, body, request.keep_alive)

    async def close(self) -> None:
        """Cancel every open connection (long polls included) and wait for them."""
        tasks = list(self.connections)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@contextlib.asynccontextmanager
async def serve_http(
    fake: FakeTelegram,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    latency: float = 0.0,
    timeout_hold: float = 6.0,
    tls: ssl.SSLContext | None = None,
) -> AsyncIterator[str]:
    """Serve ``fake`` over HTTP; yields the base URL to give PTB (``http://host:port/bot``).

    :param tls: serve HTTPS with this server context (a test CA's certificate); the URL
        is then ``https://``.
    :param port: 0 picks a free port.
    :param latency: seconds every Bot API call waits before it is answered, like a round
        trip (it is handled, and counted against the flood limits, when it arrives).
    :param timeout_hold: seconds an injected timeout keeps the connection silent before
        closing it; longer than PTB's default 5-second read timeout.
    """
    server = _Server(fake, latency, timeout_hold)
    listener = await asyncio.start_server(server.handle, host, port, limit=_MAX_HEAD, ssl=tls)
    bound_port = listener.sockets[0].getsockname()[1]
    try:
        yield f"{'https' if tls else 'http'}://{host}:{bound_port}/bot"
    finally:
        listener.close()
        await server.close()
        await listener.wait_closed()


async def run_fake_server(
    host: str, port: int, token: str, latency: float, limits: FloodLimits | None
) -> None:
    """Serve a fresh FakeTelegram over HTTP until cancelled (``hotdigest fake-telegram``)."""
    fake = FakeTelegram(token, limits=limits)
    async with serve_http(fake, host, port, latency=latency) as url:
        logger.info("fake Telegram serving at %s", url)  # base URL only: no token in it
        await asyncio.Event().wait()
