"""Hot-list collectors: one module per source kind, found through ``SOURCE_KINDS``."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..errors import ConfigError
from ..models import check_source_name
from .base import FetchResult, Source
from .dailyhot import DailyHotSource
from .github import GitHubSource
from .hackernews import HackerNewsSource
from .http import BROWSER_USER_AGENT, USER_AGENT, RetryPolicy, make_http_client
from .juejin import JuejinSource
from .proxy import Proxies, check_proxy_url, mask_password, proxy_password
from .rss import RssSource
from .v2ex import V2exSource

SourceFactory = Callable[[str, Mapping[str, object], RetryPolicy | None], Source]

# kind -> constructor from config options; each validates its own options.
SOURCE_KINDS: dict[str, SourceFactory] = {
    "dailyhot": DailyHotSource.from_options,
    "github": GitHubSource.from_options,
    "hackernews": HackerNewsSource.from_options,
    "juejin": JuejinSource.from_options,
    "rss": RssSource.from_options,
    "v2ex": V2exSource.from_options,
}


def make_source(
    kind: str,
    name: str,
    options: Mapping[str, object],
    *,
    retry: RetryPolicy | None = None,
) -> Source:
    """Build the source ``name`` of ``kind`` from its config options.

    Raises ConfigError keyed ``sources.<name>.<option>`` for an unknown kind,
    an unknown option or a value of the wrong type.
    """
    if not name or not name.strip():
        raise ConfigError("a source needs a non-empty name", key="sources")
    try:
        name = check_source_name(name)
    except ValueError as exc:
        raise ConfigError(str(exc), key="sources") from None
    factory = SOURCE_KINDS.get(kind)
    if factory is None:
        known = ", ".join(sorted(SOURCE_KINDS))
        raise ConfigError(
            f"unknown source kind {kind!r} (known: {known})", key=f"sources.{name}.kind"
        )
    if not isinstance(options, Mapping):
        raise ConfigError("options must be a table", key=f"sources.{name}")
    return factory(name.strip(), options, retry)


__all__ = [
    "BROWSER_USER_AGENT",
    "SOURCE_KINDS",
    "USER_AGENT",
    "DailyHotSource",
    "FetchResult",
    "GitHubSource",
    "HackerNewsSource",
    "JuejinSource",
    "Proxies",
    "RetryPolicy",
    "RssSource",
    "Source",
    "SourceFactory",
    "V2exSource",
    "check_proxy_url",
    "make_http_client",
    "make_source",
    "mask_password",
    "proxy_password",
]
