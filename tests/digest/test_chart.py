"""The heat chart: its figures from the store, and the PNG it draws (size, labels, font)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from matplotlib.font_manager import findfont
from matplotlib.ft2font import FT2Font
from PIL import Image

from digest import (
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    BuildOptions,
    Store,
    compose_digest,
    load_themes,
    make_post,
    split_caption,
    visible_length,
)
from digest.build.heat import CHART_DAYS, HeatChart, TopPost, heat_chart
from digest.render.chart import HEIGHT, WIDTH, cjk_font_path, draw_chart, render_chart
from digest.render.telegram_html import visible_text

DAY = date(2026, 2, 15)
BUILT = datetime(2026, 2, 15, 10, 30, tzinfo=UTC)


def _png_of(figure) -> Image.Image:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=figure.dpi)  # draws: text extents are now known
    return Image.open(io.BytesIO(buffer.getvalue())).convert("L")


def _ink_in(image: Image.Image, text) -> int:
    """Dark pixels inside a text artist's box (matplotlib counts y from the bottom)."""
    box = text.get_window_extent()
    crop = image.crop(
        (int(box.x0), int(image.height - box.y1), int(box.x1) + 1, int(image.height - box.y0) + 1)
    )
    return _dark(crop)


def _dark(image: Image.Image) -> int:
    return sum(image.histogram()[:128])  # grey levels 0-127 of an "L" image


def _seed_days(store: Store, days: int) -> None:
    """A store where the AI theme grows day by day and a mobile post sits on every list."""
    for back in range(days):
        seen = BUILT - timedelta(days=back, hours=2)
        posts = [
            make_post(
                source="hackernews", post_id=f"ai{back}-{n}", title=f"GPT {back} {n}", heat=100
            )
            for n in range(days - back)
        ]
        posts.append(make_post(source="juejin", post_id=f"m{back}", title="Flutter 发布", heat=50))
        store.save_posts(posts, seen)


def test_the_png_opens_at_its_size_and_every_label_has_ink(sample, options):
    digest = compose_digest(sample, DAY, options, BUILT)
    chart = heat_chart(sample, digest, options)
    png = Image.open(io.BytesIO(render_chart(chart, "zh")))
    assert png.format == "PNG"
    assert png.size == (WIDTH, HEIGHT)

    figure = draw_chart(chart, "zh")
    image = _png_of(figure)
    trend, posts = figure.axes
    labels = [figure._suptitle, trend.title, posts.title, *posts.get_yticklabels()]
    labels += list(trend.get_legend().get_texts())
    assert len(posts.get_yticklabels()) == len(chart.posts) > 0
    for text in labels:
        assert text.get_text()
        assert _ink_in(image, text) > 20, text.get_text()
    # A blank stretch of the canvas (left margin, below the title) has none: the check can fail.
    assert _dark(image.crop((0, 60, 20, 600))) == 0


def test_chinese_labels_are_drawn_with_the_bundled_font(sample, options):
    digest = compose_digest(sample, DAY, options, BUILT)
    figure = draw_chart(heat_chart(sample, digest, options), "zh")
    _png_of(figure)  # a glyph missing from the font would warn, and warnings are errors
    font = cjk_font_path()
    trend = figure.axes[0]
    legend = trend.get_legend().get_texts()
    chinese = [t for t in legend if any(ord(c) > 0x2E80 for c in t.get_text())]
    assert chinese, "the sample's themes have Chinese names"
    face = FT2Font(str(font))
    for text in [*chinese, figure._suptitle, trend.title]:
        # The file matplotlib's text layout opens for this label (not a fallback family).
        assert Path(findfont(text.get_fontproperties())) == font
        assert all(face.get_char_index(ord(c)) for c in text.get_text() if not c.isspace())


def test_theme_heat_follows_the_days_and_peaks_at_100():
    store = Store.memory()
    _seed_days(store, CHART_DAYS)
    options = BuildOptions(themes=load_themes())
    digest = compose_digest(store, DAY, options, BUILT)
    chart = heat_chart(store, digest, options)
    assert chart.days == tuple(DAY - timedelta(days=n) for n in range(CHART_DAYS - 1, -1, -1))
    by_id = {series.theme_id: series.values for series in chart.themes}
    ai = by_id["ai-models"]
    assert list(ai) == sorted(ai) and ai[0] < ai[-1]  # one more AI post every day
    assert max(v for values in by_id.values() for v in values) == 100.0
    titles = {e.index: e.title for e in digest.sources}
    assert len(chart.posts) == min(6, len(titles))
    assert all(titles[p.index] == p.title and 0 < p.score <= 100 for p in chart.posts)
    assert [p.score for p in chart.posts] == sorted((p.score for p in chart.posts), reverse=True)
    store.close()


def test_an_english_chart_and_an_empty_one_still_draw():
    empty = HeatChart("2026-02-15", 1, (DAY,), (), ())
    assert empty.is_empty
    assert Image.open(io.BytesIO(render_chart(empty, "en"))).size == (WIDTH, HEIGHT)
    one = HeatChart("2026-02-15", 1, (DAY,), (), (TopPost(1, "v2ex", "x" * 80, 50.0),))
    label = draw_chart(one, "en").axes[1].get_yticklabels()[0].get_text()
    assert label.endswith("…") and len(label) < 40


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_title_names_the_date(sample, options, language):
    digest = compose_digest(sample, DAY, options, BUILT)
    figure = draw_chart(heat_chart(sample, digest, options), language)
    assert "2026-02-15" in figure._suptitle.get_text()


def test_a_caption_is_cut_cleanly_and_the_rest_follows():
    block = "<b>标题</b> " + '<a href="https://e.x/1">链接文字</a> 和说明。' * 150
    blocks = [block, "<i>尾声</i>"]
    caption, rest = split_caption(blocks)
    assert 0 < visible_length(caption) <= CAPTION_LIMIT
    assert rest and all(visible_length(part) <= MESSAGE_LIMIT for part in rest)
    for html in (caption, *rest):  # every piece is balanced: tags closed where it was cut
        assert html.count("<a ") == html.count("</a>") and html.count("<b>") == html.count("</b>")
    whole = "".join(visible_text(b) for b in blocks)
    joined = "".join(visible_text(p) for p in (caption, *rest))
    assert joined.replace(" ", "").replace("\n", "") == whole.replace(" ", "").replace("\n", "")
    short, none = split_caption(["<b>短</b>"])
    assert (short, none) == ("<b>短</b>", [])
