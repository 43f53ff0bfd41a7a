"""The child process that answers ``/healthz`` and ``/metrics`` (``hotdigest run --metrics``).

Run by :class:`bot.health.OpsServer` as a script, with the standard library only, on a
listening socket the bot bound. The bot writes what the two paths answer to this
process's stdin about once a second (a frame: ``CODE HEALTH_LEN METRICS_LEN\\n`` and the
two bodies); this process only serves the latest bytes. It has a GIL of its own, so a
push that keeps the bot's interpreter busy never delays a probe, and it exits when its
stdin closes (the bot stopped or died).

A ``/healthz`` answer older than ``STALE_SECONDS`` means the bot stopped publishing:
a hung process answers 503, not its last "ok". Every answer carries a standard
``Server-Timing`` header: ``request`` is the milliseconds from the connection's thread
starting until the request had been read (the client's pace), ``handle`` from then to
the reply (ours).
The HTTP is the standard library's (``http.server``): nothing here parses requests.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import BinaryIO

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
STALE_SECONDS = 10.0
METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # prometheus_client's text format
TEXT_TYPE = "text/plain; charset=utf-8"
READ_TIMEOUT = 5.0  # seconds a client may take to send its request


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


class ProbeHandler(BaseHTTPRequestHandler):
    """One probe: the standard library parses the request, :class:`Answers` says what to
    send. Each connection has a thread of this process (never the bot's GIL), so a client
    that stalls mid-request holds no one up and is dropped after ``READ_TIMEOUT``."""

    server: ProbeServer
    protocol_version = "HTTP/1.1"
    timeout = READ_TIMEOUT  # the socket's: a stalled request ends the connection

    def setup(self) -> None:
        self.accepted = time.perf_counter()
        super().setup()

    def do_GET(self) -> None:
        self.answer(with_body=True)

    def do_HEAD(self) -> None:
        self.answer(with_body=False)

    def do_POST(self) -> None:
        self.answer(with_body=True)

    def answer(self, *, with_body: bool) -> None:
        arrived = time.perf_counter()
        status, kind, body = self.server.answers.answer(self.command, self.path.partition("?")[0])
        waited, spent = 1000 * (arrived - self.accepted), 1000 * (time.perf_counter() - arrived)
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Server-Timing", f"request;dur={waited:.3f}, handle;dur={spent:.3f}")
        self.send_header("Connection", "close")
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Probes come every few seconds for months: no line per probe on stderr."""


class ProbeServer(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` on the listening socket the bot bound and passed down."""

    daemon_threads = True

    def __init__(self, listener: socket.socket, answers: Answers) -> None:
        super().__init__(listener.getsockname()[:2], ProbeHandler, bind_and_activate=False)
        self.socket.close()  # the one the constructor made: ours is already listening
        self.socket = listener
        self.answers = answers


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
    ProbeServer(
        listener, answers
    ).serve_forever()  # if it fails, the process ends and the port closes with it


def _until_stdin_ends(answers: Answers) -> None:
    answers.read_frames(sys.stdin.buffer)
    os._exit(0)  # the bot closed our stdin (it stopped, or died): so do we


if __name__ == "__main__":
    main(sys.argv)
