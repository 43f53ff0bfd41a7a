"""A configured source's two names: the id commands take and the text digests show.

``name = "juejin"`` is an id (letters, digits, '_', '-', '.'), shown as itself unless
``display_name`` says otherwise. ``name = "Hacker News 最新"`` is display text, as issue
14 writes the setting: the id then comes from ``id = "…"``, else from the name's Latin
words ("hacker-news"), else from the kind ("rss"), so commands still have a short word
to take (/settings include|exclude).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from digest import ConfigError
from digest.models import SOURCE_NAME

from .settings import MAX_DISPLAY_NAME

_LATIN_WORD = re.compile(r"[A-Za-z0-9]+")


def source_identity(
    options: dict[str, Any], position: int, file: str | None
) -> tuple[str, str | None]:
    """Pop ``name``, ``id`` and ``display_name`` from a [[sources]] table: (id, shown)."""
    name = options.pop("name", None)
    ident = options.pop("id", None)
    shown = options.pop("display_name", None)
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"source #{position} has no name", key="sources", file=file)
    key = f"sources.{name.strip()}"
    if ident is None and SOURCE_NAME.fullmatch(name.strip()):
        return name.strip(), display_name(shown, key, "display_name", file)
    if shown is not None:
        raise ConfigError(
            "name is already the display text here: drop display_name, or make name an id",
            key=f"{key}.display_name",
            file=file,
        )
    if ident is None:
        ident = _derived_id(name, options.get("kind"))
    if not isinstance(ident, str) or not SOURCE_NAME.fullmatch(ident.strip()):
        raise ConfigError(
            "id must be letters, digits, '_', '-', '.' (at most 40)", key=f"{key}.id", file=file
        )
    return ident.strip(), display_name(name, key, "name", file)


def display_name(value: object, key: str, field: str, file: str | None) -> str | None:
    """Display text: free, but short and without control characters.

    It reaches every digest and button, so RTL overrides, zero-width and control
    characters are refused, as for ids.
    """
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else ""
    bad = [c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]
    if not text or len(text) > MAX_DISPLAY_NAME or bad:
        raise ConfigError(
            f"{field} must be 1 to {MAX_DISPLAY_NAME} printable characters",
            key=f"{key}.{field}" if field == "display_name" else key,
            file=file,
        )
    return text


def _derived_id(name: str, kind: object) -> str:
    words = "-".join(_LATIN_WORD.findall(name)).lower()[:40].strip("-")
    if words:
        return words
    return kind if isinstance(kind, str) and kind else "source"
