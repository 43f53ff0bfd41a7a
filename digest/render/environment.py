"""The one Jinja2 environment behind every rendered text: digests and bot replies alike."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..document import source_label
from .telegram_html import safe_href
from .text import clean, escape_markdown, markdown_url, underline, yaml_string

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Templates separate blocks (which may go to separate messages) with this comment.
# Autoescaping turns every "<" of the data into "&lt;", so only a template can write it.
BLOCK_MARK = "<!-- block -->"
_BLANK_LINES = re.compile(r"\n{3,}")


def figure(value: float | None) -> str:
    """A heat figure as people read it: 12,345 or 12.5; "—" when unknown."""
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def make_environment(templates: Path = TEMPLATES) -> Environment:
    """Autoescaped (but for Markdown and text, whose escaping is their own), strict."""
    env = Environment(
        loader=FileSystemLoader(templates),
        # HTML entities in Markdown or text would show up literally.
        autoescape=select_autoescape(
            disabled_extensions=("md.j2", "txt.j2"), default=True, default_for_string=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(
        figure=figure,
        hhmm=hhmm,
        clean=clean,
        href=safe_href,
        site=source_label,
        md=escape_markdown,
        md_url=markdown_url,
        yaml=yaml_string,
        underline=underline,
    )
    return env


def tidy(text: str) -> str:
    """Data never holds a newline (see clean), so 3+ newlines are template layout."""
    return _BLANK_LINES.sub("\n\n", text).strip()


def marked_blocks(text: str) -> list[str]:
    """The non-empty blocks a template separated with BLOCK_MARK."""
    return [block.strip() for block in tidy(text).split(BLOCK_MARK) if block.strip()]
