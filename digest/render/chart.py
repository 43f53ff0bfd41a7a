"""Draw a digest's heat chart as a PNG: theme heat over the last days, and the top posts.

matplotlib draws it with the Agg backend on a ``Figure`` of its own (never pyplot's
global state, so concurrent charts share nothing), with a CJK font that a dependency
ships, so Chinese labels render on a machine without system fonts.
"""

from __future__ import annotations

import io
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..build.heat import HeatChart
from ..document import source_label
from ..errors import DigestError

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

WIDTH, HEIGHT, DPI = 1200, 675, 100  # 16:9, as Telegram and Hugo themes show a cover
# Noto Sans SC (SIL OFL 1.1), shipped by the justmytype-intl-cjk package.
FONT_PACKAGE = "justmytype_intl_cjk"
FONT_FILE = "fonts/ofl/notosanssc/NotoSansSC[wght].ttf"
TITLE_CHARS = 22  # a bar label longer than this is cut, so the bars keep their width
INK = "#222222"
COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")
WEEKLY_POSTS = {"zh": "本周在榜最久（源内热度百分位）", "en": "Longest on the lists this week"}
LABELS = {
    "zh": ("热度趋势", "主题热度（近 {days} 天，峰值 = 100）", "今日热门（源内热度百分位）"),
    "en": ("Heat", "Theme heat (last {days} days, peak = 100)", "Top posts (heat percentile)"),
}


def cjk_font_path() -> Path:
    """The bundled CJK font file; a ``DigestError`` if its package is missing."""
    try:
        path = Path(str(files(FONT_PACKAGE) / FONT_FILE))
    except ModuleNotFoundError as exc:
        raise DigestError(f"the chart font package {FONT_PACKAGE} is not installed") from exc
    if not path.is_file():
        raise DigestError(f"the chart font is missing: {path}")
    return path


@cache
def chart_font(size: float = 11.0) -> FontProperties:
    """The CJK font at ``size`` points (FontProperties by file: no font lookup by name)."""
    from matplotlib.font_manager import FontProperties

    return FontProperties(fname=cjk_font_path(), size=size)


def render_chart(chart: HeatChart, language: str = "zh") -> bytes:
    """The chart as PNG bytes, :data:`WIDTH` × :data:`HEIGHT` pixels."""
    figure = draw_chart(chart, language)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def draw_chart(chart: HeatChart, language: str = "zh") -> Figure:
    """The chart as a ``Figure`` on an Agg canvas, laid out but not drawn yet."""
    # matplotlib takes seconds to import on a loaded machine: only a chart pays for it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    title, trend_title, posts_title = LABELS.get(language, LABELS["en"])
    if chart.weekly:
        posts_title = WEEKLY_POSTS.get(language, WEEKLY_POSTS["en"])
    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    trend, posts = figure.subplots(1, 2, gridspec_kw={"width_ratios": (1.1, 1.0)})
    _ink(figure.suptitle(f"{title} · {chart.date}", fontproperties=chart_font(16)))
    _draw_trend(trend, chart, language, trend_title.format(days=len(chart.days)))
    _draw_posts(posts, chart, language, posts_title)
    figure.subplots_adjust(left=0.05, right=0.98, top=0.86, bottom=0.1, wspace=0.62)
    return figure


def _draw_trend(axes: Any, chart: HeatChart, language: str, title: str) -> None:
    x = range(len(chart.days))
    for colour, series in zip(COLOURS, chart.themes, strict=False):
        axes.plot(x, series.values, marker="o", color=colour, label=series.label(language))
    axes.set_xticks(list(x), [day.strftime("%m-%d") for day in chart.days])
    axes.set_ylim(0, 105)
    axes.grid(axis="y", alpha=0.3)
    _ink(axes.set_title(title, fontproperties=chart_font(12)))
    _tick_fonts(axes.get_xticklabels(), axes.get_yticklabels())
    if chart.themes:
        legend = axes.legend(loc="upper left", prop=chart_font(10), frameon=False)
        for text in legend.get_texts():
            _ink(text)


def _draw_posts(axes: Any, chart: HeatChart, language: str, title: str) -> None:
    posts = list(reversed(chart.posts))  # barh draws bottom-up; the hottest goes on top
    y = range(len(posts))
    colours = [COLOURS[i % len(COLOURS)] for i in range(len(posts))][::-1]
    axes.barh(list(y), [p.score for p in posts], color=colours, alpha=0.8)
    labels = [f"[{p.index}] {_cut(p.title)}" for p in posts]
    axes.set_yticks(list(y), labels)
    for post, row in zip(posts, y, strict=True):
        note = f"{post.score:.0f} · {source_label(post.source, language)}"
        axes.text(post.score + 1, row, note, va="center", color=INK, fontproperties=chart_font(9))
    axes.set_xlim(0, 130)  # room for the notes right of a full bar
    _ink(axes.set_title(title, fontproperties=chart_font(12)))
    _tick_fonts(axes.get_xticklabels())
    for label in axes.get_yticklabels():
        label.set_fontproperties(chart_font(10))
        _ink(label)


def _tick_fonts(*labels: Any) -> None:
    # Figures read well thin; stroking every tick would cost a third of the render.
    for label in (label for group in labels for label in group):
        label.set_fontproperties(chart_font(10))
        label.set_color(INK)


def _ink(text: Any) -> None:
    """Embolden a label: the variable font opens at its default instance, Thin, which is
    faint at chart sizes; a hairline stroke in the text's colour gives it a regular weight."""
    from matplotlib import patheffects

    text.set_color(INK)
    text.set_path_effects([patheffects.withStroke(linewidth=0.6, foreground=INK)])


def _cut(title: str) -> str:
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1].rstrip() + "…"
