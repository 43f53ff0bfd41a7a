"""The bot's Prometheus metrics on a registry of their own, and a request that counts sends.

Every figure lives on one :class:`Metrics` object (``services.metrics``): tests and two
bots in one process never share counters, as they would on prometheus_client's global
registry. Sends are counted where every Bot API call passes, the request object, so the
send path needs no counting code of its own: the application's request counts replies,
the push senders' requests count pushes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector
from telegram.request import BaseRequest

from digest import IngestResult, StoreVitals

from .delivery.wrapping import WrappingRequest

KINDS = ("reply", "push", "alert")
MODES = ("brief", "full")
# Bot API methods that put a message in a chat (the rest are menus, getMe, answers...).
_MESSAGE_METHODS = ("send", "edit", "copy", "forward")
_UNSEEN = "?"  # a URL not sorted yet (no kind is named so)
# Seconds: a send on a quiet connection takes tens of milliseconds; a queued one, seconds.
SEND_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BUILD_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


class Metrics:
    """hotdigest's counters, gauges and histograms, on their own registry."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.sent = Counter(
            "hotdigest_messages_sent", "Messages Telegram accepted.", ["kind"], registry=registry
        )
        self.failed = Counter(
            "hotdigest_messages_failed",
            "Messages refused (other than 429) or lost to a network error.",
            ["kind"],
            registry=registry,
        )
        self.floods = Counter(
            "hotdigest_flood_waits", "429 answers (retry_after).", ["kind"], registry=registry
        )
        self.send_seconds = Histogram(
            "hotdigest_send_seconds",
            "Seconds from a message's request to Telegram's answer.",
            ["kind"],
            buckets=SEND_BUCKETS,
            registry=registry,
        )
        self.queue_depth = Gauge(
            "hotdigest_push_queue_depth",
            "Chats the running push has yet to finish.",
            registry=registry,
        )
        self.ingest_runs = Counter(
            "hotdigest_ingest_runs",
            "Fetches of a source, by outcome (ok, failed).",
            ["source", "outcome"],
            registry=registry,
        )
        self.ingest_posts = Counter(
            "hotdigest_ingest_posts", "Posts fetched, by source.", ["source"], registry=registry
        )
        self.build_seconds = Histogram(
            "hotdigest_build_seconds",
            "Seconds a digest build took.",
            buckets=BUILD_BUCKETS,
            registry=registry,
        )
        self.subscribers = Gauge(
            "hotdigest_subscribers", "Active chats, by push mode.", ["mode"], registry=registry
        )
        self.llm = _LlmCollector()
        registry.register(self.llm)
        for kind in KINDS:  # every series present from the start, at 0
            for family in (self.sent, self.failed, self.floods):
                family.labels(kind)
        for mode in MODES:
            self.subscribers.labels(mode)

    def ingested(self, results: Iterable[IngestResult]) -> None:
        """Count one ingest run's fetches and posts."""
        for result in results:
            self.ingest_runs.labels(result.source, "ok" if result.ok else "failed").inc()
            self.ingest_posts.labels(result.source).inc(result.posts)

    def observe(self, vitals: StoreVitals) -> None:
        """Take what the store check read: subscribers and LLM usage."""
        for mode in {*MODES, *vitals.subscribers}:
            self.subscribers.labels(mode).set(vitals.subscribers.get(mode, 0))
        self.llm.vitals = vitals

    @contextmanager
    def queue(self, depth: Callable[[], int]) -> Iterator[None]:
        """Report ``depth()`` as the push queue's depth while the block runs."""
        self.queue_depth.set_function(depth)
        try:
            yield
        finally:
            self.queue_depth.set_function(lambda: 0)

    def metered(self, request: BaseRequest, kind: str) -> MeteredRequest:
        """``request``, counting the messages it sends as ``kind``."""
        return MeteredRequest(request, self, kind)


class _LlmCollector(Collector):
    """LLM calls, tokens and fallbacks as the store logged them (all time, every process).

    Read from the store's log rather than counted here: the LLM writer runs inside a
    build in the domain, and a build run by ``hotdigest build`` spends tokens too.
    """

    def __init__(self) -> None:
        self.vitals: StoreVitals | None = None

    def collect(self) -> Iterable[Metric]:
        llm = self.vitals.llm if self.vitals else {}
        calls = CounterMetricFamily(
            "hotdigest_llm_calls", "LLM requests, by outcome.", labels=["outcome"]
        )
        bad = {"invalid": llm.get("rejected", 0), "error": llm.get("failed", 0)}
        calls.add_metric(["valid"], llm.get("requests", 0) - sum(bad.values()))
        for outcome, value in bad.items():
            calls.add_metric([outcome], value)
        tokens = CounterMetricFamily("hotdigest_llm_tokens", "LLM tokens spent.", labels=["kind"])
        tokens.add_metric(["prompt"], llm.get("prompt_tokens", 0))
        tokens.add_metric(["completion"], llm.get("completion_tokens", 0))
        fallbacks = CounterMetricFamily(
            "hotdigest_llm_fallbacks", "Digest versions written offline because the LLM failed."
        )
        fallbacks.add_metric([], self.vitals.llm_fallbacks if self.vitals else 0)
        return [calls, tokens, fallbacks]


class MeteredRequest(WrappingRequest):
    """A Bot API request object that counts the messages passing through another one.

    :param kind: the label of its messages (reply, push, alert); None counts nothing.
    :param answered: called after every 200 answer (getUpdates: polling's pulse).
    """

    def __init__(
        self,
        inner: BaseRequest,
        metrics: Metrics,
        kind: str | None,
        answered: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(inner)
        self._kind, self._answered = kind, answered
        self._kinds: dict[str, str | None] = {}  # by URL: the label its messages count under
        # The kind's series, looked up once: labels() takes a lock and a dict lookup per
        # call, on every message of a push.
        if kind is not None:
            self._seconds = metrics.send_seconds.labels(kind)
            self._sent = metrics.sent.labels(kind)
            self._failed = metrics.failed.labels(kind)
            self._floods = metrics.floods.labels(kind)

    async def do_request(self, url: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        # The rest of BaseRequest.do_request's parameters go to the inner request as given.
        kind = self._kinds.get(url, _UNSEEN)
        if kind is _UNSEEN:  # a few URLs (one per method): each is sorted once
            message = url.rpartition("/")[2].startswith(_MESSAGE_METHODS)
            kind = self._kinds[url] = self._kind if message else None
        started = time.perf_counter()
        try:
            status, body = await self.inner.do_request(url, *args, **kwargs)
        except Exception:
            if kind is not None:
                self._failed.inc()
            raise
        if self._answered is not None and status == 200:  # a 409 (another poller) is no pulse
            self._answered()
        if kind is not None:
            self._count(status, time.perf_counter() - started)
        return status, body

    def _count(self, status: int, seconds: float) -> None:
        self._seconds.observe(seconds)
        if status == 429:  # retried after retry_after: a wait, not a failure
            self._floods.inc()
        elif status >= 400:
            self._failed.inc()
        else:
            self._sent.inc()
