"""Turns the ``[llm]`` settings into the endpoint a build writes with (None when off)."""

from __future__ import annotations

from digest import LlmConfig

from .config import Settings


def llm_config(settings: Settings) -> LlmConfig | None:
    """The LLM endpoint when ``llm.enabled``; else None (the offline text stands)."""
    if not settings.llm_enabled:
        return None
    return LlmConfig(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        timeout=settings.llm_timeout,
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
        api_key=settings.llm_api_key,
    )
