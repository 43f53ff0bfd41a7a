"""A small Chat Completions client: JSON answers, bounded retries, no secrets in logs."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..clock import retry_after_seconds
from ..errors import WriterError

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # one request and two retries, per answer
BACKOFF_SECONDS = 1.0  # doubled per retry
MAX_RETRY_AFTER = 30.0  # a longer Retry-After means the quota is gone: fall back instead
# Modes of asking for JSON, best first. Endpoints that lack a mode reject it with
# 400 (vLLM/Ollama versions differ); the client steps down and remembers.
FORMATS = ("json_schema", "json_object", "plain")

Sleep = Callable[[float], None]


@dataclass(frozen=True, slots=True)
class LlmConfig:
    """Where and how to ask: plain values, read from settings by the edge."""

    base_url: str
    model: str
    timeout: float = 60.0
    max_tokens: int = 2000
    temperature: float = 0.3
    api_key: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class ChatAnswer:
    """The message text of one completion and the tokens it cost."""

    content: str
    prompt_tokens: int
    completion_tokens: int


class ChatClient:
    """Posts chat requests to ``{base_url}/chat/completions`` and returns the first choice.

    Timeouts, transport errors, 429 and 5xx are retried with backoff; anything
    else that fails raises ``WriterError`` with a reason safe to show in a footer.
    """

    def __init__(self, http: httpx.Client, config: LlmConfig, sleep: Sleep = time.sleep) -> None:
        self.http = http
        self.config = config
        self.sleep = sleep
        self.format = FORMATS[0]

    def complete(
        self, messages: list[dict[str, str]], schema_name: str, schema: dict[str, Any]
    ) -> ChatAnswer:
        """One answer, asking for JSON in the best mode the endpoint accepts."""
        while True:
            body = self._body(messages, schema_name, schema)
            response = self._post(body)
            if response.status_code in (400, 422) and self.format != "plain":
                # The request is otherwise plain Chat Completions, so a 400 here
                # is the endpoint refusing the response_format it does not know.
                step = FORMATS.index(self.format) + 1
                log.info("llm endpoint rejected %s; trying %s", self.format, FORMATS[step])
                self.format = FORMATS[step]
                continue
            return _answer(response)

    def _body(
        self, messages: list[dict[str, str]], schema_name: str, schema: dict[str, Any]
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.config.model,
            "messages": messages,
            "temperature": self.config.temperature,
            "max_tokens": self.config.max_tokens,
        }
        if self.format == "json_schema":
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": schema_name, "strict": True, "schema": schema},
            }
        elif self.format == "json_object":
            body["response_format"] = {"type": "json_object"}
        return body

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        headers = {}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        url = self.config.base_url.rstrip("/") + "/chat/completions"
        reason = "no attempt made"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            last = attempt == MAX_ATTEMPTS
            try:
                response = self.http.post(url, json=body, headers=headers)
            except httpx.TimeoutException:
                reason = f"no answer within {self.config.timeout:g} s"
                wait = BACKOFF_SECONDS * 2 ** (attempt - 1)
            except httpx.TransportError as exc:
                reason = f"endpoint unreachable ({type(exc).__name__})"
                wait = BACKOFF_SECONDS * 2 ** (attempt - 1)
            else:
                if response.status_code == 429:
                    asked = retry_after_seconds(response.headers.get("retry-after"))
                    wait = BACKOFF_SECONDS * 2 ** (attempt - 1) if asked is None else asked
                    reason = "HTTP 429 (rate limited)"
                    if wait > MAX_RETRY_AFTER:
                        raise WriterError(f"HTTP 429, retry after {wait:g} s; not waiting")
                elif response.status_code >= 500:
                    reason = f"HTTP {response.status_code}"
                    wait = BACKOFF_SECONDS * 2 ** (attempt - 1)
                else:
                    return response
            log.warning("llm request failed: %s (attempt %d of %d)", reason, attempt, MAX_ATTEMPTS)
            if not last:
                self.sleep(wait)
        raise WriterError(f"{reason} after {MAX_ATTEMPTS} attempts")


def _answer(response: httpx.Response) -> ChatAnswer:
    if response.status_code != 200:
        # The body may echo the request; the status is enough for the footer.
        raise WriterError(f"HTTP {response.status_code} from the endpoint")
    try:
        data = response.json()
        content = data["choices"][0]["message"]["content"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, IndexError, TypeError):
        raise WriterError("the endpoint's reply is not a Chat Completions response") from None
    if not isinstance(content, str):
        raise WriterError("the endpoint's reply has no message text")
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    return ChatAnswer(content, _tokens(usage, "prompt_tokens"), _tokens(usage, "completion_tokens"))


def _tokens(usage: dict[str, Any], key: str) -> int:
    value = usage.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
