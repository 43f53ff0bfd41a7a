"""Subcommands that push digests and report on the push ledger: push, deliveries."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace

import click
from telegram import Bot
from telegram.error import InvalidToken, NetworkError

from digest import ConfigError, Ledger, PushPlan, Store

from .. import loops
from ..config import Settings
from ..delivery.client import TransportOptions, make_request
from ..delivery.engine import plan_due, push_due
from ..delivery.options import DeliveryOptions, PushReport
from ..delivery.prepare import prepare
from ..logs import mask_secrets
from ..services import Services
from .common import CliState, domain_errors, pass_state
from .digest_commands import digest_key


@click.command("push")
@click.option(
    "--date",
    "day",
    help="Push this digest (YYYY-MM-DD) now to every subscribed chat that has not had it.",
)
@click.option(
    "--week",
    "week",
    help="Push this weekly digest (YYYY-Www) now to every weekly subscriber without it "
    "(not with --date).",
)
@click.option("--dry-run", is_flag=True, help="List what would be sent; send and record nothing.")
@pass_state
@domain_errors
def push_command(state: CliState, day: str | None, week: str | None, dry_run: bool) -> None:
    """Push the digest now to the chats whose push time has come, as the bot's tick does.

    Sends through the Bot API of TELEGRAM_BOT_TOKEN (and TELEGRAM_API_BASE_URL).

    Example: hotdigest push --dry-run
    """
    settings = replace(state.settings, db_path=state.db_path)
    when = digest_key(day, week)
    if dry_run:
        click.echo("\n".join(asyncio.run(_dry_run(settings, when))))
        return
    if not settings.telegram_token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set (get a token from @BotFather)")
    try:
        report = loops.run(_push(settings, settings.telegram_token, when), settings.event_loop)
    except InvalidToken:
        raise click.ClickException("the Bot API rejected the bot token") from None
    except NetworkError as exc:
        raise click.ClickException(
            f"cannot reach the Bot API: {mask_secrets(str(exc), settings.secrets)}"
        ) from None
    click.echo(describe_report(report))


@click.command("deliveries")
@click.option("--date", "day", help="Digest date YYYY-MM-DD (default: the newest pushed).")
@click.option("--week", "week", help="A weekly digest's ledger (YYYY-Www; not with --date).")
@pass_state
@domain_errors
def deliveries_command(state: CliState, day: str | None, week: str | None) -> None:
    """Show a digest's push ledger: parts by status, and every failure with its reason.

    Example: hotdigest deliveries --date 2026-02-15
    """
    with state.store() as store:
        key = digest_key(day, week)
        lines = describe_ledger(store, key)
    click.echo("\n".join(lines))


async def _push(settings: Settings, token: str, day: str | None) -> PushReport:
    services = Services.create(settings)
    try:
        request = make_request(TransportOptions.from_settings(settings), 1)
        bot = Bot(token, base_url=settings.telegram_base_url, request=request)
        return await push_due(services, bot, day=day)
    finally:
        await services.close()


async def _dry_run(settings: Settings, day: str | None) -> list[str]:
    services = Services.create(settings)
    try:
        options = DeliveryOptions.from_settings(settings)
        plan = await plan_due(services, day=day, options=options, record=False)
        prepared, failed = await prepare(
            services.store, services.renderer, plan.jobs, record=False, charts=services.charts
        )
    finally:
        await services.close()
    lines = [
        f"chat {p.chat.chat_id} ({p.chat.chat_type}, {p.chat.mode}, {p.chat.language}): "
        f"{p.job.kind} {p.job.date} v{p.job.version}, parts {', '.join(map(str, p.todo))}"
        f" of {len(p.texts)}"
        for p in prepared
    ]
    lines += [f"chat {chat}: would fail: {reason}" for chat, reason in failed]
    lines += [f"chat {chat}: would skip {date}: {reason}" for chat, date, reason in plan.skipped]
    return [*lines, _plan_summary(plan, sum(len(p.todo) for p in prepared))]


def _plan_summary(plan: PushPlan, messages: int) -> str:
    return (
        f"dry run: {len(plan.jobs)} chats, {messages} messages would be sent; "
        f"{len(plan.skipped)} skipped, {plan.in_flight} held by another pusher"
    )


def describe_report(report: PushReport) -> str:
    """One line for a push run, then one per failed chat."""
    lines = [
        f"pushed {report.messages} messages to {report.delivered} of {report.planned} chats "
        f"in {report.seconds:.1f}s ({report.rate:.1f}/s); {report.deactivated} deactivated, "
        f"{report.migrated} migrated, {report.failed} failed, {report.skipped} skipped, "
        f"{report.busy} held by another pusher; {report.floods} 429s, {report.retries} retries"
    ]
    lines += [f"  chat {chat}: {reason}" for chat, reason in report.errors]
    return "\n".join(lines)


def describe_ledger(store: Store, day: str | None) -> list[str]:
    """The ``deliveries`` report: counts by kind and status, then failures with reasons."""
    ledger = Ledger(store)
    day = day or ledger.latest_date()
    if day is None:
        return ["no pushes recorded yet"]
    counts = ledger.counts(day)
    if not counts:
        return [f"{day}: no pushes recorded"]
    lines = [f"{day}: {ledger.chats(day)} chats"]
    lines += [f"  {kind} {status}: {n} parts" for (kind, status), n in sorted(counts.items())]
    failures = ledger.failures(day)
    if failures:
        reasons = Counter(f.status for f in failures)
        lines.append("not delivered (or not known to be): " + ", ".join(
            f"{n} {status}" for status, n in sorted(reasons.items())
        ))  # fmt: skip
        for f in failures:
            part = "whole push" if f.part == 0 else f"part {f.part}"
            chat = f"chat {f.chat_id}" + (f" topic {f.thread_id}" if f.thread_id else "")
            lines.append(f"  {chat} v{f.version} {part} ({f.kind}): {f.status}: {f.error or '-'}")
    return lines
