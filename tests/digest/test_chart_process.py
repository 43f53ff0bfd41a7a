"""Charts drawn in a child interpreter: the figures it is given, and how it fails."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from digest import ChartDrawer, ChartError
from digest.build.heat import HeatChart, ThemeSeries, TopPost
from digest.render.chart_process import CHILD_MODULE, chart_from_json, chart_json

CHART = HeatChart(
    date="2026-02-15",
    version=2,
    days=(date(2026, 2, 14), date(2026, 2, 15)),
    themes=(ThemeSeries("ai", "人工智能", "AI", (40.5, 100.0)),),
    posts=(TopPost(3, "juejin", "「标题」 <b>&</b>", 97.5),),
    weekly=True,
)
# A child that notes its pid, then hangs: the drawer has to kill it.
HANGING = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(300)"


def test_the_figures_reach_the_child_unchanged() -> None:
    assert chart_from_json(chart_json(CHART, "en")) == (CHART, "en")


def test_the_real_child_refuses_what_is_not_a_chart_and_says_why() -> None:
    done = subprocess.run(
        [sys.executable, "-m", CHILD_MODULE], input=b'{"language": "zh"}', capture_output=True
    )
    assert done.returncode == 2 and done.stdout == b""
    assert b"unreadable chart figures" in done.stderr


async def test_a_failing_child_is_a_chart_error_with_its_last_line() -> None:
    code = (
        "import sys; sys.stdin.read(); "
        "print('loading\\nthe chart font is missing', file=sys.stderr); sys.exit(3)"
    )
    drawer = ChartDrawer(command=(sys.executable, "-c", code))
    with pytest.raises(ChartError, match=r"exited with 3: the chart font is missing$"):
        await drawer.draw(CHART, "zh")


async def test_a_child_that_writes_no_png_is_a_chart_error() -> None:
    code = "import sys; sys.stdin.read(); sys.stdout.write('not a picture')"
    with pytest.raises(ChartError, match="wrote no PNG"):
        await ChartDrawer(command=(sys.executable, "-c", code)).draw(CHART, "zh")


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def _pid_from(path: Path) -> int:
    for _ in range(600):  # the child writes it first thing; 30 s for a loaded machine
        if path.exists() and path.read_text():
            return int(path.read_text())
        await asyncio.sleep(0.05)
    raise AssertionError("the child never started")


async def test_a_child_over_its_timeout_is_killed_and_a_chart_error(tmp_path: Path) -> None:
    noted = tmp_path / "pid"
    drawer = ChartDrawer(timeout=2.0, command=(sys.executable, "-c", HANGING, str(noted)))
    started = time.monotonic()
    with pytest.raises(ChartError, match="took over 2 s"):
        await drawer.draw(CHART, "zh")
    assert time.monotonic() - started < 60  # not the child's 300 s
    assert _gone(await _pid_from(noted))  # killed and reaped


async def test_a_cancelled_draw_kills_its_child(tmp_path: Path) -> None:
    noted = tmp_path / "pid"
    drawer = ChartDrawer(command=(sys.executable, "-c", HANGING, str(noted)))
    task = asyncio.create_task(drawer.draw(CHART, "zh"))
    pid = await _pid_from(noted)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert _gone(pid)


async def test_charts_wait_for_a_free_slot(tmp_path: Path) -> None:
    """One child at a time by default: a second chart starts when the first has ended."""
    code = (
        "import sys, time; sys.stdin.read(); began = time.monotonic(); time.sleep(0.3); "
        "print(began, time.monotonic(), file=sys.stderr); sys.exit(1)"
    )
    drawer = ChartDrawer(command=(sys.executable, "-c", code))
    results = await asyncio.gather(
        drawer.draw(CHART, "zh"), drawer.draw(CHART, "en"), return_exceptions=True
    )
    assert all(isinstance(error, ChartError) for error in results)
    first, second = sorted(tuple(map(float, str(e).rpartition(": ")[2].split())) for e in results)
    assert second[0] >= first[1]  # the second child began after the first had ended
