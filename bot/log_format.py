"""``--log-format json``: one JSON object per line, for log shippers (Loki, Vector, journald).

The standard library's json does the encoding; a record becomes ``time`` (UTC,
ISO-8601), ``level``, ``logger``, ``message``, ``chat_id`` when the line is about a
chat (``extra={"chat_id": ...}``), and ``exc`` with the traceback. The message is the
one the secret filter already masked.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"
CONTEXT_FIELDS = ("chat_id", "update_id")


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def make_formatter(kind: str) -> logging.Formatter:
    """The formatter of a ``--log-format`` choice."""
    return JsonFormatter() if kind == "json" else logging.Formatter(TEXT_FORMAT)
