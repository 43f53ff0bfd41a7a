"""The bot's reply texts in zh and en: Jinja2 macros in templates/bot/, emitting Telegram HTML."""

from __future__ import annotations

import re
from datetime import time
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from ..document import source_label
from .renderer import clean
from .telegram_html import MESSAGE_LIMIT, safe_href, split_blocks

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
LANGUAGES = ("zh", "en")
# Templates separate blocks that may go to separate messages with this comment;
# autoescaping turns every "<" of the data into "&lt;", so only a template can write it.
BLOCK_MARK = "<!-- block -->"
_BLANK_LINES = re.compile(r"\n{3,}")


def figure(value: float | None) -> str:
    """A heat figure as people read it: 12,345 or 12.5; "—" when unknown."""
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def language_of(code: str | None) -> str | None:
    """``zh`` or ``en`` for a Telegram language_code (``zh-hans``, ``en-US``), else None."""
    base = (code or "").split("-")[0].lower()
    return base if base in LANGUAGES else None


class BotTexts:
    """One Jinja2 environment (autoescaped, StrictUndefined) and the macros of each language."""

    def __init__(self, templates: Path = TEMPLATES) -> None:
        self.env = Environment(
            loader=FileSystemLoader(templates),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(
            figure=figure, hhmm=hhmm, clean=clean, href=safe_href, site=source_label
        )
        self.modules = {
            lang: self.env.get_template(f"bot/{lang}.html.j2").module for lang in LANGUAGES
        }

    def _module(self, language: str) -> Any:
        return self.modules.get(language, self.modules["en"])

    def html(self, name: str, language: str, **values: Any) -> str:
        """The reply ``name`` as one Telegram HTML text (blocks joined by a blank line)."""
        return "\n\n".join(self._blocks(name, language, values))

    def messages(
        self, name: str, language: str, limit: int = MESSAGE_LIMIT, **values: Any
    ) -> list[str]:
        """The reply ``name`` as messages of at most ``limit`` visible characters each."""
        return split_blocks(self._blocks(name, language, values), limit)

    def plain(self, name: str, language: str, **values: Any) -> str:
        """A reply without markup (callback answers, button labels)."""
        return Markup(self.html(name, language, **values)).striptags()

    def label(self, key: str, language: str) -> str:
        """A button label; labels are template literals, so they need no escaping."""
        return self.table("labels", language)[key]

    def table(self, name: str, language: str) -> dict[str, str]:
        """A ``{% set name = {...} %}`` dict of a language's template (labels, commands)."""
        return {str(k): str(v) for k, v in getattr(self._module(language), name).items()}

    def _blocks(self, name: str, language: str, values: dict[str, Any]) -> list[str]:
        macro = getattr(self._module(language), name)
        text = _BLANK_LINES.sub("\n\n", str(macro(**values)))
        return [block.strip() for block in text.split(BLOCK_MARK) if block.strip()]


@cache
def default_texts() -> BotTexts:
    """The shared BotTexts (templates are read once per process)."""
    return BotTexts()
