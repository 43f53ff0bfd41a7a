"""Callback data of inline buttons: typed buttons, encoded and parsed only here (≤ 64 bytes).

Data is ``kind|field|field…``. Digest buttons carry the digest's date and version, so a
button of an older version is recognised as such when pressed. Clients can send any
data, so parsing validates every field and handlers re-check permissions on press.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias, TypeVar

from digest import (
    SECTION_IDS,
    UsageError,
)

MAX_DATA = 64  # bytes, Telegram's limit for callback_data
SEP = "|"
VIEWS = ("push", *SECTION_IDS)
SETTING_ACTIONS = (
    "menu",
    "lang",
    "mode",
    "chart",
    "preview",
    "time",
    "zone",
    "section",
    "source",
)
FOLLOW_ACTIONS = ("remove", "pause", "resume", "alerts_on", "alerts_off")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_INT = re.compile(r"-?\d{1,15}")


@dataclass(frozen=True, slots=True)
class ViewButton:
    """Show ``view`` (push or a section) of a digest version, at page ``page`` (0-based)."""

    day: str
    version: int
    view: str
    page: int = 0


@dataclass(frozen=True, slots=True)
class SourcesButton:
    """Page ``page`` (0-based) of a digest version's source list."""

    day: str
    version: int
    page: int = 0


@dataclass(frozen=True, slots=True)
class SourceButton:
    """Source number ``index`` of a digest version."""

    day: str
    version: int
    index: int


@dataclass(frozen=True, slots=True)
class SettingsButton:
    """Change (or open a menu of) the settings of ``chat_id``."""

    chat_id: int
    action: str
    value: str = ""


@dataclass(frozen=True, slots=True)
class SubscribeButton:
    chat_id: int


@dataclass(frozen=True, slots=True)
class ShownButton:
    """What the message already shows (the marked section, the page number): nothing to do.

    Editing a message into the same content is an error at Telegram, so these buttons
    never lead to an edit.
    """


@dataclass(frozen=True, slots=True)
class FollowButton:
    """Remove, pause or resume follow group ``follow_id`` of ``chat_id``, or switch alerts."""

    chat_id: int
    action: str  # one of FOLLOW_ACTIONS
    follow_id: int = 0


@dataclass(frozen=True, slots=True)
class AlertButton:
    """Page ``page`` (0-based) of alert message ``batch_id``: the "and N more" button."""

    batch_id: int
    page: int


Button: TypeAlias = (
    ViewButton
    | SourcesButton
    | SourceButton
    | SettingsButton
    | SubscribeButton
    | ShownButton
    | FollowButton
    | AlertButton
)
_KINDS: dict[type, str] = {
    ViewButton: "v",
    SourcesButton: "l",
    SourceButton: "i",
    SettingsButton: "s",
    SubscribeButton: "u",
    ShownButton: "n",
    FollowButton: "f",
    AlertButton: "a",
}


def encode(button: Button) -> str:
    """The callback data of ``button``; ValueError if it would exceed 64 bytes."""
    fields = [str(getattr(button, f.name)) for f in dataclasses.fields(button)]
    data = SEP.join([_KINDS[type(button)], *fields])
    if len(data.encode()) > MAX_DATA or any(SEP in field for field in fields):
        raise ValueError(f"callback data {data!r} is too long or holds {SEP!r}")
    return data


def decode(data: object) -> Button:
    """The button ``data`` stands for; UsageError for data this bot did not make."""
    if not isinstance(data, str):
        raise UsageError("not callback data")
    kind, *fields = data.split(SEP)
    try:
        return _PARSERS[kind](fields)
    except (KeyError, ValueError, IndexError):
        raise UsageError(f"unknown callback data {data[:20]!r}") from None


def _day(text: str) -> str:
    if not _DAY.fullmatch(text):
        raise ValueError(text)
    return text


def _int(text: str, low: int = 0) -> int:
    if not _INT.fullmatch(text) or int(text) < low:
        raise ValueError(text)
    return int(text)


def _view(fields: list[str]) -> ViewButton:
    day, version, view, page = fields
    if view not in VIEWS:
        raise ValueError(view)
    return ViewButton(_day(day), _int(version, 1), view, _int(page))


def _settings(fields: list[str]) -> SettingsButton:
    chat_id, action, value = fields
    if action not in SETTING_ACTIONS:
        raise ValueError(action)
    return SettingsButton(_int(chat_id, -(10**15)), action, value)


def _follow(fields: list[str]) -> FollowButton:
    chat_id, action, follow_id = fields
    if action not in FOLLOW_ACTIONS:
        raise ValueError(action)
    return FollowButton(_int(chat_id, -(10**15)), action, _int(follow_id))


def _alert(fields: list[str]) -> AlertButton:
    batch_id, page = fields
    return AlertButton(_int(batch_id, 1), _int(page))


def _shown(fields: list[str]) -> ShownButton:
    if fields:
        raise ValueError("extra fields")
    return ShownButton()


_PARSERS: dict[str, Callable[[list[str]], Button]] = {
    "v": _view,
    "l": lambda f: SourcesButton(_day(f[0]), _int(f[1], 1), _int(f[2])),
    "i": lambda f: SourceButton(_day(f[0]), _int(f[1], 1), _int(f[2], 1)),
    "s": _settings,
    "u": lambda f: SubscribeButton(_int(f[0], -(10**15))),
    "n": lambda f: _shown(f),
    "f": _follow,
    "a": _alert,
}


B = TypeVar(
    "B",
    ViewButton,
    SourcesButton,
    SourceButton,
    SettingsButton,
    SubscribeButton,
    ShownButton,
    FollowButton,
    AlertButton,
)


def decode_as(data: object, kind: type[B]) -> B:
    """``decode`` for a handler that expects one kind of button (UsageError otherwise)."""
    button = decode(data)
    if not isinstance(button, kind):
        raise UsageError(f"expected a {kind.__name__}")
    return button


def matches(kind: type) -> Callable[[object], bool]:
    """A CallbackQueryHandler pattern accepting this bot's data for one button type."""

    def check(data: object) -> bool:
        try:
            return isinstance(decode(data), kind)
        except UsageError:
            return False

    return check
