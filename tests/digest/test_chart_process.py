"""Charts drawn by a long-lived child interpreter: the figures it is given, how one child
serves chart after chart, and how the drawer gets past a child that fails or goes away."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from digest import ChartDrawer, ChartError
from digest.build.heat import HeatChart, ThemeSeries, TopPost
from digest.render.chart_process import (
    CHILD_MODULE,
    HEADER,
    PNG_SIGNATURE,
    chart_from_json,
    chart_json,
    request_frame,
)

CHART = HeatChart(
    date="2026-02-15",
    version=2,
    days=(date(2026, 2, 14), date(2026, 2, 15)),
    themes=(ThemeSeries("ai", "人工智能", "AI", (40.5, 100.0)),),
    posts=(TopPost(3, "juejin", "「标题」 <b>&</b>", 97.5),),
    weekly=True,
)
FAKE = Path(__file__).with_name("chart_child_fake.py")


def fake(mode: str, pids: Path, **kwargs: float) -> ChartDrawer:
    """A drawer whose children are the scripted fake in ``mode``, noting pids in ``pids``."""
    return ChartDrawer(command=(sys.executable, str(FAKE), mode, str(pids)), **kwargs)


def started(pids: Path) -> list[int]:
    return [int(line) for line in pids.read_text().split()] if pids.exists() else []


def gone(pid: int) -> bool:
    """Ended and reaped: a zombie still answers signal 0."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def until_gone(pid: int) -> None:
    for _ in range(600):  # 30 s for a loaded machine
        if gone(pid):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"process {pid} is still there")


async def until_started(pids: Path, count: int) -> list[int]:
    for _ in range(600):
        if len(found := started(pids)) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("the child never started")


def test_the_figures_reach_the_child_unchanged() -> None:
    assert chart_from_json(chart_json(CHART, "en")) == (CHART, "en")


async def test_one_real_child_draws_chart_after_chart_and_ends_at_close() -> None:
    drawer = ChartDrawer()
    first = await drawer.draw(CHART, "zh")
    pid = drawer.pid
    second = await drawer.draw(CHART, "en")
    assert pid is not None and drawer.pid == pid  # the same child, warm
    assert first.startswith(PNG_SIGNATURE) and second.startswith(PNG_SIGNATURE)
    assert first != second  # labelled in each language
    await drawer.aclose()
    assert drawer.pid is None and gone(pid)
    with pytest.raises(ChartError, match="closed"):
        await drawer.draw(CHART, "zh")


async def test_an_idle_real_child_exits_by_itself_and_the_next_chart_starts_another() -> None:
    drawer = ChartDrawer(idle=1.0)
    try:
        await drawer.draw(CHART, "zh")
        pid = drawer.pid
        assert pid is not None
        await until_gone(pid)  # exited after 1 s without a chart, and reaped
        assert (await drawer.draw(CHART, "en")).startswith(PNG_SIGNATURE)
        assert drawer.pid not in (None, pid)
    finally:
        await drawer.aclose()


async def test_a_killed_real_child_is_replaced_for_the_next_chart() -> None:
    drawer = ChartDrawer()
    try:
        await drawer.draw(CHART, "zh")
        pid = drawer.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        await until_gone(pid)
        assert (await drawer.draw(CHART, "en")).startswith(PNG_SIGNATURE)
        assert drawer.pid not in (None, pid)
    finally:
        await drawer.aclose()


def test_the_real_child_answers_bad_figures_and_reads_on_but_ends_at_a_bad_frame() -> None:
    """Unreadable figures in a sound frame: an error answer, and the next frame is read.
    A frame announcing more than a chart's figures: a fatal answer, and the child exits."""
    child = subprocess.Popen(
        [sys.executable, "-m", CHILD_MODULE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    not_a_chart = b'{"language": "zh"}'
    sent = HEADER.pack(len(not_a_chart)) + not_a_chart + HEADER.pack(1 << 30)
    out, _ = child.communicate(sent, timeout=60)
    assert child.returncode == 5
    assert out[:1] == b"E"
    (size,) = HEADER.unpack(out[1:5])
    assert b"unreadable chart figures" in out[5 : 5 + size]
    fatal = out[5 + size :]
    assert fatal[:1] == b"F" and b"bad frame" in fatal[5:]


@pytest.mark.parametrize(
    "sent", [b"\x00\x00", HEADER.pack(100) + b"{}"], ids=["cut-length", "cut-figures"]
)
def test_the_real_child_ends_at_a_frame_cut_short(sent: bytes) -> None:
    child = subprocess.run(
        [sys.executable, "-m", CHILD_MODULE], input=sent, capture_output=True, timeout=60
    )
    assert child.returncode == 5
    assert child.stdout[:1] == b"F" and b"cut short" in child.stdout


def test_the_real_child_ends_quietly_when_its_input_ends() -> None:
    child = subprocess.run([sys.executable, "-m", CHILD_MODULE], input=b"", capture_output=True)
    assert (child.returncode, child.stdout) == (0, b"")


def test_a_request_frame_is_its_length_then_the_figures() -> None:
    frame = request_frame(CHART, "zh")
    assert HEADER.unpack(frame[:4]) == (len(frame) - 4,)
    assert chart_from_json(frame[4:]) == (CHART, "zh")


async def test_an_error_answer_is_a_chart_error_and_keeps_the_child(tmp_path: Path) -> None:
    drawer = fake("error-then-png", tmp_path / "pids")
    with pytest.raises(ChartError, match=r"could not draw it: the chart font is missing$"):
        await drawer.draw(CHART, "zh")
    assert (await drawer.draw(CHART, "zh")).startswith(PNG_SIGNATURE)
    assert len(started(tmp_path / "pids")) == 1
    await drawer.aclose()


async def test_a_child_gone_idle_before_reading_the_request_is_replaced_once(
    tmp_path: Path,
) -> None:
    """The child's idle exit crossed the request: it never read it, so a new child gets it."""
    drawer = fake("idle-race", tmp_path / "pids")
    await drawer.draw(CHART, "zh")
    assert (await drawer.draw(CHART, "zh")).startswith(PNG_SIGNATURE)
    first, second = started(tmp_path / "pids")
    assert gone(first) and drawer.pid == second
    await drawer.aclose()


async def test_a_child_that_dies_on_a_request_is_not_sent_it_again(tmp_path: Path) -> None:
    drawer = fake("die-on-second", tmp_path / "pids")
    await drawer.draw(CHART, "zh")
    with pytest.raises(ChartError, match=r"exited with 3: drawing failed$"):
        await drawer.draw(CHART, "zh")
    (first,) = started(tmp_path / "pids")
    assert gone(first)
    assert (await drawer.draw(CHART, "zh")).startswith(PNG_SIGNATURE)  # a new child
    assert len(started(tmp_path / "pids")) == 2
    await drawer.aclose()


async def test_a_child_that_cannot_start_is_one_chart_error(tmp_path: Path) -> None:
    code = "import sys; print('loading\\nno font', file=sys.stderr); sys.exit(3)"
    drawer = ChartDrawer(command=(sys.executable, "-c", code))
    with pytest.raises(ChartError, match=r"exited with 3: no font$"):
        await drawer.draw(CHART, "zh")
    await drawer.aclose()


async def test_an_answer_outside_the_protocol_kills_the_child(tmp_path: Path) -> None:
    drawer = fake("garbage", tmp_path / "pids")
    with pytest.raises(ChartError, match="broke the protocol"):
        await drawer.draw(CHART, "zh")
    assert gone(started(tmp_path / "pids")[0]) and drawer.pid is None
    await drawer.aclose()


async def test_a_child_over_its_timeout_is_killed_and_the_next_chart_starts_another(
    tmp_path: Path,
) -> None:
    drawer = fake("hang", tmp_path / "pids", timeout=2.0)
    began = time.monotonic()
    with pytest.raises(ChartError, match="took over 2 s"):
        await drawer.draw(CHART, "zh")
    assert time.monotonic() - began < 60  # not the child's 300 s
    (first,) = started(tmp_path / "pids")
    assert gone(first)  # killed and reaped
    with pytest.raises(ChartError, match="took over 2 s"):
        await drawer.draw(CHART, "zh")
    assert len(started(tmp_path / "pids")) == 2
    await drawer.aclose()


async def test_a_cancelled_draw_kills_its_child(tmp_path: Path) -> None:
    drawer = fake("hang", tmp_path / "pids")
    task = asyncio.create_task(drawer.draw(CHART, "zh"))
    (pid,) = await until_started(tmp_path / "pids", 1)
    await asyncio.sleep(0.2)  # the request is on its way
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert gone(pid) and drawer.pid is None
    await drawer.aclose()


async def test_charts_asked_for_at_once_take_turns_in_one_child(tmp_path: Path) -> None:
    drawer = fake("slow-error", tmp_path / "pids")
    results = await asyncio.gather(
        drawer.draw(CHART, "zh"), drawer.draw(CHART, "en"), return_exceptions=True
    )
    assert all(isinstance(error, ChartError) for error in results)
    said = sorted(tuple(str(e).rpartition(": ")[2].split()) for e in results)
    assert said[0][0] == said[1][0]  # one child answered both
    assert float(said[1][1]) >= float(said[0][2])  # the second began after the first ended
    await drawer.aclose()
