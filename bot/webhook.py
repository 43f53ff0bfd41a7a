"""A webhook endpoint on asyncio streams: Telegram POSTs updates with its secret-token header.

PTB's own webhook server needs tornado (the ``webhooks`` extra), which hotdigest does not
install; an update is one small JSON POST, so a few dozen lines of HTTP suffice. Put a
TLS-terminating proxy in front: Telegram only calls https:// URLs.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from collections.abc import Callable
from functools import partial
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import TelegramError

from .app import ALLOWED_UPDATES, App, running

log = logging.getLogger(__name__)


class WebhookRefusedError(Exception):
    """Telegram would not register the webhook (a bad URL, an unreachable host…)."""


SECRET_HEADER = "x-telegram-bot-api-secret-token"
MAX_HEAD = 16 * 1024
MAX_BODY = 1024 * 1024  # updates are a few KB; anything larger is not from Telegram
READ_TIMEOUT = 10.0
REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
}


async def serve_webhook(
    application: App,
    url: str,
    listen: str,
    port: int,
    secret: str,
    path: str | None = None,
    on_serving: Callable[[asyncio.Server], None] | None = None,
) -> None:
    """Register ``url`` with Telegram and serve updates posted to ``path`` until SIGINT/SIGTERM.

    :param path: the local path to accept (default: the path of ``url``).
    :param on_serving: told the server once it listens (the health check watches it).
    """
    path = path or urlsplit(url).path or "/"
    async with running(application):
        try:
            await application.bot.set_webhook(
                url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
            )
        except TelegramError as exc:
            raise WebhookRefusedError(
                f"Telegram refused the webhook {url}: {exc.message}"
            ) from None
        async with await webhook_server(application, path, secret, listen, port) as server:
            if on_serving is not None:
                on_serving(server)
            log.info("webhook listening on %s:%s%s", listen, port, path)
            await until_stopped()


async def webhook_server(
    application: App, path: str, secret: str, listen: str, port: int
) -> asyncio.Server:
    """The listening server (port 0 picks a free one); updates go to the application's queue."""
    handle = partial(answer_connection, application, path, secret)
    return await asyncio.start_server(handle, listen, port, limit=MAX_HEAD)


async def until_stopped() -> None:
    """Wait for SIGINT or SIGTERM, then give the signals back."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


async def answer_connection(
    application: App,
    path: str,
    secret: str,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> None:
    """One request per connection: queue the update, answer with a bare status."""
    try:
        async with asyncio.timeout(READ_TIMEOUT):
            status = await receive(application, path, secret, reader)
    except (TimeoutError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        status = 400
    head = f"HTTP/1.1 {status} {REASONS[status]}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    try:
        writer.write(head.encode())
        await writer.drain()
    except ConnectionError:
        pass  # the client left; nothing to tell it
    finally:
        writer.close()


async def receive(application: App, path: str, secret: str, reader: asyncio.StreamReader) -> int:
    """Read a request; queue its update if it is a POST to ``path`` with the right secret."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    request_line, *lines = head.split("\r\n")
    method, target, _ = request_line.split(" ", 2)
    headers = {
        name.strip().lower(): value.strip()
        for name, value in (line.split(":", 1) for line in lines if ":" in line)
    }
    if urlsplit(target).path != path:
        return 404
    if method != "POST":
        return 405
    given = headers.get(SECRET_HEADER, "").encode()
    if not hmac.compare_digest(given, secret.encode()):  # constant time: no guessing by timing
        log.warning("webhook request without the right secret token refused")
        return 403
    length = int(headers.get("content-length", "0"))
    if not 0 < length <= MAX_BODY:
        return 413 if length else 400
    data = json.loads(await reader.readexactly(length))
    if not isinstance(data, dict) or "update_id" not in data:
        return 400
    await application.update_queue.put(Update.de_json(data, application.bot))
    return 200
