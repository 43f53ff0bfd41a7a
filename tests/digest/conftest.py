"""Fixtures of the digest tests: the bundled sample in a store, build options, a fake LLM."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fake_llm import FakeLlm

from digest import BuildOptions, Store, import_posts, load_themes
from digest.build.themes import Theme

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "posts.jsonl"
# The sample's posts were seen before this moment; its digest is built then.
BUILT = datetime(2026, 2, 15, 10, 30, tzinfo=UTC)


@pytest.fixture
def options() -> BuildOptions:
    """The bundled themes, every other build option at its default."""
    return BuildOptions(themes=load_themes())


@pytest.fixture
def themes(options: BuildOptions) -> tuple[Theme, ...]:
    """The bundled taxonomy."""
    return options.themes


@pytest.fixture
def sample(store: Store) -> Store:
    """The in-memory store with the bundled sample imported."""
    import_posts(store, SAMPLE, now=BUILT)
    return store


@pytest.fixture
def sleeps() -> list[float]:
    """What a writer under test asked to sleep, instead of sleeping."""
    return []


@pytest.fixture
def fake() -> FakeLlm:
    return FakeLlm()
