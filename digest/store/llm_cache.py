"""Validated LLM answers cached by digest input, and the tokens every request cost."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from ..clock import to_iso
from .store import Store


@dataclass(frozen=True, slots=True)
class CacheKey:
    """What an answer depends on: the digest's input, the section, language, model, prompt."""

    fingerprint: str
    section: str
    language: str
    model: str
    prompt_version: str


def cached_answer(store: Store, key: CacheKey) -> str | None:
    """The stored answer JSON for ``key``, or None."""
    row = store.db.execute(
        "SELECT answer FROM llm_cache WHERE fingerprint = ? AND section = ? AND language = ?"
        " AND model = ? AND prompt_version = ?",
        [key.fingerprint, key.section, key.language, key.model, key.prompt_version],
    ).fetchone()
    return str(row[0]) if row else None


def cache_answer(
    store: Store,
    key: CacheKey,
    answer: str,
    prompt_tokens: int,
    completion_tokens: int,
    now: datetime,
) -> None:
    """Keep a validated answer (callers validate first: nothing unchecked is stored)."""
    with store.db.conn:
        store.db.table("llm_cache").upsert(
            {
                **asdict(key),  # the primary key
                "answer": answer,
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "created_at": to_iso(now),
            },
            pk=("fingerprint", "section", "language", "model", "prompt_version"),
        )


def record_call(
    store: Store,
    key: CacheKey,
    outcome: str,
    prompt_tokens: int,
    completion_tokens: int,
    now: datetime,
) -> None:
    """Log one request: ``outcome`` is valid, invalid or error (no answer at all)."""
    with store.db.conn:
        store.db.table("llm_calls").insert(
            {
                "at": to_iso(now),
                "fingerprint": key.fingerprint,
                "section": key.section,
                "language": key.language,
                "model": key.model,
                "outcome": outcome,
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
            }
        )


def llm_usage(store: Store, since: datetime | None = None) -> dict[str, int]:
    """Requests and tokens spent on LLM prose (all time, or since ``since``), for /stats.

    Keys: requests, prompt_tokens, completion_tokens, total_tokens, rejected (answers
    that failed validation), failed (requests with no answer), cached_answers.
    """
    row = store.db.execute(
        "SELECT count(*), coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0),"
        " coalesce(sum(outcome = 'invalid'), 0), coalesce(sum(outcome = 'error'), 0)"
        " FROM llm_calls WHERE at >= ?",
        [to_iso(since) if since else ""],
    ).fetchone()
    cached = store.db.execute("SELECT count(*) FROM llm_cache").fetchone()[0]
    requests, prompt, completion, rejected, failed = (int(value) for value in row)
    return {
        "requests": requests,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "rejected": rejected,
        "failed": failed,
        "cached_answers": int(cached),
    }
