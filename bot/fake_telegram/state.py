"""The fake's record of a chat and its forum topics."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import JSONDict

ICON_COLOR = 0x6FB9F0  # the first of Telegram's six topic colours


@dataclass
class Topic:
    """One forum topic of a chat."""

    thread_id: int
    name: str
    closed: bool = False
    deleted: bool = False

    def to_json(self) -> JSONDict:
        """The ForumTopic object."""
        return {"message_thread_id": self.thread_id, "name": self.name, "icon_color": ICON_COLOR}


@dataclass
class ChatState:
    """One chat as Telegram sees it, plus what the fake needs to answer about it."""

    chat: JSONDict  # the Chat object returned inside messages
    admins: tuple[int, ...] = ()
    bot_is_admin: bool = True
    last_message_id: int = 0
    migrated_to: int | None = None
    forum: bool = False  # has topics (a forum supergroup, a private chat with topics)
    topics: dict[int, Topic] = field(default_factory=dict)
