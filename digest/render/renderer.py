"""Render a Digest as Telegram HTML messages, Hugo Markdown or plain text, with Jinja2."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..document import (
    SECTION_IDS,
    Digest,
    Section,
    SourceEntry,
    Statement,
    section_id,
    source_label,
)
from ..errors import UsageError
from ..store.archive import is_week
from .bot_text import BotTexts
from .environment import TEMPLATES, figure, make_environment, marked_blocks, tidy
from .telegram_html import MESSAGE_LIMIT, safe_href, split_blocks, split_caption
from .text import clean

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
TELEGRAM_VIEWS = ("push", "full")
PUSH_SOURCES = 5

_TAIL = re.compile(r"[。．.!?！？;；…]+$")


@dataclass(frozen=True, slots=True)
class Cite:
    number: int
    url: str | None  # None when the source has no safe http(s) link


@dataclass(frozen=True, slots=True)
class Line:
    """A statement split for rendering: text, its citations, then its final punctuation."""

    body: str
    cites: tuple[Cite, ...]
    tail: str
    spaced: bool  # English puts a space before "[1]"; Chinese does not


@dataclass(frozen=True, slots=True)
class BlockView:
    heading: str | None
    lines: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class SectionView:
    id: str
    title: str
    blocks: tuple[BlockView, ...]


@dataclass(frozen=True, slots=True)
class SourceView:
    number: int
    title: str
    url: str | None
    origin: str
    heat: str | None


@dataclass(frozen=True, slots=True)
class FooterView:
    built_at: str
    window: str
    used: tuple[str, ...]
    stale: tuple[str, ...]
    failed: tuple[str, ...]
    writer: str
    notes: tuple[str, ...]
    left_out: int
    # Set when the reader's zone differs from the digest's: Telegram HTML then marks the
    # time with <tg-time>, which clients show in the reader's own local time.
    built_unix: int | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """Everything a template may show, already cleaned: templates only add markup."""

    language: str
    t: dict[str, Any]
    date: str
    title: str
    headline: Line
    sections: tuple[SectionView, ...]
    sources: tuple[SourceView, ...]
    footer: FooterView
    empty: bool
    tags: tuple[str, ...]
    slug: str
    built_at_iso: str


def digest_filename(digest: Digest) -> str:
    """The export file name: ``2026-02-15.md``, or ``2026-02-15-v2.md`` from version 2; a
    weekly digest's ``2026-W07.md``.

    :raises ValueError: a date or version no build makes (a tampered store), so no
        name can point outside the export folder.
    """
    day, version = digest.date, digest.version
    if not isinstance(day, str) or type(version) is not int:
        raise ValueError(f"stored digest has a bad date or version: {str(day)[:40]!r}")
    if is_week(day):
        date.fromisocalendar(int(day[:4]), int(day[6:]), 1)  # a week that exists
    elif _ISO_DAY.fullmatch(day):
        date.fromisoformat(day)
    else:
        raise ValueError(f"stored digest has a bad date or version: {str(day)[:40]!r}")
    if version < 1:
        raise ValueError(f"stored digest {day} has version {version}")
    return f"{day}{_version_suffix(digest)}.md"


def _version_suffix(digest: Digest) -> str:
    return f"-v{digest.version}" if digest.version > 1 else ""


def _local(moment: str, tz_name: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An ISO time in the footer's zone; the raw text if either cannot be read."""
    try:
        parsed = datetime.fromisoformat(moment.strip().replace("Z", "+00:00"))
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(ZoneInfo(tz_name))
    except (ValueError, ZoneInfoNotFoundError):
        return moment
    return parsed.strftime(fmt)


class Renderer:
    """Owns the one Jinja2 environment (digests and bot texts); create one per process."""

    def __init__(self, templates: Path = TEMPLATES) -> None:
        self.env = make_environment(templates)
        # Label words live beside the templates, so wording changes never touch code.
        self.labels = tomllib.loads((templates / "labels.toml").read_text(encoding="utf-8"))
        self.texts = BotTexts(self.env)

    def _render(self, name: str, **context: Any) -> str:
        return tidy(self.env.get_template(name).render(**context))

    def telegram_blocks(
        self,
        digest: Digest,
        view: str = "push",
        language: str | None = None,
        reader_zone: str | None = None,
    ) -> list[str]:
        """The HTML blocks of a view, before they are packed into messages.

        :param reader_zone: the reader's IANA zone; when it differs from the digest's,
            times are marked so each client shows them in its own local time.
        """
        _check_view(view)
        page = self.page(digest, language, reader_zone)
        if digest.is_empty:
            html = self._render("telegram/empty.html.j2", p=page, push=view == "push")
        elif view in TELEGRAM_VIEWS:
            html = self._render(f"telegram/{view}.html.j2", p=page, top=page.sources[:PUSH_SOURCES])
        else:
            html = self._render("telegram/section.html.j2", p=page, s=_pick(page, view))
        return marked_blocks(html)

    def telegram(
        self,
        digest: Digest,
        view: str = "push",
        language: str | None = None,
        limit: int = MESSAGE_LIMIT,
        reader_zone: str | None = None,
    ) -> list[str]:
        return split_blocks(self.telegram_blocks(digest, view, language, reader_zone), limit)

    def telegram_caption(
        self, digest: Digest, language: str | None = None, reader_zone: str | None = None
    ) -> tuple[str, list[str]]:
        """The brief push as a photo's caption (≤ 1024) and the messages that follow it."""
        return split_caption(self.telegram_blocks(digest, "push", language, reader_zone))

    def markdown(
        self, digest: Digest, language: str | None = None, image: str | None = None
    ) -> str:
        """The Hugo page; ``image`` (a path relative to the page) becomes its cover."""
        page = self.page(digest, language)
        return self._render("markdown/digest.md.j2", p=page, image=image) + "\n"

    def text(self, digest: Digest, section: str | None = None, language: str | None = None) -> str:
        page = self.page(digest, language)
        chosen = [_pick(page, section)] if section is not None else list(page.sections)
        return self._render("text/digest.txt.j2", p=page, chosen=chosen) + "\n"

    def page(
        self, digest: Digest, language: str | None = None, reader_zone: str | None = None
    ) -> Page:
        """The digest as templates see it, in ``language`` if written in it, else its own."""
        lang = language if language in digest.sections else digest.language
        t = self.labels.get(lang, self.labels["en"])
        if is_week(digest.date):  # a weekly digest is titled as one
            t = {**t, "digest": t.get("weekly", t["digest"])}
        sections = tuple(
            _section_view(digest, _digest_section(digest, sid, lang, t), lang)
            for sid in SECTION_IDS
        )
        headline = _line(digest, digest.headline_in(lang), lang)
        fallback_title = f"{t['digest']} {digest.date}"
        title = (headline.body + headline.tail) if not digest.is_empty else ""
        return Page(
            language=lang,
            t=t,
            date=digest.date,
            title=title or fallback_title,
            headline=headline,
            sections=sections,
            sources=tuple(
                _source_view(entry, t, lang, _display_names(digest)) for entry in digest.sources
            ),
            footer=_footer_view(digest, lang, reader_zone),
            empty=digest.is_empty,
            tags=_tags(digest, lang),
            slug=f"hotdigest-{digest.date}{_version_suffix(digest)}",
            built_at_iso=digest.footer.built_at,
        )


def _digest_section(digest: Digest, sid: str, lang: str, t: dict[str, Any]) -> Section:
    """The section ``sid``, or an empty one titled from the labels if the digest lacks it."""
    try:
        return digest.section(sid, lang)
    except KeyError:
        return Section(sid, t["sections"][sid], ())


def _check_view(view: str) -> None:
    if view not in TELEGRAM_VIEWS and section_id(view) is None:
        raise UsageError(
            f"unknown view {view!r}: use push, full or one of {', '.join(SECTION_IDS)}"
        )


def _pick(page: Page, name: str) -> SectionView:
    sid = section_id(name)
    if sid is None:
        raise UsageError(f"unknown section {name!r}: use one of {', '.join(SECTION_IDS)}")
    return next(s for s in page.sections if s.id == sid)


def _line(digest: Digest, statement: Statement, lang: str) -> Line:
    text = clean(statement.text)
    match = _TAIL.search(text)
    body, tail = (text[: match.start()], match.group()) if match and statement.cites else (text, "")
    cites = tuple(Cite(n, _url(digest, n)) for n in statement.cites)
    return Line(body, cites, tail, spaced=lang != "zh")


def _url(digest: Digest, number: int) -> str | None:
    try:
        return safe_href(digest.source(number).url)
    except IndexError:
        return None


def _section_view(digest: Digest, section: Section, lang: str) -> SectionView:
    blocks = tuple(
        BlockView(
            clean(block.heading) or None, tuple(_line(digest, s, lang) for s in block.statements)
        )
        for block in section.blocks
    )
    return SectionView(section.id, clean(section.title), blocks)


def _source_view(
    entry: SourceEntry, t: dict[str, Any], lang: str, names: Mapping[str, object]
) -> SourceView:
    heat = None if entry.heat is None else figure(entry.heat)
    return SourceView(
        entry.index,
        clean(entry.title) or t["untitled"],
        safe_href(entry.url),
        clean(source_label(entry.source, lang, names)),
        heat,
    )


def _footer_view(digest: Digest, lang: str, reader_zone: str | None = None) -> FooterView:
    f = digest.footer
    names = _display_names(digest)
    built_unix = _unix(f.built_at) if reader_zone not in (None, f.timezone) else None
    start = _local(f.window_start, f.timezone, "%m-%d %H:%M")
    end = _local(f.window_end, f.timezone, "%m-%d %H:%M")
    return FooterView(
        built_at=f"{_local(f.built_at, f.timezone)} ({clean(f.timezone)})",
        window=f"{clean(start)} – {clean(end)}",
        used=tuple(clean(source_label(s, lang, names)) for s in f.sources_used),
        stale=tuple(clean(source_label(s, lang, names)) for s in f.sources_stale),
        failed=tuple(clean(source_label(s, lang, names)) for s in f.sources_failed),
        writer=clean(f.writer),
        notes=tuple(clean(n) for n in f.notes),
        left_out=f.posts_left_out,
        built_unix=built_unix,
    )


def _unix(moment: str) -> int | None:
    """Seconds since the epoch of an ISO time with a zone; None if it cannot be read."""
    try:
        parsed = datetime.fromisoformat(moment.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return int(parsed.timestamp()) if parsed.tzinfo is not None else None


def _tags(digest: Digest, lang: str) -> tuple[str, ...]:
    """Theme labels, hottest first: from ``facts["themes"]``, else the sources' theme ids."""
    themes = digest.facts.get("themes")
    if isinstance(themes, list) and themes:
        labels = (
            clean(str(theme.get(lang) or theme.get("id") or ""))
            for theme in themes
            if isinstance(theme, dict) and theme.get("id") != "other"
        )
    else:
        labels = (
            clean(entry.theme) for entry in digest.sources if entry.theme and entry.theme != "other"
        )
    return tuple(dict.fromkeys(label for label in labels if label))


def render_telegram(
    digest: Digest,
    view: str = "push",
    language: str | None = None,
    limit: int = MESSAGE_LIMIT,
    *,
    renderer: Renderer | None = None,
) -> list[str]:
    """Telegram HTML messages of ``view``: "push", "full" or a section id or alias.

    Every message is valid on its own and at most ``limit`` visible UTF-16 units.

    :raises UsageError: for an unknown view.
    """
    return (renderer or Renderer()).telegram(digest, view, language, limit)


def render_markdown(
    digest: Digest,
    language: str | None = None,
    *,
    renderer: Renderer | None = None,
    image: str | None = None,
) -> str:
    """Markdown with Hugo front matter, for ``hotdigest export``; ``image``: its cover."""
    return (renderer or Renderer()).markdown(digest, language, image)


def render_text(
    digest: Digest,
    section: str | None = None,
    language: str | None = None,
    *,
    renderer: Renderer | None = None,
) -> str:
    """Plain text for the terminal: the whole digest, or one section (id or alias).

    :raises UsageError: for an unknown section.
    """
    return (renderer or Renderer()).text(digest, section, language)


def _display_names(digest: Digest) -> Mapping[str, object]:
    """The configured display names the digest was built with (none in older digests)."""
    names = digest.facts.get("source_names")
    return names if isinstance(names, dict) else {}
