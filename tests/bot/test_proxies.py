"""The bot's calls and the sources' fetches go through the configured proxy, on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import trustme
from click.testing import CliRunner
from proxies import HttpProxy, Socks5Proxy, serving
from telegram import Bot
from telegram.error import NetworkError

from bot.app import build_application, running
from bot.cli import main
from bot.config import Settings, describe, ingest_proxies, load_settings, telegram_proxy
from bot.delivery.client import TransportOptions, make_request, send_text
from bot.fake_telegram import FakeTelegram, serve_http
from bot.logs import SecretFilter
from digest import Proxies, make_http_client

TOKEN = "123456:PROXY-TEST-TOKEN-abcdefghijklmnop"
USER, PASSWORD = "reader", "pr0xy-s3cret"


@pytest.fixture(autouse=True)
def timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


def proxy_url(proxy: HttpProxy | Socks5Proxy, port: int) -> str:
    scheme = "http" if isinstance(proxy, HttpProxy) else "socks5"
    return f"{scheme}://{USER}:{PASSWORD}@127.0.0.1:{port}"


async def wait_until(condition: Callable[[], object], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("kind", ["aiohttp", "httpx"])
@pytest.mark.parametrize("proxy_type", [HttpProxy, Socks5Proxy])
async def test_bot_calls_go_through_the_proxy(
    kind: str, proxy_type: type[HttpProxy | Socks5Proxy]
) -> None:
    fake = FakeTelegram(TOKEN, limits=None)
    fake.add_chat(1)
    proxy = proxy_type(USER, PASSWORD)
    async with serve_http(fake) as url, serving(proxy) as port:
        request = make_request(TransportOptions(kind, proxy=proxy_url(proxy, port)), 4)
        async with Bot(TOKEN, base_url=url, request=request) as bot:
            await asyncio.gather(
                *(send_text(bot, 1, f"m{n}", markup=None, paid=False) for n in range(3))
            )
    fake_port = url.split(":")[2].split("/")[0]
    assert proxy.log.destinations and set(proxy.log.destinations) == {f"127.0.0.1:{fake_port}"}
    assert sorted(r["text"] for r in fake.sent(1)) == ["m0", "m1", "m2"]


@pytest.mark.parametrize("kind", ["aiohttp", "httpx"])
async def test_https_through_a_connect_tunnel(kind: str) -> None:
    authority = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_tls)
    client_tls = ssl.create_default_context()
    authority.configure_trust(client_tls)
    fake = FakeTelegram(TOKEN, limits=None)
    proxy = HttpProxy(USER, PASSWORD)
    async with serve_http(fake, tls=server_tls) as url, serving(proxy) as port:
        options = TransportOptions(kind, proxy=proxy_url(proxy, port), tls=client_tls)
        async with Bot(TOKEN, base_url=url, request=make_request(options, 2)) as bot:
            assert (await bot.get_me()).id == fake.bot_user["id"]
    assert proxy.log.requests[0].startswith("CONNECT 127.0.0.1:")  # TLS inside the tunnel


@pytest.mark.parametrize("proxy_type", [HttpProxy, Socks5Proxy])
async def test_a_wrong_proxy_password_fails_without_showing_it(
    proxy_type: type[HttpProxy | Socks5Proxy],
) -> None:
    fake = FakeTelegram(TOKEN, limits=None)
    proxy = proxy_type(USER, "the-right-one")
    async with serve_http(fake) as url, serving(proxy) as port:
        request = make_request(TransportOptions(proxy=proxy_url(proxy, port)), 1)
        try:
            with pytest.raises(NetworkError) as failed:
                await Bot(TOKEN, base_url=url, request=request).get_me()
        finally:
            await request.shutdown()
    assert proxy.log.refused == 1 and not proxy.log.destinations
    assert PASSWORD not in str(failed.value)


async def test_the_application_polls_and_replies_through_the_proxy(
    settings: Settings, tmp_path: Path
) -> None:
    fake = FakeTelegram(TOKEN, limits=None)
    fake.add_user(1001, "Ada", "en")
    fake.add_chat(1001)
    proxy = Socks5Proxy(USER, PASSWORD)
    async with serve_http(fake) as url, serving(proxy) as port:
        configured = replace(
            settings,
            telegram_token=TOKEN,
            telegram_base_url=url,
            telegram_proxy=proxy_url(proxy, port),
        )
        async with running(build_application(configured, schedule=False)) as app:
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=1)
            fake.user_sends(1001, 1001, "/help")
            await wait_until(lambda: fake.sent(1001))
            await app.updater.stop()
    # getMe, the command menus, getUpdates and the reply: at least two connections
    # (polling has its own), every one through the proxy.
    assert len(proxy.log.destinations) >= 2
    assert fake.sent(1001)[0]["kind"] == "send"


# -- sources ---------------------------------------------------------------------------


async def test_source_fetches_go_through_the_proxy_unless_no_proxy_names_the_host() -> None:
    async def page(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()

    origin = await asyncio.start_server(page, "127.0.0.1", 0)
    target = f"http://127.0.0.1:{origin.sockets[0].getsockname()[1]}/hot.json"
    try:
        for proxy in (HttpProxy(USER, PASSWORD), Socks5Proxy(USER, PASSWORD)):
            async with serving(proxy) as port:
                proxies = Proxies.everywhere(proxy_url(proxy, port))
                async with make_http_client(5.0, proxies=proxies) as client:
                    assert (await client.get(target)).text == "ok"
                bypass = Proxies(http=proxy_url(proxy, port), no_proxy="localhost,127.0.0.0/8")
                async with make_http_client(5.0, proxies=bypass) as client:
                    assert (await client.get(target)).text == "ok"
            assert len(proxy.log.destinations) == 1, type(proxy).__name__  # the first only
        async with make_http_client(5.0) as client:  # none configured: direct
            assert (await client.get(target)).text == "ok"
    finally:
        origin.close()
        await origin.wait_closed()


def test_no_proxy_matching() -> None:
    proxies = Proxies(
        http="http://p:1", https="http://p:2", no_proxy=".internal.example, 10.0.0.0/8, ::1"
    )
    assert proxies.for_url("https://api.telegram.org/bot") == "http://p:2"
    assert proxies.for_url("http://feeds.example/rss") == "http://p:1"
    assert proxies.for_url("http://a.internal.example/x") is None
    assert proxies.for_url("http://internal.example/x") is None
    assert proxies.for_url("http://notinternal.example/x") == "http://p:1"
    assert proxies.for_url("http://10.1.2.3:8080/x") is None
    assert proxies.for_url("http://[::1]:8080/x") is None
    assert Proxies(https="http://p:2", no_proxy="*").for_url("https://x.example") is None
    assert (
        not Proxies() and Proxies.everywhere("socks5://h:1").for_url("http://x") == "socks5://h:1"
    )


# -- configuration and secrecy -----------------------------------------------------------


def test_telegram_proxy_setting_then_the_standard_variables(tmp_path: Path) -> None:
    environ = {
        "HTTPS_PROXY": f"http://{USER}:{PASSWORD}@10.0.0.1:3128",
        "http_proxy": "10.0.0.2:8080",  # curl's scheme-less form: an HTTP proxy
        "NO_PROXY": "localhost,.corp.example",
    }
    settings = load_settings(None, environ=environ)
    assert telegram_proxy(settings) == environ["HTTPS_PROXY"]
    assert ingest_proxies(settings) == Proxies(
        http="http://10.0.0.2:8080",
        https=environ["HTTPS_PROXY"],
        no_proxy="localhost,.corp.example",
    )
    local = replace(settings, telegram_base_url="https://tg.corp.example/bot")
    assert telegram_proxy(local) is None  # NO_PROXY names it

    socks = f"socks5://{USER}:{PASSWORD}@127.0.0.1:1080"
    explicit = load_settings(
        None, environ={**environ, "TELEGRAM_PROXY": socks, "HOTDIGEST_INGEST_PROXY": socks}
    )
    assert telegram_proxy(explicit) == socks
    assert ingest_proxies(explicit) == Proxies.everywhere(socks)
    only_all = load_settings(None, environ={"ALL_PROXY": socks})
    assert telegram_proxy(only_all) == socks and ingest_proxies(only_all).http == socks


def test_a_bad_proxy_is_a_clear_config_error(tmp_path: Path) -> None:
    path = tmp_path / "h.toml"
    path.write_text('[telegram]\nproxy = "ftp://u:p@host:21"\n', encoding="utf-8")
    with pytest.raises(Exception, match=r"telegram\.proxy.*http://") as bad:
        load_settings(path, environ={})
    assert "u:p" not in str(bad.value)
    with pytest.raises(Exception, match="SOCKS proxy a port"):
        load_settings(None, environ={"TELEGRAM_PROXY": "socks5://host"})


def test_config_shows_proxies_masked_and_logs_never_show_the_password(tmp_path: Path) -> None:
    socks = f"socks5://{USER}:{PASSWORD}@127.0.0.1:1080"
    settings = load_settings(
        None, environ={"TELEGRAM_PROXY": socks, "HTTP_PROXY": f"http://u:{PASSWORD}x@p:3128"}
    )
    rows = {key: (value, where) for key, value, where in describe(settings)}
    assert rows["telegram.proxy"] == (f"socks5://{USER}:***@127.0.0.1:1080", "$TELEGRAM_PROXY")
    assert rows["ingest.proxy"] == (
        "http: http://u:***@p:3128, https: direct",
        "standard proxy variables",
    )
    assert rows["telegram.transport"] == ("aiohttp", "default")
    assert PASSWORD not in repr(settings)

    for shown in (socks, f"auth {USER} {PASSWORD} failed", f"{PASSWORD}x"):
        record = logging.LogRecord("t", logging.INFO, __file__, 1, "via %s", (shown,), None)
        SecretFilter(settings.secrets).filter(record)
        assert PASSWORD not in record.getMessage() and record.getMessage().startswith("via ")


def test_transport_setting(tmp_path: Path) -> None:
    path = tmp_path / "h.toml"
    path.write_text('[telegram]\ntransport = "httpx"\n', encoding="utf-8")
    assert TransportOptions.from_settings(load_settings(path, environ={})).kind == "httpx"
    path.write_text('[telegram]\ntransport = "curl"\n', encoding="utf-8")
    with pytest.raises(Exception, match="aiohttp, httpx"):
        load_settings(path, environ={})


def test_hotdigest_config_masks_the_proxy_password(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_PROXY", f"socks5://{USER}:{PASSWORD}@127.0.0.1:1080")
    monkeypatch.setenv("HTTPS_PROXY", f"http://{USER}:{PASSWORD}@10.0.0.1:3128")
    shown = runner.invoke(main, ["config"])
    as_json = runner.invoke(main, ["config", "--json"])
    assert shown.exit_code == 0 and as_json.exit_code == 0
    assert f"socks5://{USER}:***@127.0.0.1:1080" in shown.output
    assert "https: http://reader:***@10.0.0.1:3128" in shown.output  # ingest: the variables
    assert PASSWORD not in shown.output + as_json.output


async def test_a_socks_password_with_reserved_characters() -> None:
    fake = FakeTelegram(TOKEN, limits=None)
    proxy = Socks5Proxy(USER, "p@ss:w/rd")
    async with serve_http(fake) as url, serving(proxy) as port:
        encoded = f"socks5h://{USER}:p%40ss%3Aw%2Frd@127.0.0.1:{port}"
        request = make_request(TransportOptions(proxy=encoded), 1)
        async with Bot(TOKEN, base_url=url, request=request) as bot:
            assert (await bot.get_me()).id == fake.bot_user["id"]
    assert proxy.log.destinations and not proxy.log.refused
