"""The digest as data: sections of cited statements over an ordered source list.

A ``Digest`` is what the builder stores (as JSON, versioned) and what every
renderer reads. Citations are 1-based indices into ``Digest.sources``; links and
figures live only in ``SourceEntry`` and the ``facts``, never inside prose.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

SECTION_IDS = ("summary", "highlights", "metrics", "outlook", "sources")
SECTION_ALIASES = {
    "summary": "summary",
    "摘要": "summary",
    "核心摘要": "summary",
    "highlights": "highlights",
    "要点": "highlights",
    "今日要点": "highlights",
    "metrics": "metrics",
    "数据": "metrics",
    "数据与指标": "metrics",
    "outlook": "outlook",
    "趋势": "outlook",
    "趋势与机会": "outlook",
    "sources": "sources",
    "来源": "sources",
    "来源列表": "sources",
}
LANGUAGES = ("zh", "en")
FORMAT_VERSION = 1
# Display names of the built-in source kinds (zh, en); other sources show their own name.
SOURCE_LABELS = {
    "juejin": ("掘金", "Juejin"),
    "hackernews": ("Hacker News", "Hacker News"),
    "v2ex": ("V2EX", "V2EX"),
    "github": ("GitHub Trending", "GitHub Trending"),
}


def source_label(source: str, language: str, names: Mapping[str, object] | None = None) -> str:
    """How a source is shown: its configured display name, else a known list's, else its id."""
    named = (names or {}).get(source)
    if isinstance(named, str) and named:
        return named
    zh, en = SOURCE_LABELS.get(source, (source, source))
    return zh if language == "zh" else en


def section_id(name: str) -> str | None:
    """The section id for an id or alias (case-insensitive), or None."""
    return SECTION_ALIASES.get(name.strip().lower())


@dataclass(frozen=True, slots=True)
class SourceEntry:
    """One numbered source: a stored post, with the figures the digest shows for it."""

    index: int
    source: str
    post_id: str
    title: str
    url: str | None
    heat: float | None
    author: str | None = None
    brief: str | None = None
    theme: str | None = None


@dataclass(frozen=True, slots=True)
class Statement:
    """A sentence of plain text and the sources it cites (indices into the source list)."""

    text: str
    cites: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph: an optional heading and its statements."""

    statements: tuple[Statement, ...]
    heading: str | None = None


@dataclass(frozen=True, slots=True)
class Section:
    """One of the five sections, written in one language."""

    id: str
    title: str
    blocks: tuple[Block, ...]
    writer: str = "offline"


@dataclass(frozen=True, slots=True)
class Footer:
    """Provenance: when, from what, by which writer, and what was missing."""

    built_at: str  # ISO-8601 with the configured zone's offset
    timezone: str
    window_start: str
    window_end: str
    sources_used: tuple[str, ...]
    sources_stale: tuple[str, ...] = ()
    sources_failed: tuple[str, ...] = ()
    writer: str = "offline"
    notes: tuple[str, ...] = ()  # e.g. why a section fell back to the offline writer
    posts_left_out: int = 0  # posts of the window the digest does not cite (digest.max_posts)


@dataclass(frozen=True, slots=True)
class Digest:
    """A built digest: a date, a version, its sources and its sections per language."""

    date: str
    version: int
    fingerprint: str
    language: str
    headline: Statement
    sources: tuple[SourceEntry, ...]
    sections: dict[str, tuple[Section, ...]]  # language → sections in SECTION_IDS order
    footer: Footer
    facts: dict[str, Any] = field(default_factory=dict)
    headlines: dict[str, Statement] = field(default_factory=dict)  # language → headline
    format_version: int = FORMAT_VERSION

    @property
    def is_empty(self) -> bool:
        return not self.sources

    def section(self, section: str, language: str | None = None) -> Section:
        for candidate in self.sections[language or self.language]:
            if candidate.id == section:
                return candidate
        raise KeyError(section)

    def headline_in(self, language: str | None = None) -> Statement:
        return self.headlines.get(language or self.language, self.headline)

    def headline_link(self, language: str | None = None) -> str | None:
        """The link a push previews: the first source the headline cites with a link,
        else the top source's."""
        count = len(self.sources)
        cites = [self.sources[i - 1] for i in self.headline_in(language).cites if 0 < i <= count]
        return next((s.url for s in (*cites, *self.sources[:1]) if s.url), None)

    def source(self, index: int) -> SourceEntry:
        """The source numbered ``index`` (1-based)."""
        if not 1 <= index <= len(self.sources):
            raise IndexError(index)
        return self.sources[index - 1]

    def citing(self, index: int, language: str | None = None) -> list[tuple[str, Statement]]:
        """(section id, statement) for every statement that cites source ``index``."""
        found: list[tuple[str, Statement]] = []
        for section in self.sections[language or self.language]:
            for block in section.blocks:
                found.extend((section.id, s) for s in block.statements if index in s.cites)
        return found

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Digest:
        return digest_from_dict(json.loads(text))


def _statement(data: dict[str, Any]) -> Statement:
    return Statement(text=data["text"], cites=tuple(data["cites"]))


def digest_from_dict(data: dict[str, Any]) -> Digest:
    """Rebuild a Digest from its JSON form (the stored ``data`` column)."""
    sections = {
        language: tuple(
            Section(
                id=s["id"],
                title=s["title"],
                writer=s.get("writer", "offline"),
                blocks=tuple(
                    Block(
                        heading=b["heading"],
                        statements=tuple(_statement(st) for st in b["statements"]),
                    )
                    for b in s["blocks"]
                ),
            )
            for s in items
        )
        for language, items in data["sections"].items()
    }
    footer = data["footer"]
    return Digest(
        date=data["date"],
        version=data["version"],
        fingerprint=data["fingerprint"],
        language=data["language"],
        headline=_statement(data["headline"]),
        headlines={k: _statement(v) for k, v in data.get("headlines", {}).items()},
        sources=tuple(SourceEntry(**entry) for entry in data["sources"]),
        sections=sections,
        footer=Footer(**_footer_fields(footer)),
        facts=data.get("facts", {}),
        format_version=data.get("format_version", FORMAT_VERSION),
    )


def _footer_fields(footer: dict[str, Any]) -> dict[str, Any]:
    """JSON lists back to the tuples Footer holds."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in footer.items()}
