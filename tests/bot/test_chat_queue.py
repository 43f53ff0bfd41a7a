"""Which chat a push run takes next: started chats first, new ones first near the end."""

from __future__ import annotations

from bot.delivery.limits import ChatGate, Limits
from bot.delivery.queue import ChatQueue


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def queue_of(clock: Clock, chats: int) -> ChatQueue[int]:
    queue: ChatQueue[int] = ChatQueue(ChatGate(Limits(), clock), lambda chat: chat)
    queue.add(list(range(1, chats + 1)))
    return queue


async def take(queue: ChatQueue[int]) -> int:
    item = await queue.take(lambda: False)
    assert item is not None
    queue.done()
    return item


async def test_a_started_chat_whose_gap_passed_comes_before_new_ones() -> None:
    clock = Clock()
    queue = queue_of(clock, 5)
    assert await take(queue) == 1
    queue.later(1, clock.now)  # its next part is due; four new chats left
    assert [await take(queue), await take(queue)] == [1, 2]


async def test_new_chats_go_first_once_fewer_are_left_than_chats_waiting() -> None:
    clock = Clock()
    queue = queue_of(clock, 5)
    assert [await take(queue) for _ in range(3)] == [1, 2, 3]
    for chat in (1, 2, 3):
        queue.later(chat, clock.now)  # three due, two new left
    # The new ones first, so their later parts, each a second after the one before, are
    # not all left for the end of the run; then the started ones.
    assert [await take(queue) for _ in range(5)] == [4, 5, 1, 2, 3]
