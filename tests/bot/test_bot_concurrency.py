"""Updates of different chats are handled at once, one chat's in order; kept views stay fresh."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot_harness import ADMIN, EN_USER, ZH_USER, bot_running, make_fake, save_variant, seed
from telegram import Update

from bot.app import ChatOrder, build_application, running
from bot.config import Settings
from bot.fake_telegram import FakeRequest


class OverlapRequest(FakeRequest):
    """A FakeRequest that notes how many sendMessage calls were in flight at once, at most."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sending = self.most_sending = 0

    async def do_request(self, url: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        if not url.endswith("/sendMessage"):
            return await super().do_request(url, *args, **kwargs)
        self.sending += 1
        self.most_sending = max(self.most_sending, self.sending)
        try:
            return await super().do_request(url, *args, **kwargs)
        finally:
            self.sending -= 1


def update(update_id: int, chat_id: int) -> Update:
    message = {"message_id": update_id, "date": 0, "chat": {"id": chat_id, "type": "private"}}
    return Update.de_json({"update_id": update_id, "message": message}, None)


async def test_chat_order_runs_chats_at_once_and_each_chat_in_turn() -> None:
    order, log = ChatOrder(), []

    async def handle(name: str, seconds: float) -> None:
        log.append(f"start {name}")
        await asyncio.sleep(seconds)
        log.append(f"end {name}")

    await asyncio.gather(
        order.process_update(update(1, 10), handle("a1", 0.2)),
        order.process_update(update(2, 10), handle("a2", 0.01)),
        order.process_update(update(3, 20), handle("b1", 0.2)),
        order.process_update(object(), handle("no chat", 0.2)),
    )
    assert log.index("end a1") < log.index("start a2")  # one chat's updates in order
    # Other chats (and updates of none) do not wait for chat 10: they start while a1 sleeps.
    # Said by the order of events, not by a wall time that a loaded machine stretches.
    assert log.index("start b1") < log.index("end a1")
    assert log.index("start no chat") < log.index("end a1")
    assert order._chats == {}  # nothing kept per chat once its updates are done


async def test_a_slow_round_trip_in_one_chat_does_not_hold_up_the_others(
    settings: Settings, db_path: Path
) -> None:
    seed(db_path)
    fake = make_fake()
    request = OverlapRequest(fake, latency=0.3)  # every Bot API call takes 0.3 s
    app = build_application(
        replace(settings, telegram_token=fake.token, admins=(ADMIN,)),
        request=request,
        get_updates_request=FakeRequest(fake),
        schedule=False,
    )
    async with running(app):
        for user in (ZH_USER, EN_USER, ADMIN):
            fake.user_sends(user, user, "/help")
        began = time.perf_counter()
        for raw in fake.pending_updates(0, 10):
            await app.update_queue.put(Update.de_json(raw, app.bot))
        while len(fake.sent()) < 3:
            assert time.perf_counter() - began < 30, "the replies did not come"
            await asyncio.sleep(0.01)
    # The replies were on their way side by side, not one 0.3 s round trip after another
    # (in a row, never two would be in flight). Counted rather than timed: a wall-clock
    # bound does not hold on a loaded machine, nor does all three overlapping when one
    # chat's handler is slow to reach its reply.
    assert request.most_sending >= 2


async def test_digest_shows_a_new_version_after_its_older_one_was_kept(
    settings: Settings, db_path: Path
) -> None:
    digest = seed(db_path)
    fake = make_fake()
    async with bot_running(fake, settings) as bot:
        [first] = await bot.say(EN_USER, EN_USER, "/digest")
        [again] = await bot.say(EN_USER, EN_USER, "/digest")
        assert again["text"] == first["text"]
        headlines = {lang: replace(h, text="Newer.") for lang, h in digest.headlines.items()}
        save_variant(db_path, replace(digest, headlines=headlines))
        [newest] = await bot.say(EN_USER, EN_USER, "/digest")
    assert "Newer." in newest["text"] and "Newer." not in first["text"]
