"""The event loop the bot runs on: uvloop by default, asyncio's own as the way back.

Why uvloop: a push is event-loop work (a socket write, a read, a few futures per
message), and uvloop's loop, written on libuv in Cython, spent about a tenth less of the
bot's CPU per message than asyncio's in alternating runs of the same push
(``bench/README.md``, "Transport"). ``[telegram] event_loop = "asyncio"`` runs without it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import uvloop

T = TypeVar("T")


def loop_factory(kind: str) -> Callable[[], asyncio.AbstractEventLoop]:
    """What makes a new loop of ``kind`` ("uvloop" or "asyncio")."""
    return uvloop.new_event_loop if kind == "uvloop" else asyncio.new_event_loop


def run(main: Coroutine[Any, Any, T], kind: str) -> T:
    """``asyncio.run(main)`` on a loop of ``kind``."""
    with asyncio.Runner(loop_factory=loop_factory(kind)) as runner:
        return runner.run(main)


def install(kind: str) -> None:
    """Make a loop of ``kind`` this thread's current one, for a library that runs the loop
    it finds there (python-telegram-bot's ``run_polling``; it closes it at the end)."""
    asyncio.set_event_loop(loop_factory(kind)())
