"""The settings: one frozen dataclass of every value, and the sources to fetch."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import time
from pathlib import Path
from typing import Any

from digest import (
    MAX_POSTS,
    Proxies,
    proxy_password,
)

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
CONFIG_ENV = "HOTDIGEST_CONFIG"
LOCAL_CONFIG = Path("hotdigest.toml")
TRANSPORTS = ("aiohttp", "httpx")
EVENT_LOOPS = ("uvloop", "asyncio")
# The standard proxy variables, lower-case first as curl reads them.
PROXY_VARIABLES = {
    "https": ("https_proxy", "HTTPS_PROXY"),
    "http": ("http_proxy", "HTTP_PROXY"),
    "all": ("all_proxy", "ALL_PROXY"),
    "no": ("no_proxy", "NO_PROXY"),
}


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """One configured source: a unique name, a collector kind and its options."""

    name: str
    kind: str
    options: Mapping[str, Any] = field(default_factory=dict)
    display_name: str | None = None  # what digests show instead of ``name``


MAX_DISPLAY_NAME = 40

DEFAULT_SOURCES: tuple[SourceConfig, ...] = (
    SourceConfig("juejin", "juejin", {"categories": ["1"]}),
    SourceConfig("hackernews", "hackernews", {"limit": 30}),
    SourceConfig("v2ex", "v2ex", {}),
    SourceConfig("github", "github", {}),
)


@dataclass(frozen=True, slots=True)
class Settings:
    """The effective configuration, loaded once at start-up."""

    db_path: Path = Path("data/hotdigest.db")
    timezone: str = "Asia/Shanghai"
    language: str = "zh"
    admins: tuple[int, ...] = ()
    telegram_token: str | None = field(default=None, repr=False)
    telegram_base_url: str = DEFAULT_BASE_URL
    telegram_transport: str = "aiohttp"
    event_loop: str = "uvloop"
    telegram_proxy: str | None = field(default=None, repr=False)  # may hold a password
    webhook_secret: str | None = field(default=None, repr=False)
    build_time: time = time(18, 30)
    window_hours: int = 24
    themes_file: Path | None = None
    themes_mode: str = "extend"
    max_posts: int = MAX_POSTS
    digest_exclude: tuple[str, ...] = ()
    ingest_minutes: int = 60
    ingest_timeout: float = 15.0
    ingest_max_body_bytes: int = 5_000_000
    ingest_proxy: str | None = field(default=None, repr=False)
    alert_after_hours: int = 6
    push_time: time = time(19, 0)
    max_push_delay_hours: int = 12
    messages_per_second: float = 30.0
    group_messages_per_minute: int = 20
    allow_paid_broadcast: bool = False
    link_preview: str = "none"
    llm_enabled: bool = False
    llm_base_url: str = "http://127.0.0.1:11434/v1"
    llm_model: str = "qwen2.5:7b"
    llm_timeout: float = 60.0
    llm_max_tokens: int = 2000
    llm_temperature: float = 0.3
    llm_api_key: str | None = field(default=None, repr=False)
    keep_days: int = 400
    maintenance_time: time = time(4, 0)
    backup_dir: Path | None = None
    backup_keep: int = 7
    sources: tuple[SourceConfig, ...] = DEFAULT_SOURCES
    # HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY: used where no proxy is configured.
    environment_proxies: Proxies = field(default_factory=Proxies, repr=False)
    origin: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values of every secret setting (a field kept out of repr), for the log
        filter: a new secret is masked as soon as its field is declared ``repr=False``."""
        values = [getattr(self, f.name) for f in fields(self) if not f.repr]
        # Proxy passwords alone too, wherever a URL shows up in another form.
        env = self.environment_proxies
        urls = (self.telegram_proxy, self.ingest_proxy, env.http, env.https)
        values += [proxy_password(url) for url in urls]
        return tuple(value for value in values if isinstance(value, str) and value)
