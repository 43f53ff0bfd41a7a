"""``/healthz`` and ``/metrics`` for ``hotdigest run --metrics HOST:PORT``.

Served by a threaded stdlib WSGI server on a thread of its own, not on the bot's event
loop: a probe answers while a push keeps the loop busy, and a loop that hangs shows up
as a stale heartbeat instead of a probe that hangs with it. ``/metrics`` is
prometheus_client's own WSGI app over the bot's registry.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app

from digest import StoreVitals, utcnow

from .metrics import Metrics

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
VITALS_SECONDS = 15  # how often the store check runs (bot.upkeep)
POLL_SILENCE = 60.0  # getUpdates long-polls 10 s at a time: 60 s without an answer is down
INGEST_MISSES = 3  # scheduled ingests that may fail or be missed in a row

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass
class Health:
    """What ``/healthz`` judges, written by the bot's loop and read by the server's thread.

    :param ingest_every: seconds between scheduled ingests; None: none are scheduled.
    """

    ingest_every: float | None
    webhook: bool = False
    clock: Callable[[], datetime] = utcnow
    started: datetime = field(default_factory=utcnow)
    polled_at: float | None = None  # monotonic time of the last getUpdates answer
    serving: Callable[[], bool] | None = None  # the webhook server's is_serving
    vitals: StoreVitals | None = None
    store_error: str | None = None
    _monotonic_start: float = field(default_factory=time.monotonic)

    def serving_on(self, server: asyncio.Server) -> None:
        """The webhook's server, whose ``is_serving`` tells whether updates can arrive."""
        self.serving = server.is_serving

    def polled(self) -> None:
        self.polled_at = time.monotonic()

    def checked(self, vitals: StoreVitals | None, error: str | None = None) -> None:
        self.vitals, self.store_error = (vitals or self.vitals), error

    def problems(self) -> list[str]:
        """Why the bot is unhealthy; empty when it is healthy."""
        now = self.clock()
        return [p for p in (self._updates(), self._store(now), self._ingest(now)) if p]

    def _updates(self) -> str | None:
        if self.webhook:
            serving = self.serving is not None and self.serving()
            return None if serving else "webhook: the server is not serving"
        since = self.polled_at if self.polled_at is not None else self._monotonic_start
        silent = time.monotonic() - since
        if silent > POLL_SILENCE:
            return f"polling: no getUpdates answer for {silent:.0f}s"
        return None

    def _store(self, now: datetime) -> str | None:
        if self.store_error is not None:
            return f"store: not writable: {self.store_error}"
        checked = self.vitals.checked_at if self.vitals else self.started
        age = (now - checked).total_seconds()
        if age > 3 * VITALS_SECONDS:
            return f"store: no successful check for {age:.0f}s (store thread stuck?)"
        return None

    def _ingest(self, now: datetime) -> str | None:
        if self.ingest_every is None:
            return None
        last = self.vitals.last_ingest if self.vitals else None
        since = max(last, self.started) if last else self.started
        age = (now - since).total_seconds()
        if age > INGEST_MISSES * self.ingest_every:
            when = last.isoformat() if last else "never"
            return f"ingest: no source fetched successfully for {age:.0f}s (last: {when})"
        return None


def ops_app(
    health: Health, metrics: Metrics
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The WSGI app: ``/healthz`` (200 "ok", or 503 with a reason a line), ``/metrics``."""
    metrics_app = make_wsgi_app(metrics.registry)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == METRICS_PATH:
            return metrics_app(environ, start_response)  # type: ignore[no-any-return]
        if path != HEALTH_PATH:
            return _text(start_response, "404 Not Found", "not found: try /healthz or /metrics")
        problems = health.problems()
        if problems:
            return _text(start_response, "503 Service Unavailable", "\n".join(problems))
        return _text(start_response, "200 OK", "ok")

    return app


def _text(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    body = (text + "\n").encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    start_response(status, headers)
    return [body]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a slow scraper never holds up shutdown


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("ops request: " + format, *args)


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:9108`` for IPv6) → (host, port); ValueError otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:9108)")
    return host.strip("[]"), int(port)


class OpsServer:
    """``/healthz`` and ``/metrics`` served on a thread until :meth:`close`."""

    def __init__(self, host: str, port: int, health: Health, metrics: Metrics) -> None:
        """Bind and start serving; raises OSError when the address cannot be bound."""
        self._server = make_server(host, port, ops_app(health, metrics), _Server, _QuietHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="hotdigest-ops", daemon=True
        )
        self._thread.start()
        bound = self._server.server_address
        self.address = (str(bound[0]), int(bound[1]))
        log.info("health and metrics on http://%s:%s/healthz and /metrics", *self.address)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextmanager
def ops_server(host: str, port: int, health: Health, metrics: Metrics) -> Iterator[OpsServer]:
    """An :class:`OpsServer` for the block (port 0 picks a free one)."""
    server = OpsServer(host, port, health, metrics)
    try:
        yield server
    finally:
        server.close()
