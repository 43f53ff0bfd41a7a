"""Checking a source's options from the config file: known keys, right types, sane values."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from ..errors import ConfigError

MAX_LIMIT = 500


def _key(name: str, option: str) -> str:
    return f"sources.{name}.{option}"


def check_known(name: str, options: Mapping[str, object], known: Collection[str]) -> None:
    """Reject options this kind of source does not understand (usually a typo)."""
    for option in options:
        if option not in known:
            valid = ", ".join(sorted(known)) or "none"
            raise ConfigError(f"unknown option (valid: {valid})", key=_key(name, option))


def int_option(
    name: str,
    options: Mapping[str, object],
    option: str,
    default: int,
    *,
    minimum: int = 1,
    maximum: int = MAX_LIMIT,
) -> int:
    """An integer option within [minimum, maximum]."""
    value = options.get(option, default)
    # TOML true is a Python int; never let it pass as 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"must be an integer, not {type(value).__name__}", key=_key(name, option))
    if not minimum <= value <= maximum:
        raise ConfigError(
            f"must be between {minimum} and {maximum}, not {value}", key=_key(name, option)
        )
    return value


def str_option(
    name: str,
    options: Mapping[str, object],
    option: str,
    default: str,
    *,
    choices: Collection[str] | None = None,
) -> str:
    """A string option, stripped, optionally one of ``choices``."""
    value = options.get(option, default)
    if not isinstance(value, str):
        raise ConfigError(f"must be a string, not {type(value).__name__}", key=_key(name, option))
    value = value.strip()
    if choices is not None and value not in choices:
        raise ConfigError(
            f"must be one of {', '.join(sorted(choices))}, not {value!r}", key=_key(name, option)
        )
    return value


def str_list_option(
    name: str, options: Mapping[str, object], option: str, default: tuple[str, ...]
) -> tuple[str, ...]:
    """A non-empty list of non-empty strings."""
    value = options.get(option, default)
    if not isinstance(value, list | tuple) or not value:
        raise ConfigError("must be a non-empty list of strings", key=_key(name, option))
    items: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(
                f"must be a list of non-empty strings, found {item!r}", key=_key(name, option)
            )
        items.append(item.strip())
    return tuple(items)


def url_option(name: str, options: Mapping[str, object], option: str = "url") -> str:
    """A required http(s) URL."""
    if option not in options:
        raise ConfigError("is required", key=_key(name, option))
    value = str_option(name, options, option, "")
    if not value.lower().startswith(("http://", "https://")):
        raise ConfigError(f"must be an http(s) URL, not {value!r}", key=_key(name, option))
    return value
