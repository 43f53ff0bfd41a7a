"""Benchmark: heat chart rendering, per chart, on the bundled sample.

Builds the sample's digest, reads its chart figures once, then renders the PNG
``--charts`` times in each language and prints each chart's wall and CPU time, then
the median and p95. The first render of a process (font file loaded, glyph caches
cold) is printed apart and left out of the figures: a running bot pays it once.
Wall time on a loaded shared machine includes waiting for a core; CPU time is what a
chart costs the bot.

The bot draws its charts in a child interpreter it keeps between charts (``ChartDrawer``,
issues 12 and 17): ``--child N`` also draws N charts through one drawer and prints the
first (the child's start: interpreter, matplotlib, the font) apart from the warm ones,
each one's wall time and the child's CPU time (``/proc/PID/stat``, 10 ms ticks), beside
the in-process figures of the same run (the anchor) and the load average before and after.

Run: ``uv run python bench/chart.py [--charts 20] [--child 20]``
The last line is ``KEY=VALUE ...``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from datetime import UTC, date, datetime
from pathlib import Path

from digest import BuildOptions, ChartDrawer, Store, compose_digest, import_posts, load_themes
from digest.build.heat import HeatChart, heat_chart
from digest.render.chart import render_chart

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample" / "posts.jsonl"
DAY = date(2026, 2, 15)
BUILT = datetime(2026, 2, 15, 10, 30, tzinfo=UTC)
TARGET_MS = 300.0


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def child_cpu_ms(pid: int) -> float:
    """CPU time (user + system) process ``pid`` has used so far, from ``/proc/PID/stat``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


async def draw_in_child(chart: HeatChart, count: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of ``count`` charts drawn one by one by one drawer's child;
    the first includes the child's start."""
    drawer = ChartDrawer()
    walls: list[float] = []
    cpus: list[float] = []
    try:
        for n in range(count):
            language = "zh" if n % 2 == 0 else "en"
            pid, wall = drawer.pid, time.perf_counter()
            before = child_cpu_ms(pid) if pid is not None else 0.0
            await drawer.draw(chart, language)
            walls.append((time.perf_counter() - wall) * 1000)
            assert drawer.pid is not None and pid in (None, drawer.pid), "the child changed"
            cpus.append(child_cpu_ms(drawer.pid) - before)
            what = "first" if n == 0 else "warm "
            print(
                f"child {what} {n + 1:3d} ({language}): wall {walls[-1]:6.1f} ms  "
                f"cpu {cpus[-1]:6.1f} ms  pid {drawer.pid}"
            )
        assert drawer.pid is not None
        status = Path(f"/proc/{drawer.pid}/status").read_text()
        print("child, peak memory:", status.partition("VmHWM:")[2].split("\n")[0].strip())
    finally:
        await drawer.aclose()
    return walls, cpus


def load() -> str:
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


def in_process(chart: HeatChart, count: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of ``count`` charts drawn in this process, after a first."""
    started = time.perf_counter()
    size = len(render_chart(chart, "zh"))
    print(f"first render (cold): {(time.perf_counter() - started) * 1000:.0f} ms, {size} bytes")
    walls: list[float] = []
    cpus: list[float] = []
    for n in range(count):
        language = "zh" if n % 2 == 0 else "en"
        wall, cpu = time.perf_counter(), time.process_time()
        render_chart(chart, language)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        print(f"chart {n + 1:3d} ({language}): wall {walls[-1]:6.1f} ms  cpu {cpus[-1]:6.1f} ms")
    return walls, cpus


def figures(name: str, walls: list[float], cpus: list[float]) -> dict[str, float]:
    found = {
        "WALL_MEDIAN_MS": statistics.median(walls),
        "WALL_P95_MS": p95(walls),
        "CPU_MEDIAN_MS": statistics.median(cpus),
        "CPU_P95_MS": p95(cpus),
    }
    print(f"{name}: " + ", ".join(f"{key.lower()} {value:.1f}" for key, value in found.items()))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charts", type=int, default=20, help="charts per language")
    parser.add_argument("--child", type=int, default=20, help="charts drawn by one child")
    args = parser.parse_args()
    load_before = load()
    store = Store.memory()
    import_posts(store, SAMPLE, now=BUILT)
    options = BuildOptions(themes=load_themes())
    digest = compose_digest(store, DAY, options, BUILT)
    started = time.perf_counter()
    chart = heat_chart(store, digest, options)
    print(f"chart figures from the store: {(time.perf_counter() - started) * 1000:.1f} ms")
    found = figures("in this process (anchor)", *in_process(chart, args.charts * 2))
    target = found["CPU_P95_MS"]
    if args.child >= 2:
        walls, cpus = asyncio.run(draw_in_child(chart, args.child))
        found["CHILD_FIRST_WALL_MS"], found["CHILD_FIRST_CPU_MS"] = walls[0], cpus[0]
        print(f"child, first chart (its start): wall {walls[0]:.1f} ms, cpu {cpus[0]:.1f} ms")
        warm = figures("child, warm charts", walls[1:], cpus[1:])
        found |= {f"CHILD_WARM_{key}": value for key, value in warm.items()}
        target = warm["CPU_P95_MS"]  # what the bot pays per chart
    pairs = " ".join(f"{key}={value:.1f}" for key, value in found.items())
    print(
        f"CHARTS={args.charts * 2} CHILD_CHARTS={args.child} {pairs} "
        f"WITHIN_TARGET={'yes' if target <= TARGET_MS else 'no'} "
        f"LOAD_BEFORE={load_before} LOAD_AFTER={load()}"
    )


if __name__ == "__main__":
    main()
