"""Turns the ``[llm]`` settings into the writers a digest build applies (none when off)."""

from __future__ import annotations

from collections.abc import Callable

from digest import Digest, LlmConfig, LlmWriter, Store

from .config import Settings

Writer = Callable[[Digest], Digest]


def llm_writers(settings: Settings, store: Store) -> list[Writer]:
    """The LLM writer over ``store`` when ``llm.enabled``; else [] (the offline text stands)."""
    if not settings.llm_enabled:
        return []
    return [LlmWriter(store, llm_config(settings))]


def llm_config(settings: Settings) -> LlmConfig:
    """The endpoint, model and key of the ``[llm]`` settings."""
    return LlmConfig(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        timeout=settings.llm_timeout,
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
        api_key=settings.llm_api_key,
    )
