"""The bot's HTTP client: a python-telegram-bot ``BaseRequest`` on aiohttp.

Why aiohttp: measured by ``bench/send_path.py`` against a fake Bot API on 127.0.0.1 with
a 50 ms round trip, PTB's default HTTPXRequest cost the bot milliseconds of CPU per
message (httpx and httpcore objects, pool bookkeeping, form-encoding); aiohttp's C HTTP
parser and one ``TCPConnector`` keep a send near a tenth of a millisecond, and it brings
what a hand-written client lacks: proxies (HTTP CONNECT, forward, HTTPS; SOCKS through
aiohttp-socks), happy eyeballs (IPv6 then IPv4), gzip, chunked bodies with trailers,
keep-alive connections checked before reuse, and no automatic retry of a POST on a
connection the server closed (a retried send could duplicate a message).

PTB's timeouts map onto aiohttp's as follows. ``pool_timeout``: waiting for one of the
``connections`` slots (ours, so that it can be told apart as PTB does). ``connect_timeout``:
opening a connection (aiohttp's ``sock_connect``, and ``connect``, which also covers a
proxy's handshake and TLS). ``read_timeout``: the longest silence while the answer is read
(``sock_read``). ``write_timeout``: aiohttp has none of its own. A JSON call (a few KB)
goes into the socket's buffer at once and cannot stall there, so only an upload (files)
bounds the call as a whole (``total``) by connect + write + read. Every timer costs CPU
on each call, so calls with the default timeouts share one ``ClientTimeout``, and a call
that finds a free slot takes it without arming the pool timer.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from typing import Any
from urllib.parse import unquote, urlsplit

import aiohttp
import certifi
import orjson
from aiohttp_socks import ProxyConnector, ProxyType
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from digest import check_proxy_url, mask_password, proxy_password

_DEFAULT = type(BaseRequest.DEFAULT_NONE)  # PTB's "not given" marker for timeouts
_SOCKS = {"socks5": ProxyType.SOCKS5, "socks5h": ProxyType.SOCKS5}
_JSON = {"Content-Type": "application/json", "User-Agent": BaseRequest.USER_AGENT}


def default_tls() -> ssl.SSLContext:
    """Verify servers against certifi's CA bundle (as httpx does), not the system's."""
    return ssl.create_default_context(cafile=certifi.where())


class AiohttpRequest(BaseRequest):
    """Up to ``connections`` keep-alive connections to the Bot API, JSON bodies.

    :param proxy: ``http://``, ``https://``, ``socks5://`` or ``socks5h://`` URL, user and
        password included; None: connect directly.
    :param tls: the context servers are verified with (default: certifi's CA bundle).
    """

    __slots__ = (
        "_connections",
        "_default",
        "_free",
        "_proxy",
        "_session",
        "_timeouts",
        "_tls",
        "_waiting",
    )

    def __init__(
        self,
        connections: int = 128,
        *,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        proxy: str | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._connections = max(1, connections)
        # The connection slots: a count and the calls waiting for one, handed a freed slot
        # in turn (asyncio.Semaphore's locked() and acquire() cost a generator per call).
        self._free = self._connections
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._timeouts = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        self._default = _client_timeout(read_timeout, write_timeout, connect_timeout, False)
        self._proxy = check_proxy_url(proxy) if proxy else None
        self._tls = tls or default_tls()
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts[0]

    async def initialize(self) -> None:
        """Open the session (connections open on first use); again after a shutdown."""
        if self._session is None or self._session.closed:
            # Waiters are futures of the loop they were made in; `hotdigest run` checks the
            # token in one loop and polls in another.
            self._free, self._waiting = self._connections, deque()
            self._session = self._open()

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    def _open(self) -> aiohttp.ClientSession:
        proxy, scheme = self._proxy, urlsplit(self._proxy or "").scheme
        options: dict[str, Any] = {"limit": self._connections, "ssl": self._tls}
        if proxy and scheme in _SOCKS:
            parts = urlsplit(proxy)
            connector: aiohttp.TCPConnector = ProxyConnector(
                proxy_type=_SOCKS[scheme],
                host=parts.hostname or "",
                port=parts.port or 1080,
                username=unquote(parts.username) if parts.username else None,
                password=unquote(parts.password) if parts.password else None,
                rdns=True,  # the proxy resolves names: local DNS may be what is blocked
                **options,
            )
            proxy = None
        else:
            connector = aiohttp.TCPConnector(**options)
        return aiohttp.ClientSession(
            connector=connector,
            proxy=proxy,  # HTTP(S) proxies: CONNECT for https://, forwarding for http://
            cookie_jar=aiohttp.DummyCookieJar(),  # the Bot API sets none; skip the work
            trust_env=False,  # the proxy was chosen by the configuration
        )

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One call; (status, body) as BaseRequest wants, aiohttp's errors as PTB's."""
        if self._session is None:
            await self.initialize()
        assert self._session is not None
        files = request_data is not None and request_data.contains_files
        if (  # the common case, tested without building a tuple or a generator
            not files
            and isinstance(read_timeout, _DEFAULT)
            and isinstance(write_timeout, _DEFAULT)
            and isinstance(connect_timeout, _DEFAULT)
        ):
            timeout = self._default
        else:
            given = (read_timeout, write_timeout, connect_timeout)
            read, write, connect = (
                default if isinstance(value, _DEFAULT) else value
                for value, default in zip(given, self._timeouts, strict=False)
            )
            timeout = _client_timeout(read, write, connect, files)
        pool = self._timeouts[3] if isinstance(pool_timeout, _DEFAULT) else pool_timeout
        body, headers = _body(request_data)
        await self._acquire(pool)
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's ServerTimeoutError is one too
            raise TimedOut(f"the Bot API did not answer in time ({type(exc).__name__})") from exc
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {self._safe(exc)}") from exc
        finally:
            self._release()

    async def _acquire(self, pool: float | None) -> None:
        """A connection slot; PTB's pool timeout when none frees up in ``pool`` seconds."""
        if self._free > 0:
            self._free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            async with asyncio.timeout(pool):
                await waiter
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled():
                self._release()  # handed a slot as the wait ended: pass it on
            if isinstance(exc, TimeoutError):
                raise TimedOut(
                    "Pool timeout: all connections are in use; the request was not sent"
                ) from None
            raise

    def _release(self) -> None:
        """Hand the slot to the first call still waiting, or free it."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        """The answer's JSON through orjson, a third of json's cost on a sent message's
        answer; anything it refuses goes to PTB's parser, for PTB's lenient decoding and
        its error."""
        try:
            result: dict[str, Any] = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return BaseRequest.parse_json_payload(payload)
        return result

    def _safe(self, exc: BaseException) -> str:
        """An error's text without the proxy's password (aiohttp may quote the proxy URL)."""
        text = str(exc)
        if self._proxy:
            text = text.replace(self._proxy, mask_password(self._proxy))
            secret = proxy_password(self._proxy)
            text = text.replace(secret, "***") if secret else text
        return text


def _client_timeout(
    read: float | None, write: float | None, connect: float | None, files: bool
) -> aiohttp.ClientTimeout:
    total = None
    if files and None not in (read, write, connect):
        total = sum(t for t in (read, write, connect) if t)
    return aiohttp.ClientTimeout(total=total, connect=connect, sock_connect=connect, sock_read=read)


class EncodedData(RequestData):  # type: ignore[misc]  # final in PTB; nothing overridden breaks it
    """Parameters whose JSON body may be encoded already (``body``; None: encode them)."""

    __slots__ = ("body",)

    def __init__(self, body: bytes | None = None) -> None:
        # RequestData.__init__'s work (a generator over no parameters), done here: no files.
        self._parameters: list[Any] = []
        self.contains_files = False
        self.body = body


def _body(request_data: RequestData | None) -> tuple[Any, dict[str, str] | None]:
    """JSON for plain calls (one dumps, not a form field per parameter); multipart for files."""
    if request_data is None:
        return None, None
    if isinstance(request_data, EncodedData) and request_data.body is not None:
        return request_data.body, _JSON
    if not request_data.contains_files:
        # UTF-8 as it is (orjson never escapes): a Chinese digest part is 40% smaller than
        # with \u escapes.
        return orjson.dumps(request_data.parameters), _JSON
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in (request_data.multipart_data or {}).items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form, {"User-Agent": BaseRequest.USER_AGENT}
