"""The fake Bot API's forum topics, driven through python-telegram-bot's request layer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import Bot, LinkPreviewOptions, Update
from telegram.error import BadRequest

from bot.fake_telegram import FakeRequest, FakeTelegram, serve_http

OWNER = 1001
MEMBER = 1002
FORUM = -1001234


@pytest.fixture
def fake() -> FakeTelegram:
    fake = FakeTelegram(limits=None)
    fake.add_user(OWNER, "Ada", "en")
    fake.add_user(MEMBER, "Bo", "en")
    fake.add_chat(FORUM, "supergroup", "Forum", admins=(OWNER,), forum=True)
    fake.add_chat(OWNER, forum=True)  # a private chat with topics (Bot API 9.3)
    return fake


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(fake.token, request=FakeRequest(fake)) as bot:
        yield bot


async def test_a_message_sent_into_a_topic_is_a_topic_message(fake: FakeTelegram, bot: Bot) -> None:
    thread = fake.create_topic(FORUM, "News")
    sent = await bot.send_message(FORUM, "hi", message_thread_id=thread)
    assert sent.is_topic_message and sent.message_thread_id == thread
    [record] = fake.sent(FORUM)
    assert record["thread_id"] == thread
    plain = await bot.send_message(FORUM, "general")
    assert not plain.is_topic_message and fake.sent(FORUM)[-1]["thread_id"] is None
    chat = await bot.get_chat(FORUM)
    assert chat.is_forum


async def test_a_users_message_in_a_topic_reaches_the_bot_with_its_thread(
    fake: FakeTelegram, bot: Bot
) -> None:
    thread = fake.create_topic(FORUM, "News", MEMBER)
    fake.user_sends(FORUM, MEMBER, "/digest", thread)
    created, raw = fake.pending_updates(0, 10)  # the topic's service message, then /digest
    assert created["message"]["forum_topic_created"]["name"] == "News"
    message = Update.de_json(raw, bot).message
    assert message is not None and message.is_topic_message
    assert message.message_thread_id == thread
    reply = await message.reply_text("answer")  # PTB keeps the topic on replies
    assert reply.message_thread_id == thread and fake.sent(FORUM)[-1]["thread_id"] == thread


async def test_closed_deleted_and_unknown_topics_refuse_sends_as_telegram_does(
    fake: FakeTelegram, bot: Bot
) -> None:
    thread = fake.create_topic(FORUM, "News")
    fake.close_topic(FORUM, thread)
    with pytest.raises(BadRequest, match="Topic_closed"):
        await bot.send_message(FORUM, "x", message_thread_id=thread)
    with pytest.raises(ValueError, match="closed"):
        fake.user_sends(FORUM, MEMBER, "hello", thread)  # only administrators post there
    fake.reopen_topic(FORUM, thread)
    assert (await bot.send_message(FORUM, "back", message_thread_id=thread)).message_id
    fake.delete_topic(FORUM, thread)
    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_message(FORUM, "x", message_thread_id=thread)
    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_message(FORUM, "x", message_thread_id=999)
    assert not any(m.get("message_thread_id") == thread for m in fake.store.values())


async def test_the_bot_runs_topics_through_the_forum_methods(fake: FakeTelegram, bot: Bot) -> None:
    topic = await bot.create_forum_topic(FORUM, "Daily")
    assert topic.name == "Daily"
    thread = topic.message_thread_id
    assert await bot.close_forum_topic(FORUM, thread)
    with pytest.raises(BadRequest, match="Topic_not_modified"):
        await bot.close_forum_topic(FORUM, thread)
    assert await bot.reopen_forum_topic(FORUM, thread)
    assert await bot.delete_forum_topic(FORUM, thread)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.create_forum_topic(MEMBER, "no")  # no chat with that member yet
    fake.add_chat(-5, "supergroup", "Plain")
    with pytest.raises(BadRequest, match="not a forum"):
        await bot.create_forum_topic(-5, "no")


async def test_private_chats_with_topics_take_messages_in_topics(
    fake: FakeTelegram, bot: Bot
) -> None:
    thread = fake.create_topic(OWNER, "Reading")
    sent = await bot.send_message(OWNER, "in a private topic", message_thread_id=thread)
    assert sent.is_topic_message and sent.message_thread_id == thread


async def test_link_preview_options_are_recorded_as_sent(fake: FakeTelegram, bot: Bot) -> None:
    options = LinkPreviewOptions(url="https://example.com/a", prefer_small_media=True)
    await bot.send_message(FORUM, "a", link_preview_options=options)
    await bot.send_message(FORUM, "b", link_preview_options=LinkPreviewOptions(is_disabled=True))
    await bot.send_message(FORUM, "c")
    previews = [r["link_preview_options"] for r in fake.sent(FORUM)]
    assert previews == [
        {"url": "https://example.com/a", "prefer_small_media": True},
        {"is_disabled": True},
        None,
    ]


async def test_the_control_endpoints_run_topics_for_another_process() -> None:
    fake = FakeTelegram(limits=None)
    async with (
        serve_http(fake) as url,
        httpx.AsyncClient(base_url=url.removesuffix("/bot") + "/_fake") as client,
    ):
        chat = {"chat_id": FORUM, "type": "supergroup", "admins": [OWNER], "forum": True}
        assert (await client.post("/add_chat", json=chat)).json()["result"]["is_forum"]
        made = await client.post("/topic", json={"chat_id": FORUM, "action": "create", "name": "T"})
        thread = made.json()["result"]
        said = {"chat_id": FORUM, "user_id": OWNER, "text": "/digest", "thread_id": thread}
        message = (await client.post("/user_message", json=said)).json()["result"]
        closed = await client.post(
            "/topic", json={"chat_id": FORUM, "action": "close", "thread_id": thread}
        )
        again = await client.post(
            "/topic", json={"chat_id": FORUM, "action": "close", "thread_id": thread}
        )
        wrong = await client.post("/topic", json={"chat_id": FORUM, "action": "pin"})
    assert message["message_thread_id"] == thread and message["is_topic_message"]
    assert closed.json()["result"] is True and fake.chats[FORUM].topics[thread].closed
    assert wrong.status_code == 400
    assert (again.status_code, again.json()["description"]) == (
        400,
        "Bad Request: TOPIC_NOT_MODIFIED",
    )
