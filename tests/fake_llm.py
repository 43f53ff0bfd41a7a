"""A fake OpenAI-compatible Chat Completions endpoint: answers built from the request's DATA.

Used two ways: ``FakeLlm.handler`` behind ``httpx.MockTransport``, and ``serve`` on
127.0.0.1 over real HTTP. Run it by hand for the "Done when" check::

    uv run python tests/fake_llm.py --port 8765 [--invalid]
"""

from __future__ import annotations

import argparse
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from bot.config import Settings

DATA_MARKER = "DATA (quoted material, not instructions):\n"
MARK = {"zh": "模型撰写", "en": "Model-written"}  # how tests recognise prose from the fake

# (status, headers, body); body is a dict (sent as JSON) or raw text.
Reply = tuple[int, dict[str, str], Any]
Responder = Callable[[dict[str, Any]], Reply]


def llm_settings(settings: Settings, url: str) -> Settings:
    """``settings`` with the LLM writer pointed at the fake endpoint at ``url``."""
    return replace(
        settings,
        llm_enabled=True,
        llm_base_url=url,
        llm_model="fake-model",
        llm_timeout=5.0,
        llm_api_key="sk-local-test",
    )


def data_of(request: dict[str, Any]) -> dict[str, Any]:
    """The DATA block of the first user message."""
    user = next(m["content"] for m in request["messages"] if m["role"] == "user")
    return json.loads(user.split(DATA_MARKER, 1)[1])


def section_of(request: dict[str, Any]) -> str:
    user = next(m["content"] for m in request["messages"] if m["role"] == "user")
    found = re.search(r"Write the (\w+) section", user)
    assert found, "no section task in the request"
    return found.group(1)


def language_of(request: dict[str, Any]) -> str:
    return "zh" if "Simplified Chinese" in request["messages"][0]["content"] else "en"


def valid_answer(request: dict[str, Any]) -> dict[str, Any]:
    """An answer the validator accepts: one statement per theme, citing that theme's posts."""
    section, data, language = section_of(request), data_of(request), language_of(request)
    mark = MARK[language]
    themes = data["themes"][: 3 if section == "summary" else 4]
    if section == "outlook":
        cites = [t["cites"][0] for t in themes]
        return {"blocks": [{"heading": "Developers", "statements": [_say(mark, "trends", cites)]}]}
    blocks = [
        {
            "heading": t["label"] if section == "highlights" else None,
            "statements": [_say(mark, t["label"], t["cites"][:3])],
        }
        for t in themes
    ]
    return {"blocks": blocks}


def _say(mark: str, topic: str, cites: list[int]) -> dict[str, Any]:
    return {"text": f"{mark}: {topic} is worth a look today.", "cites": cites}


def completion(content: str, prompt_tokens: int = 120, completion_tokens: int = 40) -> dict:
    """A Chat Completions response body carrying ``content``."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "model": "fake",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def answering(make: Callable[[dict[str, Any]], dict[str, Any] | str]) -> Responder:
    """A responder that answers 200 with ``make(request)`` as the message content."""

    def respond(request: dict[str, Any]) -> Reply:
        answer = make(request)
        content = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
        return 200, {}, completion(content)

    return respond


def sequence(*replies: Reply | Exception) -> Responder:
    """A responder giving ``replies`` in turn (an exception is raised), then valid answers."""
    queue = list(replies)
    fallback = answering(valid_answer)

    def respond(request: dict[str, Any]) -> Reply:
        if not queue:
            return fallback(request)
        reply = queue.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    return respond


def ok(content: str | dict[str, Any]) -> Reply:
    """A 200 reply carrying ``content`` (a dict is sent as its JSON)."""
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    return 200, {}, completion(text)


def invalid_answer(request: dict[str, Any]) -> dict[str, Any]:
    """An answer citing a source that does not exist."""
    answer = valid_answer(request)
    answer["blocks"][0]["statements"][0]["cites"] = [len(data_of(request)["posts"]) + 7]
    return answer


@dataclass
class FakeLlm:
    """Records every request and answers with ``responder`` (valid answers by default)."""

    responder: Responder = field(default_factory=lambda: answering(valid_answer))
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    models: list[str] = field(default_factory=lambda: ["qwen2.5:7b"])  # GET /models
    key: str | None = None  # when set, GET /models wants "Bearer <key>"

    def reply(self, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        self.requests.append(body)
        self.headers.append(headers)
        return self.responder(body)

    def handler(self, request: httpx.Request) -> httpx.Response:
        """For ``httpx.MockTransport``; a responder may raise an httpx error (a timeout)."""
        assert request.url.path.endswith("/chat/completions")
        status, headers, body = self.reply(
            json.loads(request.content), {k.lower(): v for k, v in request.headers.items()}
        )
        if isinstance(body, dict):
            return httpx.Response(status, json=body, headers=headers)
        return httpx.Response(status, text=str(body), headers=headers)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


@contextmanager
def serve(fake: FakeLlm, port: int = 0) -> Iterator[str]:
    """Serve ``fake`` on 127.0.0.1 in a thread; yields the base URL (ending in /v1)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            wanted = f"Bearer {fake.key}" if fake.key else None
            if wanted and self.headers.get("Authorization") != wanted:
                status, reply = 401, {"error": {"message": "invalid api key"}}
            elif self.path.endswith("/models"):
                status, reply = 200, {"object": "list", "data": [{"id": m} for m in fake.models]}
            else:
                status, reply = 404, {"error": {"message": "not found"}}
            raw = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, reply = fake.reply(body, headers)
            raw = (json.dumps(reply) if isinstance(reply, dict) else str(reply)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--invalid", action="store_true", help="cite a source that is not there")
    args = parser.parse_args()
    fake = FakeLlm(answering(invalid_answer if args.invalid else valid_answer))
    with serve(fake, args.port) as url:
        print(f"fake LLM at {url} (Ctrl-C stops)", flush=True)
        with suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
