"""Reading Bot API parameters as they arrive: strings from forms, or typed JSON values.

PTB sends every parameter as a string, with JSON-encoded values for objects and arrays
(``reply_markup``, ``entities``); the in-process transport passes those strings on
unchanged, while a JSON request body may carry typed values. Every reader accepts both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .errors import bad_request

Params = Mapping[str, Any]


def get_value(params: Params, name: str, *, required: str | None = None) -> Any:
    """The parameter, or ``None`` when absent or empty (a 400 with ``required`` then)."""
    found = params.get(name)
    if found is None or found == "":
        if required:
            raise bad_request(required)
        return None
    return found


def get_number(params: Params, name: str, default: float | None = None) -> float:
    """A numeric parameter; without ``default`` it is required."""
    found = get_value(params, name, required=None if default is not None else f"{name} is empty")
    if found is None:
        assert default is not None
        return default
    try:
        return float(found)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {name} specified") from None


def get_int(params: Params, name: str, default: int | None = None) -> int:
    """An integer parameter; without ``default`` it is required."""
    return int(get_number(params, name, default))


def get_bool(params: Params, name: str) -> bool:
    """A boolean flag; absent means false."""
    return params.get(name) in (True, "true", "True", "1", 1)


def get_json(params: Params, name: str) -> Any:
    """An object or array parameter, JSON-decoding it when it came as a string."""
    found = get_value(params, name)
    if not isinstance(found, str):
        return found
    try:
        return json.loads(found)
    except ValueError:
        raise bad_request(f"can't parse {name} JSON object") from None


def get_chat_id(params: Params) -> int:
    """The required ``chat_id``."""
    found = get_value(params, "chat_id", required="chat_id is empty")
    try:
        return int(found)
    except (TypeError, ValueError):
        # "@channelusername" addressing is not modelled: no chat has a username.
        raise bad_request("chat not found") from None


def target_chat_id(params: Params) -> int | None:
    """The chat a call targets, for matching injections (``None`` when it has none)."""
    try:
        return int(params["chat_id"])
    except (KeyError, TypeError, ValueError):
        return None
