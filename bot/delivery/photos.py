"""A push that opens with the heat chart: the photo, its caption, and the parts after it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode

from digest import (
    CORRECTION,
    BuildOptions,
    ChartDrawer,
    Digest,
    DigestError,
    HeatChart,
    PushReader,
    Renderer,
    Subscription,
    digest_chart,
    is_week,
)

from ..services import StoreRunner

log = logging.getLogger(__name__)

# (date, version, language, (include, exclude)): one chart per digest a chat can see.
ChartKey = tuple[str, int, str, tuple[tuple[str, ...], ...]]


@dataclass(eq=False, slots=True)
class ChartPhoto:
    """One chart's PNG, uploaded once: later chats get it by the file_id Telegram gave."""

    png: bytes
    chart: HeatChart  # its figures, the same in every language
    file_id: str | None = None

    async def send(
        self,
        bot: Bot,
        chat_id: int,
        caption: str,
        *,
        markup: InlineKeyboardMarkup | None,
        paid: bool,
        thread_id: int = 0,
    ) -> int:
        """Send the photo with an HTML caption (≤ 1024, cut by the renderer); its message_id."""
        message = await bot.send_photo(
            chat_id,
            self.file_id or self.png,
            caption=caption or None,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            allow_paid_broadcast=paid or None,
            message_thread_id=thread_id or None,
        )
        if message.photo:
            self.file_id = message.photo[-1].file_id
        return message.message_id


def wants_chart(chat: Subscription, kind: str, key: str) -> bool:
    """A brief push opens with the chart when the chat chose it (for a weekly digest,
    ``key`` ``YYYY-Www``: its weekly chart setting, on by default); a correction never
    does (its note says what changed, in text)."""
    chosen = chat.week_chart if is_week(key) else chat.chart
    return chosen and chat.mode == "brief" and kind != CORRECTION


async def chart_parts(
    store: StoreRunner,
    charts: ChartDrawer,
    renderer: Renderer,
    digest: Digest,
    chat: Subscription,
    options: BuildOptions | None,
    photos: dict[ChartKey, ChartPhoto | None],
    reads: PushReader | None = None,
) -> tuple[ChartPhoto, list[str]] | None:
    """The chart and the texts of a chart push: the caption first, then what did not fit.

    None when the chart cannot be drawn (the chat then gets its push as text, logged).
    """
    include, exclude = tuple(chat.include_sources), tuple(chat.exclude_sources)
    key: ChartKey = (digest.date, digest.version, chat.language, (include, exclude))
    if key not in photos:
        # The figures are read once per digest and filter, then drawn in each language.
        drawn = (p for k, p in photos.items() if p and k[:2] == key[:2] and k[3] == key[3])
        figures = next((p.chart for p in drawn), None)
        narrowed = (options or BuildOptions()).for_sources((include, exclude))
        photos[key] = await _draw(store, charts, digest, chat.language, narrowed, figures, reads)
    photo = photos[key]
    if photo is None:
        return None
    caption, rest = renderer.telegram_caption(digest, chat.language, chat.timezone)
    return photo, [caption, *rest]


async def _draw(
    store: StoreRunner,
    charts: ChartDrawer,
    digest: Digest,
    language: str,
    narrowed: BuildOptions,
    figures: HeatChart | None,
    reads: PushReader | None,
) -> ChartPhoto | None:
    try:
        chart = figures
        if chart is None:
            chart = await store.run(lambda s: digest_chart(s, digest, narrowed, reads))
        png = await charts.draw(chart, language)
    except DigestError as exc:  # the chart's child failed (ChartError): the text still goes out
        log.warning("no heat chart for %s v%d: %s", digest.date, digest.version, exc)
        return None
    return ChartPhoto(png, chart)
