"""The shared HTTP client and the one retrying, bounded request every collector goes through."""

from __future__ import annotations

import asyncio
import random
import time
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import httpx

from ..clock import retry_after_seconds
from ..errors import SourceError
from .proxy import Proxies

# Our own, honest User-Agent for APIs; sites that serve bots a different page
# (GitHub trending, some Chinese sites) get BROWSER_USER_AGENT per request.
USER_AGENT = "hotdigest/0.1 (+https://github.com/hotdigest/hotdigest)"
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0 Safari/537.36"
)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# The biggest hot list we read (GitHub trending's HTML) is ~600 KB decoded.
DEFAULT_MAX_BODY_BYTES = 5_000_000
DEFAULT_TIMEOUT = 15.0


@dataclass(frozen=True, slots=True)
class FetchBounds:
    """What one request may cost: ``timeout`` seconds in all (connecting, waiting and
    reading the body, however slowly it drips) and ``max_body_bytes`` of decoded body
    (a gzip bomb is stopped while it inflates)."""

    timeout: float = DEFAULT_TIMEOUT
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.max_body_bytes <= 0:
            raise ValueError("a fetch needs a positive timeout and body size")


class SourceClient(httpx.AsyncClient):
    """The collectors' client: an httpx client that carries its :class:`FetchBounds`."""

    def __init__(self, bounds: FetchBounds, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.bounds = bounds


def make_http_client(
    timeout: float,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    *,
    proxies: Proxies | None = None,
) -> httpx.AsyncClient:
    """The client every collector shares; the caller owns it and closes it.

    :param proxies: where requests go through; None or empty: direct. The environment is
        not read here (``trust_env=False``): the caller passes what it chose.
    """
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=10)
    return SourceClient(
        FetchBounds(timeout, max_body_bytes),
        # Connecting should be quick; a slow list may take the whole budget to read.
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=True,
        # Only the encodings request() inflates itself, within the body cap.
        headers={
            "User-Agent": USER_AGENT,
            "Accept-Language": "en,zh-CN;q=0.8",
            "Accept-Encoding": "gzip, deflate",
        },
        limits=limits,
        trust_env=False,
        transport=proxies.transport(limits) if proxies else None,
    )


def bounds_of(client: httpx.AsyncClient) -> FetchBounds:
    """The client's bounds; a plain httpx client (tests) is bounded by its read timeout."""
    if isinstance(client, SourceClient):
        return client.bounds
    return FetchBounds(client.timeout.read or DEFAULT_TIMEOUT)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently one request is retried.

    ``sleep`` and ``rand`` are injectable so tests neither wait nor depend on chance.
    """

    attempts: int = 3
    base_delay: float = 1.0
    max_delay: float = 20.0
    # A server asking for more than this is treated as asking for this much:
    # a digest run must finish, and the next run will try again anyway.
    retry_after_cap: float = 60.0
    jitter: float = 0.5
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)
    rand: Callable[[], float] = field(default=random.random)
    clock: Callable[[], float] = field(default=time.monotonic)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")

    def backoff(self, retry: int) -> float:
        """Delay before retry number ``retry`` (0-based): exponential, capped, jittered."""
        delay = min(self.max_delay, self.base_delay * 2.0**retry)
        return delay * (1 + self.jitter * self.rand())


async def request(
    client: httpx.AsyncClient,
    source: str,
    url: str,
    *,
    retry: RetryPolicy,
    params: Mapping[str, str | int] | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """GET ``url`` with bounded retries; any failure becomes ``SourceError``.

    Retries timeouts, transport errors, 5xx and 429. Returns 2xx and 304
    responses (the caller decides what 304 means); everything else raises.
    Each attempt is bounded by the client's :class:`FetchBounds`, and all of them,
    waits included, by a budget of ``timeout × attempts``: a Retry-After that does
    not fit in what is left ends the request at once.
    """
    where, bounds = _describe(url), bounds_of(client)
    deadline = retry.clock() + bounds.timeout * retry.attempts
    last_error: Exception | None = None
    response: httpx.Response | None = None
    for attempt in range(retry.attempts):
        if attempt:
            wait = _delay(retry, attempt - 1, response)
            if wait > deadline - retry.clock():  # e.g. Retry-After: 99999
                error = _final_error(source, where, attempt, last_error, response, wait)
                raise error from last_error
            await retry.sleep(wait)
        response = None
        try:
            async with asyncio.timeout(min(bounds.timeout, max(0.0, deadline - retry.clock()))):
                response = await _get(client, url, bounds, params, headers)
        except TimeoutError as exc:
            last_error = _WholeRequestTimeout(f"no whole answer within {bounds.timeout:g} s")
            last_error.__cause__ = exc
            continue
        except _BodyTooLarge as exc:
            raise SourceError(f"{source}: {exc} ({where})") from None
        except httpx.TransportError as exc:  # timeouts of one phase included
            last_error = exc
            continue
        except httpx.HTTPError as exc:  # too many redirects, bad URL: retrying cannot help
            raise SourceError(f"{source}: request failed: {exc} ({where})") from exc
        if response.is_success or response.status_code == 304:
            return response
        last_error = _status_error(response)
        if response.status_code not in RETRY_STATUSES:
            break
    raise _final_error(source, where, retry.attempts, last_error, response) from last_error


class _BodyTooLarge(Exception):
    pass


class _WholeRequestTimeout(httpx.TimeoutException):
    pass


async def _get(
    client: httpx.AsyncClient,
    url: str,
    bounds: FetchBounds,
    params: Mapping[str, str | int] | None,
    headers: Mapping[str, str] | None,
) -> httpx.Response:
    """GET, reading a success's decoded body up to ``bounds.max_body_bytes``.

    Streaming, so an oversized body is cut off while it arrives, never held whole.
    An error's body is not read at all.
    """
    async with client.stream("GET", url, params=params, headers=headers) as streamed:
        if not (streamed.is_success or streamed.status_code == 304):
            return streamed
        if streamed.is_stream_consumed:  # built in memory (a MockTransport): decoded already
            inflate = _Inflater("", bounds.max_body_bytes)
            inflate.feed(streamed.content)
        else:
            inflate = _Inflater(streamed.headers.get("content-encoding", ""), bounds.max_body_bytes)
            async for raw in streamed.aiter_raw():
                inflate.feed(raw)
        body = inflate.finish()
    # The decoded body, so the headers that described the encoded one go.
    kept = [
        (name, value)
        for name, value in streamed.headers.multi_items()
        if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        streamed.status_code,
        headers=kept,
        content=body,
        request=streamed.request,
        extensions=streamed.extensions,
        default_encoding=streamed.default_encoding,
    )


class _Inflater:
    """Decode a gzip/deflate body at most ``cap`` bytes at a time.

    httpx's decoder inflates each network chunk whole (a 64 KB chunk of a gzip bomb is
    64 MB); zlib's ``max_length`` stops at the cap instead.
    """

    def __init__(self, encoding: str, cap: int) -> None:
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise httpx.DecodingError(f"unsupported content-encoding {encoding!r}")
        # 47: a gzip or zlib header, detected; raw deflate is tried on a header error.
        self.zlib = zlib.decompressobj(47) if codings else None
        self.raw_deflate = codings == ["deflate"]
        self.cap = cap
        self.body = bytearray()

    def feed(self, data: bytes) -> None:
        if self.zlib is None:
            self._keep(data)
            return
        while data:
            try:
                self._keep(self.zlib.decompress(data, self.cap - len(self.body) + 1))
            except zlib.error as exc:
                if not (self.raw_deflate and not self.body):
                    raise httpx.DecodingError(f"body is not valid compressed data: {exc}") from None
                self.zlib, self.raw_deflate = zlib.decompressobj(-zlib.MAX_WBITS), False
                continue
            data = self.zlib.unconsumed_tail

    def finish(self) -> bytes:
        if self.zlib is not None:
            self._keep(self.zlib.flush(self.cap - len(self.body) + 1))
        return bytes(self.body)

    def _keep(self, data: bytes) -> None:
        self.body += data
        if len(self.body) > self.cap:
            raise _BodyTooLarge(f"body over {self.cap:,} bytes (decoded)")


def _delay(retry: RetryPolicy, index: int, response: httpx.Response | None) -> float:
    """Honour Retry-After (capped) when the server sent one, else back off."""
    if response is not None:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is not None:
            return min(wait, retry.retry_after_cap)
    return retry.backoff(index)


def _status_error(response: httpx.Response) -> httpx.HTTPStatusError:
    try:
        response.raise_for_status()
    except httpx.HTTPStatusError as exc:
        return exc
    # raise_for_status only returns for 2xx, which request() has already handled.
    raise AssertionError(f"HTTP {response.status_code} is not an error")


def _final_error(
    source: str,
    where: str,
    attempts: int,
    error: Exception | None,
    response: httpx.Response | None,
    wait: float | None = None,
) -> SourceError:
    if isinstance(error, httpx.HTTPStatusError) and response is not None:
        status = f"HTTP {response.status_code} {response.reason_phrase}".strip()
        if wait is not None:
            reason = f"{status}; a wait of {wait:g} s before retrying is over the time budget"
        elif response.status_code in RETRY_STATUSES:
            reason = f"{status} after {attempts} attempts"
        else:
            reason = status
    elif isinstance(error, httpx.TimeoutException):
        why = str(error) if isinstance(error, _WholeRequestTimeout) else type(error).__name__
        reason = f"timed out ({why}) after {attempts} attempts"
    else:
        reason = f"network error ({type(error).__name__}: {error}) after {attempts} attempts"
    return SourceError(f"{source}: {reason} ({where})")


def _describe(url: str) -> str:
    """Host and path only: a query string may carry a private feed token."""
    parsed = httpx.URL(url)
    return f"GET {parsed.host}{parsed.path}"
