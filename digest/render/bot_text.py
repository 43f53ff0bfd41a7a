"""The bot's reply texts in zh and en: Jinja2 macros in templates/bot/, emitting Telegram HTML."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from .environment import marked_blocks
from .telegram_html import MESSAGE_LIMIT, split_blocks

LANGUAGES = ("zh", "en")


def language_of(code: str | None) -> str | None:
    """``zh`` or ``en`` for a Telegram language_code (``zh-hans``, ``en-US``), else None."""
    base = (code or "").split("-")[0].lower()
    return base if base in LANGUAGES else None


class BotTexts:
    """The macros of each language's reply template, from the renderer's environment."""

    def __init__(self, env: Environment) -> None:
        self.modules = {lang: env.get_template(f"bot/{lang}.html.j2").module for lang in LANGUAGES}

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
        return marked_blocks(str(getattr(self._module(language), name)(**values)))
