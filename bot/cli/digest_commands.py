"""Subcommands that build, show and export digests, and the offline demo."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import click

from digest import (
    BuildOptions,
    ChartDrawer,
    DayBuild,
    Digest,
    DigestChange,
    Renderer,
    SavedDigest,
    Store,
    UsageError,
    build_day,
    build_week,
    compare_digests,
    digest_chart,
    digest_filename,
    digest_versions,
    get_digest,
    is_week,
    latest_digest,
    parse_week,
    render_markdown,
    render_telegram,
    render_text,
    section_id,
    utcnow,
    zone,
)

from ..config import build_options
from ..demo import SAMPLE_DATE, play, scratch_store
from ..llm import llm_config
from .common import CliState, domain_errors, fail_usage, parse_date, pass_state


@click.command("build")
@click.option(
    "--date", "day", help="Digest date YYYY-MM-DD (default: today in the configured zone)."
)
@click.option("--week", "week", help="Build the weekly digest of an ISO week YYYY-Www instead.")
@click.option("--force", is_flag=True, help="Store a new version even if the input is unchanged.")
@pass_state
@domain_errors
def build_command(state: CliState, day: str | None, week: str | None, force: bool) -> None:
    """Build the digest of a day (or, with --week, of an ISO week) from the stored posts
    and store it as a version.

    Example: hotdigest build --date 2026-02-15   (or: hotdigest build --week 2026-W07)
    """
    settings = state.settings
    date_or_week(day, week)
    if week is not None:
        click.echo("\n".join(build_week_lines(state, week, force)))
        return
    when = parse_date(day, zone(settings.timezone))
    with state.store() as store:
        built = build_day(
            store, when, build_options(settings), utcnow(), llm=llm_config(settings), force=force
        )
    for line in describe_build(built):
        click.echo(line)


def date_or_week(day: str | None, week: str | None) -> None:
    """``--date`` and ``--week`` exclude each other: both given is a usage error (exit 2)."""
    if day is not None and week is not None:
        fail_usage("give --date or --week, not both")


def digest_key(day: str | None, week: str | None) -> str | None:
    """The digest ``--date`` (``YYYY-MM-DD``) or ``--week`` (``YYYY-Www``) names, if any."""
    date_or_week(day, week)
    if week:
        return week_key(week)
    return parse_date(day, None).isoformat() if day else None


def week_key(text: str) -> str:
    """``--week``'s canonical ``YYYY-Www`` (a usage error, exit status 2, if it is none)."""
    try:
        return parse_week(text)[0]
    except UsageError as exc:
        fail_usage(f"--week: {exc}")


def build_week_lines(state: CliState, week: str, force: bool) -> list[str]:
    """Build an ISO week's digest (the bot's weekly build does the same) and say what it did."""
    settings, week = state.settings, week_key(week)
    options, llm = build_options(settings), llm_config(settings)
    with state.store() as store:
        built = build_week(store, week, options, utcnow(), llm=llm, force=force)
    if built.saved is None:
        return [f"no posts collected in week {built.week}: nothing stored"]
    return describe_saved(built.saved, built.llm_reason)


def describe_build(built: DayBuild) -> list[str]:
    """What a build did, in the CLI's words."""
    if built.saved is None:
        start, end = (moment.isoformat(timespec="minutes") for moment in built.window)
        return [f"no posts collected for {built.day} ({start} to {end}): nothing stored"]
    return describe_saved(built.saved, built.llm_reason)


def describe_saved(saved: SavedDigest, llm_reason: str) -> list[str]:
    """What a build that found posts stored (a day's or a week's)."""
    digest, lines = saved.digest, []
    if not saved.created:
        lines.append(f"unchanged: digest {digest.date} v{digest.version} ({digest.fingerprint})")
    else:
        lines.append(
            f"built digest {digest.date} v{digest.version}: {len(digest.sources)} sources, "
            f"fingerprint {digest.fingerprint}, writer {digest.footer.writer}"
        )
    if llm_reason:
        kept = "offline text stored" if saved.created else "the stored offline text stays"
        lines.append(f"LLM text rejected ({llm_reason}); {kept}")
    if saved.previous is not None:
        change = compare_digests(saved.previous, digest)
        lines += [f"  {line}" for line in describe_change(change)]
    return lines


def describe_change(change: DigestChange) -> list[str]:
    """Lines saying what a new version changed (the CLI's and /rebuild's report)."""
    if change.unchanged:
        return [f"v{change.new_version} says the same as v{change.old_version}"]
    lines = [f"changes from v{change.old_version} to v{change.new_version}:"]
    if change.headline_changed:
        lines.append("headline changed")
    lines += [f"+ {title}" for title in change.added]
    lines += [f"- {title}" for title in change.removed]
    for title, before, after in change.heat_changed:
        lines.append(f"~ {title}: heat {_figure(before)} → {_figure(after)}")
    lines += [f"+ theme {label}" for label in change.themes_added]
    lines += [f"- theme {label}" for label in change.themes_removed]
    if change.writer_changed:
        lines.append("writer changed")
    return lines


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


@click.command("show")
@click.option("--date", "day", help="Digest date YYYY-MM-DD (default: the latest digest).")
@click.option("--week", "week", help="Show the weekly digest of an ISO week YYYY-Www instead.")
@click.option("--version", "version", type=int, help="A stored version (default: the latest).")
@click.option(
    "--section",
    "section",
    help="summary, highlights, metrics, outlook or sources (or 摘要 要点 数据 趋势 来源).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "telegram"]),
    default="text",
    show_default=True,
)
@click.option(
    "--lang",
    "language",
    type=click.Choice(["zh", "en"]),
    help="Language (default: the configured one).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the digest's data, or with --format telegram the messages as sent.",
)
@pass_state
@domain_errors
def show_command(
    state: CliState,
    day: str | None,
    week: str | None,
    version: int | None,
    section: str | None,
    fmt: str,
    language: str | None,
    as_json: bool,
) -> None:
    """Show a stored digest (a day's, or with --week a week's) as text, Markdown or
    Telegram messages.

    Example: hotdigest show --date 2026-02-15 --section highlights --lang en
    """
    wanted = section_id(section) if section else None
    if section and wanted is None:
        fail_usage(
            f"unknown section {section!r}: use summary, highlights, metrics, outlook or sources"
        )
    date_or_week(day, week)
    with state.store() as store:
        if week is not None:
            digest = load_digest(store, week_key(week), version)
        else:
            digest = load_digest(store, day, version)
    click.echo(render_output(digest, wanted, fmt, language, as_json))


def load_digest(store: Store, day: str | None, version: int | None) -> Digest:
    """The digest of ``day`` (YYYY-MM-DD, or an ISO week's YYYY-Www), else the latest day's."""
    if day is not None and not is_week(day):
        try:
            date.fromisoformat(day)
        except ValueError:
            fail_usage(f"--date {day!r} is not a date in YYYY-MM-DD form")
    if version is not None:
        if day is None:
            fail_usage("--version needs --date or --week")
        found = get_digest(store, day, version)
    else:
        found = latest_digest(store, day)
    if found is None:
        where = f" for {day}" + (f" v{version}" if version else "") if day else ""
        build = f"hotdigest build --week {day}" if day and is_week(day) else "hotdigest build"
        raise click.ClickException(f"no digest{where}: run `{build}` first")
    return found


def render_output(
    digest: Digest, section: str | None, fmt: str, language: str | None, as_json: bool
) -> str:
    renderer = Renderer()
    if fmt == "telegram":
        messages = render_telegram(
            digest, view=section or "full", language=language, renderer=renderer
        )
        if as_json:
            return json.dumps(messages, ensure_ascii=False, indent=2)
        return "\n\n----- message -----\n\n".join(messages)
    if as_json:
        if section is None:
            return json.dumps(json.loads(digest.to_json()), ensure_ascii=False, indent=2)
        data = asdict(digest.section(section, language))
        return json.dumps(data, ensure_ascii=False, indent=2)
    if fmt == "markdown":
        return render_markdown(digest, language=language, renderer=renderer)
    return render_text(digest, section=section, language=language, renderer=renderer)


@dataclass
class _Pages:
    """What `export` writes: pages, and their charts drawn by one chart process."""

    store: Store
    out_dir: Path
    language: str | None
    options: BuildOptions | None  # None: no charts

    async def write(self, days: list[str]) -> tuple[int, int]:
        """Write each day's (or week's) page; the numbers written and skipped."""
        written, skipped, renderer = 0, 0, Renderer()
        charts = ChartDrawer()  # one child draws every chart, as in the bot
        try:
            for day in days:
                digest = latest_digest(self.store, day)
                assert digest is not None
                try:
                    name = digest_filename(digest)  # never a path: the store may be tampered
                except ValueError as exc:
                    click.echo(f"skipped: {exc}", err=True)
                    skipped += 1
                    continue
                image = None
                if self.options is not None:
                    image = name.removesuffix(".md") + ".png"
                    drawn = digest_chart(self.store, digest, self.options)
                    png = await charts.draw(drawn, self.language or digest.language)
                    (self.out_dir / image).write_bytes(png)
                markdown = render_markdown(
                    digest, language=self.language, renderer=renderer, image=image
                )
                (self.out_dir / name).write_text(markdown, encoding="utf-8")
                written += 1
        finally:
            await charts.aclose()
        return written, skipped


@click.command("export")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write one Markdown file per digest into.",
)
@click.option("--lang", "language", type=click.Choice(["zh", "en"]), help="Language.")
@click.option(
    "--chart/--no-chart",
    default=True,
    show_default=True,
    help="Write each page's heat chart beside it (NAME.png) as its cover image.",
)
@pass_state
@domain_errors
def export_command(state: CliState, out_dir: Path, language: str | None, chart: bool) -> None:
    """Write every stored digest, daily and weekly (its latest version), as Markdown with
    Hugo front matter, and its heat chart as the page's cover image (front matter ``image:``).

    Example: hotdigest export --out site/content/posts
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    with state.store() as store:
        days = sorted({row[0] for row in digest_versions(store)})
        days += sorted({row[0] for row in digest_versions(store, weeks=True)})
        pages = _Pages(store, out_dir, language, build_options(state.settings) if chart else None)
        written, skipped = asyncio.run(pages.write(days))
    click.echo(f"wrote {written} digests to {out_dir}")
    if skipped:
        sys.exit(1)


@click.command("demo")
@click.option("--digest-only", is_flag=True, help="Print the sample's digest, no bot.")
@click.option(
    "--lang",
    "language",
    type=click.Choice(["zh", "en"]),
    default=None,
    help="Language of --digest-only.",
)
@pass_state
@domain_errors
def demo_command(state: CliState, digest_only: bool, language: str | None) -> None:
    """Run the bot on the bundled sample against an in-process fake Telegram (no token, no network).

    Imports the sample into a temporary store, builds its digest, starts the real bot
    (handlers, scheduler, delivery engine) and plays a subscriber and an admin, printing
    the conversation. Nothing is left behind.

    Example: hotdigest demo
    """
    settings = state.settings
    if digest_only:
        with scratch_store(settings) as demo, closing(Store.open(demo.db_path)) as store:
            sample = latest_digest(store, SAMPLE_DATE.isoformat())
            assert sample is not None  # scratch_store built it
            click.echo(render_text(sample, language=language))
        return
    started = time.perf_counter()
    stats = asyncio.run(play(settings, click.echo))
    click.echo(
        f"\n── done in {time.perf_counter() - started:.1f}s: {stats['sent']} messages sent, "
        f"{stats['edited']} edited, {stats['served_429']} flood errors, "
        f"{sum(stats['errors_by_code'].values())} API errors"
    )
