"""getUpdates guarded: an update python-telegram-bot cannot read is skipped, not retried.

PTB parses a getUpdates batch whole; one update it cannot read (a field of an unknown
shape) fails the batch before the offset moves, so the poller asks for the same batch
at once, again and again, logging each time (thousands of lines a second). This request
layer wraps the one getUpdates uses and replaces such an update with a bare one of the
same id: PTB confirms it with the rest, no handler matches it, and it is logged once.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.request import RequestData

from .delivery.wrapping import WrappingRequest

log = logging.getLogger(__name__)


class GuardedUpdates(WrappingRequest):
    """``inner``, with unreadable updates in getUpdates answers replaced by bare ones."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        code, payload = await self.inner.do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        if code != 200 or not url.rstrip("/").lower().endswith("/getupdates"):
            return code, payload
        return code, readable_updates(payload)


def readable_updates(payload: bytes) -> bytes:
    """The getUpdates answer with each update PTB cannot read replaced by its bare id."""
    try:
        answer = json.loads(payload)
    except ValueError:
        return payload  # PTB reports an unreadable answer itself, as a network error
    updates = answer.get("result") if isinstance(answer, dict) else None
    if not isinstance(updates, list):
        return payload
    kept = [_readable(update) for update in updates]
    if kept == updates:
        return payload
    return json.dumps({**answer, "result": [u for u in kept if u is not None]}).encode()


def _readable(update: Any) -> Any:
    update_id = update.get("update_id") if isinstance(update, dict) else None
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        log.warning("skipped an update without an update id")
        return None
    try:
        Update.de_json(update, None)
    except Exception as exc:  # whatever PTB fails on, the poller must move on
        log.warning(
            "skipped update %s: python-telegram-bot cannot read it (%s)",
            update_id,
            type(exc).__name__,
        )
        return {"update_id": update_id}
    return update
