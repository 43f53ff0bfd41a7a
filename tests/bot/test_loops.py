"""The event loop choice: uvloop by default, asyncio's own on request, nothing else."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import uvloop

from bot import loops
from bot.config import Settings, load_settings
from digest import ConfigError


async def _loop_type() -> type:
    return type(asyncio.get_running_loop())


def test_uvloop_is_the_default_and_asyncio_the_way_back() -> None:
    assert Settings().event_loop == "uvloop"
    assert issubclass(loops.run(_loop_type(), "uvloop"), uvloop.Loop)
    assert not issubclass(loops.run(_loop_type(), "asyncio"), uvloop.Loop)


def test_install_sets_the_loop_a_library_finds(tmp_path: Path) -> None:
    loops.install("uvloop")
    loop = asyncio.get_event_loop_policy().get_event_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def test_the_setting_is_read_and_checked(tmp_path: Path) -> None:
    config = tmp_path / "hotdigest.toml"
    config.write_text('[telegram]\nevent_loop = "AsyncIO"\n')
    assert load_settings(config, environ={}).event_loop == "asyncio"
    config.write_text('[telegram]\nevent_loop = "trio"\n')
    with pytest.raises(ConfigError, match="uvloop, asyncio"):
        load_settings(config, environ={})
