"""The chart child: ``python -m digest.render.chart_child`` draws one heat chart.

It reads the chart's figures as JSON (``chart_process.chart_json``) on stdin and writes
the PNG to stdout; on failure it exits non-zero with one line on stderr. It runs in an
interpreter of its own, so matplotlib and numpy load here and never in the bot.
"""

from __future__ import annotations

import sys

from ..errors import DigestError
from .chart import render_chart
from .chart_process import chart_from_json

EXIT_BAD_INPUT = 2
EXIT_NOT_DRAWN = 3


def main() -> int:
    try:
        chart, language = chart_from_json(sys.stdin.buffer.read())
    except ValueError as exc:
        print(f"unreadable chart figures: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        png = render_chart(chart, language)
    except DigestError as exc:  # e.g. the font package missing
        print(str(exc), file=sys.stderr)
        return EXIT_NOT_DRAWN
    sys.stdout.buffer.write(png)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
