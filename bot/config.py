"""Configuration: built-in defaults, then a TOML file, then environment variables.

Every setting is declared once in ``OPTIONS`` with its default and help line;
``hotdigest.example.toml`` documents them and a test keeps the two in step.
Secrets (the bot token, the LLM key) come only from the environment.
"""

from __future__ import annotations

import os
import tomllib
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import time
from pathlib import Path
from typing import Any

from digest import (
    MAX_POSTS,
    BuildOptions,
    ConfigError,
    Proxies,
    UsageError,
    check_proxy_url,
    load_themes,
    make_source,
    mask_password,
    parse_expression,
    parse_hhmm,
    proxy_password,
    zone,
)

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
CONFIG_ENV = "HOTDIGEST_CONFIG"
LOCAL_CONFIG = Path("hotdigest.toml")
TRANSPORTS = ("aiohttp", "httpx")
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


@dataclass(frozen=True, slots=True)
class Option:
    """One setting: where it lives in TOML, its env variable, how to parse it, its help."""

    key: str
    attr: str
    help: str
    parse: Callable[[Any], Any]
    env: str | None = None
    secret: bool = False
    file: bool = True  # False: environment only (secrets)
    proxy: bool = False  # a proxy URL: shown with its password masked


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a non-empty string")
    return value.strip()


def _int(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("expected a whole number")
        if not low <= value <= high:
            raise ValueError(f"expected a number from {low} to {high}")
        return value

    return parse


def _float(low: float, high: float) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        try:
            number = float(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            number = None
        if number is None or not low <= number <= high:
            raise ValueError(f"expected a number from {low} to {high}")
        return number

    return parse


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")


def _clock(value: Any) -> time:
    return parse_hhmm(_text(value))


def _zone(value: Any) -> str:
    name = _text(value)
    try:
        zone(name)
    except ConfigError as exc:
        raise ValueError(exc.reason) from None
    return name


def _language(value: Any) -> str:
    text = _text(value).lower()
    if text not in {"zh", "en"}:
        raise ValueError("expected 'zh' or 'en'")
    return text


def _admins(value: Any) -> tuple[int, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError("expected a list of Telegram user ids")
    ids = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        if not text.lstrip("-").isdigit() or isinstance(item, bool):
            raise ValueError(f"{text!r} is not a numeric Telegram user id")
        ids.append(int(text))
    return tuple(ids)


def _url(value: Any) -> str:
    text = _text(value).rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise ValueError("expected an http:// or https:// URL")
    return text


def _proxy(value: Any) -> str:
    return check_proxy_url(_text(value))


def _transport(value: Any) -> str:
    text = _text(value).lower()
    if text not in TRANSPORTS:
        raise ValueError(f"expected one of {', '.join(TRANSPORTS)}")
    return text


def _expressions(value: Any) -> tuple[str, ...]:
    """Follow expressions (the global filter), each checked now, stored canonical."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError('expected a list of follow expressions, e.g. ["广告 推广", "!rumor"]')
    try:
        return tuple(g.text() for item in value for g in parse_expression(item))
    except UsageError as exc:
        raise ValueError(str(exc)) from None


def _path(value: Any) -> Path:
    return Path(_text(value)).expanduser()


def _themes_mode(value: Any) -> str:
    text = _text(value)
    if text not in {"extend", "replace"}:
        raise ValueError("expected 'extend' or 'replace'")
    return text


OPTIONS: tuple[Option, ...] = (
    Option("db", "db_path", "SQLite database file (created on first use).", _path, "HOTDIGEST_DB"),
    Option(
        "timezone", "timezone", "IANA zone for dates, windows and defaults.", _zone, "HOTDIGEST_TZ"
    ),
    Option("language", "language", "Default language of digests and replies: zh or en.", _language),
    Option(
        "admins",
        "admins",
        "Telegram user ids allowed to run admin commands.",
        _admins,
        "HOTDIGEST_ADMINS",
    ),
    Option(
        "telegram.token",
        "telegram_token",
        "Bot token from @BotFather.",
        _text,
        "TELEGRAM_BOT_TOKEN",
        secret=True,
        file=False,
    ),
    Option(
        "telegram.base_url",
        "telegram_base_url",
        "Bot API base URL (a self-hosted Bot API server or a fake).",
        _url,
        "TELEGRAM_API_BASE_URL",
    ),
    Option(
        "telegram.transport",
        "telegram_transport",
        "HTTP client for the Bot API: aiohttp, or httpx (python-telegram-bot's own).",
        _transport,
    ),
    Option(
        "telegram.proxy",
        "telegram_proxy",
        "Proxy for the Bot API: http://, https:// or socks5://user:pass@host:port.",
        _proxy,
        "TELEGRAM_PROXY",
        proxy=True,
    ),
    Option(
        "telegram.webhook_secret",
        "webhook_secret",
        "Secret token Telegram must send with webhook updates.",
        _text,
        "TELEGRAM_WEBHOOK_SECRET",
        secret=True,
        file=False,
    ),
    Option(
        "digest.build_time", "build_time", "Local time (HH:MM) the daily digest is built.", _clock
    ),
    Option(
        "digest.window_hours",
        "window_hours",
        "Hours of posts a digest covers, ending at its build time.",
        _int(1, 24 * 7),
    ),
    Option(
        "digest.themes_file", "themes_file", "Extra theme taxonomy (TOML) to add or use.", _path
    ),
    Option(
        "digest.themes_mode",
        "themes_mode",
        "extend: add to the bundled themes; replace: use only the file's.",
        _themes_mode,
    ),
    Option(
        "digest.max_posts",
        "max_posts",
        "Most posts a digest cites (each source's top 3 always count): one brief push.",
        _int(5, 500),
    ),
    Option(
        "digest.exclude",
        "digest_exclude",
        "Follow expressions whose posts never appear in digests or alerts.",
        _expressions,
    ),
    Option(
        "ingest.interval_minutes",
        "ingest_minutes",
        "Minutes between scheduled fetches.",
        _int(1, 24 * 60),
    ),
    Option(
        "ingest.timeout",
        "ingest_timeout",
        "Seconds one source request may take in all, however slowly its body arrives.",
        _float(1, 300),
    ),
    Option(
        "ingest.max_body_bytes",
        "ingest_max_body_bytes",
        "Largest source response (decoded bytes) read; a bigger one fails the source.",
        _int(10_000, 500_000_000),
    ),
    Option(
        "ingest.proxy",
        "ingest_proxy",
        "Proxy for the sources: http://, https:// or socks5://user:pass@host:port.",
        _proxy,
        "HOTDIGEST_INGEST_PROXY",
        proxy=True,
    ),
    Option(
        "ingest.alert_after_hours",
        "alert_after_hours",
        "Hours a source may keep failing before the bot's admins are told.",
        _int(1, 24 * 7),
    ),
    Option(
        "schedule.push_time",
        "push_time",
        "Default local push time (HH:MM) for new subscriptions.",
        _clock,
    ),
    Option(
        "schedule.max_push_delay_hours",
        "max_push_delay_hours",
        "A digest older than this is not pushed late after downtime.",
        _int(0, 72),
    ),
    Option(
        "delivery.messages_per_second",
        "messages_per_second",
        "Overall send rate of the bot.",
        _float(0.1, 1000),
    ),
    Option(
        "delivery.group_messages_per_minute",
        "group_messages_per_minute",
        "Messages per minute to one group.",
        _int(1, 60),
    ),
    Option(
        "delivery.allow_paid_broadcast",
        "allow_paid_broadcast",
        "Use Telegram's paid broadcast (up to 1000 messages/s, charged in Stars).",
        _bool,
    ),
    Option("llm.enabled", "llm_enabled", "Write prose with an OpenAI-compatible model.", _bool),
    Option("llm.base_url", "llm_base_url", "Chat Completions base URL.", _url),
    Option("llm.model", "llm_model", "Model name sent to the endpoint.", _text),
    Option("llm.timeout", "llm_timeout", "Seconds to wait for one answer.", _float(1, 600)),
    Option(
        "llm.max_tokens", "llm_max_tokens", "Upper bound of tokens per answer.", _int(64, 32000)
    ),
    Option("llm.temperature", "llm_temperature", "Sampling temperature.", _float(0, 2)),
    Option(
        "llm.api_key",
        "llm_api_key",
        "API key of the LLM endpoint.",
        _text,
        "HOTDIGEST_LLM_API_KEY",
        secret=True,
        file=False,
    ),
    Option(
        "store.keep_days",
        "keep_days",
        "Days of heat snapshots and delivery-ledger rows to keep (digests are kept).",
        _int(1, 36500),
    ),
    Option(
        "store.maintenance_time",
        "maintenance_time",
        "Local time (HH:MM) of the daily backup and pruning.",
        _clock,
    ),
    Option("backup.dir", "backup_dir", "Directory of the daily backups (unset: none).", _path),
    Option(
        "backup.keep",
        "backup_keep",
        "Daily backups to keep; older ones are deleted.",
        _int(1, 1000),
    ),
)
SOURCES_HELP = "Sources to fetch: [[sources]] tables with name, kind and the kind's options."
_BY_KEY = {option.key: option for option in OPTIONS}


def config_path(explicit: str | Path | None, environ: Mapping[str, str]) -> Path | None:
    """Which file to read: --config, then $HOTDIGEST_CONFIG, then ./hotdigest.toml."""
    if explicit:
        return Path(explicit)
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV])
    return LOCAL_CONFIG if LOCAL_CONFIG.is_file() else None


def load_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Defaults, then the TOML file, then the environment; ConfigError names what is wrong."""
    environ = os.environ if environ is None else environ
    file = config_path(path, environ)
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    if file is not None:
        for key, value in _read_toml(file).items():
            values[key], origin[key] = value, str(file)
    for option in OPTIONS:
        if option.env and environ.get(option.env, "").strip():
            values[option.key], origin[option.key] = environ[option.env], f"${option.env}"
    settings = _build(values, origin, str(file) if file else None)
    return replace(settings, environment_proxies=environment_proxies(environ))


def environment_proxies(environ: Mapping[str, str]) -> Proxies:
    """The standard proxy variables: HTTPS_PROXY, HTTP_PROXY, ALL_PROXY (for both), NO_PROXY."""
    found: dict[str, str] = {}
    for kind, names in PROXY_VARIABLES.items():
        for name in names:
            value = environ.get(name, "").strip()
            if not value:
                continue
            if kind != "no":
                # curl takes "host:port" as an HTTP proxy; so do we.
                value = value if "://" in value else f"http://{value}"
                try:
                    value = check_proxy_url(value)
                except ValueError as exc:
                    raise ConfigError(str(exc), key=f"${name}") from None
            found[kind] = value
            break
    everything = found.get("all")
    return Proxies(
        http=found.get("http", everything),
        https=found.get("https", everything),
        no_proxy=found.get("no", ""),
    )


def telegram_proxy(settings: Settings) -> str | None:
    """The proxy the bot's calls go through: telegram.proxy, else the standard variables'."""
    if settings.telegram_proxy:
        return settings.telegram_proxy
    return settings.environment_proxies.for_url(settings.telegram_base_url)


def ingest_proxies(settings: Settings) -> Proxies:
    """The proxies source requests go through: ingest.proxy, else the standard variables'."""
    if settings.ingest_proxy:
        return Proxies.everywhere(settings.ingest_proxy)
    return settings.environment_proxies


def _read_toml(file: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("file not found", file=str(file)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", file=str(file)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=str(file)) from None
    except RecursionError:  # tomllib parses nested arrays recursively
        reason = "not valid TOML: arrays or tables nested too deeply"
        raise ConfigError(reason, file=str(file)) from None
    return _flatten(data, str(file))


def _flatten(data: Mapping[str, Any], file: str, prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in data.items():
        key = f"{prefix}{name}"
        if key == "sources":
            flat[key] = value
        elif isinstance(value, dict):
            flat.update(_flatten(value, file, prefix=f"{key}."))
        elif key in _BY_KEY and not _BY_KEY[key].file:
            raise ConfigError(
                f"secrets are read only from ${_BY_KEY[key].env}, never from a file",
                key=key,
                file=file,
            )
        elif key not in _BY_KEY:
            raise ConfigError("unknown setting (see hotdigest.example.toml)", key=key, file=file)
        else:
            flat[key] = value
    return flat


def _build(values: Mapping[str, Any], origin: Mapping[str, str], file: str | None) -> Settings:
    changes: dict[str, Any] = {}
    for key, raw in values.items():
        if key == "sources":
            changes["sources"] = _sources(raw, origin.get(key))
            continue
        option = _BY_KEY[key]
        try:
            changes[option.attr] = option.parse(raw)
        except ValueError as exc:
            raise ConfigError(str(exc), key=key, file=origin.get(key, file)) from None
    return replace(Settings(), **changes, origin=dict(origin))


def _sources(raw: Any, file: str | None) -> tuple[SourceConfig, ...]:

    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise ConfigError("expected [[sources]] tables", key="sources", file=file)
    configs: list[SourceConfig] = []
    for position, table in enumerate(raw, start=1):
        options = dict(table)
        name = options.pop("name", None)
        kind = options.pop("kind", None)
        shown = _display_name(options.pop("display_name", None), f"sources.{name}", file)
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"source #{position} has no name", key="sources", file=file)
        if not isinstance(kind, str):
            raise ConfigError("missing kind", key=f"sources.{name}", file=file)
        if any(existing.name == name for existing in configs):
            raise ConfigError("two sources have this name", key=f"sources.{name}", file=file)
        try:
            make_source(kind, name, options)  # validates kind and options now, not at fetch time
        except ConfigError as exc:
            raise ConfigError(exc.reason, key=exc.key, file=file) from None
        configs.append(SourceConfig(name, kind, options, shown))
    return tuple(configs)


def _display_name(value: object, key: str, file: str | None) -> str | None:
    """A source's display name: free text, but short and without control characters.

    It reaches every digest and button, so RTL overrides, zero-width and control
    characters are refused, as for names.
    """
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else ""
    bad = [c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]
    if not text or len(text) > MAX_DISPLAY_NAME or bad:
        raise ConfigError(
            f"display_name must be 1 to {MAX_DISPLAY_NAME} printable characters",
            key=f"{key}.display_name",
            file=file,
        )
    return text


def describe(settings: Settings) -> list[tuple[str, str, str]]:
    """(key, value, where it came from) for every setting, secrets masked."""
    rows = []
    for option in OPTIONS:
        value = getattr(settings, option.attr)
        where = settings.origin.get(option.key, "default")
        if option.proxy:
            shown, where = _effective_proxy(settings, option.key, value, where)
        else:
            shown = _mask(value) if option.secret else _show(value)
        rows.append((option.key, shown, where))
    names = ", ".join(f"{s.name} ({s.kind})" for s in settings.sources)
    rows.append(("sources", names, settings.origin.get("sources", "default")))
    return rows


def _effective_proxy(
    settings: Settings, key: str, value: str | None, where: str
) -> tuple[str, str]:
    """A proxy, password masked; one left unset shows what the standard variables make of it."""
    if value:
        return mask_password(value), where
    if key == "telegram.proxy":
        chosen = telegram_proxy(settings)
        return (
            (mask_password(chosen), "standard proxy variables") if chosen else ("(direct)", where)
        )
    proxies = settings.environment_proxies
    if not proxies:
        return "(direct)", where
    http, https = (mask_password(p) if p else "direct" for p in (proxies.http, proxies.https))
    shown = f"http: {http}, https: {https}"
    if proxies.no_proxy:
        shown += f", not for: {proxies.no_proxy}"
    return shown, "standard proxy variables"


def _mask(value: Any) -> str:
    if not value:
        return "(not set)"
    text = str(value)
    return f"***{text[-4:]}" if len(text) > 12 else "***"


def _show(value: Any) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value) or "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def setting_names() -> list[str]:
    """Every documented key (for the docs test)."""
    return [option.key for option in OPTIONS] + ["sources"]


def build_options(settings: Settings) -> BuildOptions:
    """The plain values a digest build needs, from the settings."""
    return BuildOptions(
        timezone=settings.timezone,
        build_time=settings.build_time,
        window_hours=settings.window_hours,
        language=settings.language,
        themes=load_themes(settings.themes_file, settings.themes_mode),
        max_posts=settings.max_posts,
        source_names=tuple((s.name, s.display_name) for s in settings.sources if s.display_name),
        sources=tuple(source.name for source in settings.sources),
        exclude=settings.digest_exclude,
    )
