"""The shared HTTP client and the one retrying request every collector goes through."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

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


def make_http_client(timeout: float, proxies: Proxies | None = None) -> httpx.AsyncClient:
    """The client every collector shares; the caller owns it and closes it.

    :param proxies: where requests go through; None or empty: direct. The environment is
        not read here (``trust_env=False``): the caller passes what it chose.
    """
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=10)
    return httpx.AsyncClient(
        # Connecting should be quick; a slow list may take the whole budget to read.
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=True,
        headers={"User-Agent": USER_AGENT, "Accept-Language": "en,zh-CN;q=0.8"},
        limits=limits,
        trust_env=False,
        transport=proxies.transport(limits) if proxies else None,
    )


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
    """
    where = _describe(url)
    last_error: Exception | None = None
    response: httpx.Response | None = None
    for attempt in range(retry.attempts):
        if attempt:
            await retry.sleep(_delay(retry, attempt - 1, response))
        response = None
        try:
            response = await client.get(url, params=params, headers=headers)
        except httpx.TimeoutException as exc:
            last_error = exc
            continue
        except httpx.TransportError as exc:
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


def _delay(retry: RetryPolicy, index: int, response: httpx.Response | None) -> float:
    """Honour Retry-After (capped) when the server sent one, else back off."""
    if response is not None:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is not None:
            return min(wait, retry.retry_after_cap)
    return retry.backoff(index)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


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
) -> SourceError:
    if isinstance(error, httpx.HTTPStatusError) and response is not None:
        status = f"HTTP {response.status_code} {response.reason_phrase}".strip()
        if response.status_code in RETRY_STATUSES:
            reason = f"{status} after {attempts} attempts"
        else:
            reason = status
    elif isinstance(error, httpx.TimeoutException):
        reason = f"timed out ({type(error).__name__}) after {attempts} attempts"
    else:
        reason = f"network error ({type(error).__name__}: {error}) after {attempts} attempts"
    return SourceError(f"{source}: {reason} ({where})")


def _describe(url: str) -> str:
    """Host and path only: a query string may carry a private feed token."""
    parsed = httpx.URL(url)
    return f"GET {parsed.host}{parsed.path}"
