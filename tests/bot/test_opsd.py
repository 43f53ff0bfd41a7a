"""The /healthz and /metrics child process: it serves what the bot published, on its own GIL."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time

import httpx
import pytest

from bot.health import Health, ops_server
from bot.metrics import Metrics
from bot.opsd import STALE_SECONDS, Answers, Published

# A client in a process of its own: the test's interpreter is the busy bot.
CLIENT = """
import sys, time, urllib.request
print("ready", flush=True)
sys.stdin.readline()
time.sleep(0.1)  # the bot's interpreter is in its C call by then
began = time.monotonic()
urllib.request.urlopen(sys.argv[1], timeout=60).read()
print(began, time.monotonic(), flush=True)
"""


def test_answers_are_the_latest_published_until_they_go_stale() -> None:
    answers = Answers()
    assert answers.answer("GET", "/healthz") == (503, "text/plain; charset=utf-8", b"starting\n")
    frames = b"200 3 5\nok\n# m\n1" + b"503 6 2\nstore\n#x" + b"200 3 9\nok"  # the last cut short
    answers.read_frames(io.BytesIO(frames))
    assert answers.answer("GET", "/healthz")[::2] == (503, b"store\n")
    assert answers.answer("HEAD", "/metrics")[::2] == (200, b"#x")
    assert answers.answer("GET", "/other")[0] == 404
    assert answers.answer("POST", "/healthz")[0] == 405
    answers.latest = Published(time.monotonic() - STALE_SECONDS - 1, 200, b"ok\n", b"")
    status, _, body = answers.answer("GET", "/healthz")
    assert (status, body) == (503, b"bot: no health report for 11s (hung?)\n")


def test_a_stalled_client_holds_no_one_up() -> None:
    with ops_server("127.0.0.1", 0, Health(None), Metrics()) as server:
        host, port = server.address
        with socket.create_connection((host, port)) as stalled:
            stalled.sendall(b"GET /healthz HTTP/1.1\r\n")  # and never the rest
            answer = httpx.get(f"http://{host}:{port}/healthz", timeout=30)
            assert (answer.status_code, answer.text) == (200, "ok\n")
            stalled.setblocking(False)
            with pytest.raises(BlockingIOError):  # still open, waiting for its request's end
                stalled.recv(1)


def test_a_probe_is_answered_while_the_bots_interpreter_holds_its_gil() -> None:
    """The bot's process may be busy in C code that never lets its GIL go: probes answer."""
    with ops_server("127.0.0.1", 0, Health(None), Metrics()) as server:
        url = "http://{}:{}/healthz".format(*server.address)
        n = 10**7
        for _ in range(4):  # a loaded machine may start the client late: hold longer
            client = subprocess.Popen(
                [sys.executable, "-c", CLIENT, url],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert client.stdin is not None and client.stdout is not None
            assert client.stdout.readline() == "ready\n"
            held = time.monotonic()
            client.stdin.write("go\n")
            client.stdin.flush()
            sum(range(n))  # one C call: the GIL is not released until it returns
            released = time.monotonic()
            began, answered = (float(word) for word in client.communicate(timeout=60)[0].split())
            if began < (held + released) / 2:  # half the hold left for the answer
                break
            n *= 2
        assert held <= began and answered < released, (held, began, answered, released)
