"""``/healthz`` and ``/metrics`` for ``hotdigest run --metrics HOST:PORT``.

Served by a child process (:mod:`bot.opsd`) from bytes the bot publishes every second:
the bot computes the health verdict and prometheus_client's text exposition of its
registry, the child only serves them, so a push that keeps the bot's GIL busy never
delays a probe. A loop that hangs shows up as a stale store check, a process that
hangs as a stale publication, never as a probe that hangs with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from prometheus_client import generate_latest

from digest import StoreVitals, utcnow

from .metrics import Metrics
from .opsd import HEALTH_PATH, METRICS_PATH

__all__ = [
    "HEALTH_PATH",
    "METRICS_PATH",
    "Health",
    "OpsServer",
    "health_answer",
    "ops_server",
    "parse_address",
]

log = logging.getLogger(__name__)

VITALS_SECONDS = 15  # how often the store check runs (bot.upkeep)
POLL_SILENCE = 60.0  # getUpdates long-polls 10 s at a time: 60 s without an answer is down
INGEST_MISSES = 3  # scheduled ingests that may fail or be missed in a row

PUBLISH_SECONDS = 1.0  # how fresh /healthz and /metrics are
OPSD = Path(__file__).with_name("opsd.py")  # run as a script: the standard library only


@dataclass
class Health:
    """What ``/healthz`` judges, written by the bot's loop and read by the publisher's thread.

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


def health_answer(health: Health) -> tuple[int, str]:
    """(status, body) of ``/healthz``: 200 "ok", or 503 with a reason a line."""
    problems = health.problems()
    return (503, "\n".join(problems) + "\n") if problems else (200, "ok\n")


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:9108`` for IPv6) → (host, port); ValueError otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:9108)")
    return host.strip("[]"), int(port)


class OpsServer:
    """``/healthz`` and ``/metrics`` served by a child process until :meth:`close`.

    The child answers from bytes this process publishes every ``PUBLISH_SECONDS`` from a
    thread of its own: a probe never waits for this interpreter's GIL, which a push keeps
    busy, and a publisher that stops (a hung process) turns ``/healthz`` to 503.
    """

    def __init__(self, host: str, port: int, health: Health, metrics: Metrics) -> None:
        """Bind, start the child and the publisher; OSError when the address cannot be bound."""
        self._health, self._metrics = health, metrics
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.create_server((host, port), family=family, backlog=64) as listener:
            bound = listener.getsockname()
            self.address = (str(bound[0]), int(bound[1]))
            # The child owns the socket: when it dies, the port closes and probes fail fast.
            self._child = subprocess.Popen(
                [sys.executable, "-I", "-S", str(OPSD), str(listener.fileno())],
                stdin=subprocess.PIPE,
                pass_fds=(listener.fileno(),),
            )
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.publish()  # before the child's first answer: the pipe holds it
        self._thread = threading.Thread(target=self._publishing, name="hotdigest-ops", daemon=True)
        self._thread.start()
        log.info("health and metrics on http://%s:%s/healthz and /metrics", *self.address)

    def publish(self) -> None:
        """Send the child what ``/healthz`` and ``/metrics`` answer now (it serves them soon
        after: the child reads them on a thread of its own)."""
        stdin = self._child.stdin
        assert stdin is not None
        with self._lock:  # frames leave in the order they were computed
            code, text = health_answer(self._health)
            health, metrics = text.encode(), generate_latest(self._metrics.registry)
            frame = f"{code} {len(health)} {len(metrics)}\n".encode() + health + metrics
            stdin.write(frame)
            stdin.flush()

    def _publishing(self) -> None:
        while not self._stop.wait(PUBLISH_SECONDS):
            try:
                self.publish()
            except (BrokenPipeError, ValueError):  # the child died, or close() closed it
                if not self._stop.is_set():
                    log.error("the /healthz and /metrics process exited (%s)", self._child.poll())
                return

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        with self._lock, contextlib.suppress(OSError):
            assert self._child.stdin is not None
            self._child.stdin.close()  # the child exits at the end of its input
        try:
            self._child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._child.kill()
            self._child.wait()


@contextmanager
def ops_server(host: str, port: int, health: Health, metrics: Metrics) -> Iterator[OpsServer]:
    """An :class:`OpsServer` for the block (port 0 picks a free one)."""
    server = OpsServer(host, port, health, metrics)
    try:
        yield server
    finally:
        server.close()
