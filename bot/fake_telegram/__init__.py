"""A fake Telegram Bot API for tests, the demo and benchmarks, reachable through PTB.

``FakeTelegram`` holds the state and serves the methods; ``FakeRequest`` plugs it into
PTB in-process, and ``serve_http``/``run_fake_server`` serve it on 127.0.0.1 over HTTP.
"""

from .http import run_fake_server, serve_http
from .limits import FloodLimits
from .model import FakeTelegram
from .request import FakeRequest

__all__ = ["FakeRequest", "FakeTelegram", "FloodLimits", "run_fake_server", "serve_http"]
