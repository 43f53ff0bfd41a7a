"""A pusher killed with SIGKILL in mid-push and started again: each part arrives exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from delivery_worker import TOKEN, add_chat, store_digest

from bot.fake_telegram import FakeTelegram, serve_http
from digest import Store
from digest.push.ledger import Ledger

WORKER = Path(__file__).with_name("delivery_worker.py")
CHATS = range(1, 31)
PARTS = 2
KILL_AT = 25  # the message whose arrival kills the pusher


class KillingFake(FakeTelegram):
    """Kills the pusher the moment the ``KILL_AT``-th message *arrives*, then serves it.

    The kill lands while that request is in flight (its row says ``sending``), and the
    request is still recorded after it, as Telegram would deliver a message whose sender
    died waiting for the answer. The latency is served here, after the kill, so every
    request already on the wire is recorded too.
    """

    def __init__(self, latency: float) -> None:
        super().__init__(TOKEN)
        self.latency = latency
        self.victim: int | None = None
        self.arrived = 0

    async def call(
        self, token: str, method: str, params: Mapping[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        if method == "sendMessage":
            self.arrived += 1
            if self.arrived == KILL_AT and self.victim is not None:
                os.kill(self.victim, signal.SIGKILL)
        await asyncio.sleep(self.latency)
        return await super().call(token, method, params)


async def start_worker(db_path: Path, url: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(WORKER),
        "--db",
        str(db_path),
        "--url",
        url,
        "--now",
        "2026-03-10T00:30:00+00:00",  # 08:30 in Shanghai: the 08:00 push is due
        "--rate",
        "30",
        "--stale",
        "1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_a_pusher_killed_mid_push_resumes_without_duplicate_or_gap(db_path: Path) -> None:
    store = Store.open(db_path)
    store_digest(store, "2026-03-09")
    fake = KillingFake(latency=0.05)
    for chat_id in CHATS:  # two sections each: two messages per chat
        add_chat(store, chat_id, mode="full", sections=("summary", "outlook"))
        fake.add_chat(chat_id)
    store.close()

    async with serve_http(fake) as url:
        first = await start_worker(db_path, url)
        fake.victim = first.pid
        _, err = await asyncio.wait_for(first.communicate(), 60)
        assert first.returncode == -signal.SIGKILL, err.decode()
        await asyncio.sleep(0.2)  # requests already on the wire are still served
        assert KILL_AT <= len(fake.sent()) < len(CHATS) * PARTS  # killed in mid-push

        second = await start_worker(db_path, url)
        _, err = await asyncio.wait_for(second.communicate(), 60)
        assert second.returncode == 0, err.decode()

    per_chat = Counter(r["chat_id"] for r in fake.sent())
    assert per_chat == {chat_id: PARTS for chat_id in CHATS}
    for chat_id in CHATS:  # each part once, in order
        texts = [r["text"] for r in fake.sent(chat_id)]
        assert texts[0].startswith("摘要") and texts[1].startswith("趋势")
    assert fake.stats()["served_429"] == 0

    store = Store.open(db_path)
    counts = Ledger(store).counts("2026-03-09")
    store.close()
    # The part in flight at the kill is never resent: it stays "unconfirmed".
    assert counts.get(("push", "unconfirmed"), 0) >= 1
    assert sum(counts.values()) == len(CHATS) * PARTS
    assert set(counts) <= {("push", "sent"), ("push", "unconfirmed")}
