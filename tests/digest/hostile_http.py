"""An HTTP server on 127.0.0.1 that misbehaves as hostile sources do (tests and bench).

Routes: ``/drip`` (one byte every ``drip_seconds``), ``/huge`` (``huge_bytes`` of body),
``/bomb`` (gzip that inflates to ``bomb_bytes``), ``/429`` (Retry-After: 99999) and
``/json`` (``json_body``). Plain asyncio streams, so nothing in httpx is trusted to
behave like the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

CHUNK = 64 * 1024


def gzip_bomb(inflated: int) -> bytes:
    """Gzip of ``inflated`` zero bytes, built a chunk at a time (~1,000:1)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip container
    zeros, parts, left = bytes(1 << 20), [], inflated
    while left > 0:
        parts.append(packer.compress(zeros[: min(left, len(zeros))]))
        left -= len(zeros)
    parts.append(packer.flush())
    return b"".join(parts)


@dataclass
class HostileServer:
    drip_seconds: float = 0.2
    drip_bytes: int = 60
    huge_bytes: int = 100_000_000
    bomb_bytes: int = 50_000_000
    json_body: bytes = b"{}"
    requests: list[str] = field(default_factory=list)
    _bomb: bytes | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def bomb(self) -> bytes:
        if self._bomb is None:
            self._bomb = gzip_bomb(self.bomb_bytes)
        return self._bomb

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            self.requests.append(path)
            await self.answer(path, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client gave up on us: that is the point
        finally:
            writer.close()
            self._tasks.discard(task)  # type: ignore[arg-type]

    async def stop(self) -> None:
        """End the answers still dripping or streaming."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def answer(self, path: str, writer: asyncio.StreamWriter) -> None:
        if path == "/429":
            writer.write(_head(429, 0, "Retry-After: 99999\r\n"))
        elif path == "/drip":
            writer.write(_head(200, self.drip_bytes))
            for _ in range(self.drip_bytes):
                await writer.drain()
                await asyncio.sleep(self.drip_seconds)
                writer.write(b" ")
        elif path == "/huge":
            writer.write(_head(200, self.huge_bytes))
            block = b"x" * CHUNK
            for start in range(0, self.huge_bytes, CHUNK):
                writer.write(block[: min(CHUNK, self.huge_bytes - start)])
                await writer.drain()
        elif path == "/bomb":
            writer.write(_head(200, len(self.bomb), "Content-Encoding: gzip\r\n"))
            writer.write(self.bomb)
        else:
            writer.write(_head(200, len(self.json_body)) + self.json_body)
        await writer.drain()


def _head(status: int, length: int, extra: str = "") -> bytes:
    reason = {200: "OK", 429: "Too Many Requests"}[status]
    return (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n{extra}\r\n"
    ).encode()


@contextlib.asynccontextmanager
async def serving(server: HostileServer) -> AsyncIterator[str]:
    """Run ``server`` on 127.0.0.1 (a free port); yields its base URL."""
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        listener.close()
        await server.stop()
        await listener.wait_closed()
