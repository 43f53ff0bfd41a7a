"""The exceptions hotdigest raises on purpose.

Every error the domain raises on purpose derives from one base, so the edges
(CLI, bot) can tell a user-facing problem from a bug::

    DigestError
    ├── ConfigError        a setting is missing or invalid (file, key, reason)
    ├── StoreError         the database cannot be opened or migrated
    ├── SourceError        a collector could not fetch or parse its source
    ├── ImportRowError     one row of an import file is unusable
    ├── BuildError         a digest cannot be built or found
    ├── UsageError         a command argument is not one of the valid forms
    ├── WriterError        a writer (e.g. an LLM) gave no usable text
    └── ChartError         a heat chart could not be drawn (its child process failed)
"""

from __future__ import annotations


class DigestError(Exception):
    """Base of every error hotdigest raises on purpose."""


class ConfigError(DigestError):
    """A configuration value is invalid; names the file and key."""

    def __init__(self, reason: str, *, key: str | None = None, file: str | None = None) -> None:
        self.reason = reason
        self.key = key
        self.file = file
        where = ", ".join(part for part in (file, f"key {key!r}" if key else None) if part)
        super().__init__(f"{where}: {reason}" if where else reason)


class StoreError(DigestError):
    """The SQLite store cannot be opened or migrated."""


class SourceError(DigestError):
    """A source failed: network, HTTP status or an unparseable payload."""


class ImportRowError(DigestError):
    """One row of an import file cannot become a post."""


class BuildError(DigestError):
    """A digest cannot be built, or the asked-for digest does not exist."""


class UsageError(DigestError):
    """A command's arguments are not one of its valid forms."""


class WriterError(DigestError):
    """A writer produced nothing usable (the offline writer takes over)."""


class ChartError(DigestError):
    """A heat chart could not be drawn: its child process failed, timed out or wrote no PNG."""
