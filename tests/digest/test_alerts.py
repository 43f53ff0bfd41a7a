"""Alert incidents: a source failing for longer than the bound opens once, recovers once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from digest import IngestResult, Store, ingest_alerts, open_incidents
from digest.store.store import Fetch

T0 = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
SIX_HOURS = timedelta(hours=6)


def fetch(store: Store, at: datetime, ok: bool, source: str = "juejin") -> IngestResult:
    error = None if ok else "HTTP 503"
    store.record_fetch(Fetch(source, at, at, ok, 3 if ok else 0, error))
    return IngestResult(source, ok, 3 if ok else 0, error=error)


def test_a_source_failing_longer_than_the_bound_is_alerted_once_then_recovers(
    store: Store,
) -> None:
    fetch(store, T0, True, "v2ex")
    fetch(store, T0, True)
    opened = []
    for hour in range(1, 10):  # juejin fails hourly from 01:00; v2ex keeps working
        at = T0 + timedelta(hours=hour)
        results = [fetch(store, at, False), fetch(store, at, True, "v2ex")]
        opened += [(hour, a.key, a.opened) for a in ingest_alerts(store, results, at, SIX_HOURS)]
    assert opened == [(8, "source:juejin", True)]  # failing since 01:00: more than 6 h at 08:00
    assert [key for key, _, _ in open_incidents(store)] == ["source:juejin"]
    back = T0 + timedelta(hours=10)
    [recovered] = ingest_alerts(store, [fetch(store, back, True)], back, SIX_HOURS)
    assert (recovered.key, recovered.opened, recovered.since) == (
        "source:juejin",
        False,
        T0 + timedelta(hours=8),
    )
    assert open_incidents(store) == []
    assert ingest_alerts(store, [fetch(store, back, True)], back, SIX_HOURS) == []


def test_every_source_failing_opens_one_incident(store: Store) -> None:
    results = [fetch(store, T0, False), fetch(store, T0, False, "v2ex")]
    [alert] = ingest_alerts(store, results, T0, SIX_HOURS)
    assert alert.key == "ingest:all" and "juejin: HTTP 503" in alert.detail["errors"]
    assert ingest_alerts(store, results, T0 + timedelta(hours=1), SIX_HOURS) == []
