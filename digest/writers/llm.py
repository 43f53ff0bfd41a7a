"""The LLM writer: rewrites the prose of three sections from the digest's data, or falls back.

It runs after the builder has fixed the sources, figures and fingerprint, and
replaces only the blocks of ``summary``, ``highlights`` and ``outlook`` in the
digest's own language. Every answer is validated (``llm_validate``) before it is
cached or used; a section whose answers fail keeps its offline text, and the
footer says why.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import httpx

from ..clock import utcnow
from ..document import Block, Digest, Section
from ..errors import WriterError
from ..store.llm_cache import CacheKey, cache_answer, cached_answer, record_call
from ..store.store import Store
from .llm_client import ChatClient, LlmConfig, Sleep
from .llm_prompt import PROMPT_VERSION, SECTIONS, messages, retry_message, section_data
from .llm_validate import Checked, allowed_numbers, answer_schema, validate_answer

log = logging.getLogger(__name__)

MAX_REASON = 160  # a footer note stays one readable line
FALLBACK_WRITER = "offline (llm fallback)"

Progress = Callable[[str, str], None]  # (stage, detail)


@dataclass(frozen=True, slots=True)
class Outcome:
    """A section's blocks from the model, or the reason it keeps the offline text."""

    blocks: tuple[Block, ...] | None
    reason: str = ""


class LlmWriter:
    """A ``Writer`` (Digest → Digest) backed by an OpenAI-compatible Chat Completions endpoint.

    :param transport: an httpx transport for tests (MockTransport); None for the network.
    :param sleep: how to wait between retries (tests pass a recorder).
    :param progress: told ("writing", section) before each request and ("validating",
        section) when its answer came, so /rebuild can say where the build is.
    """

    def __init__(
        self,
        store: Store,
        config: LlmConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep = time.sleep,
        clock: Callable[[], datetime] = utcnow,
        progress: Progress | None = None,
    ) -> None:
        self.store = store
        self.progress = progress
        self.config = config
        self.transport = transport
        self.sleep = sleep
        self.clock = clock
        self.name = f"llm:{config.model}"

    def __call__(self, digest: Digest) -> Digest:
        if digest.is_empty:
            return digest  # nothing to write about; the offline notice says so
        data = section_data(digest)
        allowed = allowed_numbers(data)
        outcomes: dict[str, Outcome] = {}
        with httpx.Client(timeout=self.config.timeout, transport=self.transport) as http:
            client = ChatClient(http, self.config, self.sleep)
            for section in SECTIONS:
                down = next((o.reason for o in outcomes.values() if _is_down(o)), None)
                outcomes[section] = self._write(client, digest, section, data, allowed, down)
        return _apply(digest, outcomes, self.name)

    def _key(self, digest: Digest, section: str) -> CacheKey:
        return CacheKey(
            digest.fingerprint, section, digest.language, self.config.model, PROMPT_VERSION
        )

    def _write(
        self,
        client: ChatClient,
        digest: Digest,
        section: str,
        data: dict[str, Any],
        allowed: set[str],
        down: str | None,
    ) -> Outcome:
        """The section from the cache, else from the endpoint unless ``down`` says why not."""
        key = self._key(digest, section)
        cached = cached_answer(self.store, key)
        if cached is not None:
            # Validated when stored; checked again since the rules may have tightened.
            checked = validate_answer(cached, section, len(digest.sources), allowed)
            if checked.blocks is not None:
                log.info("llm section=%s from cache", section)
                return Outcome(checked.blocks)
        if down is not None:
            return Outcome(None, down)
        conversation = messages(section, digest.language, data)
        for attempt in (1, 2):
            self._tell("writing", section)
            try:
                answer = client.complete(conversation, f"digest_{section}", answer_schema(section))
            except WriterError as exc:
                record_call(self.store, key, "error", 0, 0, self.clock())
                return Outcome(None, f"endpoint failed: {exc}")
            self._tell("validating", section)
            checked = validate_answer(answer.content, section, len(digest.sources), allowed)
            outcome = "valid" if checked.blocks is not None else "invalid"
            tokens = (answer.prompt_tokens, answer.completion_tokens)
            record_call(self.store, key, outcome, *tokens, self.clock())
            log.info(
                "llm section=%s attempt=%d outcome=%s tokens=%d+%d",
                section,
                attempt,
                outcome,
                *tokens,
            )
            if checked.blocks is not None:
                cache_answer(self.store, key, _answer_json(checked), *tokens, self.clock())
                return Outcome(checked.blocks)
            conversation = [
                *conversation,
                {"role": "assistant", "content": answer.content[:8000]},
                retry_message(checked.errors),
            ]
        return Outcome(None, "answer rejected twice: " + "; ".join(checked.errors[:2]))

    def _tell(self, stage: str, section: str) -> None:
        if self.progress is not None:
            self.progress(stage, section)


def _is_down(outcome: Outcome) -> bool:
    # After the endpoint failed all its retries, asking for the next section would
    # only wait through the same timeouts again.
    return outcome.blocks is None and outcome.reason.startswith("endpoint failed")


def _answer_json(checked: Checked) -> str:
    blocks = [
        {
            "heading": block.heading,
            "statements": [{"text": s.text, "cites": list(s.cites)} for s in block.statements],
        }
        for block in checked.blocks or ()
    ]
    return json.dumps({"blocks": blocks}, ensure_ascii=False)


def _apply(digest: Digest, outcomes: dict[str, Outcome], name: str) -> Digest:
    """The digest with the model's blocks where valid; footer writer and notes say which."""
    sections = []
    for section in digest.sections[digest.language]:
        outcome = outcomes.get(section.id)
        if outcome is not None and outcome.blocks is not None:
            section = Section(section.id, section.title, outcome.blocks, writer=name)
        sections.append(section)
    notes = tuple(
        _note(section, outcome.reason)
        for section, outcome in outcomes.items()
        if outcome.blocks is None
    )
    written = any(outcome.blocks is not None for outcome in outcomes.values())
    footer = replace(
        digest.footer,
        writer=name if written else FALLBACK_WRITER,
        notes=(*digest.footer.notes, *notes),
    )
    return replace(
        digest, sections={**digest.sections, digest.language: tuple(sections)}, footer=footer
    )


def _note(section: str, reason: str) -> str:
    text = f"{section}: offline text ({reason})"
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"
