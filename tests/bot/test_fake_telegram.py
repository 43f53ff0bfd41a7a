"""The fake Telegram Bot API, driven through python-telegram-bot's real request layer."""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import MessageEntityType
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from bot.fake_telegram import FakeRequest, FakeTelegram, FloodLimits, serve_http
from bot.fake_telegram.html import EntityParseError, parse_html

USER = 1001
GROUP = -2002


class Clock:
    """A settable monotonic clock for the flood windows."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> FakeTelegram:
    """A fake without flood control, so tests may send freely."""
    fake = FakeTelegram(limits=None, clock=clock)
    fake.add_user(USER, "Ada", "en")
    fake.add_chat(USER)
    fake.add_chat(GROUP, "group", "Readers", admins=(USER,))
    return fake


def make_bot(fake: FakeTelegram, token: str | None = None) -> Bot:
    return Bot(
        token or fake.token,
        request=FakeRequest(fake),
        get_updates_request=FakeRequest(fake),
    )


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with make_bot(fake) as bot:
        yield bot


def keyboard(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Open", callback_data=data)]])


# The bound only keeps a broken test from waiting forever (pytest-timeout is the last
# resort): generous, since a loaded 2-core machine can stall a healthy wait for seconds.
async def wait_until(condition: Callable[[], object], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


# -- the HTML parser -----------------------------------------------------------------


def test_html_entities_use_utf16_offsets() -> None:
    text, entities = parse_html('😀 <b>bold</b> <a href="https://x.org/?a=1&amp;b">l</a>')
    assert text == "😀 bold l"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "text_link", "offset": 8, "length": 1, "url": "https://x.org/?a=1&b"},
    ]


def test_html_pre_with_code_language_is_one_entity() -> None:
    text, entities = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert (text, entities) == (
        "x = 1",
        [{"type": "pre", "offset": 0, "length": 5, "language": "python"}],
    )


@given(st.text())
def test_escaped_text_parses_back_to_itself(text: str) -> None:
    assert parse_html(html.escape(text)) == (text.strip(" \t\r\n\f"), [])


@pytest.mark.parametrize(
    ("markup", "error"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("AT&T", 'Character "&" at byte offset 2'),
    ],
)
def test_html_errors_match_telegram(markup: str, error: str) -> None:
    with pytest.raises(EntityParseError, match=error):
        parse_html(markup)


# -- sending through PTB in-process ------------------------------------------------


async def test_bot_initializes_and_wrong_token_is_refused(fake: FakeTelegram, bot: Bot) -> None:
    assert bot.username == "hotdigest_bot"
    with pytest.raises(InvalidToken):
        async with make_bot(fake, "999:WRONG"):
            pass


async def test_send_html_returns_message_and_records_it(fake: FakeTelegram, bot: Bot) -> None:
    message = await bot.send_message(
        USER, "<b>Top</b> &lt;3 <i>news</i>", parse_mode="HTML", reply_markup=keyboard("d:1")
    )
    assert message.text == "Top <3 news"
    assert [e.type for e in message.entities] == [MessageEntityType.BOLD, MessageEntityType.ITALIC]
    assert message.reply_markup == keyboard("d:1")
    assert message.from_user is not None and message.from_user.is_bot
    [record] = fake.sent(USER)
    assert record["html"] == "<b>Top</b> &lt;3 <i>news</i>"
    assert record["text"] == "Top <3 news"
    assert record["kind"] == "send"


@pytest.mark.parametrize("markup", ["<b>open", "1 < 2", "<unknown>x</unknown>", "<b><i>x</b></i>"])
async def test_malformed_html_is_a_bad_request(bot: Bot, markup: str) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(USER, markup, parse_mode="HTML")


async def test_unknown_chat_and_deletes(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(404, "hi")
    sent = await bot.send_message(USER, "bye")
    assert await bot.delete_message(USER, sent.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER, sent.message_id)
    assert fake.messages(USER) == []


async def test_length_counts_visible_utf16_units(bot: Bot) -> None:
    await bot.send_message(USER, "&amp;" + "a" * 4095, parse_mode="HTML")  # 4096 visible
    await bot.send_message(USER, "<b>" + "😀" * 2048 + "</b>", parse_mode="HTML")
    for too_long in ("a" * 4097, "😀" * 2048 + "a"):
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(USER, too_long)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode="HTML")


async def test_callback_data_is_limited_to_64_bytes(bot: Bot) -> None:
    await bot.send_message(USER, "ok", reply_markup=keyboard("é" * 32))  # 64 bytes
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(USER, "no", reply_markup=keyboard("é" * 32 + "x"))


async def test_edits(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(USER, "v1", reply_markup=keyboard("a"))
    edited = await bot.edit_message_text("<b>v2</b>", USER, sent.message_id, parse_mode="HTML")
    assert edited.text == "v2" and edited.reply_markup is None  # no markup given: removed
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("<b>v2</b>", USER, sent.message_id, parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", USER, 999)
    await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=keyboard("b"))
    [current] = fake.messages(USER)
    assert (current["text"], current["html"], current["kind"]) == ("v2", "<b>v2</b>", "edit")
    assert current["reply_markup"] == keyboard("b").to_dict()
    assert fake.stats()["edited"] == 2


# -- flood control -----------------------------------------------------------------


@pytest.fixture
async def limited(clock: Clock) -> AsyncIterator[tuple[FakeTelegram, Bot]]:
    fake = FakeTelegram(limits=FloodLimits(), clock=clock)
    async with make_bot(fake) as bot:
        yield fake, bot


async def test_per_chat_limit(limited: tuple[FakeTelegram, Bot], clock: Clock) -> None:
    fake, bot = limited
    fake.add_chat(USER)
    await bot.send_message(USER, "one")
    clock.now += 0.4
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "two")
    assert caught.value.retry_after == 1  # PTB 22 gives seconds unless PTB_TIMEDELTA is set
    clock.now += 0.6
    await bot.send_message(USER, "two")
    assert fake.stats()["served_429"] == 1
    assert fake.stats()["refused_by"] == {"chat": 1}


async def test_global_limit_and_paid_broadcast(
    limited: tuple[FakeTelegram, Bot], clock: Clock
) -> None:
    fake, bot = limited
    for chat_id in range(1, 33):
        fake.add_chat(chat_id)
    for chat_id in range(1, 31):
        await bot.send_message(chat_id, "hi")
    with pytest.raises(RetryAfter):
        await bot.send_message(31, "hi")
    await bot.send_message(31, "hi", allow_paid_broadcast=True)
    assert fake.sent(31)[0]["allow_paid_broadcast"] is True
    clock.now += 1.0
    await bot.send_message(32, "hi")
    assert fake.stats()["refused_by"] == {"bot": 1}


async def test_group_limit_per_minute(limited: tuple[FakeTelegram, Bot], clock: Clock) -> None:
    fake, bot = limited
    fake.add_chat(GROUP, "group")
    for _ in range(20):
        await bot.send_message(GROUP, "news")
        clock.now += 1.0
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(GROUP, "news")
    assert caught.value.retry_after == 40  # PTB 22 gives seconds unless PTB_TIMEDELTA is set
    assert fake.stats()["refused_by"] == {"group": 1}


# -- injected failures -------------------------------------------------------------


async def test_injected_errors(fake: FakeTelegram, bot: Bot) -> None:
    fake.inject(USER, "blocked")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "hi")
    await bot.send_message(USER, "hi")  # times=1: the next call goes through
    fake.inject(USER, "not_found")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(USER, "hi")
    fake.inject(USER, "flood", retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "hi")
    assert caught.value.retry_after == 7  # PTB 22 gives seconds unless PTB_TIMEDELTA is set
    fake.inject(USER, "server_error", times=2, code=502)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(USER, "hi")
    fake.inject(USER, "timeout")
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "hi")
    assert fake.stats()["errors_by_code"] == {403: 1, 400: 1, 429: 1, 502: 2}


async def test_injected_migration_keeps_failing(fake: FakeTelegram, bot: Bot) -> None:
    new_id = fake.inject(GROUP, "migrate")
    for _ in range(2):
        with pytest.raises(ChatMigrated) as caught:
            await bot.send_message(GROUP, "hi")
        assert caught.value.new_chat_id == new_id
    message = await bot.send_message(new_id, "hi")
    assert message.chat.type == "supergroup"


# -- updates -----------------------------------------------------------------------


async def test_user_message_arrives_with_command_entity(fake: FakeTelegram, bot: Bot) -> None:
    fake.user_sends(GROUP, USER, "/digest@hotdigest_bot today")
    [update] = await bot.get_updates(timeout=1)
    assert isinstance(update, Update) and update.message is not None
    assert update.message.text == "/digest@hotdigest_bot today"
    [entity] = update.message.entities
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 21)
    assert update.message.from_user is not None and update.message.from_user.id == USER
    assert await bot.get_updates(offset=update.update_id + 1) == ()


async def test_long_poll_wakes_on_new_update(fake: FakeTelegram, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    fake.user_sends(USER, USER, "hello")
    [update] = await asyncio.wait_for(poll, 1)
    assert update.message is not None and update.message.text == "hello"


async def test_button_press_arrives_as_callback_query(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(USER, "pick", reply_markup=keyboard("d:7"))
    query_id = fake.user_presses(USER, USER, sent.message_id, "d:7")
    [update] = await bot.get_updates()
    query = update.callback_query
    assert query is not None and query.id == query_id and query.data == "d:7"
    assert query.message is not None and query.message.text == "pick"
    assert await query.answer("done")
    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer("again")
    assert fake.callback_answers[0]["text"] == "done"


async def test_commands_round_trip(bot: Bot) -> None:
    await bot.set_my_commands([("digest", "今日摘要")], language_code="zh")
    await bot.set_my_commands([("digest", "Today's digest")])
    assert [c.description for c in await bot.get_my_commands(language_code="zh")] == ["今日摘要"]
    assert [c.command for c in await bot.get_my_commands()] == ["digest"]
    await bot.delete_my_commands(language_code="zh")
    assert await bot.get_my_commands(language_code="zh") == ()
    with pytest.raises(BadRequest):
        await bot.set_my_commands([("Bad Command", "x")])


async def test_application_replies_to_start(fake: FakeTelegram) -> None:
    async def start_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html("<b>Welcome</b>")

    app = (
        ApplicationBuilder()
        .token(fake.token)
        .request(FakeRequest(fake))
        .get_updates_request(FakeRequest(fake))
        .build()
    )
    app.add_handler(CommandHandler("start", start_command))
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        fake.user_sends(USER, USER, "/start")
        await wait_until(lambda: fake.sent(USER))
        await app.updater.stop()
        await app.stop()
    assert fake.sent(USER)[0]["text"] == "Welcome"


# -- over HTTP -----------------------------------------------------------------------


async def test_ptb_over_http(fake: FakeTelegram) -> None:
    async with serve_http(fake) as url, Bot(fake.token, base_url=url) as bot:
        control = url.removesuffix("/bot") + "/_fake"
        assert bot.username == "hotdigest_bot"
        sent = await bot.send_message(
            USER, "<i>hi</i>", parse_mode="HTML", reply_markup=keyboard("x")
        )
        assert sent.text == "hi" and sent.reply_markup == keyboard("x")
        with pytest.raises(BadRequest, match="Can't parse entities"):
            await bot.send_message(USER, "<b>", parse_mode="HTML")
        async with httpx.AsyncClient(base_url=control) as client:
            reply = await client.post(
                "/user_message", json={"chat_id": USER, "user_id": USER, "text": "/start"}
            )
            assert reply.json()["ok"]
            [update] = await bot.get_updates()
            assert update.message is not None and update.message.text == "/start"
            messages = (await client.get("/messages", params={"chat_id": USER})).json()["result"]
            assert [m["text"] for m in messages] == ["hi"]
            await client.post("/inject", json={"chat_id": USER, "kind": "blocked"})
            with pytest.raises(Forbidden):
                await bot.send_message(USER, "hi")
            stats = (await client.get("/stats")).json()["result"]
            assert stats["sent"] == 1 and stats["errors_by_code"] == {"400": 1, "403": 1}


async def test_http_accepts_json_and_multipart_bodies(fake: FakeTelegram) -> None:
    async with serve_http(fake) as url, httpx.AsyncClient(base_url=f"{url}{fake.token}") as client:
        markup = keyboard("m").to_json()
        as_json = await client.post("/sendMessage", json={"chat_id": USER, "text": "j"})
        as_multipart = await client.post(
            "/sendMessage",
            data={"chat_id": str(USER), "text": "m", "reply_markup": markup},
            files={"document": ("a.txt", b"bytes")},
        )
        unknown = await client.post("/sendHologram", json={})
    assert as_json.json()["result"]["text"] == "j"
    assert as_multipart.json()["result"]["reply_markup"] == keyboard("m").to_dict()
    assert (unknown.status_code, unknown.json()["description"]) == (404, "Not Found")


async def test_http_latency_does_not_serialize_requests(fake: FakeTelegram) -> None:
    for chat_id in range(1, 21):
        fake.add_chat(chat_id)
    async with (
        serve_http(fake, latency=0.5) as url,
        httpx.AsyncClient(base_url=f"{url}{fake.token}") as client,
    ):
        started = time.monotonic()
        replies = await asyncio.gather(
            *(
                client.post("/sendMessage", data={"chat_id": str(c), "text": "x"})
                for c in range(1, 21)
            )
        )
        elapsed = time.monotonic() - started
    assert all(reply.json()["ok"] for reply in replies)
    # In a row the 20 calls would take 10 s; side by side 0.5 s, and the rest of the 5 s
    # is room for a loaded machine (the bound was 1 s against 0.1 s of latency).
    assert 0.5 <= elapsed < 5.0


async def test_http_injected_timeout(fake: FakeTelegram) -> None:
    request = HTTPXRequest(read_timeout=0.2)
    async with serve_http(fake) as url, Bot(fake.token, base_url=url, request=request) as bot:
        fake.inject(USER, "timeout", hold=2.0)
        with pytest.raises(TimedOut):
            await bot.send_message(USER, "hi")
        assert (await bot.send_message(USER, "hi")).text == "hi"


async def test_descriptions_are_kept_per_language_within_telegrams_limits(bot: Bot) -> None:
    await bot.set_my_short_description("Daily digest", language_code="en")
    assert (await bot.get_my_short_description("en")).short_description == "Daily digest"
    assert (await bot.get_my_short_description()).short_description == ""
    with pytest.raises(BadRequest):
        await bot.set_my_short_description("x" * 121)
    with pytest.raises(BadRequest):
        await bot.set_my_description("x" * 513)
    await bot.set_my_description("")  # clears, as Telegram does
    assert (await bot.get_my_description()).description == ""
