"""Benchmark plumbing: the sample store, and the fake Bot API and the bot in processes of their own.

The benchmarks run three processes: the script (it seeds the store, plays users and
reports), the fake Bot API (``fake`` below) and the bot (``push`` below, or
``hotdigest run``). Each has its own CPU, so what the bot costs is measured in the bot's
process alone (``resource.getrusage``).

As a script it is those two processes (their code is in ``processes.py``):

- ``python bench/harness.py fake --port P [--latency 0.05] [--no-limits] [--chats N]
  [--summary FILE] [--timings]``: FakeTelegram over HTTP on 127.0.0.1, private chats
  1..N registered, answering each Bot API call after ``--latency`` seconds. On SIGTERM it
  writes its counters, its own CPU time and, with ``--timings``, when each user message
  arrived, when its update left in getUpdates and when the reply came in, to ``FILE``.
- ``python bench/harness.py push --db D --url U [--rate R] [--paid] [--senders S
  --connections C]``: the application built and started as ``hotdigest run`` builds it
  (no scheduled jobs), then ``push_due(day=...)`` as ``hotdigest push --date`` runs it;
  prints one JSON line with the push report, the CPU the push took and the peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "posts.jsonl"
HARNESS = Path(__file__).resolve()
DAY = "2026-02-15"  # the sample's digest
BUILT = datetime(2026, 2, 15, 10, 0, tzinfo=UTC)
TOKEN = "123456:BENCH-TOKEN-0123456789abcdefghij"
HOST = "127.0.0.1"
THREE_SECTIONS = ("summary", "highlights", "metrics")  # full mode: one message each


# -- the store ------------------------------------------------------------------------


def seed_store(
    db_path: Path,
    chats: int,
    *,
    mode: str = "full",
    sections: tuple[str, ...] = THREE_SECTIONS,
    language: str = "zh",
) -> int:
    """The sample posts, their digest for DAY and ``chats`` active private chats 1..N.

    Returns how many messages the digest renders to for one chat of that kind.
    """
    from bot.delivery.prepare import render_parts
    from digest import BuildOptions, Renderer, Store, build_digest, import_posts, load_themes
    from digest.push.ledger import PUSH
    from digest.push.subscriptions import Subscription, Subscriptions

    store = Store.open(db_path)
    try:
        import_posts(store, SAMPLE, now=BUILT)
        options = BuildOptions(themes=load_themes())
        digest = build_digest(store, datetime.fromisoformat(DAY).date(), options, BUILT).digest
        subscriptions = Subscriptions(store)
        base = Subscription(
            chat_id=0,
            chat_type="private",
            language=language,
            push_time=clock_time(8, 0),
            timezone="Asia/Shanghai",
            mode=mode,
            sections=sections,
            active=True,
            subscribed_at=BUILT,
        )
        for chat_id in range(1, chats + 1):
            subscriptions.save(replace(base, chat_id=chat_id), BUILT)
        return len(render_parts(Renderer(), digest, base, PUSH))
    finally:
        store.close()


# -- the fake Bot API process ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class FakeProcess:
    """``harness.py fake`` in a subprocess; ``stop()`` returns what it wrote on SIGTERM."""

    def __init__(
        self,
        *,
        latency: float,
        limits: bool,
        chats: int = 0,
        timings: bool = False,
    ) -> None:
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.url = f"{self.base}/bot"
        self._summary = Path(tempfile.mkstemp(prefix="hotdigest-fake-", suffix=".json")[1])
        command = [
            sys.executable,
            str(HARNESS),
            "fake",
            f"--port={self.port}",
            f"--latency={latency}",
            f"--chats={chats}",
            f"--summary={self._summary}",
        ]
        command += [] if limits else ["--no-limits"]
        command += ["--timings"] if timings else []
        self.process = subprocess.Popen(command, cwd=ROOT)
        self._wait_ready(timeout=30 + chats / 5000)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the fake exited with {self.process.returncode}")
            with contextlib.suppress(OSError), socket.create_connection((HOST, self.port), 0.2):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("the fake did not start listening in time")

    def stats(self) -> dict[str, Any]:
        """``GET /_fake/stats``."""
        answer = httpx.get(f"{self.base}/_fake/stats", timeout=30).json()
        return dict(answer["result"])

    def stop(self) -> dict[str, Any]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        try:
            text = self._summary.read_text()
            return dict(json.loads(text)) if text else {}
        finally:
            self._summary.unlink(missing_ok=True)

    def __enter__(self) -> FakeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- the bot process (a push) ----------------------------------------------------------


def bot_python(code: Path | None) -> str:
    """The Python that runs the bot: this checkout's, or that of the checkout ``code``
    (the anchor: the code before a change, in a worktree with its own ``uv sync``)."""
    return str(code / ".venv" / "bin" / "python") if code else sys.executable


def bot_command(code: Path | None) -> str:
    """The ``hotdigest`` console script of this checkout or of ``code``."""
    return str(Path(bot_python(code)).with_name("hotdigest"))


def seed_with(
    db_path: Path, chats: int, *, mode: str, code: Path | None = None, root: Path = ROOT
) -> int:
    """:func:`seed_store` as the checkout that will push seeds it (``code`` or ``root``, as
    in :func:`run_push`): another commit's store schema and digest are its own, and its
    code may refuse a store a newer schema wrote."""
    if code is None and root == ROOT:
        return seed_store(db_path, chats, mode=mode)
    script = (
        "import sys; from pathlib import Path; sys.path.insert(0, 'bench'); "
        "from harness import seed_store; "
        f"print(seed_store(Path({str(db_path)!r}), {chats}, mode={mode!r}))"
    )
    done = subprocess.run(
        [bot_python(code), "-c", script],
        cwd=code or root,
        capture_output=True,
        text=True,
        env={**os.environ, **({"PYTHONPATH": str(root)} if root != ROOT else {})},
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise RuntimeError(f"seeding with {code or root} exited with {done.returncode}")
    return int(done.stdout.strip().splitlines()[-1])


def run_push(
    db_path: Path,
    url: str,
    *,
    rate: float | None = None,
    paid: bool = False,
    timeout: float,
    env: Mapping[str, str] | None = None,
    extra: list[str] | None = None,
    code: Path | None = None,
    root: Path = ROOT,
) -> dict[str, Any]:
    """Run ``harness.py push`` in its own process; its JSON line as a dict.

    :param code: a checkout with its own ``uv sync`` (the anchor) whose Python and
        packages run this harness.
    :param root: a checkout whose bot to run (another commit's, for an anchor); its own
        ``bench/harness.py`` and packages are used, with this environment's libraries.
    """
    harness = root / "bench" / "harness.py"
    command = [bot_python(code), str(harness), "push", f"--db={db_path}", f"--url={url}"]
    command += [f"--rate={rate}"] if rate else []
    command += ["--paid"] if paid else []
    command += extra or []
    done = subprocess.run(
        command,
        cwd=code or root,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {}), **({"PYTHONPATH": str(root)} if root != ROOT else {})},
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise RuntimeError(f"the push process exited with {done.returncode}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@dataclass
class PushRun:
    """One push measured: the bot's figures, the fake's counters and its own CPU."""

    chats: int
    parts: int  # messages per chat
    bot: dict[str, Any]
    fake_stats: dict[str, Any]
    fake_cpu_s: float

    @property
    def messages(self) -> int:
        return int(self.bot["messages"])


def measure_push(
    chats: int,
    *,
    latency: float,
    limits: bool,
    rate: float | None = None,
    paid: bool = False,
    mode: str = "full",
    timeout: float,
    extra: list[str] | None = None,
    code: Path | None = None,
    root: Path = ROOT,
) -> PushRun:
    """Seed a store with ``chats`` subscribers, serve the fake, push DAY's digest to all.

    :param code: the checkout whose bot pushes, in its own environment (see :func:`run_push`).
    :param root: the checkout whose bot pushes, in this environment (see :func:`run_push`).
    """
    with tempfile.TemporaryDirectory(prefix="hotdigest-bench-") as scratch:
        db_path = Path(scratch) / "bench.db"
        began = time.perf_counter()
        parts = seed_with(db_path, chats, mode=mode, code=code, root=root)
        print(
            f"seeded {chats:,} chats ({parts} messages each) in {time.perf_counter() - began:.1f}s"
        )
        fake = FakeProcess(latency=latency, limits=limits, chats=chats)
        try:
            bot = run_push(
                db_path,
                fake.url,
                rate=rate,
                paid=paid,
                timeout=timeout,
                extra=extra,
                code=code,
                root=root,
            )
            stats = fake.stats()
        finally:
            summary = fake.stop()
    return PushRun(chats, parts, bot, stats, float(summary.get("cpu_s", 0.0)))


def bot_environment(db_path: Path, url: str) -> dict[str, str]:
    """What ``hotdigest run`` reads to use this store and this Bot API."""
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": url,
        "HOTDIGEST_DB": str(db_path),
        "HOTDIGEST_CONFIG": str(Path(os.devnull)),  # never a local hotdigest.toml
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb() -> float:
    """This process's resident set now, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    fake = commands.add_parser("fake", help="serve the fake Bot API")
    fake.add_argument("--port", type=int, required=True)
    fake.add_argument("--latency", type=float, default=0.05)
    fake.add_argument("--no-limits", action="store_true")
    fake.add_argument("--chats", type=int, default=0)
    fake.add_argument("--summary", required=True)
    fake.add_argument("--timings", action="store_true")
    push = commands.add_parser("push", help="push DAY's digest to every subscribed chat")
    push.add_argument("--db", required=True)
    push.add_argument("--url", required=True)
    push.add_argument("--day", default=DAY)
    push.add_argument("--rate", type=float)
    push.add_argument("--paid", action="store_true")
    push.add_argument("--senders", type=int, help="Bots to push through (default: the engine's)")
    push.add_argument("--connections", type=int, default=1, help="each sender's pool size")
    push.add_argument("--metrics", help="serve /healthz and /metrics at HOST:PORT meanwhile")
    push.add_argument("--idle", type=float, default=0.0, help="seconds to wait before pushing")
    push.add_argument("--event-loop", help="uvloop or asyncio (default: the bot's setting)")
    args = parser.parse_args()
    if args.command == "push":  # the bot's interpreter as `hotdigest` starts it (bot/entry.py)
        with contextlib.suppress(ImportError):  # the anchor may predate it
            from bot.entry import keep_numpy_out

            keep_numpy_out()
    import processes  # here, not at the top: it imports this module's constants

    try:  # the anchor (the code before a change) may predate it
        from bot.logs import quiet_time_period_warning
    except ImportError:
        os.environ.setdefault("PTB_TIMEDELTA", "true")
    else:
        quiet_time_period_warning()
    if args.command == "fake":
        asyncio.run(processes.serve_fake(args))
    else:
        print(json.dumps(_run_push(processes.push(args), args.event_loop)))


def _run_push(main: Any, kind: str | None) -> Any:
    """On the loop ``hotdigest push`` would use; asyncio's for code without that choice."""
    try:
        from bot import loops
        from bot.config import Settings
    except ImportError:  # the anchor (the code before a change)
        return asyncio.run(main)
    return loops.run(main, kind or Settings().event_loop)


if __name__ == "__main__":
    main()
