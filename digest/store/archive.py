"""Built digests, stored as versioned JSON: same input keeps the version, new input adds one.

A digest's key is its date (``2026-02-15``) or, for a weekly digest, its ISO week
(``2026-W07``); weeks live in a table of their own (``week_digests``), chosen by the key,
so every reader of a version (buttons, pushes, corrections) finds either kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from ..clock import to_iso
from ..document import Digest
from .store import Store

WEEK_KEY = re.compile(r"\d{4}-W\d{2}")


def is_week(key: str) -> bool:
    """Whether a digest key names an ISO week (``YYYY-Www``) rather than a day."""
    return WEEK_KEY.fullmatch(key) is not None


def _table(key: str | None, weeks: bool = False) -> str:
    return "week_digests" if weeks or (key is not None and is_week(key)) else "digests"


@dataclass(frozen=True, slots=True)
class SavedDigest:
    digest: Digest
    created: bool  # False when an identical version already existed
    previous: Digest | None  # the version it replaced, if any


def save_digest(
    store: Store, digest: Digest, built_at: datetime, force: bool = False
) -> SavedDigest:
    """Store ``digest`` as the next version of its date unless the latest has its fingerprint."""
    latest = latest_digest(store, digest.date)
    if latest is not None and latest.fingerprint == digest.fingerprint and not force:
        return SavedDigest(latest, created=False, previous=None)
    version = (latest.version if latest else 0) + 1
    saved = replace(digest, version=version)
    with store.db.conn:
        store.db.table(_table(saved.date)).insert(
            {
                "date": saved.date,
                "version": version,
                "built_at": to_iso(built_at),
                "writer": saved.footer.writer,
                "fingerprint": saved.fingerprint,
                "sources": len(saved.sources),
                "data": saved.to_json(),
            }
        )
    return SavedDigest(saved, created=True, previous=latest)


def latest_digest(store: Store, day: str | None = None, *, weeks: bool = False) -> Digest | None:
    """The newest version for ``day`` (YYYY-MM-DD or YYYY-Www), or of the newest day (with
    ``weeks``: the newest week) when None."""
    table = _table(day, weeks)
    if day is None:
        row = store.db.execute(
            f"SELECT data FROM {table} ORDER BY date DESC, version DESC LIMIT 1"
        ).fetchone()
    else:
        row = store.db.execute(
            f"SELECT data FROM {table} WHERE date = ? ORDER BY version DESC LIMIT 1", [day]
        ).fetchone()
    return Digest.from_json(row[0]) if row else None


def get_digest(store: Store, day: str, version: int) -> Digest | None:
    row = store.db.execute(
        f"SELECT data FROM {_table(day)} WHERE date = ? AND version = ?", [day, version]
    ).fetchone()
    return Digest.from_json(row[0]) if row else None


def digest_versions(
    store: Store, with_posts: bool = False, *, weeks: bool = False
) -> list[tuple[str, int, str, str]]:
    """(date, version, built_at, writer) of every stored digest, newest first.

    :param with_posts: leave out empty digests (stored before empty windows stopped
        being stored): they are never shown as the latest nor pushed.
    :param weeks: the weekly digests (keyed ``YYYY-Www``) instead of the dailies.
    """
    where = "WHERE sources > 0 " if with_posts else ""
    rows = store.db.execute(
        f"SELECT date, version, built_at, writer FROM {_table(None, weeks)} {where}"
        "ORDER BY date DESC, version DESC"
    )
    return [tuple(row) for row in rows.fetchall()]


@dataclass(frozen=True, slots=True)
class DigestChange:
    """What a new version changed against an older one (what /rebuild reports)."""

    old_version: int
    new_version: int
    headline_changed: bool
    added: list[str] = field(default_factory=list)  # titles newly cited
    removed: list[str] = field(default_factory=list)  # titles no longer cited
    heat_changed: list[tuple[str, float | None, float | None]] = field(default_factory=list)
    themes_added: list[str] = field(default_factory=list)
    themes_removed: list[str] = field(default_factory=list)
    writer_changed: bool = False

    @property
    def unchanged(self) -> bool:
        return not (
            self.headline_changed
            or self.added
            or self.removed
            or self.heat_changed
            or self.themes_added
            or self.themes_removed
            or self.writer_changed
        )


def compare_digests(old: Digest, new: Digest) -> DigestChange:
    old_sources = {(s.source, s.post_id): s for s in old.sources}
    new_sources = {(s.source, s.post_id): s for s in new.sources}
    old_themes = {t["id"]: t for t in old.facts.get("themes", [])}
    new_themes = {t["id"]: t for t in new.facts.get("themes", [])}
    lang = new.language
    return DigestChange(
        old_version=old.version,
        new_version=new.version,
        headline_changed=old.headline.text != new.headline.text,
        added=[new_sources[k].title for k in new_sources if k not in old_sources],
        removed=[old_sources[k].title for k in old_sources if k not in new_sources],
        heat_changed=[
            (new_sources[k].title, old_sources[k].heat, new_sources[k].heat)
            for k in new_sources
            if k in old_sources and old_sources[k].heat != new_sources[k].heat
        ],
        themes_added=[new_themes[t][lang] for t in new_themes if t not in old_themes],
        themes_removed=[old_themes[t][lang] for t in old_themes if t not in new_themes],
        writer_changed=old.footer.writer != new.footer.writer,
    )
