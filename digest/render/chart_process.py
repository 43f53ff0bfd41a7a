"""Heat charts drawn in a child interpreter, so matplotlib and numpy never load in the bot.

A long-running bot keeps what it imports: matplotlib and numpy are some 40 MB it would
carry for a chart a day (issue 12 holds the bot to 100 MB while it pushes to 100,000
chats). :class:`ChartDrawer` starts a fresh ``python -m digest.render.chart_child`` per
chart, writes the chart's figures to its stdin as JSON and reads the PNG from its
stdout; the memory leaves with the child. The caller only awaits: the event loop never
blocks on the child.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import sys
from collections.abc import Sequence
from typing import Any

from ..build.heat import HeatChart, ThemeSeries, TopPost
from ..errors import ChartError

CHILD_MODULE = "digest.render.chart_child"
# A cold child imports matplotlib and loads a 17 MB font before it draws: 2-3 s on a
# loaded 2-core machine (bench/chart.py). A child still busy after a minute is stuck.
CHART_TIMEOUT = 60.0
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ERROR_CHARS = 300  # of the child's stderr, in the error: its last line says what failed


def chart_json(chart: HeatChart, language: str) -> bytes:
    """What the child reads on stdin: the chart's figures and the language to label it in."""
    data = {
        "language": language,
        "date": chart.date,
        "version": chart.version,
        "days": [day.isoformat() for day in chart.days],
        "themes": [
            {"id": s.theme_id, "zh": s.zh, "en": s.en, "values": list(s.values)}
            for s in chart.themes
        ],
        "posts": [
            {"index": p.index, "source": p.source, "title": p.title, "score": p.score}
            for p in chart.posts
        ],
        "weekly": chart.weekly,
    }
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def chart_from_json(raw: bytes) -> tuple[HeatChart, str]:
    """The chart and language :func:`chart_json` wrote (``ValueError`` if it is not that)."""
    data: dict[str, Any] = json.loads(raw)
    try:
        chart = HeatChart(
            date=str(data["date"]),
            version=int(data["version"]),
            days=tuple(dt.date.fromisoformat(day) for day in data["days"]),
            themes=tuple(
                ThemeSeries(
                    str(t["id"]), str(t["zh"]), str(t["en"]), tuple(map(float, t["values"]))
                )
                for t in data["themes"]
            ),
            posts=tuple(
                TopPost(int(p["index"]), str(p["source"]), str(p["title"]), float(p["score"]))
                for p in data["posts"]
            ),
            weekly=bool(data["weekly"]),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not a chart: {exc!r}") from exc
    return chart, str(data["language"])


class ChartDrawer:
    """Draws charts in child processes, ``slots`` at a time, each within ``timeout`` seconds.

    :param command: what starts a child (this interpreter running :data:`CHILD_MODULE`
        by default); it reads :func:`chart_json` on stdin and writes a PNG on stdout.
    """

    def __init__(
        self,
        *,
        timeout: float = CHART_TIMEOUT,
        slots: int = 1,
        command: Sequence[str] = (sys.executable, "-m", CHILD_MODULE),
    ) -> None:
        self.timeout = timeout
        self.command = tuple(command)
        # One child at a time by default: each takes a core and ~100 MB for a second or
        # two; charts asked for at once wait their turn rather than crowd the machine.
        self._slots = asyncio.Semaphore(slots)

    async def draw(self, chart: HeatChart, language: str) -> bytes:
        """The chart as PNG bytes; :class:`ChartError` when the child fails, says nothing
        useful or outlives the timeout (it is killed then)."""
        async with self._slots:
            return await self._run(chart_json(chart, language))

    async def _run(self, payload: bytes) -> bytes:
        child = await asyncio.create_subprocess_exec(
            *self.command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(child.communicate(payload), self.timeout)
        except TimeoutError:
            raise ChartError(f"the chart process took over {self.timeout:g} s") from None
        finally:
            if child.returncode is None:  # timed out, or the caller was cancelled
                with contextlib.suppress(ProcessLookupError):
                    child.kill()
                await child.wait()
        if child.returncode != 0:
            said = err.decode("utf-8", "replace").strip()[-_ERROR_CHARS:]
            last = said.splitlines()[-1] if said else "no message"
            raise ChartError(f"the chart process exited with {child.returncode}: {last}")
        if not out.startswith(PNG_SIGNATURE):
            raise ChartError(f"the chart process wrote no PNG ({len(out)} bytes)")
        return out
