"""From facts to the digest document: numbered sources, sections in each language, the
fingerprint that says whether anything changed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from ..document import SECTION_IDS, Block, Digest, Footer, Section, SourceEntry, Statement
from ..writers.offline import SECTION_TITLES, Draft, DraftSection, OfflineWriter
from .facts import BuildFacts, Key

BUILDER_VERSION = "1"  # part of the fingerprint: a new builder rebuilds unchanged data


Voice = Callable[[BuildFacts, str], OfflineWriter]


def write_digest(
    facts: BuildFacts,
    language: str,
    footer: Footer,
    *,
    voice: Voice = OfflineWriter,
    key: str | None = None,
    extra: Callable[[Mapping[Key, int]], dict[str, Any]] | None = None,
) -> Digest:
    """The digest document of ``facts``: the offline prose in every language, sources
    numbered in order of first citation (read in ``language``), and its fingerprint.

    :param voice: the offline writer (a weekly digest passes its own).
    :param key: the digest's key (default: ``facts.day``; a week's is ``YYYY-Www``).
    :param extra: more figures for the stored facts, given the sources' numbering.
    """
    languages = (language, *(lang for lang in ("zh", "en") if lang != language))
    drafts = {lang: voice(facts, lang) for lang in languages}
    written = {lang: (w.headline(), w.sections()) for lang, w in drafts.items()}
    numbering = _number(written[language])
    by_key = {post.key: post for post in facts.cited_posts}
    theme_of = {post.key: g.theme.id for g in facts.groups for post in g.posts}
    sources = tuple(
        SourceEntry(
            index=n,
            source=key[0],
            post_id=key[1],
            title=by_key[key].seen.post.title,
            url=by_key[key].seen.post.url,
            heat=by_key[key].seen.heat,
            author=by_key[key].seen.post.author,
            brief=by_key[key].seen.post.brief,
            theme=theme_of[key],
        )
        for key, n in numbering.items()
    )
    sections = {
        lang: (*(_section(d, numbering) for d in secs), _sources_section(sources, lang))
        for lang, (_, secs) in written.items()
    }
    headlines = {lang: _statement(head, numbering) for lang, (head, _) in written.items()}
    digest = Digest(
        date=key or facts.day.isoformat(),
        version=0,
        fingerprint="",
        language=language,
        headline=headlines[language],
        headlines=headlines,
        sources=sources,
        sections=sections,
        footer=footer,
        facts={**_facts_json(facts, numbering), **(extra(numbering) if extra else {})},
    )
    return replace(digest, fingerprint=fingerprint(digest))


def _number(written: tuple[Draft, list[DraftSection]]) -> dict[Key, int]:
    """Number sources in order of first citation, reading the digest top to bottom."""
    headline, sections = written
    numbering: dict[Key, int] = {}
    drafts = [headline] + [d for s in sections for b in s.blocks for d in b.statements]
    for draft in drafts:
        for key in draft.keys:
            numbering.setdefault(key, len(numbering) + 1)
    return numbering


def _statement(draft: Draft, numbering: dict[Key, int]) -> Statement:
    return Statement(draft.text, tuple(dict.fromkeys(numbering[k] for k in draft.keys)))


def _section(draft: DraftSection, numbering: dict[Key, int]) -> Section:
    blocks = tuple(
        Block(tuple(_statement(d, numbering) for d in b.statements), b.heading)
        for b in draft.blocks
    )
    return Section(draft.id, draft.title, blocks)


def _sources_section(sources: Sequence[SourceEntry], language: str) -> Section:
    lines = tuple(Statement(entry.title, (entry.index,)) for entry in sources)
    return Section("sources", SECTION_TITLES[language]["sources"], (Block(lines),) if lines else ())


def _facts_json(facts: BuildFacts, numbering: dict[Key, int]) -> dict[str, object]:
    """The figures behind the prose, by source index, for writers and the bot."""
    return {
        "window_posts": facts.window_posts,
        "previous_posts": facts.previous_posts,
        "themes": [
            {
                "id": g.theme.id,
                "zh": g.theme.zh,
                "en": g.theme.en,
                "items": [[numbering[p.key] for p in item.posts] for item in g.items],
            }
            for g in facts.groups
        ],
        "per_source": [
            {"source": c.source, "posts": c.posts, "cited": c.cited, "with_heat": c.with_heat}
            for c in facts.per_source
        ],
        "new": sorted(numbering[p.key] for p in facts.cited_posts if facts.is_new(p)),
        "days_seen": {str(numbering[k]): d for k, d in sorted(facts.days_seen.items()) if d},
        "source_names": dict(facts.source_names),
        "places": {str(numbering[k]): facts.places[k] for k in numbering if k in facts.places},
        # For `/sources all`: what max_posts kept out, so a reader can still find it.
        "left_out": [
            {
                "source": p.seen.post.source,
                "post_id": p.seen.post.post_id,
                "title": p.seen.post.title,
                "url": p.seen.post.url,
                "heat": p.seen.heat,
            }
            for p in facts.left_out
        ],
    }


def empty_digest(day: date | str, language: str, footer: Footer) -> Digest:
    """The digest of a window without posts (never pushed; see build/day.py)."""
    notice = {"zh": "这个时间窗口内没有热门内容。", "en": "No hot posts in this window."}
    sections = {
        lang: tuple(
            Section(
                sid,
                SECTION_TITLES[lang][sid],
                (Block((Statement(notice[lang]),)),) if sid != "sources" else (),
            )
            for sid in SECTION_IDS
        )
        for lang in ("zh", "en")
    }
    headlines = {lang: Statement(notice[lang]) for lang in ("zh", "en")}
    digest = Digest(
        date=day if isinstance(day, str) else day.isoformat(),
        version=0,
        fingerprint="",
        language=language,
        headline=headlines[language],
        headlines=headlines,
        sources=(),
        sections=sections,
        footer=footer,
        facts={"window_posts": 0},
    )
    return replace(digest, fingerprint=fingerprint(digest))


def fingerprint(digest: Digest) -> str:
    """Hash of everything the digest says, minus when it was built and its version."""
    data = json.loads(digest.to_json())
    data["footer"].pop("built_at", None)
    data.pop("version", None)
    data.pop("fingerprint", None)
    data["builder"] = BUILDER_VERSION
    blob = json.dumps(data, ensure_ascii=False, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]
