"""Real proxies on 127.0.0.1 for tests: HTTP (CONNECT and forwarding) and SOCKS5.

Small on purpose, and strict where a client could get it wrong: credentials are checked
(407 or a SOCKS auth failure otherwise) and every destination is recorded, so a test can
prove that a call went through the proxy and not around it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def _splice(
    client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
) -> None:
    await asyncio.gather(_pipe(client[0], upstream[1]), _pipe(upstream[0], client[1]))


@dataclass
class ProxyLog:
    """What a proxy saw: one entry per connection it made for a client."""

    destinations: list[str] = field(default_factory=list)  # "host:port"
    requests: list[str] = field(default_factory=list)  # first request line (HTTP proxy)
    refused: int = 0  # clients turned away for wrong or missing credentials


class HttpProxy:
    """CONNECT tunnels (https:// targets) and forwarding of absolute-URI requests (http://)."""

    def __init__(self, user: str | None = None, password: str | None = None) -> None:
        self.log = ProxyLog()
        token = base64.b64encode(f"{user}:{password}".encode()).decode() if user else None
        self._expected = f"basic {token}".lower() if token else None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        line, *rest = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in rest)}
        if self._expected and headers.get("proxy-authorization", "").lower() != self._expected:
            self.log.refused += 1
            writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            writer.close()
            return
        method, target, _ = line.split(" ", 2)
        self.log.requests.append(line)
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream = await asyncio.open_connection(host.strip("[]"), int(port))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            self.log.destinations.append(target)
        else:  # forwarding: "POST http://host:port/path HTTP/1.1"
            authority = target.split("://", 1)[1].split("/", 1)[0]
            host, _, port = authority.rpartition(":")
            upstream = await asyncio.open_connection(host, int(port or 80))
            upstream[1].write(head)  # origin servers accept the absolute form too
            self.log.destinations.append(authority)
        await _splice((reader, writer), upstream)


class Socks5Proxy:
    """SOCKS5 CONNECT (RFC 1928) with username/password authentication (RFC 1929)."""

    def __init__(self, user: str | None = None, password: str | None = None) -> None:
        self.log = ProxyLog()
        self._credentials = (user, password) if user else None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if not await self._greet(reader, writer):
                self.log.refused += 1
                writer.close()
                return
            host, port = await self._request(reader)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        upstream = await asyncio.open_connection(host, port)
        bound = b"\x00\x01" + bytes(4) + bytes(2)  # BND.ADDR 0.0.0.0:0 (clients ignore it)
        writer.write(b"\x05\x00" + bound)
        await writer.drain()
        self.log.destinations.append(f"{host}:{port}")
        await _splice((reader, writer), upstream)

    async def _greet(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        version, count = await reader.readexactly(2)
        methods = await reader.readexactly(count)
        wanted = 2 if self._credentials else 0
        if version != 5 or wanted not in methods:
            writer.write(b"\x05\xff")
            return False
        writer.write(bytes([5, wanted]))
        if not self._credentials:
            return True
        _, size = await reader.readexactly(2)
        user = (await reader.readexactly(size)).decode()
        (size,) = await reader.readexactly(1)
        password = (await reader.readexactly(size)).decode()
        ok = (user, password) == self._credentials
        writer.write(b"\x01\x00" if ok else b"\x01\x01")
        await writer.drain()
        return ok

    @staticmethod
    async def _request(reader: asyncio.StreamReader) -> tuple[str, int]:
        _, command, _, kind = await reader.readexactly(4)
        assert command == 1, "only CONNECT"
        if kind == 1:
            host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
        elif kind == 3:
            (size,) = await reader.readexactly(1)
            host = (await reader.readexactly(size)).decode()
        else:
            host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        return host, port


@contextlib.asynccontextmanager
async def serving(proxy: HttpProxy | Socks5Proxy) -> AsyncIterator[int]:
    """Run ``proxy`` on 127.0.0.1; yields its port."""
    tasks: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await proxy.handle(reader, writer)
        except asyncio.CancelledError:
            pass  # see bot.fake_telegram.http: a cancelled stream callback must not raise
        finally:
            tasks.discard(task)

    listener = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield listener.sockets[0].getsockname()[1]
    finally:
        listener.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await listener.wait_closed()
