"""What the bot did, as the fake saw it: sent and edited messages, answers, counters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import JSONDict


@dataclass
class Stats:
    """Counters served by :meth:`FakeTelegram.stats`."""

    requests: int = 0
    sent: int = 0
    edited: int = 0
    served_429: int = 0
    timeouts: int = 0
    errors_by_code: Counter[int] = field(default_factory=Counter)


class Journal:
    """Records of the bot's effects, for tests and the ``/_fake/`` endpoints to inspect."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.records: list[JSONDict] = []
        self.latest: dict[tuple[int, int], JSONDict] = {}  # newest record per bot message
        self.deleted: list[tuple[int, int]] = []
        self.callback_answers: list[JSONDict] = []
        self.chat_actions: list[JSONDict] = []
        self.counters = Stats()

    def record(
        self,
        message: JSONDict,
        kind: str,
        *,
        html: str,
        parse_mode: str | None,
        markup: JSONDict | None,
        paid: bool,
        preview: JSONDict | None = None,
    ) -> None:
        """Remember what the bot sent or edited (``kind``: ``"send"`` or ``"edit"``).

        :param html: the text parameter exactly as sent, before entity parsing.
        :param markup: the reply_markup as sent (reply keyboards included).
        :param preview: the link_preview_options as sent (None: not given).
        """
        record = {
            "chat_id": message["chat"]["id"],
            "message_id": message["message_id"],
            "text": message.get("text", message.get("caption", "")),
            "photo": message["photo"][-1] if "photo" in message else None,
            "html": html,
            "parse_mode": parse_mode,
            "entities": message.get("entities", []),
            "reply_markup": markup,
            "kind": kind,
            "time": self.clock(),
            "allow_paid_broadcast": paid,
            "thread_id": message.get("message_thread_id")
            if message.get("is_topic_message")
            else None,
            "link_preview_options": preview,
        }
        self.records.append(record)
        self.latest[(record["chat_id"], record["message_id"])] = record
        if kind == "send":
            self.counters.sent += 1
        else:
            self.counters.edited += 1

    def sent(self, chat_id: int | None = None) -> list[JSONDict]:
        """Every message the bot sent or edited, oldest first."""
        if chat_id is None:
            return list(self.records)
        return [record for record in self.records if record["chat_id"] == chat_id]

    def messages(self, chat_id: int) -> list[JSONDict]:
        """The latest record of each bot message in a chat that was not deleted."""
        gone = set(self.deleted)
        return [
            record
            for key, record in sorted(self.latest.items())
            if key[0] == chat_id and key not in gone
        ]

    def stats(self) -> JSONDict:
        """The counters as a JSON-ready dict."""
        counters = self.counters
        return {
            "requests": counters.requests,
            "sent": counters.sent,
            "edited": counters.edited,
            "served_429": counters.served_429,
            "timeouts": counters.timeouts,
            "errors_by_code": dict(counters.errors_by_code),
        }
