"""The heat chart through the bot: /digest chart, the chart setting, and sendPhoto in the fake."""

from __future__ import annotations

import io
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from bot_harness import EN_USER, ZH_USER, Bot, button
from PIL import Image
from telegram import Bot as PtbBot
from telegram.error import BadRequest

from bot.context import services_of
from bot.delivery.aiohttp_request import AiohttpRequest
from bot.fake_telegram import FakeTelegram, serve_http
from digest import CAPTION_LIMIT, ChartDrawer, Digest, Renderer, visible_length
from digest.render.chart import HEIGHT, WIDTH

PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@asynccontextmanager
async def serve_http_bot(fake: FakeTelegram) -> AsyncIterator[PtbBot]:
    """PTB's Bot on the bot's own AiohttpRequest, against the fake over HTTP on 127.0.0.1:
    the upload goes as real multipart/form-data through the fake's HTTP parser."""
    async with serve_http(fake) as url:
        request = AiohttpRequest(1)
        await request.initialize()
        bot = PtbBot(fake.token, base_url=url, request=request)
        try:
            yield bot
        finally:
            await request.shutdown()


def photo_of(fake: FakeTelegram, record: dict) -> Image.Image:
    content = fake.photos[record["photo"]["file_id"]]["content"]
    return Image.open(io.BytesIO(content))


async def test_digest_chart_sends_the_png_with_the_brief_push_as_caption(
    bot: Bot, digest_v1: Digest
) -> None:
    caption, rest = Renderer().telegram_caption(digest_v1, "zh")
    sent = await bot.say(ZH_USER, ZH_USER, "/digest chart", replies=1 + len(rest))
    photo, *texts = sent
    assert photo["photo"] is not None
    assert photo_of(bot.fake, photo).size == (WIDTH, HEIGHT)
    assert (photo["photo"]["width"], photo["photo"]["height"]) == (WIDTH, HEIGHT)
    assert photo["parse_mode"] == "HTML" and photo["html"] == caption
    assert 0 < len(photo["text"]) <= CAPTION_LIMIT
    assert photo["text"].startswith("科技热榜日报 · 2026-02-15")
    assert [record["html"] for record in texts] == rest
    assert all(record["photo"] is None for record in texts)
    en, *_ = await bot.say(EN_USER, EN_USER, "/digest chart 2026-02-15")
    assert en["photo"] is not None and "2026-02-15" in en["text"]


async def test_chart_setting_by_button_and_by_command(bot: Bot) -> None:
    [shown] = await bot.say(ZH_USER, ZH_USER, "/settings")
    assert "热度图：不附" in shown["text"]
    [edited], _ = await bot.press(
        ZH_USER, ZH_USER, shown["message_id"], button(shown, "附热度图"), replies=1
    )
    assert "热度图：简版推送以热度图开头" in edited["text"]
    assert button(edited, "不附热度图")
    [off] = await bot.say(EN_USER, EN_USER, "/settings chart off")
    assert "Heat chart: off" in off["text"]
    [on] = await bot.say(EN_USER, EN_USER, "/settings chart on")
    assert "Heat chart: the brief push opens with it" in on["text"]


@pytest.mark.parametrize("caption_extra", [0, 1])
async def test_the_fake_refuses_a_caption_over_1024(caption_extra: int) -> None:
    fake = FakeTelegram("1:T", limits=None)
    fake.add_chat(1)
    async with serve_http_bot(fake) as bot:
        caption = "<b>热</b>" + "x" * (CAPTION_LIMIT - 1 + caption_extra)
        assert visible_length(caption) == CAPTION_LIMIT + caption_extra
        if caption_extra:
            with pytest.raises(BadRequest, match="caption is too long"):
                await bot.send_photo(1, PNG_1x1, caption=caption, parse_mode="HTML")
        else:
            message = await bot.send_photo(1, PNG_1x1, caption=caption, parse_mode="HTML")
            assert message.caption is not None and message.caption_entities[0].type == "bold"
            assert message.photo[-1].width == 1
            again = await bot.send_photo(1, message.photo[-1].file_id)  # no second upload
            assert again.photo[-1].file_id == message.photo[-1].file_id
    assert [r["kind"] for r in fake.sent(1)] == (["send", "send"] if not caption_extra else [])


async def test_the_fake_refuses_what_is_not_an_image() -> None:
    fake = FakeTelegram("1:T", limits=None)
    fake.add_chat(1)
    async with serve_http_bot(fake) as bot:
        with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
            await bot.send_photo(1, b"not a picture")
        with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
            await bot.send_photo(1, "photo-never-sent")


async def test_digest_chart_says_when_the_chart_cannot_be_drawn_and_shows_the_text(
    bot: Bot, digest_v1: Digest
) -> None:
    services_of(bot.app).charts = ChartDrawer(
        command=(sys.executable, "-c", "import sys; print('no font', file=sys.stderr); sys.exit(3)")
    )
    note, overview = await bot.say(EN_USER, EN_USER, "/digest chart", replies=2)
    assert (
        note["text"] == "The heat chart could not be drawn this time; here is the digest as text."
    )
    assert overview["photo"] is None and "2026-02-15" in overview["text"]
    assert overview["reply_markup"] is not None  # the digest keyboard, as /digest shows it
    assert not bot.fake.photos


async def test_digest_chart_reads_its_figures_once_for_every_language(
    bot: Bot, digest_v1: Digest
) -> None:
    """The chart's figures are the same in every language: /digest chart in Chinese, then
    in English, reads the posts' heat once (each window read seen on the store's own
    connection through sqlite3's trace callback); only the drawing is per language."""
    services = services_of(bot.app)
    statements: list[str] = []
    await services.store.run(lambda s: s.db.conn.set_trace_callback(statements.append))
    try:
        _, rest = Renderer().telegram_caption(digest_v1, "zh")
        await bot.say(ZH_USER, ZH_USER, "/digest chart", replies=1 + len(rest))
        zh = sum("FROM snapshots INDEXED BY idx_snapshots_fetched_at" in s for s in statements)
        statements.clear()
        [en, *_] = await bot.say(EN_USER, EN_USER, "/digest chart")
        again = sum("FROM snapshots INDEXED BY idx_snapshots_fetched_at" in s for s in statements)
    finally:
        await services.store.run(lambda s: s.db.conn.set_trace_callback(None))
    assert en["photo"] is not None and "2026-02-15" in en["text"]
    assert zh >= 1 and again == 0


async def test_a_filtered_chats_chart_is_drawn_once_and_kept_for_its_filter(
    bot: Bot, digest_v1: Digest
) -> None:
    """A chat with a source filter gets its own chart, drawn once: after the chart
    process is closed (every later draw fails), the same filter's /digest chart still
    sends the kept PNG, while a filter never drawn says the chart could not be drawn."""
    _, rest = Renderer().telegram_caption(digest_v1, "zh")
    await bot.say(ZH_USER, ZH_USER, "/settings include juejin")
    [first, *_] = await bot.say(ZH_USER, ZH_USER, "/digest chart", replies=1 + len(rest))
    assert first["photo"] is not None
    await services_of(bot.app).charts.aclose()
    [again, *_] = await bot.say(ZH_USER, ZH_USER, "/digest chart", replies=1 + len(rest))
    assert again["photo"] is not None
    assert photo_of(bot.fake, again).tobytes() == photo_of(bot.fake, first).tobytes()
    await bot.say(EN_USER, EN_USER, "/settings include v2ex")
    note, _ = await bot.say(EN_USER, EN_USER, "/digest chart", replies=2)
    assert note["text"] == (
        "The heat chart could not be drawn this time; here is the digest as text."
    )
