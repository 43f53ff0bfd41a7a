"""Admin alert incidents: opened once, resolved once, kept in the store across restarts.

Checks run after every ingest and every build and return only the *changes*: an
incident that opens, or one that recovers. A condition that persists (a source down
for a day, a week of empty builds) opens its incident once, so admins get one message
per incident and one when it recovers, however often the checks run or the bot restarts.

==================  ===============================================================
``ingest:all``      every source failed in one ingest run
``source:<name>``   a source has failed for longer than ``alert_after``
``empty:<date>``    a day's build found no posts (nothing was stored or pushed)
``llm``             an LLM build fell back to offline text
==================  ===============================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..build.day import DayBuild
from ..clock import from_iso, to_iso
from ..sources.ingest import IngestResult
from ..store.incidents import open_incident, resolve_incident
from ..store.store import Store

ALL_SOURCES = "ingest:all"
LLM = "llm"


@dataclass(frozen=True, slots=True)
class Alert:
    """An incident that opened (``opened``) or recovered; ``detail`` says what it is about."""

    key: str
    kind: str  # all_sources | source | empty | llm
    opened: bool
    detail: dict[str, str] = field(default_factory=dict)
    since: datetime | None = None  # for a recovery: when the incident opened


def failing_since(store: Store, source: str) -> datetime | None:
    """When the source's current run of failed fetches began (None: its last fetch was ok)."""
    row = store.db.execute(
        "SELECT min(started_at) FROM fetches WHERE source = :s AND ok = 0 AND started_at > "
        "coalesce((SELECT max(started_at) FROM fetches WHERE source = :s AND ok = 1), '')",
        {"s": source},
    ).fetchone()
    return from_iso(row[0]) if row and row[0] else None


def _change(
    store: Store, key: str, kind: str, bad: bool, detail: dict[str, str], now: datetime
) -> Alert | None:
    if bad:
        text = "; ".join(f"{k}={v}" for k, v in detail.items())
        opened = open_incident(store, key, kind, text, now)
        return Alert(key, kind, True, detail) if opened else None
    since = resolve_incident(store, key, now)
    return Alert(key, kind, False, detail, since) if since is not None else None


def ingest_alerts(
    store: Store, results: Sequence[IngestResult], now: datetime, alert_after: timedelta
) -> list[Alert]:
    """Incidents an ingest run opened or resolved (its fetches already recorded)."""
    if not results:
        return []
    changes: list[Alert | None] = []
    failed = [r for r in results if not r.ok]
    errors = "; ".join(f"{r.source}: {r.error or 'failed'}" for r in failed)
    everything = len(failed) == len(results)
    changes.append(_change(store, ALL_SOURCES, "all_sources", everything, {"errors": errors}, now))
    for result in results:
        since = None if result.ok else failing_since(store, result.source)
        bad = since is not None and now - since > alert_after
        detail = {"source": result.source, "error": result.error or ""}
        if since is not None:
            detail["since"] = to_iso(since)
        if not result.ok and not bad:
            continue  # failing, but not for long enough yet: neither opened nor resolved
        changes.append(_change(store, f"source:{result.source}", "source", bad, detail, now))
    return [change for change in changes if change is not None]


def build_alerts(store: Store, build: DayBuild, now: datetime) -> list[Alert]:
    """Incidents a build opened or resolved: an empty day, and the LLM falling back."""
    day = build.day.isoformat()
    window = {"date": day, "start": to_iso(build.window[0]), "end": to_iso(build.window[1])}
    changes = [_change(store, f"empty:{day}", "empty", build.empty, window, now)]
    if build.llm_model is not None and not build.empty:
        written = build.digest is not None and build.digest.footer.writer.startswith("llm:")
        if build.fell_back or written:
            detail = {"date": day, "model": build.llm_model, "reason": build.llm_reason}
            changes.append(_change(store, LLM, "llm", build.fell_back, detail, now))
    return [change for change in changes if change is not None]
