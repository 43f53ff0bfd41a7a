"""Subcommands that fill and read the store: config, import, posts, ingest."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import click

from digest import (
    day_window,
    import_posts,
    ingest_sources,
    make_http_client,
    make_source,
    utcnow,
    zone,
)

from ..config import describe, ingest_proxies
from .common import (
    CliState,
    domain_errors,
    fail_usage,
    format_heat,
    parse_date,
    pass_state,
    post_json,
)


@click.command("config")
@click.option("--json", "as_json", is_flag=True, help="Print as a JSON object.")
@pass_state
def config_command(state: CliState, as_json: bool) -> None:
    """Print the effective configuration, secrets masked, with where each value came from.

    Example: hotdigest --config hotdigest.toml config
    """
    rows = describe(state.settings)
    if as_json:
        click.echo(
            json.dumps(
                {key: {"value": value, "from": where} for key, value, where in rows},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    width = max(len(key) for key, _, _ in rows)
    for key, value, where in rows:
        click.echo(f"{key:<{width}} = {value}   # {where}")


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_state
@domain_errors
def import_command(state: CliState, file: Path) -> None:
    """Import posts from a JSON Lines or CSV file (fields: source, post_id, title, ...).

    Rows need source, post_id and title; seen_at (ISO-8601 with zone) defaults to
    now. Bad rows are reported by line and skipped; the exit status is 1 if any was bad.

    Example: hotdigest import data/sample/posts.jsonl
    """
    store = state.open_store()
    try:
        report = import_posts(store, file, now=utcnow())
    finally:
        store.close()
    for line, reason in report.bad_rows:
        click.echo(f"{file}:{line}: skipped: {reason}", err=True)
    if report.ignored_fields:
        click.echo(f"ignored unknown fields: {', '.join(sorted(report.ignored_fields))}", err=True)
    click.echo(f"imported {report.saved} posts, {len(report.bad_rows)} bad rows")
    if report.bad_rows:
        sys.exit(1)


@click.command("posts")
@click.option(
    "--date", "day", help="Local date YYYY-MM-DD (default: today in the configured zone)."
)
@click.option("--source", "sources", multiple=True, help="Only this source (repeatable).")
@click.option("--limit", default=100, show_default=True, help="At most this many posts.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_state
@domain_errors
def posts_command(
    state: CliState, day: str | None, sources: tuple[str, ...], limit: int, as_json: bool
) -> None:
    """List the posts seen on a local day, hottest first.

    Example: hotdigest posts --date 2026-02-15 --source juejin
    """
    tz = zone(state.settings.timezone)
    start, end = day_window(parse_date(day, tz), tz)
    store = state.open_store()
    try:
        seen = store.posts_in_window(start, end, sources or None)[:limit]
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps([post_json(item) for item in seen], ensure_ascii=False, indent=2))
        return
    if not seen:
        click.echo("no posts seen on that day")
    for position, item in enumerate(seen, start=1):
        click.echo(
            f"{position:>3}. {format_heat(item.heat):>8}  [{item.post.source}] "
            f"{item.post.title}  {item.post.url or ''}"
        )


@click.command("ingest")
@click.option("--source", "names", multiple=True, help="Fetch only this configured source.")
@pass_state
@domain_errors
def ingest_command(state: CliState, names: tuple[str, ...]) -> None:
    """Fetch every configured source (or those named) and store their posts.

    Prints a line per source and a summary; exits 1 when every source failed.

    Example: hotdigest ingest --source juejin --source v2ex
    """
    settings = state.settings
    chosen = [s for s in settings.sources if not names or s.name in names]
    unknown = set(names) - {s.name for s in settings.sources}
    if unknown:
        known = ", ".join(s.name for s in settings.sources)
        fail_usage(f"unknown source(s): {', '.join(sorted(unknown))} (configured: {known})")
    sources = [make_source(s.kind, s.name, s.options) for s in chosen]

    def progress(result: Any) -> None:
        if result.ok:
            extra = f", {len(result.skipped)} items skipped" if result.skipped else ""
            click.echo(f"{result.source}: ok, {result.posts} posts in {result.seconds:.1f}s{extra}")
        else:
            click.echo(f"{result.source}: FAILED: {result.error}")

    async def run() -> list[Any]:
        async with make_http_client(
            settings.ingest_timeout,
            settings.ingest_max_body_bytes,
            proxies=ingest_proxies(settings),
        ) as client:
            return await ingest_sources(store, sources, client, on_result=progress)

    store = state.open_store()
    try:
        results = asyncio.run(run())
    finally:
        store.close()
    failed = [r for r in results if not r.ok]
    click.echo(
        f"{len(results) - len(failed)} of {len(results)} sources ok, "
        f"{sum(r.posts for r in results)} posts stored"
    )
    if results and len(failed) == len(results):
        sys.exit(1)
