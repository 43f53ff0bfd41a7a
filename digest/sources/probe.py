"""Is a source reachable? One request to its list, timed (``hotdigest doctor``)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from ..errors import SourceError
from . import github, hackernews, juejin, v2ex
from .base import Source
from .http import BROWSER_USER_AGENT, RetryPolicy, request

# The one request that shows a fixed-URL kind is reachable: the endpoint its fetch starts with.
PROBE_URLS = {
    "github": github.PAGE_URL,
    "hackernews": f"{hackernews.FIREBASE_URL}/topstories.json",
    "juejin": juejin.API_URL,
    "v2ex": v2ex.API_URL,
}


@dataclass(frozen=True, slots=True)
class Probe:
    """One check's outcome: whether it passed, what was seen, how long it took."""

    ok: bool
    detail: str
    seconds: float = 0.0


def probe_url(source: Source) -> str:
    """Where ``source`` is asked first: its configured URL, or its kind's endpoint."""
    url = getattr(source, "url", None)
    return url if isinstance(url, str) else PROBE_URLS[source.kind]


async def probe_source(client: httpx.AsyncClient, source: Source) -> Probe:
    """One GET of the source's list through ``client`` (its proxies), no retries."""
    url = probe_url(source)
    started = time.monotonic()
    headers = {"User-Agent": BROWSER_USER_AGENT} if source.kind == "github" else None
    try:
        response = await request(
            client, source.name, url, retry=RetryPolicy(attempts=1), headers=headers
        )
    except SourceError as exc:
        seconds = time.monotonic() - started
        return Probe(False, f"{exc}, after {seconds * 1000:.0f} ms", seconds)
    seconds = time.monotonic() - started
    host = httpx.URL(url).host
    return Probe(
        True, f"HTTP {response.status_code} from {host} in {seconds * 1000:.0f} ms", seconds
    )
