"""The child process that answers ``/healthz`` and ``/metrics`` (``hotdigest run --metrics``).

Run by :class:`bot.health.OpsServer` as a script, with the standard library only, on a
listening socket the bot bound. The bot writes what the two paths answer to this
process's stdin about once a second (a frame: ``CODE HEALTH_LEN METRICS_LEN\\n`` and the
two bodies); this process only serves the latest bytes. It has a GIL of its own, so a
push that keeps the bot's interpreter busy never delays a probe, and it exits when its
stdin closes (the bot stopped or died).

A ``/healthz`` answer older than ``STALE_SECONDS`` means the bot stopped publishing:
a hung process answers 503, not its last "ok". Every answer carries a standard
``Server-Timing`` header: ``request`` is the milliseconds from accept until the request
had arrived (the client's pace), ``handle`` from then to the reply (ours).
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from typing import BinaryIO

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
STALE_SECONDS = 10.0
METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # prometheus_client's text format
TEXT_TYPE = "text/plain; charset=utf-8"
REQUEST_LIMIT = 8192  # bytes of a request's head; probes send a few hundred
READ_TIMEOUT = 5.0  # seconds a client may take to send its request
REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}


@dataclass(frozen=True, slots=True)
class Published:
    """The bot's latest answers, and when (monotonic seconds) they arrived."""

    at: float
    code: int
    health: bytes
    metrics: bytes


class Answers:
    """The latest :class:`Published`, replaced whole (one reference: no lock needed)."""

    def __init__(self) -> None:
        self.latest = Published(time.monotonic(), 503, b"starting\n", b"")

    def read_frames(self, stream: BinaryIO) -> None:
        """Take frames from ``stream`` until it ends."""
        while self.read_frame(stream):
            pass

    def read_frame(self, stream: BinaryIO) -> bool:
        """Take one frame from ``stream``; False at its end (or a frame cut short)."""
        header = stream.readline()
        if not header:
            return False
        code, health_len, metrics_len = (int(field) for field in header.split())
        health, metrics = stream.read(health_len), stream.read(metrics_len)
        if len(health) < health_len or len(metrics) < metrics_len:
            return False  # the bot died mid-frame
        self.latest = Published(time.monotonic(), code, health, metrics)
        return True

    def answer(self, method: str, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body) for a request."""
        if method not in ("GET", "HEAD"):
            return 405, TEXT_TYPE, b"only GET\n"
        latest = self.latest
        if path == METRICS_PATH:
            return 200, METRICS_TYPE, latest.metrics
        if path != HEALTH_PATH:
            return 404, TEXT_TYPE, b"not found: try /healthz or /metrics\n"
        age = time.monotonic() - latest.at
        if age > STALE_SECONDS:
            return 503, TEXT_TYPE, f"bot: no health report for {age:.0f}s (hung?)\n".encode()
        return latest.code, TEXT_TYPE, latest.health


@dataclass(slots=True)
class Request:
    """A connection whose request head is still arriving."""

    accepted: float  # perf_counter at accept
    head: bytes = b""
    arrived: float = 0.0  # perf_counter when the head was complete


def reply(answers: Answers, conn: socket.socket, request: Request) -> None:
    """Answer the request whose head ``request`` holds, and close ``conn``."""
    method, _, rest = request.head.partition(b" ")
    target = rest.partition(b" ")[0].decode("latin-1").partition("?")[0]
    status, kind, body = answers.answer(method.decode("latin-1"), target)
    arrived = request.arrived or request.accepted
    waited, spent = 1000 * (arrived - request.accepted), 1000 * (time.perf_counter() - arrived)
    lines = [
        f"HTTP/1.1 {status} {REASONS[status]}",
        f"Content-Type: {kind}",
        f"Content-Length: {len(body)}",
        f"Server-Timing: request;dur={waited:.3f}, handle;dur={spent:.3f}",
        "Connection: close",
    ]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    with conn, contextlib.suppress(OSError):  # a client that left gets nothing
        conn.settimeout(READ_TIMEOUT)  # the body fits the socket's buffer: no real wait
        conn.sendall(head if method == b"HEAD" else head + body)


def serve(answers: Answers, listener: socket.socket) -> None:
    """Answer connections on one thread, forever: no thread to start, no hand-off per probe.

    Non-blocking sockets under a selector: a client that stalls mid-request holds no one
    up, and is dropped after ``READ_TIMEOUT``.
    """
    listener.setblocking(False)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    while True:
        for key, _ in selector.select(timeout=1.0):
            if key.fileobj is listener:
                with contextlib.suppress(BlockingIOError, ConnectionAbortedError):
                    conn, _ = listener.accept()
                    conn.setblocking(False)
                    selector.register(conn, selectors.EVENT_READ, Request(time.perf_counter()))
                continue
            _read(answers, selector, key)
        _drop_stalled(selector, time.perf_counter() - READ_TIMEOUT)


def _read(answers: Answers, selector: selectors.BaseSelector, key: selectors.SelectorKey) -> None:
    """Take what arrived on a connection; answer once its request head is complete."""
    conn, request = key.fileobj, key.data
    assert isinstance(conn, socket.socket) and isinstance(request, Request)
    try:
        chunk = conn.recv(4096)
    except BlockingIOError:
        return
    except OSError:
        chunk = b""
    request.head += chunk
    if chunk and b"\r\n\r\n" not in request.head and len(request.head) < REQUEST_LIMIT:
        return
    selector.unregister(conn)
    if chunk:
        request.arrived = time.perf_counter()
        reply(answers, conn, request)
    else:
        conn.close()  # the client left before its request ended


def _drop_stalled(selector: selectors.BaseSelector, before: float) -> None:
    for key in list(selector.get_map().values()):
        if isinstance(key.data, Request) and key.data.accepted < before:
            selector.unregister(key.fileobj)
            assert isinstance(key.fileobj, socket.socket)
            key.fileobj.close()


def main(argv: list[str]) -> None:
    """``opsd.py FD``: serve on the listening socket FD until stdin closes."""
    # Ctrl-C, or systemd's SIGTERM to the whole unit, stops the bot, which closes stdin:
    # this process ends after the bot, never leaving it to publish into a closed pipe.
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, signal.SIG_IGN)
    listener = socket.socket(fileno=int(argv[1]))
    answers = Answers()
    # The bot writes its first answers as it starts this process: take them before
    # the first probe (which waits in the socket's backlog meanwhile), never "starting".
    if not answers.read_frame(sys.stdin.buffer):
        return
    threading.Thread(target=_until_stdin_ends, args=(answers,), daemon=True).start()
    serve(answers, listener)  # if it fails, the process ends and the port closes with it


def _until_stdin_ends(answers: Answers) -> None:
    answers.read_frames(sys.stdin.buffer)
    os._exit(0)  # the bot closed our stdin (it stopped, or died): so do we


if __name__ == "__main__":
    main(sys.argv)
