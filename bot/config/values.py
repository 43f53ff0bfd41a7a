"""How a setting is declared (``Option``) and the parsers that check each kind of value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

from digest import (
    LINK_PREVIEWS,
    ConfigError,
    UsageError,
    check_proxy_url,
    parse_expression,
    parse_hhmm,
    zone,
)

from .settings import EVENT_LOOPS, TRANSPORTS


@dataclass(frozen=True, slots=True)
class Option:
    """One setting: where it lives in TOML, its env variable, how to parse it, its help."""

    key: str
    attr: str
    help: str
    parse: Callable[[Any], Any]
    env: str | None = None
    secret: bool = False
    file: bool = True  # False: environment only (secrets)
    proxy: bool = False  # a proxy URL: shown with its password masked


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a non-empty string")
    return value.strip()


def _int(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("expected a whole number")
        if not low <= value <= high:
            raise ValueError(f"expected a number from {low} to {high}")
        return value

    return parse


def _float(low: float, high: float) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        try:
            number = float(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            number = None
        if number is None or not low <= number <= high:
            raise ValueError(f"expected a number from {low} to {high}")
        return number

    return parse


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")


def _clock(value: Any) -> time:
    return parse_hhmm(_text(value))


def _zone(value: Any) -> str:
    name = _text(value)
    try:
        zone(name)
    except ConfigError as exc:
        raise ValueError(exc.reason) from None
    return name


def _language(value: Any) -> str:
    text = _text(value).lower()
    if text not in {"zh", "en"}:
        raise ValueError("expected 'zh' or 'en'")
    return text


def _link_preview(value: Any) -> str:
    text = _text(value).lower()
    if text not in LINK_PREVIEWS:
        raise ValueError(f"expected one of {', '.join(LINK_PREVIEWS)}")
    return text


def _admins(value: Any) -> tuple[int, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError("expected a list of Telegram user ids")
    ids = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        if not text.lstrip("-").isdigit() or isinstance(item, bool):
            raise ValueError(f"{text!r} is not a numeric Telegram user id")
        ids.append(int(text))
    return tuple(ids)


def _url(value: Any) -> str:
    text = _text(value).rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise ValueError("expected an http:// or https:// URL")
    return text


def _proxy(value: Any) -> str:
    return check_proxy_url(_text(value))


def _transport(value: Any) -> str:
    return _choice(value, TRANSPORTS)


def _event_loop(value: Any) -> str:
    return _choice(value, EVENT_LOOPS)


def _choice(value: Any, choices: tuple[str, ...]) -> str:
    text = _text(value).lower()
    if text not in choices:
        raise ValueError(f"expected one of {', '.join(choices)}")
    return text


def _expressions(value: Any) -> tuple[str, ...]:
    """Follow expressions (the global filter), each checked now, stored canonical."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError('expected a list of follow expressions, e.g. ["广告 推广", "!rumor"]')
    try:
        return tuple(g.text() for item in value for g in parse_expression(item))
    except UsageError as exc:
        raise ValueError(str(exc)) from None


def _path(value: Any) -> Path:
    return Path(_text(value)).expanduser()


def _themes_mode(value: Any) -> str:
    text = _text(value)
    if text not in {"extend", "replace"}:
        raise ValueError("expected 'extend' or 'replace'")
    return text
