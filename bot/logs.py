"""Logging set-up for the CLI: greppable lines and no secret, ever, whoever logs it."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterable

from telegram.warnings import PTBDeprecationWarning

from .log_format import make_formatter

# The start of PTB 22's warning when it hands out an int time period (e.g. retry_after).
PTB_TIME_PERIOD_WARNING = r".*PTB_TIMEDELTA"

MASK = "<secret>"
# Bot API URLs carry the token as /bot<token>/; match the token shape too, so a
# token quoted anywhere (PTB's "invalid token" error does) is masked.
_TOKEN_PATTERN = re.compile(r"(?:bot)?\d{5,}:[A-Za-z0-9_-]{20,}")
# Secrets by where they sit, for a value the filter was not told about: PTB's debug
# line for setWebhook quotes ``'secret_token': '…'``, an Authorization header
# carries a bearer key, a proxy URL its password (scheme://user:password@host).
_KEYED_PATTERN = re.compile(
    r"""(?ix)
    ( ['"]?(?:secret_token|api_key|password|x-telegram-bot-api-secret-token)['"]?\s*[:=]\s*['"]? )
    [^'"\s,}&]+"""
)
_BEARER_PATTERN = re.compile(r"(?i)(bearer\s+)[^\s'\",]+")
_USERINFO_PATTERN = re.compile(r"(?i)([a-z][a-z0-9+.-]*://[^/\s:@]*:)[^/\s@]+@")


def secret_values(values: Iterable[str | None]) -> tuple[str, ...]:
    """The secrets worth masking, longest first (so one that holds another goes whole)."""
    return tuple(sorted({v for v in values if v}, key=len, reverse=True))


class SecretFilter(logging.Filter):
    """Mask every known secret, and anything shaped like one, before a record is written.

    On a handler, so it sees the records of every logger (PTB's, httpx's, ours).
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self.secrets = secret_values(secrets)

    def add(self, secrets: Iterable[str | None]) -> None:
        """Mask these too (secrets known only once the settings are loaded)."""
        self.secrets = secret_values([*self.secrets, *secrets])

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_secrets(message, self.secrets)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = mask_secrets(text, self.secrets)
        return True


def mask_secrets(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with each of ``secrets`` and every token, key or password shape masked."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    text = _TOKEN_PATTERN.sub("<token>", text)
    text = _KEYED_PATTERN.sub(rf"\g<1>{MASK}", text)
    text = _BEARER_PATTERN.sub(rf"\g<1>{MASK}", text)
    return _USERINFO_PATTERN.sub(rf"\g<1>{MASK}@", text)


def mask_token(text: str, token: str | None = None) -> str:
    """``mask_secrets`` for one optional secret (error messages that may quote the token)."""
    return mask_secrets(text, secret_values([token]))


def quiet_time_period_warning() -> None:
    """Silence PTB 22's deprecation warning about int time periods (one per RetryAfter).

    The alternative, opting in through the PTB_TIMEDELTA environment variable, would
    mean mutating the environment; our code reads ``retry_after`` in either form.
    """
    warnings.filterwarnings(
        "ignore", message=PTB_TIME_PERIOD_WARNING, category=PTBDeprecationWarning
    )


def configure_logging(
    level: str = "INFO", secrets: Iterable[str | None] = (), fmt: str = "text"
) -> None:
    """key=value friendly lines (or JSON ones) on stderr, secrets masked; httpx/httpcore quiet."""
    handler = logging.StreamHandler()
    handler.setFormatter(make_formatter(fmt))
    handler.addFilter(SecretFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def mask_in_logs(secrets: Iterable[str | None]) -> None:
    """Add ``secrets`` to the filters ``configure_logging`` installed."""
    for handler in logging.getLogger().handlers:
        for found in handler.filters:
            if isinstance(found, SecretFilter):
                found.add(secrets)
