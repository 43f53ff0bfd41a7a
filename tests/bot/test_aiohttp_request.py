"""The bot's HTTP client: JSON over keep-alive HTTP/1.1 (or HTTPS), Telegram's errors as PTB's."""

from __future__ import annotations

import asyncio
import gzip
import json
import ssl
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest
import trustme
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.request import HTTPXRequest

from bot.delivery.aiohttp_request import AiohttpRequest
from bot.delivery.client import (
    Bodies,
    Parameters,
    TransportOptions,
    make_request,
    message_id_of,
    send_text,
)
from bot.fake_telegram import FakeTelegram, serve_http
from bot.fake_telegram.http import parse_multipart

TOKEN = "123456:TEST-TOKEN"
OK = b'{"ok": true, "result": {"message_id": 7}}'


@dataclass
class Canned:
    """A raw HTTP server: records requests, answers from a script, counts connections."""

    answers: list[bytes] = field(default_factory=list)  # whole responses, used in order
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    connections: int = 0
    closed: int = 0  # connections the client closed
    close_after_answer: bool = False
    silent: bool = False  # read requests, never answer

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                line, *rest = head.decode().split("\r\n")
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (h.partition(":") for h in rest if h)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.requests.append((line, headers, body))
                if self.silent:
                    continue
                writer.write(self.answers.pop(0) if self.answers else response(OK))
                await writer.drain()
                if self.close_after_answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            self.closed += 1
        finally:
            writer.close()


def response(body: bytes, status: str = "200 OK", *, close: bool = False, extra: str = "") -> bytes:
    connection = "close" if close else "keep-alive"
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}"
        f"Content-Length: {len(body)}\r\nConnection: {connection}\r\n\r\n"
    ).encode() + body


@pytest.fixture
async def canned() -> AsyncIterator[tuple[Canned, Bot, AiohttpRequest]]:
    server = Canned()
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    request = AiohttpRequest(1, read_timeout=2.0, pool_timeout=0.2)
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    try:
        yield server, bot, request
    finally:
        await request.shutdown()
        listener.close()
        await listener.wait_closed()


async def test_sends_json_over_one_kept_alive_connection(
    canned: tuple[Canned, Bot, AiohttpRequest],
) -> None:
    server, bot, _ = canned
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("摘要", callback_data="v|x")]])
    ids = [
        await send_text(
            bot, 42, "<b>日报</b> & more", markup=markup if n == 2 else None, paid=n == 2
        )
        for n in range(3)
    ]
    assert ids == [7, 7, 7] and server.connections == 1
    line, headers, body = server.requests[2]
    assert line == f"POST /bot{TOKEN}/sendMessage HTTP/1.1"
    assert headers["content-type"] == "application/json"
    assert "gzip" in headers["accept-encoding"]
    assert json.loads(body) == {
        "chat_id": 42,
        "text": "<b>日报</b> & more",
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
        "reply_markup": {"inline_keyboard": [[{"text": "摘要", "callback_data": "v|x"}]]},
        "allow_paid_broadcast": True,
    }
    assert "allow_paid_broadcast" not in json.loads(server.requests[0][2])


async def test_answers_that_orjson_refuses_are_read_as_ptb_reads_them(
    canned: tuple[Canned, Bot, AiohttpRequest],
) -> None:
    server, bot, _ = canned
    # Invalid UTF-8 in a string: PTB decodes it with replacement characters.
    server.answers.append(response(b'{"ok": true, "result": {"message_id": 9, "x": "\xff"}}'))
    server.answers.append(response(b"<html>not JSON</html>"))
    assert await send_text(bot, 42, "hi", markup=None, paid=False) == 9
    with pytest.raises(TelegramError, match="Invalid server response"):
        await send_text(bot, 42, "hi", markup=None, paid=False)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (b'{"ok":true,"result":{"message_id":12,"date":1,"text":"x"}}', 12),
        (b'{"ok":true,"result":{"message_id":13}}', 13),
        # Only the start is read: the rest is not even valid JSON here.
        (b'{"ok":true,"result":{"message_id":14,"text":"cut off', 14),
        # Another message's id first (a reply's): the answer is parsed instead.
        (b'{"ok":true,"result":{"reply_to_message":{"message_id":5},"message_id":15}}', 15),
        (b'{"ok": true, "result": {"message_id": 16}}', 16),
    ],
)
def test_message_id_is_read_from_the_answers_start(answer: bytes, expected: int) -> None:
    assert message_id_of(AiohttpRequest(), answer) == expected


@pytest.mark.parametrize(
    "answer",
    [b'{"ok":true,"result":{"message_id":"7"}}', b'{"ok":true,"result":true}', b"[]"],
)
def test_an_answer_without_a_message_id_is_an_error(answer: bytes) -> None:
    with pytest.raises(TelegramError, match=r"without a message_id|Invalid"):
        message_id_of(AiohttpRequest(), answer)


async def test_the_fakes_answers_take_the_short_way(fake: FakeTelegram) -> None:
    """The fake writes a sent message's answer as Telegram does: its id first."""
    fake.add_chat(42)
    async with serve_http(fake) as url:
        request = AiohttpRequest(1)
        try:
            status, answer = await request.do_request(
                f"{url}{TOKEN}/sendMessage",
                "POST",
                Parameters({"chat_id": 42, "text": "<b>x</b>", "parse_mode": "HTML"}),
            )
        finally:
            await request.shutdown()
    assert status == 200
    assert answer.startswith(b'{"ok":true,"result":{"message_id":1,')
    assert message_id_of(request, answer) == 1


async def test_gzip_chunked_with_trailers_and_closed_connections(
    canned: tuple[Canned, Bot, AiohttpRequest],
) -> None:
    server, bot, _ = canned
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checked\r\n\r\n"
        + b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in (OK[:10], OK[10:]))
        + b"0\r\nX-Checked: yes\r\n\r\n"
    )
    zipped = response(
        gzip.compress(b'{"ok": true, "result": {"message_id": 8}}'),
        extra="Content-Encoding: gzip\r\n",
    )
    server.answers = [chunked, zipped, response(OK, close=True)]
    assert await send_text(bot, 1, "a", markup=None, paid=False) == 7  # chunked, trailer
    assert await send_text(bot, 1, "b", markup=None, paid=False) == 8  # gzip
    assert await send_text(bot, 1, "c", markup=None, paid=False) == 7  # then "close"
    assert await send_text(bot, 1, "d", markup=None, paid=False) == 7
    assert server.connections == 2

    server.close_after_answer = True  # the server hangs up after answering, unannounced
    await send_text(bot, 1, "e", markup=None, paid=False)
    await asyncio.sleep(0.05)  # its FIN arrives: the connection is not reused, no error
    await send_text(bot, 1, "f", markup=None, paid=False)
    assert server.connections == 3 and len(server.requests) == 6


async def test_a_cancelled_call_closes_its_connection(
    canned: tuple[Canned, Bot, AiohttpRequest],
) -> None:
    server, bot, _ = canned
    server.silent = True
    call = asyncio.create_task(send_text(bot, 1, "a", markup=None, paid=False))
    while not server.requests:
        await asyncio.sleep(0.01)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    for _ in range(200):
        if server.closed:
            break
        await asyncio.sleep(0.01)
    assert server.closed == 1  # not left open, nor handed to the next call mid-answer


async def test_read_and_pool_timeouts_are_ptb_timeouts(
    canned: tuple[Canned, Bot, AiohttpRequest],
) -> None:
    server, bot, _ = canned
    server.silent = True
    slow = asyncio.create_task(bot.get_me(read_timeout=0.5))
    while not server.requests:
        await asyncio.sleep(0.01)
    # The only connection is busy: the next call waits pool_timeout (0.2 s), is not sent.
    with pytest.raises(TimedOut, match="Pool timeout"):
        await send_text(bot, 1, "x", markup=None, paid=False)
    with pytest.raises(TimedOut):
        await slow
    assert len(server.requests) == 1


async def test_telegram_errors_arrive_as_ptb_exceptions() -> None:
    fake = FakeTelegram(TOKEN, limits=None)
    fake.add_chat(1)
    async with serve_http(fake) as url:
        request = AiohttpRequest(2, read_timeout=0.3)
        bot = Bot(TOKEN, base_url=url, request=request)
        try:
            assert await send_text(bot, 1, "<b>one</b>", markup=None, paid=False) == 1
            fake.inject(1, "flood", retry_after=5)
            with pytest.raises(RetryAfter) as flood:
                await send_text(bot, 1, "two", markup=None, paid=False)
            assert flood.value.retry_after == 5
            fake.inject(1, "blocked")
            with pytest.raises(Forbidden):
                await send_text(bot, 1, "three", markup=None, paid=False)
            fake.inject(1, "timeout", hold=1.0)
            with pytest.raises(TimedOut):
                await send_text(bot, 1, "four", markup=None, paid=False)
            assert await send_text(bot, 1, "five", markup=None, paid=False) == 2
            # PTB's own methods (replies, edits) go through it as well.
            message = await bot.send_message(1, "<i>six</i>", parse_mode="HTML")
            await bot.edit_message_text("seven", chat_id=1, message_id=message.message_id)
        finally:
            await request.shutdown()
    records = [(record["kind"], record["text"]) for record in fake.sent(1)]
    assert records[:3] == [("send", "one"), ("send", "five"), ("send", "six")]
    assert records[3:] == [("edit", "seven")]


async def test_a_server_that_is_not_there_is_a_network_error() -> None:
    listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    listener.close()
    await listener.wait_closed()
    request = AiohttpRequest(1)
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    try:
        with pytest.raises(NetworkError, match=r"aiohttp\.ClientConnectorError"):
            await send_text(bot, 1, "x", markup=None, paid=False)
    finally:
        await request.shutdown()


async def test_files_go_as_multipart(canned: tuple[Canned, Bot, AiohttpRequest]) -> None:
    server, bot, _ = canned
    message = {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}
    server.answers = [response(json.dumps({"ok": True, "result": message}).encode())]
    await bot.send_document(1, InputFile(b"a,b\n", "t.csv"))
    _, headers, body = server.requests[0]
    fields = parse_multipart(body, headers["content-type"])
    assert fields["chat_id"] == "1"
    assert fields["document"] == {"filename": "t.csv", "content": b"a,b\n"}


# -- TLS: a local HTTPS fake Bot API with a test CA ----------------------------------------


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server_tls(authority: trustme.CA) -> Iterator[ssl.SSLContext]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    yield context


@pytest.fixture
def client_tls(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    authority.configure_trust(context)
    return context


@pytest.mark.parametrize("kind", ["aiohttp", "httpx"])
async def test_https_with_the_servers_ca(
    kind: str, server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
) -> None:
    fake = FakeTelegram(TOKEN, limits=None)
    fake.add_chat(1)
    async with serve_http(fake, tls=server_tls) as url:
        assert url.startswith("https://127.0.0.1:")
        request = make_request(TransportOptions(kind, tls=client_tls), 4)
        assert isinstance(request, AiohttpRequest if kind == "aiohttp" else HTTPXRequest)
        async with Bot(TOKEN, base_url=url, request=request) as bot:
            assert (await bot.get_me()).username == fake.bot_user["username"]
            await send_text(bot, 1, "over TLS", markup=None, paid=False)
    assert fake.sent(1)[0]["text"] == "over TLS"


async def test_an_unknown_ca_is_refused(server_tls: ssl.SSLContext) -> None:
    fake = FakeTelegram(TOKEN, limits=None)
    async with serve_http(fake, tls=server_tls) as url:
        request = AiohttpRequest(1)  # certifi's bundle: the test CA is not in it
        try:
            with pytest.raises(NetworkError, match=r"(?i)certificate"):
                await Bot(TOKEN, base_url=url, request=request).get_me()
        finally:
            await request.shutdown()


def test_one_request_object_serves_two_event_loops() -> None:
    """`hotdigest run` checks the token in one loop and polls in another."""
    fake = FakeTelegram(TOKEN, limits=None)
    fake.add_chat(1)
    # One connection: the second loop's calls must wait, each for the one before it. The
    # default 1 s pool timeout is not what this tests (test_read_and_pool_timeouts_are_ptb_
    # timeouts is), and on a loaded machine two local round trips took longer than that.
    request = AiohttpRequest(1, pool_timeout=30)

    async def use(texts: list[str]) -> None:
        async with serve_http(fake) as url:
            await request.initialize()
            bot = Bot(TOKEN, base_url=url, request=request)
            try:
                await asyncio.gather(
                    *(send_text(bot, 1, t, markup=None, paid=False) for t in texts)
                )
            finally:
                await request.shutdown()

    asyncio.run(use(["a", "b"]))
    asyncio.run(use(["c", "d", "e"]))
    assert sorted(record["text"] for record in fake.sent(1)) == ["a", "b", "c", "d", "e"]


async def test_a_push_body_encoded_once_is_each_chats_own(
    canned: tuple[Canned, Bot, AiohttpRequest],
) -> None:
    # Bodies encodes a text once and splices each chat's id (and topic) in front: what
    # leaves must be what send_text encodes without it, for every chat.
    server, bot, _ = canned
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("摘要", callback_data="v|x")]])
    text = '<b>日报</b> & "quoted" \\ more'
    bodies = Bodies()
    calls = [(42, 0, markup), (43, 0, markup), (44, 7, markup), (45, 0, None)]
    for chat_id, thread_id, keys in calls * 2:  # the second round from the cache
        for cached in (None, bodies):
            await send_text(
                bot, chat_id, text, markup=keys, paid=True, thread_id=thread_id, bodies=cached
            )
    sent = [json.loads(body) for _, _, body in server.requests]
    assert sent[0::2] == sent[1::2]  # with the cache and without, call for call
    assert [(b["chat_id"], b.get("message_thread_id")) for b in sent[0:8:2]] == [
        (42, None),
        (43, None),
        (44, 7),
        (45, None),
    ]
    assert sent[0]["text"] == text and "reply_markup" not in sent[6]


async def test_a_call_given_up_while_waiting_for_a_slot_loses_no_slot() -> None:
    # One connection, three calls: the second is cancelled while it waits for the slot
    # (a push stopped), the third must still get the slot when the first is answered.
    fake = FakeTelegram(TOKEN, limits=None)
    fake.add_chat(1)
    async with serve_http(fake) as url:
        request = AiohttpRequest(1, pool_timeout=30)
        bot = Bot(TOKEN, base_url=url, request=request)
        try:
            calls = [
                asyncio.create_task(send_text(bot, 1, t, markup=None, paid=False))
                for t in ("a", "b", "c")
            ]
            await asyncio.sleep(0)
            calls[1].cancel()
            await asyncio.wait_for(asyncio.gather(calls[0], calls[2]), 30)
            await asyncio.wait_for(send_text(bot, 1, "d", markup=None, paid=False), 30)
        finally:
            await request.shutdown()
    assert [record["text"] for record in fake.sent(1)] == ["a", "c", "d"]
