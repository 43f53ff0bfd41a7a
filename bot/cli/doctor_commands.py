"""``hotdigest doctor``: check the token, Bot API, webhook, database, sources and LLM."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace

import click

from ..doctor import run_checks
from .common import CliState, pass_state


@click.command("doctor")
@pass_state
def doctor_command(state: CliState) -> None:
    """Check that everything the bot needs works as configured, one line per check.

    Asks the Bot API who the bot is (getMe, through the configured transport and proxy)
    and for its webhook state, opens the database for writing and reads its schema
    version, sends one request to each configured source and, when [llm] is enabled,
    asks the LLM endpoint for its models. Prints "ok" or "FAIL" with the reason; the
    token, keys and proxy passwords are never printed. Exit status 0 only when all pass.

    Example: hotdigest doctor
    """
    settings = replace(state.settings, db_path=state.db_path)
    checks = asyncio.run(run_checks(settings))
    for check in checks:
        click.echo(check.line())
    failed = sum(not check.ok for check in checks)
    click.echo(f"{len(checks) - failed} of {len(checks)} checks passed")
    sys.exit(1 if failed else 0)
