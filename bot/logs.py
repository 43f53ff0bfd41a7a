"""Logging set-up for the CLI: greppable lines and no bot token, key or proxy password, ever."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

# Bot API URLs carry the token as /bot<token>/; match the token shape too, so a
# token quoted anywhere (PTB's "invalid token" error does) is masked.
_TOKEN_PATTERN = re.compile(r"(?:bot)?\d{5,}:[A-Za-z0-9_-]{20,}")


class TokenFilter(logging.Filter):
    """Replace the token, anything shaped like a bot token, and the given secrets (keys,
    proxy passwords) with a mask before a record is written."""

    def __init__(self, token: str | None = None, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.token = token
        self.secrets = tuple(secret for secret in secrets if secret)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = self.mask(text)
        return True

    def mask(self, text: str) -> str:
        return mask_secrets(mask_token(text, self.token), self.secrets)


def mask_token(text: str, token: str | None = None) -> str:
    if token:
        text = text.replace(token, "<token>")
    return _TOKEN_PATTERN.sub("<token>", text)


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret (and any bot-token shape) replaced by a mask."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return mask_token(text)


def configure_logging(
    level: str = "INFO", token: str | None = None, secrets: Iterable[str] = ()
) -> None:
    """key=value friendly lines on stderr; httpx/httpcore quiet (their URLs hold the token)."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s level=%(levelname)s logger=%(name)s %(message)s")
    )
    handler.addFilter(TokenFilter(token, secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
