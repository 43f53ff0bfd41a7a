"""The push transport: JSON over keep-alive HTTP/1.1, and Telegram's errors as PTB's."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut

from bot.delivery.transport import LeanRequest, send_text
from bot.fake_telegram import FakeTelegram, serve_http

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
        except asyncio.IncompleteReadError:
            self.closed += 1
        finally:
            writer.close()


def response(body: bytes, status: str = "200 OK", *, close: bool = False) -> bytes:
    connection = "close" if close else "keep-alive"
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: {connection}\r\n\r\n"
    ).encode() + body


@pytest.fixture
async def canned() -> AsyncIterator[tuple[Canned, Bot]]:
    server = Canned()
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    request = LeanRequest(1, read_timeout=2.0)
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    try:
        yield server, bot
    finally:
        await request.shutdown()
        listener.close()
        await listener.wait_closed()


async def test_sends_typed_json_over_one_kept_alive_connection(
    canned: tuple[Canned, Bot],
) -> None:
    server, bot = canned
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
    assert json.loads(body) == {
        "chat_id": 42,
        "text": "<b>日报</b> & more",
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
        "reply_markup": {"inline_keyboard": [[{"text": "摘要", "callback_data": "v|x"}]]},
        "allow_paid_broadcast": True,
    }
    assert "allow_paid_broadcast" not in json.loads(server.requests[0][2])


async def test_chunked_answers_and_closed_connections_are_handled(
    canned: tuple[Canned, Bot],
) -> None:
    server, bot = canned
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in (OK[:10], OK[10:]))
        + b"0\r\n\r\n"
    )
    server.answers = [chunked, response(OK, close=True)]
    assert await send_text(bot, 1, "a", markup=None, paid=False) == 7
    assert await send_text(bot, 1, "b", markup=None, paid=False) == 7  # then "close"
    assert await send_text(bot, 1, "c", markup=None, paid=False) == 7
    assert server.connections == 2

    server.close_after_answer = True  # the server hangs up after answering, unannounced
    await send_text(bot, 1, "d", markup=None, paid=False)
    await asyncio.sleep(0.05)  # its FIN arrives: the connection is not reused, no error
    await send_text(bot, 1, "e", markup=None, paid=False)
    assert server.connections == 3 and len(server.requests) == 5


async def test_a_cancelled_call_closes_its_connection(canned: tuple[Canned, Bot]) -> None:
    server, bot = canned
    server.silent = True
    call = asyncio.create_task(send_text(bot, 1, "a", markup=None, paid=False))
    while not server.requests:
        await asyncio.sleep(0.01)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    for _ in range(100):
        if server.closed:
            break
        await asyncio.sleep(0.01)
    assert server.closed == 1  # not left open, nor handed to the next call mid-answer


async def test_telegram_errors_arrive_as_ptb_exceptions() -> None:
    fake = FakeTelegram(TOKEN, limits=None)
    fake.add_chat(1)
    async with serve_http(fake) as url:
        request = LeanRequest(2, read_timeout=0.3)
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
        finally:
            await request.shutdown()
    assert [record["text"] for record in fake.sent(1)] == ["one", "five"]


async def test_a_server_that_is_not_there_is_a_network_error() -> None:
    listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    listener.close()
    await listener.wait_closed()
    request = LeanRequest(1)
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    with pytest.raises(NetworkError):
        await send_text(bot, 1, "x", markup=None, paid=False)
