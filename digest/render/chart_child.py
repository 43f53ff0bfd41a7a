"""The chart child: ``python -m digest.render.chart_child [--idle SECONDS]`` draws heat
charts one after another for the process that started it.

Each request on stdin is a frame: a 4-byte big-endian length, then the chart's figures
as JSON (``chart_process.chart_json``). Each answer on stdout is a status byte and a
4-byte length, then the PNG (``P``) or one line saying why not: ``E`` (the child reads
on) or ``F`` (the input cannot be followed any more, the child exits after it). The
child exits when its stdin ends, or after ``--idle`` seconds without a request, so its
~140 MB (matplotlib, numpy, the font) do not stay for the day. It runs in an interpreter
of its own, so matplotlib and numpy load here and never in the bot.
"""

from __future__ import annotations

import argparse
import os
import select
import sys

from ..errors import DigestError
from .chart import render_chart
from .chart_process import (
    ANSWER_ERROR,
    ANSWER_FATAL,
    ANSWER_PNG,
    EXIT_BAD_FRAME,
    EXIT_IDLE,
    HEADER,
    IDLE_SECONDS,
    MAX_REQUEST,
    chart_from_json,
)


def read_exactly(fd: int, size: int) -> bytes:
    """``size`` bytes from ``fd``, or fewer if the input ends first."""
    chunks: list[bytes] = []
    left = size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def answer(fd: int, status: bytes, body: bytes) -> None:
    data = memoryview(status + HEADER.pack(len(body)) + body)
    while data:
        data = data[os.write(fd, data) :]


def draw(request: bytes) -> tuple[bytes, bytes]:
    """The answer to one request: the PNG, or an error line (the child reads on)."""
    try:
        chart, language = chart_from_json(request)
    except ValueError as exc:
        return ANSWER_ERROR, f"unreadable chart figures: {exc}".encode()
    try:
        return ANSWER_PNG, render_chart(chart, language)
    except DigestError as exc:  # e.g. the font package missing
        return ANSWER_ERROR, str(exc).encode()


def serve(requests: int, answers: int, idle: float) -> int:
    """Answer frames until the input ends (0), stays quiet ``idle`` seconds or breaks."""
    while True:
        # The idle exit happens only here, before a frame is read: a child that exits
        # with EXIT_IDLE has read nothing of a request sent meanwhile, so the drawer may
        # send it to a new child.
        ready, _, _ = select.select([requests], [], [], idle)
        if not ready:
            return EXIT_IDLE
        header = read_exactly(requests, HEADER.size)
        if not header:
            return 0  # the drawer closed our stdin: it is shutting down
        if len(header) < HEADER.size:
            answer(answers, ANSWER_FATAL, b"bad frame: the length was cut short")
            return EXIT_BAD_FRAME
        (size,) = HEADER.unpack(header)
        if size > MAX_REQUEST:
            answer(answers, ANSWER_FATAL, f"bad frame: {size} bytes announced".encode())
            return EXIT_BAD_FRAME
        request = read_exactly(requests, size)
        if len(request) < size:
            answer(answers, ANSWER_FATAL, b"bad frame: the figures were cut short")
            return EXIT_BAD_FRAME
        answer(answers, *draw(request))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--idle", type=float, default=IDLE_SECONDS, help="seconds to wait")
    args = parser.parse_args(argv)
    answers = os.dup(sys.stdout.fileno())
    # Whatever a library prints goes to stderr: stdout carries only the answers.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return serve(sys.stdin.fileno(), answers, args.idle)


if __name__ == "__main__":
    sys.exit(main())
