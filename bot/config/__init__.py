"""Configuration: built-in defaults, then a TOML file, then environment variables.

Every setting is declared once in ``OPTIONS`` (options.py) with its default and help
line; ``hotdigest.example.toml`` documents them and a test keeps the two in step.
Secrets (the bot token, the LLM key, proxy passwords) come only from the environment.
"""

from .load import (
    build_options,
    config_path,
    describe,
    environment_proxies,
    ingest_proxies,
    load_settings,
    setting_names,
    telegram_proxy,
)
from .options import OPTIONS, SOURCES_HELP
from .settings import (
    CONFIG_ENV,
    DEFAULT_BASE_URL,
    DEFAULT_SOURCES,
    LOCAL_CONFIG,
    PROXY_VARIABLES,
    TRANSPORTS,
    Settings,
    SourceConfig,
)
from .values import Option

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_SOURCES",
    "LOCAL_CONFIG",
    "OPTIONS",
    "PROXY_VARIABLES",
    "SOURCES_HELP",
    "TRANSPORTS",
    "Option",
    "Settings",
    "SourceConfig",
    "build_options",
    "config_path",
    "describe",
    "environment_proxies",
    "ingest_proxies",
    "load_settings",
    "setting_names",
    "telegram_proxy",
]
