"""Bot API error replies (the ``{"ok": false, ...}`` payloads) shared by both transports."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import orjson

JSONDict = dict[str, Any]


def reason_phrase(status: int) -> str:
    """The HTTP reason phrase; Telegram words its error descriptions with it ("Forbidden: …")."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class ApiError(Exception):
    """A Bot API call that Telegram would answer with ``ok: false``."""

    def __init__(self, code: int, detail: str = "", parameters: JSONDict | None = None) -> None:
        phrase = reason_phrase(code)
        self.code = code
        self.description = f"{phrase}: {detail}" if detail else phrase
        self.parameters = parameters
        super().__init__(self.description)

    def payload(self) -> JSONDict:
        """The JSON body Telegram sends for this error."""
        body: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class InjectedTimeout(Exception):
    """An injected timeout: the transport must not answer (in time).

    :param hold: seconds the HTTP transport keeps the connection silent before closing
        it; ``None`` means the server's default.
    """

    def __init__(self, hold: float | None) -> None:
        super().__init__("injected timeout")
        self.hold = hold


def bad_request(detail: str, parameters: JSONDict | None = None) -> ApiError:
    """A 400 error with Telegram's ``Bad Request: ...`` description."""
    return ApiError(400, detail, parameters)


def too_many_requests(retry_after: int) -> ApiError:
    """A 429 error the way Telegram words it, with ``parameters.retry_after``."""
    return ApiError(429, f"retry after {retry_after}", {"retry_after": retry_after})


def encode(payload: object) -> bytes:
    """Compact UTF-8 JSON, as Telegram sends it.

    orjson writes the same bytes as ``json`` for what the fake answers and takes a
    sixth of the time on a digest part's message (its text and entities); anything it
    refuses (an integer key, a number beyond 64 bits) goes through ``json``.
    """
    try:
        return orjson.dumps(payload)
    except orjson.JSONEncodeError:
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
