"""Build a day's digest: the one path the CLI, the bot's jobs and /rebuild share.

Options, the LLM writer and its cache, the fallback and the rules about what gets
stored all live here, so whatever ``hotdigest build`` writes with a configuration the
running bot writes too:

- the window ends at the build time, or later when posts were collected between the
  build time and now (at most until the next day's build time), so a push that waits
  for posts, or comes hours after the build, carries what was collected meanwhile;
- an empty window stores nothing (the day's build log says so): an empty digest is
  never "the latest" and never pushed;
- unchanged input keeps the stored version, unless that version holds offline text
  where the LLM is configured (a fallback): then the LLM is asked again, and its text,
  once valid, is stored as a new version.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from ..document import Digest
from ..store.archive import SavedDigest, latest_digest, save_digest
from ..store.build_log import EMPTY, NEW, UNCHANGED, BuildRecord, record_build
from ..store.store import Store
from ..writers.llm import LlmWriter, Progress
from ..writers.llm_client import LlmConfig
from .builder import BuildOptions, compose_digest

COLLECTING = "collecting"
WRITING = "writing"
VALIDATING = "validating"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DayBuild:
    """What a build of one day did.

    :param saved: the stored (new or kept) version; None when the window was empty.
    :param llm_reason: why the LLM's text was rejected and offline text stored instead.
    :param upgraded: a stored fallback was replaced by the LLM's text (same input).
    """

    day: date
    saved: SavedDigest | None
    posts: int
    window: tuple[datetime, datetime]
    llm_model: str | None = None
    llm_reason: str = ""
    upgraded: bool = False

    @property
    def empty(self) -> bool:
        return self.saved is None

    @property
    def fell_back(self) -> bool:
        return bool(self.llm_reason)

    @property
    def digest(self) -> Digest | None:
        return self.saved.digest if self.saved else None


def window_of(
    store: Store, day: date, options: BuildOptions, now: datetime
) -> tuple[datetime, datetime]:
    """[start, end) of ``day``'s window: to its build time, or to the newest sighting since
    (collected before ``now`` and before the next day's build time)."""
    start, end = options.window(day)
    limit = min(now, options.window(day + timedelta(days=1))[1] - timedelta(seconds=1))
    newest = store.last_sighting(end, limit) if limit >= end else None
    # Stored times have whole seconds: one more second takes the newest sighting in.
    return start, (newest + timedelta(seconds=1)) if newest is not None else end


def build_day(
    store: Store,
    day: date,
    options: BuildOptions,
    now: datetime,
    *,
    llm: LlmConfig | None = None,
    force: bool = False,
    retry_llm: bool = True,
    progress: Progress | None = None,
) -> DayBuild:
    """Build ``day``'s digest and store it as a new version if its input (or writer) changed.

    :param llm: write the prose with this endpoint (None: the offline writer only).
    :param force: store a new version even if nothing changed.
    :param retry_llm: with unchanged input, ask the LLM again when the stored version is
        offline text (False: unchanged input is never rewritten; the pre-push check).
    :param progress: told (stage, detail) as the build goes: collecting, writing,
        validating (the LLM's steps, per section).
    """
    tell = progress or (lambda stage, detail: None)
    tell(COLLECTING, "")
    window = window_of(store, day, options, now)
    offline = compose_digest(store, day, options, now, window_end=window[1])
    posts = int(offline.facts.get("window_posts", 0))
    model = llm.model if llm is not None else None
    if offline.is_empty:
        _log(store, day, EMPTY, posts, None, "", window, now)
        return DayBuild(day, None, 0, window, model)
    done = store_version(store, offline, now, llm=llm, force=force, retry_llm=retry_llm, tell=tell)
    _log(store, day, done.outcome, posts, done.saved.digest, done.reason, window, now)
    return DayBuild(day, done.saved, posts, window, model, done.reason, upgraded=done.upgraded)


@dataclass(frozen=True, slots=True)
class Stored:
    """What :func:`store_version` did: a new version (``NEW``) or the stored one kept."""

    outcome: str
    saved: SavedDigest
    reason: str = ""  # why the LLM's text was rejected
    upgraded: bool = False  # a stored fallback replaced by the LLM's text (same input)


def store_version(
    store: Store,
    offline: Digest,
    now: datetime,
    *,
    llm: LlmConfig | None,
    force: bool,
    retry_llm: bool,
    tell: Progress,
) -> Stored:
    """Store ``offline`` (a digest with posts, day or week), written by the LLM when one is
    configured, as a new version unless its input and writer are what is stored."""
    latest = latest_digest(store, offline.date)
    same = latest is not None and latest.fingerprint == offline.fingerprint and not force
    wanted = f"llm:{llm.model}" if llm is not None else None
    stored_writer = latest.footer.writer if latest is not None else None
    keep = not retry_llm or wanted is None or stored_writer == wanted
    if same and latest is not None and keep:
        return Stored(UNCHANGED, SavedDigest(latest, False, None))
    digest, reason = offline, ""
    if llm is None:
        tell(WRITING, "offline")  # written with the window's facts, just now
    else:
        tell(WRITING, "")
        digest = LlmWriter(store, llm, clock=lambda: now, progress=tell)(offline)
        reason = "; ".join(digest.footer.notes[len(offline.footer.notes) :])
    if same and latest is not None and digest.footer.writer != wanted:
        # Still no LLM text for input already stored: keep that version as it is.
        return Stored(UNCHANGED, SavedDigest(latest, False, None), reason)
    saved = save_digest(store, digest, now, force=force or same)
    return Stored(NEW, saved, reason, upgraded=same)


def _log(
    store: Store,
    day: date,
    outcome: str,
    posts: int,
    digest: Digest | None,
    reason: str,
    window: tuple[datetime, datetime],
    now: datetime,
) -> None:
    version, writer = (digest.version, digest.footer.writer) if digest else (0, "")
    record = BuildRecord(day.isoformat(), outcome, posts, version, writer, reason, *window, now)
    record_build(store, record)


async def build_off_loop(
    db_path: str | Path,
    day: date,
    options: BuildOptions,
    now: datetime,
    *,
    llm: LlmConfig | None = None,
    force: bool = False,
    retry_llm: bool = True,
    progress: Callable[[str, str], None] | None = None,
) -> DayBuild:
    """``build_day`` on a worker thread; ``progress`` is called on the event loop.

    The thread opens a connection of its own: the bot's store thread serves every
    command, and an LLM build holds its connection for minutes while it waits on the
    endpoint (SQLite in WAL mode lets the two read at once and serialises their short
    writes).
    """
    loop = asyncio.get_running_loop()

    def tell(stage: str, detail: str) -> None:
        if progress is not None:
            loop.call_soon_threadsafe(progress, stage, detail)

    return await off_loop(
        db_path,
        lambda store: build_day(
            store, day, options, now, llm=llm, force=force, retry_llm=retry_llm, progress=tell
        ),
    )


async def off_loop(db_path: str | Path, work: Callable[[Store], T]) -> T:
    """``work`` on a worker thread, with a connection of that thread's own (sqlite3
    connections refuse other threads), closed when it ends: a day's or a week's build."""

    def run() -> T:
        store = Store.open(db_path)
        try:
            return work(store)
        finally:
            store.close()

    return await asyncio.to_thread(run)
