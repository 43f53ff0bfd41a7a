"""``hotdigest run`` (the bot) and ``hotdigest fake-telegram`` (a Bot API to run it against)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Iterator
from dataclasses import replace

import click
from telegram.error import InvalidToken, NetworkError

from digest import ConfigError, StoreError, store_lock

from .. import loops
from ..app import ALLOWED_UPDATES, App, build_application, check_token
from ..config import Settings
from ..fake_telegram import FloodLimits, run_fake_server
from ..health import Health, OpsServer, parse_address
from ..logs import configure_logging, mask_token
from ..metrics import Metrics
from ..webhook import WebhookRefusedError, serve_webhook
from .common import CliState, ConfigProblem, pass_state

FAKE_HOST = "127.0.0.1"


@click.command("run")
@click.option(
    "--webhook", "webhook_url", help="Serve a webhook for this https:// URL instead of polling."
)
@click.option("--listen", default="127.0.0.1", show_default=True, help="Webhook server address.")
@click.option("--port", default=8443, show_default=True, type=int, help="Webhook server port.")
@click.option("--path", "url_path", help="Local webhook path (default: the URL's path).")
@click.option("--no-schedule", is_flag=True, help="Only answer: no scheduled fetch, build or push.")
@click.option(
    "--metrics",
    "metrics_address",
    metavar="HOST:PORT",
    help="Serve /healthz and /metrics (Prometheus) here, e.g. 127.0.0.1:9108.",
)
@pass_state
def run_command(
    state: CliState,
    webhook_url: str | None,
    listen: str,
    port: int,
    url_path: str | None,
    no_schedule: bool,
    metrics_address: str | None,
) -> None:
    """Run the Telegram bot with long polling, or as a webhook with --webhook.

    The token comes from $TELEGRAM_BOT_TOKEN; $TELEGRAM_API_BASE_URL points it at a
    self-hosted Bot API server or at `hotdigest fake-telegram`. A webhook needs
    $TELEGRAM_WEBHOOK_SECRET, which Telegram sends back with every update.
    With --metrics, /healthz answers 200 while updates arrive, the store takes writes
    and an ingest succeeded within 3 intervals (503 and the reasons otherwise), and
    /metrics has the Prometheus figures. The bot holds <db>.lock while it runs: a
    second bot or a restore on the same store is refused.
    Exit status 2: missing or rejected token, or a broken configuration.

    Example: hotdigest run --metrics 127.0.0.1:9108
    """
    settings = replace(state.settings, db_path=state.db_path)
    verbose = logging.getLogger().level <= logging.DEBUG
    level = "DEBUG" if verbose else "INFO"
    configure_logging(level, secrets=settings.secrets, fmt=state.log_format)
    if webhook_url and not settings.webhook_secret:
        raise ConfigProblem("--webhook needs $TELEGRAM_WEBHOOK_SECRET (1-256 of A-Z a-z 0-9 _ -)")
    address = _address(metrics_address)
    interval = None if no_schedule else settings.ingest_minutes * 60.0
    health, metrics = Health(interval, webhook=bool(webhook_url)), Metrics()
    with _operated(settings, address, health, metrics):
        application = start_up(settings, not no_schedule, metrics, health if address else None)
        if webhook_url:
            assert settings.webhook_secret is not None
            secret, on = settings.webhook_secret, health.serving_on
            try:
                loops.run(
                    serve_webhook(application, webhook_url, listen, port, secret, url_path, on),
                    settings.event_loop,
                )
            except WebhookRefusedError as exc:
                raise ConfigProblem(mask_token(str(exc))) from None
        else:
            loops.install(settings.event_loop)
            application.run_polling(allowed_updates=ALLOWED_UPDATES)


def _address(text: str | None) -> tuple[str, int] | None:
    try:
        return parse_address(text) if text else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--metrics") from None


@contextlib.contextmanager
def _operated(
    settings: Settings, address: tuple[str, int] | None, health: Health, metrics: Metrics
) -> Iterator[None]:
    """Hold the store's lock, and serve /healthz and /metrics at ``address``, for the block."""
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(store_lock(settings.db_path))
        except StoreError as exc:
            raise click.ClickException(str(exc)) from None
        if address is not None:
            try:
                stack.callback(OpsServer(*address, health, metrics).close)
            except OSError as exc:
                where = f"{address[0]}:{address[1]}"
                raise click.ClickException(f"cannot serve on {where}: {exc.strerror}") from None
        yield


def start_up(
    settings: Settings,
    schedule: bool,
    metrics: Metrics | None = None,
    health: Health | None = None,
) -> App:
    """The application, after Telegram accepted its token; click errors otherwise."""
    try:
        application = build_application(settings, schedule=schedule, metrics=metrics, health=health)
        asyncio.run(check_token(application))
    except ConfigError as exc:
        raise ConfigProblem(str(exc)) from None
    except InvalidToken:
        # PTB's message quotes the token: never print it.
        raise ConfigProblem(
            "Telegram rejected the bot token in $TELEGRAM_BOT_TOKEN (check it with @BotFather)"
        ) from None
    except NetworkError as exc:
        raise click.ClickException(
            f"cannot reach the Bot API at {settings.telegram_base_url}: {type(exc).__name__}"
        ) from None
    return application


def fake_instructions(base: str, token: str) -> str:
    """How to point the bot at the fake, and to play a user with curl."""
    said = '{"chat_id": 1001, "user_id": 1001, "text": "/digest"}'
    return "\n".join(
        [
            f"fake Telegram Bot API on {base} (Ctrl-C stops it)",
            f"export TELEGRAM_API_BASE_URL={base}/bot",
            f"export TELEGRAM_BOT_TOKEN={token}",
            f"curl -s {base}/_fake/user_message -H 'Content-Type: application/json' -d '{said}'",
            f"curl -s '{base}/_fake/messages?chat_id=1001'",
        ]
    )


@click.command("fake-telegram")
@click.option("--port", default=8081, show_default=True, type=int, help="Port on 127.0.0.1.")
@click.option(
    "--latency", default=0.05, show_default=True, type=float, help="Seconds each call waits."
)
@click.option("--no-limits", is_flag=True, help="Do not enforce Telegram's flood limits (429).")
@click.option("--token", help="Token the fake accepts (default: a new random one).")
def fake_telegram_command(port: int, latency: float, no_limits: bool, token: str | None) -> None:
    """Serve a fake Telegram Bot API on 127.0.0.1, to run the bot offline.

    Prints the TELEGRAM_API_BASE_URL and TELEGRAM_BOT_TOKEN to start `hotdigest run`
    with, and a curl command that plays a user through the /_fake/ control endpoints.
    Stop it with Ctrl-C.

    Example: hotdigest fake-telegram --port 8081 --no-limits
    """
    token = token or f"{secrets.randbelow(9 * 10**9) + 10**9}:{secrets.token_urlsafe(27)}"
    click.echo(fake_instructions(f"http://{FAKE_HOST}:{port}", token))
    limits = None if no_limits else FloodLimits()
    try:
        asyncio.run(run_fake_server(FAKE_HOST, port, token, latency, limits))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {FAKE_HOST}:{port}: {exc.strerror}") from None
