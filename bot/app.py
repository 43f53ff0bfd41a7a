"""Build the Telegram Application: handlers, command menus, services and their lifecycle."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    Application,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    MessageReactionHandler,
    filters,
)
from telegram.request import BaseRequest

from digest import LANGUAGES, ConfigError

from .buttons import (
    AlertButton,
    FollowButton,
    SettingsButton,
    ShownButton,
    SourceButton,
    SourcesButton,
    SubscribeButton,
    ViewButton,
)
from .buttons import matches as data_of
from .config import Settings
from .context import SERVICES_KEY, BotContext, services_of
from .delivery.client import TransportOptions, make_request
from .handlers.admin import ingest_command, rebuild_command, stats_command
from .handlers.digest import (
    digest_command,
    on_source_button,
    on_sources_button,
    on_view_button,
    sources_command,
)
from .handlers.follow import (
    follow_command,
    following_command,
    on_alert_button,
    on_follow_button,
    unfollow_command,
)
from .handlers.forum import on_topic_message
from .handlers.general import (
    error_handler,
    help_command,
    on_shown_button,
    on_unknown_button,
    start_command,
    unknown_command,
)
from .handlers.reactions import on_reaction
from .handlers.settings import (
    on_settings_button,
    on_subscribe_button,
    settings_command,
    subscribe_command,
    unsubscribe_command,
)
from .health import Health
from .jobs import register_jobs
from .metrics import MeteredRequest, Metrics
from .services import Services
from .updates import GuardedUpdates
from .upkeep import register_upkeep

log = logging.getLogger(__name__)

App: TypeAlias = Application[Any, BotContext, Any, Any, Any, Any]
Callback: TypeAlias = Callable[[Update, BotContext], Coroutine[Any, Any, None]]

PUBLIC_COMMANDS = (
    "digest",
    "sources",
    "subscribe",
    "unsubscribe",
    "settings",
    "follow",
    "following",
    "unfollow",
    "help",
    "start",
)
# Telegram's default set leaves reactions out; they are readers' feedback on pushes.
# chat_member stays out: it would report every member joining a large group.
ALLOWED_UPDATES = [kind for kind in Update.ALL_TYPES if kind != Update.CHAT_MEMBER]
# In groups members read; only chat administrators change the chat's subscription.
GROUP_MEMBER_COMMANDS = ("digest", "sources", "following", "help")
# Their administrators get every public command but /start (a private chat's greeting).
GROUP_ADMIN_COMMANDS = tuple(command for command in PUBLIC_COMMANDS if command != "start")
ADMIN_COMMANDS = ("rebuild", "stats", "ingest")
COMMANDS: dict[str, Callback] = {
    "start": start_command,
    "help": help_command,
    "digest": digest_command,
    "sources": sources_command,
    "subscribe": subscribe_command,
    "unsubscribe": unsubscribe_command,
    "settings": settings_command,
    "rebuild": rebuild_command,
    "stats": stats_command,
    "ingest": ingest_command,
    "follow": follow_command,
    "following": following_command,
    "unfollow": unfollow_command,
}
# Commands in chats and channel posts, but not edits: re-running an edited /subscribe
# would surprise more than help.
MESSAGES = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
TOPIC_SERVICE = (
    filters.StatusUpdate.FORUM_TOPIC_CREATED
    | filters.StatusUpdate.FORUM_TOPIC_EDITED
    | filters.StatusUpdate.FORUM_TOPIC_CLOSED
    | filters.StatusUpdate.FORUM_TOPIC_REOPENED
)
# Slow admin commands run as tasks so that other chats' updates are not queued behind them.
SLOW = frozenset({"rebuild", "ingest"})


class ChatOrder(BaseUpdateProcessor):
    """Updates of different chats are handled at once; one chat's, one at a time, in order.

    PTB's default handles every update after the previous one, so each reply's round
    trip to Telegram (tens of milliseconds) delays every other chat: measured by
    ``bench/commands.py``, 200 users at 11 commands/s waited 1.5 s (p50) for /digest.
    Plain ``concurrent_updates`` would let a chat's quick second command (or button)
    overtake its first.
    """

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._chats: dict[int, tuple[asyncio.Lock, list[int]]] = {}  # lock, updates holding it

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock, users = self._chats.setdefault(chat.id, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:  # asyncio's Lock is first come, first served
                await coroutine
        finally:
            users[0] -= 1
            if not users[0]:
                del self._chats[chat.id]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def file_url(base_url: str) -> str:
    """The file download base matching a Bot API base: ``…/bot`` → ``…/file/bot``."""
    head, sep, _ = base_url.rstrip("/").rpartition("/bot")
    return f"{head}/file/bot" if sep else f"{base_url.rstrip('/')}/file/bot"


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    schedule: bool = True,
    metrics: Metrics | None = None,
    health: Health | None = None,
) -> App:
    """The bot, ready for ``run_polling`` or :func:`running`; services start in post_init.

    :param schedule: run the ingest, build, push and upkeep jobs (off: the bot only answers).
    :param metrics: where sends and jobs are counted (default: a registry of its own).
    :param health: what ``/healthz`` judges; fed by getUpdates answers and the store check.
    :raises ConfigError: no bot token is configured.
    """
    if not settings.telegram_token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set (get a token from @BotFather)")

    metrics = metrics or Metrics()

    async def post_init(application: App) -> None:
        application.bot_data[SERVICES_KEY] = Services.create(settings, metrics, health)
        await register_commands(application, settings)
        if schedule:
            register_jobs(application, settings)
        register_upkeep(application, settings, vitals=health is not None, maintenance=schedule)
        log.info("bot @%s ready", application.bot.username)

    builder = (
        Application.builder()
        .token(settings.telegram_token)
        .base_url(settings.telegram_base_url)
        .base_file_url(file_url(settings.telegram_base_url))
        .context_types(ContextTypes(context=BotContext))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .concurrent_updates(ChatOrder())
    )
    # The configured transport (aiohttp by default) and proxy, for replies and polling
    # as for pushes (bot.delivery.client); wrapped to count replies, and to see
    # polling's pulse in each getUpdates answer.
    transport = TransportOptions.from_settings(settings)
    builder = builder.request(metrics.metered(request or make_request(transport), "reply"))
    # Unreadable updates are skipped there, or polling would spin on them (bot/updates.py).
    updates = GuardedUpdates(get_updates_request or make_request(transport, 1))
    pulse = health.polled if health else None
    builder = builder.get_updates_request(MeteredRequest(updates, metrics, None, pulse))
    application: App = builder.build()
    application.bot_data["language"] = settings.language  # for the error handler's apology
    add_handlers(application)
    return application


async def post_shutdown(application: App) -> None:
    # PTB calls this even when start-up failed before post_init (e.g. a rejected token).
    if SERVICES_KEY in application.bot_data:
        await services_of(application).close()
        del application.bot_data[SERVICES_KEY]


def add_handlers(application: App) -> None:
    for name, callback in COMMANDS.items():
        application.add_handler(
            CommandHandler(name, callback, filters=MESSAGES, block=name not in SLOW)
        )
    buttons: list[tuple[type, Callback]] = [
        (ViewButton, on_view_button),
        (SourcesButton, on_sources_button),
        (SourceButton, on_source_button),
        (SettingsButton, on_settings_button),
        (SubscribeButton, on_subscribe_button),
        (ShownButton, on_shown_button),
        (FollowButton, on_follow_button),
        (AlertButton, on_alert_button),
    ]
    # PTB hands a query with empty or no data to the first handler that has a pattern,
    # whatever the pattern: this one takes them (and only them) first, to be answered.
    application.add_handler(CallbackQueryHandler(on_unknown_button, pattern=_no_data))
    for kind, callback in buttons:
        application.add_handler(CallbackQueryHandler(callback, pattern=data_of(kind)))
    application.add_handler(CallbackQueryHandler(on_unknown_button))
    application.add_handler(MessageReactionHandler(on_reaction))
    application.add_handler(MessageHandler(TOPIC_SERVICE, on_topic_message))
    unknown = MESSAGES & (filters.COMMAND | (filters.TEXT & filters.ChatType.PRIVATE))
    application.add_handler(MessageHandler(unknown, unknown_command))
    application.add_error_handler(error_handler)


def _no_data(data: object) -> bool:
    return False  # only called for non-empty data; see add_handlers


async def register_commands(application: App, settings: Settings) -> None:
    """Menus per language (the configured one by default) and scope, and the bot's description.

    Private chats get every public command, group members a reading menu, group
    administrators the settings commands too, the bot's admins also theirs.
    """
    texts, bot = services_of(application).renderer.texts, application.bot
    for lang in LANGUAGES:
        table, about = texts.table("commands", lang), texts.table("about", lang)
        code = None if lang == settings.language else lang
        menu = [BotCommand(c, table[c]) for c in PUBLIC_COMMANDS]
        await bot.set_my_commands(menu, language_code=code)
        members = [BotCommand(c, table[c]) for c in GROUP_MEMBER_COMMANDS]
        await bot.set_my_commands(members, BotCommandScopeAllGroupChats(), language_code=code)
        chat_admins = [BotCommand(c, table[c]) for c in GROUP_ADMIN_COMMANDS]
        scope = BotCommandScopeAllChatAdministrators()
        await bot.set_my_commands(chat_admins, scope, language_code=code)
        await bot.set_my_description(about["description"], language_code=code)
        await bot.set_my_short_description(about["short_description"], language_code=code)
        for admin in settings.admins:
            every = [*menu, *(BotCommand(c, table[c]) for c in ADMIN_COMMANDS)]
            try:
                await bot.set_my_commands(every, BotCommandScopeChat(admin), language_code=code)
            except (BadRequest, Forbidden):  # an admin who never opened a chat with the bot
                log.warning(
                    "no admin command menu for user %s: no chat with the bot",
                    admin,
                    extra={"chat_id": admin},
                )


@asynccontextmanager
async def running(application: App) -> AsyncIterator[App]:
    """What ``run_polling`` does around its loop: initialize, post_init and start, then stop,
    shutdown and post_shutdown. For the webhook server and tests; updates come from elsewhere."""
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        try:
            yield application
        finally:
            await application.stop()
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


async def check_token(application: App) -> None:
    """Ask Telegram who the bot is; raises InvalidToken or NetworkError before start-up."""
    async with application.bot:
        pass
