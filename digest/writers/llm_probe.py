"""Does the LLM endpoint answer, accept the key and offer the model (``hotdigest doctor``)?"""

from __future__ import annotations

import time

import httpx

from ..sources.probe import Probe
from .llm_client import LlmConfig


async def probe_llm(config: LlmConfig, transport: httpx.AsyncBaseTransport | None = None) -> Probe:
    """``GET {base_url}/models`` (OpenAI-compatible servers, Ollama included), timed.

    :param transport: an httpx transport for tests; None for the network.
    """
    headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
    started = time.monotonic()
    timeout = httpx.Timeout(min(config.timeout, 15.0))
    try:
        async with httpx.AsyncClient(timeout=timeout, transport=transport) as client:
            response = await client.get(f"{config.base_url.rstrip('/')}/models", headers=headers)
    except httpx.HTTPError as exc:
        return Probe(
            False, f"{type(exc).__name__} from {config.base_url}", time.monotonic() - started
        )
    seconds = time.monotonic() - started
    if response.status_code in (401, 403):
        return Probe(False, f"the endpoint refused the key (HTTP {response.status_code})", seconds)
    if not response.is_success:
        return Probe(False, f"HTTP {response.status_code} from {config.base_url}/models", seconds)
    try:
        offered = [str(model["id"]) for model in response.json()["data"]]
    except (ValueError, KeyError, TypeError):
        return Probe(False, "the /models answer is not an OpenAI-style model list", seconds)
    if config.model not in offered:
        listed = ", ".join(offered[:5]) or "none"
        return Probe(False, f"model {config.model!r} is not offered (offers: {listed})", seconds)
    return Probe(
        True, f"model {config.model} offered; answered in {seconds * 1000:.0f} ms", seconds
    )
