"""Forum topics: supergroups (and private chats) with topics, and the Bot API methods on them.

A topic is named by its ``message_thread_id``, the id of the service message that
created it. Messages sent into a topic carry ``message_thread_id`` and
``is_topic_message``; Telegram refuses a send into a closed topic ("TOPIC_CLOSED") and
into a deleted or unknown one ("message thread not found"). Closing, reopening and
deleting leave service messages in the chat, as Telegram does; those a member's change
leaves reach the bot as ``message`` updates (``forum_topic_created``, ``_edited``,
``_closed``, ``_reopened``), those of the bot's own calls do not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

from .errors import JSONDict, bad_request
from .params import Params, get_chat_id, get_int
from .state import ICON_COLOR, ChatState, Topic

if TYPE_CHECKING:
    from .model import FakeTelegram


class Messages(Protocol):
    """Where topics keep their service messages (the fake)."""

    store: dict[tuple[int, int], JSONDict]

    def new_message(self, state: ChatState, fields: JSONDict) -> JSONDict: ...


def thread_fields(state: ChatState, params: Params) -> JSONDict:
    """The topic fields of a message sent with ``message_thread_id`` (none without one),
    after Telegram's checks."""
    thread = get_int(params, "message_thread_id", 0)
    if not thread:
        return {}
    topic = state.topics.get(thread)
    if topic is None or topic.deleted:
        raise bad_request("message thread not found")
    if topic.closed:
        raise bad_request("TOPIC_CLOSED")
    return {"message_thread_id": thread, "is_topic_message": True}


def create_topic(fake: Messages, state: ChatState, name: str, by: JSONDict) -> Topic:
    """Open a new topic in a chat with topics; ``by`` is the User who did."""
    if not state.forum:
        raise bad_request("the chat is not a forum")
    if not 1 <= len(name) <= 128:
        raise bad_request("TOPIC_TITLE_EMPTY" if not name else "TOPIC_TITLE_TOO_LONG")
    created = {"name": name, "icon_color": ICON_COLOR}
    message = fake.new_message(state, {"from": by, "forum_topic_created": created})
    thread = message["message_id"]
    message.update(message_thread_id=thread, is_topic_message=True)
    state.topics[thread] = Topic(thread, name)
    return state.topics[thread]


def change_topic(
    fake: Messages, state: ChatState, thread_id: int, change: str, by: JSONDict
) -> JSONDict | None:
    """Close, reopen or delete a topic (``change``), as an administrator or the bot does;
    the service message it leaves (a deletion leaves none)."""
    topic = state.topics.get(thread_id)
    if topic is None or topic.deleted:
        raise bad_request("message thread not found")
    if change == "delete":
        topic.deleted = True
        for key in [k for k, m in fake.store.items() if _in_topic(k, m, state, thread_id)]:
            del fake.store[key]  # a deleted topic takes its messages with it
        return None
    closing = change == "close"
    if topic.closed == closing:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.closed = closing
    service = "forum_topic_closed" if closing else "forum_topic_reopened"
    fields = {"from": by, service: {}, "message_thread_id": thread_id, "is_topic_message": True}
    return fake.new_message(state, fields)


def rename_topic(
    fake: Messages, state: ChatState, thread_id: int, name: str, by: JSONDict
) -> JSONDict:
    """Rename a topic; the ``forum_topic_edited`` service message it leaves."""
    topic = state.topics.get(thread_id)
    if topic is None or topic.deleted:
        raise bad_request("message thread not found")
    if not 1 <= len(name) <= 128:
        raise bad_request("TOPIC_TITLE_EMPTY" if not name else "TOPIC_TITLE_TOO_LONG")
    topic.name = name
    fields = {"from": by, "forum_topic_edited": {"name": name}}
    return fake.new_message(
        state, {**fields, "message_thread_id": thread_id, "is_topic_message": True}
    )


def _in_topic(key: tuple[int, int], message: JSONDict, state: ChatState, thread: int) -> bool:
    return key[0] == state.chat["id"] and message.get("message_thread_id") == thread


# -- the Bot API methods -------------------------------------------------------------


async def create_forum_topic(fake: FakeTelegram, params: Params) -> JSONDict:
    state = fake.chat_state(get_chat_id(params))
    name = str(params.get("name") or "")
    return create_topic(fake, state, name, fake.bot_user).to_json()


def _changer(change: str) -> Callable[[FakeTelegram, Params], Awaitable[bool]]:
    async def method(fake: FakeTelegram, params: Params) -> bool:
        state = fake.chat_state(get_chat_id(params))
        if not state.forum:
            raise bad_request("the chat is not a forum")
        change_topic(fake, state, get_int(params, "message_thread_id"), change, fake.bot_user)
        return True

    return method


close_forum_topic = _changer("close")
reopen_forum_topic = _changer("reopen")
delete_forum_topic = _changer("delete")
