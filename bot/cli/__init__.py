"""The ``hotdigest`` command line: one group, one subcommand per domain function."""

from __future__ import annotations

import click

from ..log_format import FORMATS
from ..logs import configure_logging, quiet_time_period_warning
from .bot_commands import fake_telegram_command, run_command
from .common import CliState
from .delivery_commands import deliveries_command, push_command
from .digest_commands import (
    build_command,
    demo_command,
    export_command,
    show_command,
)
from .doctor_commands import doctor_command
from .follow_commands import follows_command, match_command
from .ops_commands import backup_command, restore_command, stats_command
from .store_commands import config_command, import_command, ingest_command, posts_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    help="TOML settings file (default: $HOTDIGEST_CONFIG, else ./hotdigest.toml if present).",
)
@click.option("--db", "db_override", help="SQLite file to use instead of the configured one.")
@click.option("-v", "--verbose", is_flag=True, help="Log debug details to stderr.")
@click.option(
    "--log-format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Log lines as key=value text, or as JSON objects for log shippers.",
)
@click.pass_context
def main(
    ctx: click.Context,
    config_file: str | None,
    db_override: str | None,
    verbose: bool,
    log_format: str,
) -> None:
    """hotdigest: daily digests of tech hot lists, pushed by a Telegram bot.

    Example: hotdigest demo
    """
    ctx.obj = CliState(config_file, db_override, log_format)
    configure_logging("DEBUG" if verbose else "WARNING", fmt=log_format)
    quiet_time_period_warning()


for command in (
    config_command,
    import_command,
    posts_command,
    ingest_command,
    build_command,
    show_command,
    export_command,
    demo_command,
    run_command,
    push_command,
    deliveries_command,
    fake_telegram_command,
    doctor_command,
    backup_command,
    restore_command,
    stats_command,
    follows_command,
    match_command,
):
    main.add_command(command)
