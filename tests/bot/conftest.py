"""Fixtures of the bot tests: the fake Bot API, a seeded store, a running bot, services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from bot_harness import Bot, bot_running, make_fake, no_rejections, seed
from delivery_worker import delivery_settings

from bot.config import Settings
from bot.fake_telegram import FakeTelegram
from bot.services import Services
from digest import Digest


@pytest.fixture
def fake() -> FakeTelegram:
    """The fake Bot API with users, a group and channels, no flood limits."""
    return make_fake()


@pytest.fixture
def digest_v1(db_path: Path) -> Digest:
    """The sample's digest, stored as version 1 in the test's database."""
    return seed(db_path)


@pytest.fixture
async def bot(fake: FakeTelegram, settings: Settings, digest_v1: Digest) -> AsyncIterator[Bot]:
    """The real Application running against the fake; fails the test on any rejected call."""
    async with bot_running(fake, settings) as running:
        yield running
    no_rejections(fake)


@pytest.fixture
async def services(db_path: Path) -> AsyncIterator[Services]:
    """Services for the delivery engine, with the database in a temporary directory."""
    made = Services.create(delivery_settings(db_path))
    yield made
    await made.close()
