"""A request object that wraps another: its lifecycle and timeouts are the inner one's."""

from __future__ import annotations

from typing import Any

from telegram.request import BaseRequest


class WrappingRequest(BaseRequest):
    """Base of request layers (metering, guarding getUpdates); subclasses add do_request."""

    def __init__(self, inner: BaseRequest) -> None:
        self.inner = inner

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    def parse_json_payload(self, payload: bytes) -> dict[str, Any]:  # type: ignore[override]
        # PTB calls it on the outermost request: the inner one's parser (orjson, for
        # aiohttp) is the one to use. PTB's is a staticmethod; this one needs ``inner``.
        result: dict[str, Any] = self.inner.parse_json_payload(payload)
        return result
