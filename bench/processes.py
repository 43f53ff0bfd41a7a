"""The two processes ``harness.py`` runs as a script: the bot pushing, the fake Bot API serving.

``harness.py`` parses their command lines and calls :func:`push` or :func:`serve_fake`;
the other benchmarks start them through ``harness.FakeProcess`` and ``harness.run_push``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import resource
import signal
import threading
import time
from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from harness import HOST, TOKEN, rss_mb

# -- the bot process (a push) ----------------------------------------------------------


async def push(args: argparse.Namespace) -> dict[str, Any]:
    from bot.app import build_application
    from bot.config import Settings
    from bot.delivery.engine import DeliveryOptions

    # The pace through the settings, which the code before and after issue 12 both read
    # (the anchor's DeliveryOptions carried it, the outbox reads it from the settings).
    rate = args.rate or (1000.0 if args.paid else 30.0)  # a rate lifts the bot's own pace
    settings = replace(
        Settings(),
        db_path=Path(args.db),
        telegram_token=TOKEN,
        telegram_base_url=args.url,
        allow_paid_broadcast=args.paid,
        messages_per_second=rate,
    )
    options = DeliveryOptions.from_settings(settings)
    if args.senders:
        options = replace(options, senders=args.senders, connections=args.connections)
    ops = _ops_server(args.metrics) if args.metrics else contextlib.nullcontext(None)
    with ops as served:  # `hotdigest run --metrics`: /healthz and /metrics beside the push
        # Only then: an anchor's build_application may predate them.
        ops_kwargs = dict(zip(("metrics", "health"), served, strict=True)) if served else {}
        application = build_application(settings, schedule=False, **ops_kwargs)
        return await _push_with(application, args, options)


@contextlib.contextmanager
def _ops_server(address: str) -> Any:
    from bot.health import Health, OpsServer, parse_address
    from bot.metrics import Metrics

    metrics, health = Metrics(), Health(None)
    server = OpsServer(*parse_address(address), health, metrics)
    try:
        yield metrics, health
    finally:
        server.close()


async def _push_with(application: Any, args: argparse.Namespace, options: Any) -> dict[str, Any]:
    from bot.app import running
    from bot.context import services_of
    from bot.delivery.engine import push_due

    async with running(application):
        services = services_of(application)
        await asyncio.sleep(args.idle)  # probes of an idle bot first (bench/ops.py)
        rss_before = rss_mb()
        before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        with _collections() as collections:
            report = await push_due(services, application.bot, day=args.day, options=options)
        wall = time.perf_counter() - started
        threads = _threads_cpu()  # since each thread started: the store's is the push's
        pacer = getattr(getattr(services, "outbox", None), "pacer", None)  # none before the pace
        after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    figures = asdict(report)
    figures.pop("errors")
    return {
        **figures,
        "errors": len(report.errors),
        "rate": report.rate,
        "wall_s": wall,  # planning and rendering included, not only the sends
        "cpu_s": cpu,
        "cpu_ms_per_message": 1000 * cpu / report.messages if report.messages else 0.0,
        **_pace(pacer),
        **collections,  # the bot's garbage collections: each pauses every send in flight
        "threads_cpu_s": threads,
        "rss_before_mb": rss_before,
        "peak_rss_mb": after.ru_maxrss / 1024,
    }


def _threads_cpu() -> dict[str, float]:
    """CPU seconds of each of this process's threads by name, from /proc (Linux)."""
    names = {thread.native_id: thread.name for thread in threading.enumerate()}
    figures: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(OSError):
            name = names.get(int(task.name)) or (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rpartition(")")[2].split()
            seconds = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            figures[name] = round(figures.get(name, 0.0) + seconds, 2)
    return figures


def _pace(pacer: Any) -> dict[str, Any]:
    """How late the pace counted each send from its round trip: on average, at most, and
    how many sends over 50 ms (the code before this figure has none of them)."""
    if pacer is None:
        return {}
    figures = {"late_ms": 1000 * pacer.late_seconds / max(1, pacer.answers)}
    if hasattr(pacer, "late_most"):
        figures |= {"late_most_ms": 1000 * pacer.late_most, "late_over_50ms": pacer.slow}
    return figures


@contextlib.contextmanager
def _collections() -> Any:
    """The garbage collector's pauses while inside: the longest, how many over 50 ms, all
    of them together, how many, and how many were full (oldest-generation) collections."""
    figures = {
        "gc_longest_ms": 0.0,
        "gc_over_50ms": 0,
        "gc_total_ms": 0.0,
        "gc_count": 0,
        "gc_full": 0,
    }
    began = 0.0

    def timed(phase: str, info: dict[str, int]) -> None:
        nonlocal began
        if phase == "start":
            began = time.perf_counter()
            return
        paused = 1000 * (time.perf_counter() - began)
        figures["gc_longest_ms"] = max(figures["gc_longest_ms"], paused)
        figures["gc_over_50ms"] += paused > 50
        figures["gc_total_ms"] += paused
        figures["gc_full"] += info["generation"] == 2
        figures["gc_count"] += 1

    gc.callbacks.append(timed)
    try:
        yield figures
    finally:
        gc.callbacks.remove(timed)


# -- the fake process ------------------------------------------------------------------


def _timed_fake(latency: float) -> Any:
    """A FakeTelegram that notes, per user message, when it reached the bot and its reply came.

    The latency is applied here rather than by the HTTP server, so that a reply's arrival
    is known before the delay (the bot's share ends when its request arrives).
    """
    from bot.fake_telegram import FakeTelegram

    class TimedFake(FakeTelegram):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.waiting: dict[int, deque[dict[str, Any]]] = defaultdict(deque)
            self.by_update: dict[int, dict[str, Any]] = {}
            self.done: list[dict[str, Any]] = []

        def user_sends(
            self, chat_id: int, user_id: int, text: str, thread_id: int | None = None
        ) -> Any:  # the control endpoint passes a topic since the fake has topics
            message = super().user_sends(chat_id, user_id, text, thread_id)
            mark = {"chat": chat_id, "text": text, "said": time.monotonic()}
            self.by_update[self._updates[-1]["update_id"]] = mark
            self.waiting[chat_id].append(mark)
            return message

        async def call(self, token: str, method: str, params: Mapping[str, Any]) -> Any:
            arrived = time.monotonic()
            if latency:
                await asyncio.sleep(latency)
            status, body = await super().call(token, method, params)
            now = time.monotonic()
            if method == "getUpdates" and status == 200:
                for update in body["result"]:
                    mark = self.by_update.pop(update["update_id"], None)
                    if mark is not None:
                        mark["handed"] = now
            elif method == "sendMessage" and status == 200:
                waiting = self.waiting.get(int(body["result"]["chat"]["id"]))
                if waiting:
                    mark = waiting.popleft()
                    mark["asked"], mark["recorded"] = arrived, now
                    self.done.append(mark)
            return status, body

    return TimedFake


async def serve_fake(args: argparse.Namespace) -> None:
    from bot.fake_telegram import FakeTelegram, FloodLimits, serve_http

    limits = None if args.no_limits else FloodLimits()
    kind = _timed_fake(args.latency) if args.timings else FakeTelegram
    fake = kind(TOKEN, limits=limits)
    for chat_id in range(1, args.chats + 1):
        fake.add_chat(chat_id)
    # No garbage collection in the fake: a pause of 20-50 ms (its heap grows with every
    # message it records) holds requests that have arrived, then stamps them together
    # against the flood limits, and the bot gets a 429 that Telegram, which counts a
    # message when it arrives, would not send. A run is bounded; its garbage is small.
    gc.disable()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    server_latency = 0.0 if args.timings else args.latency
    async with serve_http(fake, HOST, args.port, latency=server_latency):
        await stop.wait()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    summary = {
        "stats": fake.stats(),
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "timings": getattr(fake, "done", []),
    }
    Path(args.summary).write_text(json.dumps(summary))
