"""Logging set-up for the CLI: greppable lines and no bot token, ever."""

from __future__ import annotations

import logging
import re
import warnings

from telegram.warnings import PTBDeprecationWarning

# The start of PTB 22's warning when it hands out an int time period (e.g. retry_after).
PTB_TIME_PERIOD_WARNING = r".*PTB_TIMEDELTA"

# Bot API URLs carry the token as /bot<token>/; match the token shape too, so a
# token quoted anywhere (PTB's "invalid token" error does) is masked.
_TOKEN_PATTERN = re.compile(r"(?:bot)?\d{5,}:[A-Za-z0-9_-]{20,}")


class TokenFilter(logging.Filter):
    """Replace anything shaped like a bot token with a mask before it is written."""

    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_token(message, self.token)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = mask_token(text, self.token)
        return True


def mask_token(text: str, token: str | None = None) -> str:
    if token:
        text = text.replace(token, "<token>")
    return _TOKEN_PATTERN.sub("<token>", text)


def quiet_time_period_warning() -> None:
    """Silence PTB 22's deprecation warning about int time periods (one per RetryAfter).

    The alternative, opting in through the PTB_TIMEDELTA environment variable, would
    mean mutating the environment; our code reads ``retry_after`` in either form.
    """
    warnings.filterwarnings(
        "ignore", message=PTB_TIME_PERIOD_WARNING, category=PTBDeprecationWarning
    )


def configure_logging(level: str = "INFO", token: str | None = None) -> None:
    """key=value friendly lines on stderr; httpx/httpcore quiet (their URLs hold the token)."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s level=%(levelname)s logger=%(name)s %(message)s")
    )
    handler.addFilter(TokenFilter(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
