"""``hotdigest doctor`` against a fake Bot API, sources and an LLM endpoint on 127.0.0.1."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fake_llm import FakeLlm, serve
from proxies import Socks5Proxy, serving

from bot.cli import main
from bot.config import Settings, SourceConfig
from bot.doctor import run_checks
from bot.fake_telegram import FakeTelegram, serve_http
from digest import Store

TOKEN = "123456:DOCTOR-TOKEN-abcdefghijklmnopq"
FEED = (Path(__file__).parent / "fixtures" / "sources" / "rss_hnrss_newest.xml").read_bytes()


@contextmanager
def sources_server() -> Iterator[str]:
    """/feed.xml answers the RSS fixture; /broken answers 500."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ok = self.path.startswith("/feed.xml")
            body = FEED if ok else b"down"
            self.send_response(200 if ok else 500)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def fake_in_thread(fake: FakeTelegram) -> Iterator[str]:
    """The fake Bot API on 127.0.0.1, served by its own event loop (the CLI runs its own)."""
    started, stop = threading.Event(), threading.Event()
    found: list[str] = []

    async def run() -> None:
        async with serve_http(fake) as url:
            found.append(url)
            started.set()
            while not stop.is_set():
                await asyncio.sleep(0.02)

    thread = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    thread.start()
    assert started.wait(10)
    try:
        yield found[0]
    finally:
        stop.set()
        thread.join(10)


def configured(settings: Settings, url: str, sources: str, *names: str) -> Settings:
    chosen = {
        "feed": SourceConfig("feed", "rss", {"url": f"{sources}/feed.xml"}),
        "broken": SourceConfig("broken", "dailyhot", {"url": f"{sources}/broken"}),
    }
    return replace(
        settings,
        telegram_token=TOKEN,
        telegram_base_url=url,
        sources=tuple(chosen[name] for name in names),
    )


async def test_every_check_passes_through_the_proxy(settings: Settings, tmp_path: Path) -> None:
    Store.open(settings.db_path).close()
    fake = FakeTelegram(TOKEN, limits=None)
    llm = FakeLlm(key="sk-doctor-key-123")
    proxy = Socks5Proxy("u", "proxy-pass-9")
    with sources_server() as sources, serve(llm) as llm_url:
        async with serve_http(fake) as url, serving(proxy) as port:
            ready = replace(
                configured(settings, url, sources, "feed"),
                telegram_proxy=f"socks5://u:proxy-pass-9@127.0.0.1:{port}",
                llm_enabled=True,
                llm_base_url=llm_url,
                llm_api_key="sk-doctor-key-123",
            )
            checks = await run_checks(ready)
    lines = [check.line() for check in checks]
    assert [c.name for c in checks] == [
        "telegram.base_url",
        "telegram.token",
        "telegram.webhook",
        "database",
        "source feed",
        "llm",
    ]
    assert all(check.ok for check in checks), lines
    assert "via socks5://u:<secret>@127.0.0.1" in lines[0]
    assert lines[1].startswith("ok   telegram.token: accepted: @") and "none set" in lines[2]
    assert "schema version" in lines[3] and "HTTP 200 from 127.0.0.1" in lines[4]
    assert proxy.log.destinations  # getMe and getWebhookInfo went through it
    text = "\n".join(lines)
    for secret in (TOKEN, "proxy-pass-9", "sk-doctor-key-123"):
        assert secret not in text


async def test_failures_say_why(settings: Settings, tmp_path: Path) -> None:
    fake = FakeTelegram(TOKEN, limits=None)
    fake.webhook = {"url": "https://bot.example/hook", "secret_token": None}
    llm = FakeLlm(key="right-key")
    with sources_server() as sources, serve(llm) as llm_url:
        async with serve_http(fake) as url:
            wrong = replace(
                configured(settings, url, sources, "feed", "broken"),
                db_path=tmp_path,  # a directory, not a database file
                llm_enabled=True,
                llm_base_url=llm_url,
                llm_api_key="wrong-key",
            )
            checks = {check.name: check for check in await run_checks(wrong)}
            rejected = await run_checks(replace(wrong, telegram_token="123456:" + "x" * 30))
    assert (
        checks["telegram.webhook"].ok
        and "https://bot.example/hook" in checks["telegram.webhook"].detail
    )
    assert not checks["database"].ok
    assert checks["source feed"].ok
    assert not checks["source broken"].ok and "HTTP 500" in checks["source broken"].detail
    assert not checks["llm"].ok and "refused the key" in checks["llm"].detail
    assert [c.ok for c in rejected[:2]] == [True, False]
    assert rejected[1].detail == "Telegram rejected the token"


async def test_an_unreachable_bot_api(settings: Settings) -> None:
    listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    listener.close()
    await listener.wait_closed()
    checks = await run_checks(
        replace(
            settings,
            telegram_token=TOKEN,
            telegram_base_url=f"http://127.0.0.1:{port}/bot",
            sources=(),
        )
    )
    assert [(c.name, c.ok) for c in checks[:2]] == [
        ("telegram.base_url", False),
        ("telegram.token", False),
    ]
    assert "NetworkError" in checks[0].detail and TOKEN not in checks[0].detail


def test_doctor_command_exit_status(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = FakeTelegram(TOKEN, limits=None)
    with sources_server() as sources, fake_in_thread(fake) as url:
        config = tmp_path / "h.toml"
        config.write_text(
            f'[[sources]]\nname = "feed"\nkind = "rss"\nurl = "{sources}/feed.xml"\n',
            encoding="utf-8",
        )
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", url)
        args = ["--config", str(config), "--db", str(tmp_path / "d.db"), "doctor"]
        good = runner.invoke(main, args)
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "654321:" + "y" * 30)
        bad = runner.invoke(main, args)
    assert good.exit_code == 0, good.output
    assert good.output.strip().endswith("5 of 5 checks passed")
    assert bad.exit_code == 1 and "FAIL telegram.token" in bad.output
    assert TOKEN not in good.output + bad.output and "y" * 30 not in bad.output
