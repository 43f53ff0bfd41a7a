"""Benchmark: heat chart rendering, per chart, on the bundled sample.

Builds the sample's digest, reads its chart figures once, then renders the PNG
``--charts`` times in each language and prints each chart's wall and CPU time, then
the median and p95. The first render of a process (font file loaded, glyph caches
cold) is printed apart and left out of the figures: a running bot pays it once.
Wall time on a loaded shared machine includes waiting for a core; CPU time is what a
chart costs the bot.

The bot draws each chart in a fresh child interpreter (``ChartDrawer``, issue 12), which
pays that first render every time: ``--child N`` also draws N charts that way and prints
each one's wall time and the child's CPU time beside the in-process figures (the anchor,
same run).

Run: ``uv run python bench/chart.py [--charts 20] [--child 6]``
The last line is ``KEY=VALUE ...``.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
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


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def draw_in_children(chart: HeatChart, count: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of ``count`` charts drawn one by one in child processes."""
    drawer = ChartDrawer()
    walls: list[float] = []
    cpus: list[float] = []
    for n in range(count):
        language = "zh" if n % 2 == 0 else "en"
        wall, cpu = time.perf_counter(), children_cpu()
        await drawer.draw(chart, language)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((children_cpu() - cpu) * 1000)
        print(f"child {n + 1:3d} ({language}): wall {walls[-1]:6.1f} ms  cpu {cpus[-1]:6.1f} ms")
    return walls, cpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charts", type=int, default=20, help="charts per language")
    parser.add_argument("--child", type=int, default=6, help="charts drawn in child processes")
    args = parser.parse_args()
    store = Store.memory()
    import_posts(store, SAMPLE, now=BUILT)
    options = BuildOptions(themes=load_themes())
    digest = compose_digest(store, DAY, options, BUILT)
    started = time.perf_counter()
    chart = heat_chart(store, digest, options)
    facts_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    size = len(render_chart(chart, "zh"))
    print(f"first render (cold): {(time.perf_counter() - started) * 1000:.0f} ms, {size} bytes")
    print(f"chart figures from the store: {facts_ms:.1f} ms")
    walls: list[float] = []
    cpus: list[float] = []
    for n in range(args.charts * 2):
        language = "zh" if n % 2 == 0 else "en"
        wall, cpu = time.perf_counter(), time.process_time()
        render_chart(chart, language)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        print(f"chart {n + 1:3d} ({language}): wall {walls[-1]:6.1f} ms  cpu {cpus[-1]:6.1f} ms")
    wall_med, wall_p95 = statistics.median(walls), p95(walls)
    cpu_med, cpu_p95 = statistics.median(cpus), p95(cpus)
    print(f"wall: median {wall_med:.1f} ms, p95 {wall_p95:.1f} ms")
    print(f"cpu:  median {cpu_med:.1f} ms, p95 {cpu_p95:.1f} ms (target <= {TARGET_MS:.0f} ms)")
    child = ""
    if args.child:
        child_walls, child_cpus = asyncio.run(draw_in_children(chart, args.child))
        child_wall, child_cpu = statistics.median(child_walls), statistics.median(child_cpus)
        print(
            f"child process: wall median {child_wall:.1f} ms, cpu median {child_cpu:.1f} ms "
            f"(in this process, same run: wall {wall_med:.1f} ms, cpu {cpu_med:.1f} ms)"
        )
        child = f" CHILD_WALL_MEDIAN_MS={child_wall:.1f} CHILD_CPU_MEDIAN_MS={child_cpu:.1f}"
    print(
        f"CHARTS={len(walls)} WALL_MEDIAN_MS={wall_med:.1f} WALL_P95_MS={wall_p95:.1f} "
        f"CPU_MEDIAN_MS={cpu_med:.1f} CPU_P95_MS={cpu_p95:.1f} "
        f"WITHIN_TARGET={'yes' if cpu_p95 <= TARGET_MS else 'no'}{child}"
    )


if __name__ == "__main__":
    main()
