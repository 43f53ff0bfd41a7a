"""A scripted chart child for the drawer's tests: ``python chart_child_fake.py MODE PIDFILE``.

It speaks the real child's protocol (digest.render.chart_child) but answers as MODE says,
so each way a child can behave or fail is one real process. It appends its pid to
PIDFILE first, so a test can count the children a drawer started.
"""

from __future__ import annotations

import os
import select
import sys
import time

HEADER_SIZE = 4
PNG = b"\x89PNG\r\n\x1a\nfake"


def read_request() -> bytes | None:
    header = os.read(0, HEADER_SIZE)
    if len(header) < HEADER_SIZE:
        return None
    size = int.from_bytes(header, "big")
    body = b""
    while len(body) < size:
        body += os.read(0, size - len(body))
    return body


def answer(status: bytes, body: bytes) -> None:
    os.write(1, status + len(body).to_bytes(HEADER_SIZE, "big") + body)


def main(mode: str) -> int:
    served = 0
    while True:
        if served and mode == "idle-race":
            select.select([0], [], [])  # a request came in: exit as if idle, unread
            return 4
        if read_request() is None:
            return 0
        if mode == "hang":
            time.sleep(300)
        elif mode == "garbage":
            answer(b"X", b"")
        elif mode == "slow-error":
            began = time.monotonic()
            time.sleep(0.3)
            answer(b"E", f"{os.getpid()} {began} {time.monotonic()}".encode())
        elif mode == "error-then-png" and not served:
            answer(b"E", b"the chart font is missing")
        elif mode == "die-on-second" and served:
            print("loading\ndrawing failed", file=sys.stderr, flush=True)
            return 3
        else:
            answer(b"P", PNG)
        served += 1


if __name__ == "__main__":
    with open(sys.argv[2], "a") as pids:
        pids.write(f"{os.getpid()}\n")
    sys.exit(main(sys.argv[1]))
