"""Loading: built-in defaults, then a TOML file, then environment variables; and showing them.

Secrets (the bot token, the LLM key) come only from the environment."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from datetime import time
from pathlib import Path
from typing import Any

from digest import (
    BuildOptions,
    ConfigError,
    Proxies,
    check_proxy_url,
    load_themes,
    make_source,
    mask_password,
)

from .options import _BY_KEY, OPTIONS
from .settings import (
    CONFIG_ENV,
    LOCAL_CONFIG,
    PROXY_VARIABLES,
    Settings,
    SourceConfig,
)
from .source_names import source_identity


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
        name, shown = source_identity(options, position, file)
        kind = options.pop("kind", None)
        if not isinstance(kind, str):
            raise ConfigError("missing kind", key=f"sources.{name}", file=file)
        if any(existing.name == name for existing in configs):
            raise ConfigError(
                'two sources have this id (set id = "…" on one of them)',
                key=f"sources.{name}",
                file=file,
            )
        try:
            make_source(kind, name, options)  # validates kind and options now, not at fetch time
        except ConfigError as exc:
            raise ConfigError(exc.reason, key=exc.key, file=file) from None
        configs.append(SourceConfig(name, kind, options, shown))
    return tuple(configs)


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
    names = ", ".join(
        f"{s.name} ({s.kind}" + (f', shown as "{s.display_name}")' if s.display_name else ")")
        for s in settings.sources
    )
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
