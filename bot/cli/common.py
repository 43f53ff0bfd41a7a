"""What every hotdigest subcommand shares: settings, the store, error handling, formatting."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from digest import (
    ConfigError,
    DigestError,
    Store,
    store_problem,
)

from ..config import Settings, load_settings
from ..logs import mask_in_logs

F = TypeVar("F", bound=Callable[..., Any])


class ConfigProblem(click.ClickException):
    """A broken configuration: reported with file, key and reason, exit status 2."""

    exit_code = 2


@dataclass
class CliState:
    config_file: str | None
    db_override: str | None = None
    log_format: str = "text"
    _settings: Settings | None = field(default=None, repr=False)
    busy_timeout: float = 30.0  # seconds to wait for another writer (the bot, a push)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self.config_file)
            except ConfigError as exc:
                raise ConfigProblem(f"invalid configuration: {exc}") from None
            mask_in_logs(self._settings.secrets)
        return self._settings

    @property
    def db_path(self) -> Path:
        return Path(self.db_override) if self.db_override else self.settings.db_path

    def open_store(self) -> Store:
        return Store.open(self.db_path, self.busy_timeout)

    @contextmanager
    def store(self) -> Iterator[Store]:
        """The store, closed when the command is done; SQLite failures explained."""
        store = self.open_store()
        try:
            yield store
        finally:
            store.close()


def domain_errors(func: F) -> F:
    """Turn the domain's deliberate errors into clean CLI errors (no traceback)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            raise ConfigProblem(f"invalid configuration: {exc}") from None
        except DigestError as exc:
            raise click.ClickException(str(exc)) from None
        except sqlite3.Error as exc:  # the store locked, read-only or damaged past its header
            where = next((a.db_path for a in args if isinstance(a, CliState)), "the store")
            raise click.ClickException(str(store_problem(where, exc))) from None

    return wrapper  # type: ignore[return-value]


pass_state = click.make_pass_decorator(CliState)


def parse_date(text: str | None, tz: Any) -> date:
    """A YYYY-MM-DD option, or today in the configured zone."""
    if not text:
        return datetime.now(tz).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail_usage(f"--date {text!r} is not a date in YYYY-MM-DD form")


def fail_usage(message: str) -> NoReturn:
    raise click.UsageError(message)


def format_heat(heat: float | None) -> str:
    if heat is None:
        return "—"
    return f"{heat:,.0f}" if float(heat).is_integer() else f"{heat:,.1f}"


def post_json(item: Any) -> dict[str, Any]:
    row: dict[str, Any] = item.post.to_row()
    row.update(
        heat=item.heat,
        rank=item.rank,
        first_seen_at=item.first_seen_at.isoformat(),
        last_seen_at=item.last_seen_at.isoformat(),
    )
    return row
