"""Benchmark: hostile sources (drip, huge body, gzip bomb, Retry-After: 99999) are bounded.

Issue 10 measured, with ``ingest.timeout = 2``: a source dripping a byte a second
succeeded after 60 s, a 429 with ``Retry-After: 99999`` was waited on for 2 × 60 s, a
100 MB body took ingest to 393 MB and a 300 KB gzip bomb to 995 MB. This script runs
the misbehaving server (``tests/digest/hostile_http.py``) in a process of its own on
127.0.0.1 and each case in a fresh process, twice: through ``ingest_sources`` with the
configured bounds (``make_http_client(timeout, max_body_bytes)``, a dailyhot source),
and as the anchor, a plain ``httpx`` GET with the same per-read timeout (what every
source did before). For each: wall seconds, how it ended, and the extra memory (peak
RSS minus RSS before the fetch). The anchor's Retry-After waits are counted, not slept.

Run: ``uv run python bench/ingest_bounds.py [--timeout 2] [--max-body 5000000]``
(about 90 s: the drip anchor alone takes 60 s). The last line is ``KEY=VALUE ...``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "digest"))

from hostile_http import HostileServer  # noqa: E402

from digest import Store, ingest_sources, make_http_client, make_source  # noqa: E402
from digest.clock import retry_after_seconds  # noqa: E402

CASES = ("drip", "429", "huge", "bomb")
ANCHOR_RETRY_CAP = 60.0  # what the sources' RetryPolicy waited at most, per retry
MB = 1024 * 1024


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / MB


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


async def bounded(url: str, timeout: float, max_body: int) -> str:
    """The case through ingest, as ``hotdigest ingest`` runs it."""
    with tempfile.TemporaryDirectory() as scratch:
        store = Store.open(Path(scratch) / "bench.db")
        try:
            source = make_source("dailyhot", "hostile", {"url": url})
            async with make_http_client(timeout, max_body) as client:
                [result] = await ingest_sources(store, [source], client)
        finally:
            store.close()
    return "ok" if result.ok else f"failed: {result.error}"


async def anchor(url: str, timeout: float) -> str:
    """The case as a plain GET with a per-read timeout; Retry-After waits are counted."""
    waited = 0.0
    async with httpx.AsyncClient(timeout=httpx.Timeout(timeout)) as client:
        for attempt in range(3):
            response = await client.get(url)
            if response.status_code != 429:
                return f"HTTP {response.status_code}, {len(response.text):,} characters read"
            if attempt < 2:  # a wait before each retry
                asked = retry_after_seconds(response.headers.get("Retry-After")) or 0
                waited += min(asked, ANCHOR_RETRY_CAP)
    return f"HTTP 429 after 3 attempts; would have waited {waited:g} s"


def run_case(mode: str, url: str, timeout: float, max_body: int) -> None:
    """One case in this (fresh) process; prints a JSON line."""
    before = rss_mb()
    started = time.monotonic()
    if mode == "bounded":
        outcome = asyncio.run(bounded(url, timeout, max_body))
    else:
        outcome = asyncio.run(anchor(url, timeout))
    seconds = time.monotonic() - started
    print(json.dumps({"seconds": seconds, "extra_mb": peak_mb() - before, "outcome": outcome}))


async def serve(port: int, bomb_bytes: int) -> None:
    server = HostileServer(drip_seconds=1.0, drip_bytes=60, bomb_bytes=bomb_bytes)
    _ = server.bomb  # built before the port opens, so no case waits for it
    listener = await asyncio.start_server(server.handle, "127.0.0.1", port)
    print(f"bomb {len(server.bomb):,} bytes", flush=True)
    async with listener:
        await listener.serve_forever()


def child(*args: str) -> list[str]:
    return [sys.executable, __file__, *args]


def measure(args: argparse.Namespace) -> None:
    server = subprocess.Popen(
        child("serve", "--port", str(args.port), "--bomb", str(args.bomb)),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        print(f"hostile server on 127.0.0.1:{args.port}; {server.stdout.readline().strip()}")
        report(args)
    finally:
        server.terminate()
        server.wait()


def report(args: argparse.Namespace) -> None:
    figures: dict[str, float] = {}
    print(f"timeout {args.timeout:g} s, max body {args.max_body:,} bytes")
    print(f"{'case':<6} {'mode':<8} {'seconds':>8} {'extra MB':>9}  outcome")
    for case in CASES:
        for mode in ("bounded", "anchor"):
            url = f"http://127.0.0.1:{args.port}/{case}"
            cmd = child("case", mode, url, "--timeout", str(args.timeout))
            cmd += ["--max-body", str(args.max_body)]
            line = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            found = json.loads(line.strip().splitlines()[-1])
            print(
                f"{case:<6} {mode:<8} {found['seconds']:>8.1f} {found['extra_mb']:>9.1f}  "
                f"{found['outcome'][:110]}"
            )
            figures[f"{case}_{mode}_s"] = round(found["seconds"], 2)
            figures[f"{case}_{mode}_mb"] = round(found["extra_mb"], 1)
    budget = args.timeout * 3
    worst_s = max(figures[f"{c}_bounded_s"] for c in CASES)
    worst_mb = max(figures[f"{c}_bounded_mb"] for c in CASES)
    print(f"bounded: slowest {worst_s:.1f} s (budget {budget:g} s), most memory {worst_mb:.1f} MB")
    print(" ".join(f"{key}={value}" for key, value in figures.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", default="measure", choices=("measure", "serve", "case"))
    parser.add_argument("mode", nargs="?")
    parser.add_argument("url", nargs="?")
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--max-body", type=int, default=5_000_000)
    parser.add_argument("--port", type=int, default=18_710)
    parser.add_argument("--bomb", type=int, default=300_000_000, help="inflated bytes")
    args = parser.parse_args()
    if args.what == "serve":
        asyncio.run(serve(args.port, args.bomb))
    elif args.what == "case":
        run_case(args.mode, args.url, args.timeout, args.max_body)
    else:
        measure(args)


if __name__ == "__main__":
    main()
