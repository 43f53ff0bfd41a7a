"""Heat charts drawn in a child interpreter, so matplotlib and numpy never load in the bot.

A long-running bot keeps what it imports: matplotlib and numpy are some 40 MB it would
carry for a chart a day (issue 12 holds the bot to 100 MB while it pushes to 100,000
chats). :class:`ChartDrawer` keeps one ``python -m digest.render.chart_child`` alive and
sends it one chart at a time (framed JSON in, a framed PNG out), so only the first chart
pays for importing matplotlib and loading the font (issue 17: a chart in ≤ 300 ms). The
child exits by itself after an idle period, and its memory leaves with it. The caller
only awaits: the event loop never blocks on the child.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import struct
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..build.heat import HeatChart, ThemeSeries, TopPost
from ..errors import ChartError

CHILD_MODULE = "digest.render.chart_child"
# The first chart of a child imports matplotlib and loads a 17 MB font before it draws:
# 2-3 s on a loaded 2-core machine (bench/chart.py). A chart still unanswered after a
# minute is stuck.
CHART_TIMEOUT = 60.0
# A child idle this long exits: ~140 MB is worth keeping for a push run's charts, not
# for the rest of the day.
IDLE_SECONDS = 300.0
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HEADER = struct.Struct(">I")  # a frame's length, before the request or the answer's body
MAX_REQUEST = 4 << 20  # a chart's figures are a few kB
MAX_ANSWER = 64 << 20  # a 1200×675 PNG is some 100 kB
ANSWER_PNG, ANSWER_ERROR, ANSWER_FATAL = b"P", b"E", b"F"  # F: the child exits after it
EXIT_IDLE = 4  # the child's status after its idle exit: it read nothing more
EXIT_BAD_FRAME = 5
_ERROR_CHARS = 300  # of the child's stderr, in the error: its last line says what failed
_CLOSE_GRACE = 5.0  # seconds a child has to exit once its stdin is closed


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
        language = str(data["language"])
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not a chart: {exc!r}") from exc
    return chart, language


def request_frame(chart: HeatChart, language: str) -> bytes:
    """One request as the child reads it: the length, then :func:`chart_json`."""
    body = chart_json(chart, language)
    return HEADER.pack(len(body)) + body


class _ChildGoneError(ChartError):
    """The child ended (or closed its stdin) before it answered."""

    def __init__(self, *, unsent: bool) -> None:
        super().__init__()
        self.unsent = unsent  # the request could not even be written


@dataclass
class _Child:
    process: asyncio.subprocess.Process
    said: asyncio.Task[bytes]  # the tail of its stderr, complete once it has ended
    served: int = 0


async def _tail(stream: asyncio.StreamReader) -> bytes:
    """The last bytes of ``stream`` once it ends: read as it comes, so the pipe never fills."""
    tail = b""
    while chunk := await stream.read(1 << 16):
        tail = (tail + chunk)[-4 * _ERROR_CHARS :]
    return tail


class ChartDrawer:
    """Draws charts, one at a time, in one child process kept alive between charts.

    :param timeout: seconds a chart may take (the first one includes the child's start);
        past it, or when the caller is cancelled, the child is killed and the next chart
        starts a new one.
    :param idle: seconds the child waits for another chart before it exits by itself.
    :param command: what starts a child (this interpreter running :data:`CHILD_MODULE`
        by default); it reads :func:`request_frame` frames on stdin and answers on stdout.
    """

    def __init__(
        self,
        *,
        timeout: float = CHART_TIMEOUT,
        idle: float = IDLE_SECONDS,
        command: Sequence[str] | None = None,
    ) -> None:
        self.timeout = timeout
        self.idle = idle
        default = (sys.executable, "-m", CHILD_MODULE, "--idle", f"{idle:g}")
        self.command = tuple(command) if command is not None else default
        # One chart at a time: the child answers in order, and one child is one core.
        self._lock = asyncio.Lock()
        self._child: _Child | None = None
        self._closed = False

    @property
    def pid(self) -> int | None:
        """The child's process id while one is running."""
        child = self._child
        return child.process.pid if child and child.process.returncode is None else None

    async def draw(self, chart: HeatChart, language: str) -> bytes:
        """The chart as PNG bytes; :class:`ChartError` when the child cannot draw it, ends
        without an answer, breaks the protocol or outlives the timeout (killed then)."""
        request = request_frame(chart, language)
        async with self._lock:
            if self._closed:
                raise ChartError("the chart process was closed")
            try:
                return await asyncio.wait_for(self._draw(request), self.timeout)
            except TimeoutError:
                await self._end_current(kill=True)
                raise ChartError(f"the chart process took over {self.timeout:g} s") from None
            except asyncio.CancelledError:
                await self._end_current(kill=True)  # what it has read or written is unknown
                raise

    async def aclose(self) -> None:
        """End the child (its stdin closed, killed if it lingers); later draws fail."""
        self._closed = True
        if self._child is not None:
            await self._end(self._child, kill=False)

    async def _draw(self, request: bytes) -> bytes:
        for attempt in (1, 2):
            child = await self._running()
            try:
                return await self._exchange(child, request)
            except _ChildGoneError as gone:
                said = await self._end(child, kill=False)
                status = child.process.returncode
                # Sent again only when a child that had drawn before was already gone:
                # it never read this request, which therefore did not kill it.
                if attempt == 1 and child.served and (gone.unsent or status == EXIT_IDLE):
                    continue
                raise ChartError(f"the chart process exited with {status}: {said}") from None
        raise AssertionError("unreachable")

    async def _running(self) -> _Child:
        if self._child is not None and self._child.process.returncode is not None:
            await self._end(self._child, kill=False)  # exited while idle: reap it
        if self._child is None:
            if self._closed:  # closed while this chart was on its way
                raise ChartError("the chart process was closed")
            process = await asyncio.create_subprocess_exec(
                *self.command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            assert process.stderr is not None
            self._child = _Child(process, asyncio.create_task(_tail(process.stderr)))
        return self._child

    async def _exchange(self, child: _Child, request: bytes) -> bytes:
        stdin, stdout = child.process.stdin, child.process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(request)
            await stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            raise _ChildGoneError(unsent=True) from None
        try:
            status = await stdout.readexactly(1)
            (size,) = HEADER.unpack(await stdout.readexactly(HEADER.size))
            if status not in (ANSWER_PNG, ANSWER_ERROR, ANSWER_FATAL) or size > MAX_ANSWER:
                await self._end(child, kill=True)
                raise ChartError(f"the chart process broke the protocol ({status!r}, {size})")
            body = await stdout.readexactly(size)
        except asyncio.IncompleteReadError:
            raise _ChildGoneError(unsent=False) from None
        child.served += 1
        if status == ANSWER_PNG and body.startswith(PNG_SIGNATURE):
            return body
        if status == ANSWER_PNG:
            await self._end(child, kill=True)
            raise ChartError(f"the chart process wrote no PNG ({len(body)} bytes)")
        if status == ANSWER_FATAL:
            await self._end(child, kill=False)
        said = body.decode("utf-8", "replace").strip()[-_ERROR_CHARS:]
        raise ChartError(f"the chart process could not draw it: {said}")

    async def _end_current(self, *, kill: bool) -> None:
        if self._child is not None:
            await self._end(self._child, kill=kill)

    async def _end(self, child: _Child, *, kill: bool) -> str:
        """Stop ``child`` (closing its stdin, or killing it), reap it and return the last
        line it wrote on stderr."""
        if self._child is child:
            self._child = None
        process = child.process
        if process.returncode is None and not kill:
            assert process.stdin is not None
            process.stdin.close()  # a serving child exits at the end of its input
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), _CLOSE_GRACE)
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        await process.wait()
        said = (await child.said).decode("utf-8", "replace").strip()[-_ERROR_CHARS:]
        return said.splitlines()[-1] if said else "no message"
