"""The LLM writer when the endpoint times out, rate-limits, fails or lacks a JSON mode."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_llm import FakeLlm, Reply, answering, completion, ok, sequence, valid_answer

from digest import BuildOptions, Digest, Store, compose_digest, load_themes
from digest.store.llm_cache import llm_usage
from digest.writers.llm import FALLBACK_WRITER, LlmWriter
from digest.writers.llm_client import LlmConfig

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample" / "posts.jsonl"
DAY = date(2026, 2, 15)
BUILT = datetime(2026, 2, 15, 10, 30, tzinfo=UTC)
KEY = "sk-test-secret-4242"
WRITER = "llm:fake-model"
PROSE = ("summary", "highlights", "outlook")


@pytest.fixture
def write(sample: Store, fake: FakeLlm, sleeps: list[float]) -> Any:
    """Compose the sample's digest through an LLM writer on ``fake``; waits go to ``sleeps``."""
    config = LlmConfig(base_url="http://llm.test/v1", model="fake-model", api_key=KEY, timeout=5)
    writer = LlmWriter(
        sample, config, transport=fake.transport(), sleep=sleeps.append, clock=lambda: BUILT
    )

    def run() -> Digest:
        return compose_digest(sample, DAY, BuildOptions(themes=load_themes()), BUILT, [writer])

    return run


def test_timeout_is_retried_with_backoff(write, fake, sleeps):
    fake.responder = sequence(httpx.ReadTimeout("slow"), httpx.ReadTimeout("slow"))
    digest = write()
    assert sleeps == [1.0, 2.0]
    assert digest.footer.writer == WRITER and digest.footer.notes == ()


def test_endpoint_down_falls_back_without_asking_again(write, fake, sleeps, sample):
    def always_slow(request: dict[str, Any]) -> Reply:
        raise httpx.ReadTimeout("slow")

    fake.responder = always_slow
    digest = write()
    assert len(fake.requests) == 3  # three attempts for summary; the others do not wait again
    assert sleeps == [1.0, 2.0]
    assert digest.footer.writer == FALLBACK_WRITER
    assert [n.split(":")[0] for n in digest.footer.notes] == list(PROSE)
    assert all("no answer within 5 s after 3 attempts" in n for n in digest.footer.notes)
    assert llm_usage(sample)["failed"] == 1


def test_429_honours_retry_after(write, fake, sleeps):
    fake.responder = sequence((429, {"Retry-After": "7"}, {"error": "slow down"}))
    digest = write()
    assert sleeps == [7.0]
    assert digest.footer.writer == WRITER


def test_429_reads_an_http_date_retry_after(write, fake, sleeps):
    past = "Wed, 21 Oct 2015 07:28:00 GMT"  # already passed: retry at once
    fake.responder = sequence((429, {"Retry-After": past}, {"error": "slow down"}))
    assert write().footer.writer == WRITER
    assert sleeps == [0.0]


def test_429_with_a_long_retry_after_falls_back_at_once(write, fake, sleeps):
    fake.responder = sequence((429, {"Retry-After": "3600"}, {"error": "quota"}))
    digest = write()
    assert sleeps == [] and len(fake.requests) == 1
    assert "retry after 3600 s" in digest.footer.notes[0]


def test_5xx_is_retried_with_backoff(write, fake, sleeps):
    fake.responder = sequence((503, {}, "busy"), (502, {}, "bad gateway"))
    digest = write()
    assert sleeps == [1.0, 2.0]
    assert digest.footer.writer == WRITER


def test_5xx_three_times_falls_back(write, fake, sleeps):
    fake.responder = sequence(*[(500, {}, "oops")] * 3)
    digest = write()
    assert digest.footer.writer == FALLBACK_WRITER
    assert "HTTP 500 after 3 attempts" in digest.footer.notes[0]


def test_401_is_not_retried(write, fake, sleeps):
    fake.responder = sequence((401, {}, {"error": f"bad key {KEY}"}))
    digest = write()
    assert len(fake.requests) == 1 and sleeps == []
    assert "HTTP 401" in digest.footer.notes[0]
    assert KEY not in " ".join(digest.footer.notes)


def test_json_schema_rejected_steps_down_to_json_object(write, fake, sleeps):
    def picky(request: dict[str, Any]) -> Reply:
        if request.get("response_format", {}).get("type") == "json_schema":
            return 400, {}, {"error": "response_format json_schema is not supported"}
        return answering(valid_answer)(request)

    fake.responder = picky
    digest = write()
    kinds = [r.get("response_format", {}).get("type") for r in fake.requests]
    assert kinds == ["json_schema", "json_object", "json_object", "json_object"]
    assert digest.footer.writer == WRITER


def test_plain_mode_parses_a_fenced_answer(write, fake, sleeps):
    def plain_only(request: dict[str, Any]) -> Reply:
        if "response_format" in request:
            return 400, {}, {"error": "unknown field response_format"}
        body = json.dumps(valid_answer(request), ensure_ascii=False)
        return 200, {}, completion(f"```json\n{body}\n```")

    fake.responder = plain_only
    digest = write()
    assert digest.footer.writer == WRITER


def test_the_key_never_reaches_the_logs(write, fake, sleeps, caplog):
    caplog.set_level(logging.DEBUG)
    fake.responder = sequence((500, {}, "oops"), ok("{bad"))
    write()
    assert caplog.records and KEY not in caplog.text
    assert KEY not in repr(LlmConfig(base_url="http://llm.test/v1", model="m", api_key=KEY))
