"""Operating the store: ``backup``, ``restore`` and ``stats`` (table sizes, oldest rows)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from digest import (
    BackupReport,
    StoreError,
    backup_database,
    lock_holder,
    restore_database,
    store_lock,
    table_sizes,
    utcnow,
)

from .common import CliState, domain_errors, pass_state


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@pass_state
@domain_errors
def backup_command(state: CliState, path: Path) -> None:
    """Copy the store to PATH while the bot may be running, then verify the copy.

    Uses SQLite's online backup API in small steps, so a running bot keeps answering;
    the copy is checked (PRAGMA integrity_check, rows per table) before it is put at
    PATH. A directory PATH gets a dated file inside.

    Example: hotdigest backup /var/backups/hotdigest.db
    """
    if path.is_dir():
        path = path / f"hotdigest-{utcnow().strftime('%Y%m%dT%H%M%SZ')}.db"
    _report(backup_database(state.db_path, path), "backup")


@click.command("restore")
@click.argument("backup", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the store without asking.")
@pass_state
@domain_errors
def restore_command(state: CliState, backup: Path, yes: bool) -> None:
    """Replace the store with a verified BACKUP; refused while a bot runs on the store.

    Example: hotdigest restore /var/backups/hotdigest.db --yes
    """
    holder = lock_holder(state.db_path)
    if holder is not None:
        raise StoreError(
            f"a hotdigest bot (pid {holder or 'unknown'}) is running on "
            f"{str(state.db_path)!r}; stop it before restoring"
        )
    if state.db_path.exists() and not yes:
        click.confirm(f"Replace {state.db_path} with {backup}?", abort=True)
    with store_lock(state.db_path):  # no bot starts on a half-restored store
        _report(restore_database(backup, state.db_path), "restore")


def _report(report: BackupReport, what: str) -> None:
    rows = ", ".join(f"{table} {n}" for table, n in sorted(report.rows.items()))
    click.echo(
        f"{what} {report.path}: {report.bytes:,} bytes in {report.seconds:.1f}s, "
        f"integrity ok; rows: {rows}"
    )


@click.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print as a JSON list.")
@pass_state
@domain_errors
def stats_command(state: CliState, as_json: bool) -> None:
    """Print each table's rows, size on disk and oldest row, largest first.

    Example: hotdigest stats
    """
    with state.store() as store:
        sizes = table_sizes(store)
    if as_json:
        click.echo(json.dumps([asdict(size) for size in sizes], indent=2))
        return
    click.echo(f"{'table':<14} {'rows':>12} {'size':>10}  oldest")
    for size in sizes:
        shown = _size(size.bytes)
        click.echo(f"{size.name:<14} {size.rows:>12,} {shown:>10}  {size.oldest or '—'}")


def _size(count: int | None) -> str:
    if count is None:
        return "?"
    return f"{count / 2**20:,.1f} MB" if count >= 2**20 else f"{count / 1024:,.0f} KB"
