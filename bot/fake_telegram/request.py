"""In-process transport: a PTB ``BaseRequest`` that hands calls straight to a FakeTelegram."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

from .errors import ApiError, InjectedTimeout, encode
from .model import FakeTelegram


def split_bot_path(path: str) -> tuple[str, str] | None:
    """``/bot<token>/<method>`` → (token, method); ``None`` for other paths."""
    head, _, method = path.rpartition("/")
    prefix, _, token_part = head.rpartition("/")
    if prefix or not token_part.startswith("bot") or not method:
        return None
    return token_part.removeprefix("bot"), method


class FakeRequest(BaseRequest):
    """PTB's request layer wired to a :class:`FakeTelegram`, with no network.

    PTB does its real work (encoding parameters, mapping status codes and payloads to
    ``BadRequest``, ``RetryAfter``, ``ChatMigrated``...) around :meth:`do_request`;
    parameters are handed over as the same strings PTB would put on the wire.

    :param latency: seconds each call waits before reaching the fake.
    """

    __slots__ = ("_closed", "_fake", "_latency")

    def __init__(self, fake: FakeTelegram, *, latency: float = 0.0) -> None:
        self._fake = fake
        self._latency = latency
        self._closed = False

    @property
    def read_timeout(self) -> float | None:
        return 5.0  # HTTPXRequest's default; PTB adds the long-poll timeout to it

    async def initialize(self) -> None:
        self._closed = False

    async def shutdown(self) -> None:
        self._closed = True

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *_t: Any, **_k: Any
    ) -> tuple[int, bytes]:
        """Route the call into the fake; return (status, JSON bytes) like Telegram.

        PTB's timeouts (the other parameters) mean nothing without a network."""
        if self._closed:
            raise RuntimeError("This FakeRequest is shut down")
        if self._latency:
            await asyncio.sleep(self._latency)
        route = split_bot_path(urlsplit(url).path)
        if route is None:  # e.g. file downloads, which the fake does not serve
            return 404, encode(ApiError(404).payload())
        params: dict[str, object] = dict(request_data.json_parameters) if request_data else {}
        if request_data is not None and request_data.contains_files:
            # As the HTTP server parses a multipart upload: the file as name and bytes.
            for name, (filename, content, *_) in request_data.multipart_data.items():
                params[name] = {"filename": filename, "content": content}
        try:
            status, payload = await self._fake.call(*route, params)
        except InjectedTimeout:
            raise TimedOut from None
        return status, encode(payload)
