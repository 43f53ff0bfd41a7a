"""Subcommands of follows and alerts: follows (groups and alert counts), match (try syntax)."""

from __future__ import annotations

import json
from datetime import timedelta

import click

from digest import (
    day_window,
    follow_overview,
    matching_posts,
    parse_expression,
    parse_group,
    utcnow,
    zone,
)

from .common import CliState, domain_errors, format_heat, parse_date, pass_state, post_json


@click.command("follows")
@click.option("--chat", "chat_id", type=int, help="Only this chat id.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_state
@domain_errors
def follows_command(state: CliState, chat_id: int | None, as_json: bool) -> None:
    """List each chat's follow groups, alert settings and alert counts.

    Example: hotdigest follows --chat -1001234567890
    """
    with state.store() as store:
        overview = follow_overview(store, chat_id)
    if as_json:
        rows = [chat.to_json() for chat in overview]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not overview:
        click.echo("no chat follows anything")
    for chat in overview:
        click.echo(
            f"chat {chat.chat_id}: alerts {'on' if chat.settings.alerts else 'off'}, "
            f"{chat.posts_alerted} posts alerted in {chat.alert_messages} messages"
        )
        for follow in chat.follows:
            paused = " (paused)" if follow.paused else ""
            click.echo(f"  {follow.number:>2}. {follow.label}: {follow.group.text()}{paused}")


@click.command("match")
@click.argument("expression")
@click.option("--date", "day", help="Posts seen on this local day YYYY-MM-DD (default: last 24 h).")
@click.option("--limit", default=50, show_default=True, help="At most this many posts.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_state
@domain_errors
def match_command(
    state: CliState, expression: str, day: str | None, limit: int, as_json: bool
) -> None:
    """Show which stored posts a follow expression matches (to try the syntax).

    The configured [digest] exclude filter applies, as it does to alerts.

    Example: hotdigest match "GLM Claude +发布 !传闻" --date 2026-02-15
    """
    groups = parse_expression(expression)
    exclude = [parse_group(text, checked=True) for text in state.settings.digest_exclude]
    if day:
        tz = zone(state.settings.timezone)
        start, end = day_window(parse_date(day, tz), tz)
    else:
        end = utcnow()
        start = end - timedelta(hours=24)
    with state.store() as store:
        found = matching_posts(store, groups, start, end, exclude)
    if as_json:
        click.echo(json.dumps([post_json(s) for s in found[:limit]], ensure_ascii=False, indent=2))
        return
    click.echo("; ".join(f"{g.label}: {g.text()}" for g in groups))
    click.echo(f"{len(found)} matching posts")
    for position, item in enumerate(found[:limit], start=1):
        click.echo(
            f"{position:>3}. {format_heat(item.heat):>8}  [{item.post.source}] "
            f"{item.post.title}  {item.post.url or ''}"
        )
