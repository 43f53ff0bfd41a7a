"""Every setting, declared once: key, field, help line, parser and environment variable."""

from __future__ import annotations

from .values import (
    Option,
    _admins,
    _bool,
    _clock,
    _event_loop,
    _expressions,
    _float,
    _int,
    _language,
    _link_preview,
    _path,
    _proxy,
    _text,
    _themes_mode,
    _transport,
    _url,
    _zone,
)

OPTIONS: tuple[Option, ...] = (
    Option("db", "db_path", "SQLite database file (created on first use).", _path, "HOTDIGEST_DB"),
    Option(
        "timezone", "timezone", "IANA zone for dates, windows and defaults.", _zone, "HOTDIGEST_TZ"
    ),
    Option("language", "language", "Default language of digests and replies: zh or en.", _language),
    Option(
        "admins",
        "admins",
        "Telegram user ids allowed to run admin commands.",
        _admins,
        "HOTDIGEST_ADMINS",
    ),
    Option(
        "telegram.token",
        "telegram_token",
        "Bot token from @BotFather.",
        _text,
        "TELEGRAM_BOT_TOKEN",
        secret=True,
        file=False,
    ),
    Option(
        "telegram.base_url",
        "telegram_base_url",
        "Bot API base URL (a self-hosted Bot API server or a fake).",
        _url,
        "TELEGRAM_API_BASE_URL",
    ),
    Option(
        "telegram.transport",
        "telegram_transport",
        "HTTP client for the Bot API: aiohttp, or httpx (python-telegram-bot's own).",
        _transport,
    ),
    Option(
        "telegram.event_loop",
        "event_loop",
        "Event loop of `run` and `push`: uvloop (less CPU per message), or asyncio's own.",
        _event_loop,
    ),
    Option(
        "telegram.proxy",
        "telegram_proxy",
        "Proxy for the Bot API: http://, https:// or socks5://user:pass@host:port.",
        _proxy,
        "TELEGRAM_PROXY",
        proxy=True,
    ),
    Option(
        "telegram.webhook_secret",
        "webhook_secret",
        "Secret token Telegram must send with webhook updates.",
        _text,
        "TELEGRAM_WEBHOOK_SECRET",
        secret=True,
        file=False,
    ),
    Option(
        "digest.build_time", "build_time", "Local time (HH:MM) the daily digest is built.", _clock
    ),
    Option(
        "digest.window_hours",
        "window_hours",
        "Hours of posts a digest covers, ending at its build time.",
        _int(1, 24 * 7),
    ),
    Option(
        "digest.themes_file", "themes_file", "Extra theme taxonomy (TOML) to add or use.", _path
    ),
    Option(
        "digest.themes_mode",
        "themes_mode",
        "extend: add to the bundled themes; replace: use only the file's.",
        _themes_mode,
    ),
    Option(
        "digest.max_posts",
        "max_posts",
        "Most posts a digest cites (each source's top 3 always count): one brief push.",
        _int(5, 500),
    ),
    Option(
        "digest.exclude",
        "digest_exclude",
        "Follow expressions whose posts never appear in digests or alerts.",
        _expressions,
    ),
    Option(
        "ingest.interval_minutes",
        "ingest_minutes",
        "Minutes between scheduled fetches.",
        _int(1, 24 * 60),
    ),
    Option(
        "ingest.timeout",
        "ingest_timeout",
        "Seconds one source request may take in all, however slowly its body arrives.",
        _float(1, 300),
    ),
    Option(
        "ingest.max_body_bytes",
        "ingest_max_body_bytes",
        "Largest source response (decoded bytes) read; a bigger one fails the source.",
        _int(10_000, 500_000_000),
    ),
    Option(
        "ingest.proxy",
        "ingest_proxy",
        "Proxy for the sources: http://, https:// or socks5://user:pass@host:port.",
        _proxy,
        "HOTDIGEST_INGEST_PROXY",
        proxy=True,
    ),
    Option(
        "ingest.alert_after_hours",
        "alert_after_hours",
        "Hours a source may keep failing before the bot's admins are told.",
        _int(1, 24 * 7),
    ),
    Option(
        "schedule.push_time",
        "push_time",
        "Default local push time (HH:MM) for new subscriptions.",
        _clock,
    ),
    Option(
        "schedule.max_push_delay_hours",
        "max_push_delay_hours",
        "A digest older than this is not pushed late after downtime.",
        _int(0, 72),
    ),
    Option(
        "delivery.messages_per_second",
        "messages_per_second",
        "Overall send rate of the bot.",
        _float(0.1, 1000),
    ),
    Option(
        "delivery.group_messages_per_minute",
        "group_messages_per_minute",
        "Messages per minute to one group.",
        _int(1, 60),
    ),
    Option(
        "delivery.allow_paid_broadcast",
        "allow_paid_broadcast",
        "Use Telegram's paid broadcast (up to 1000 messages/s, charged in Stars).",
        _bool,
    ),
    Option(
        "delivery.link_preview",
        "link_preview",
        "A push's link preview: headline (the headline's link) or none; chats may choose.",
        _link_preview,
    ),
    Option("llm.enabled", "llm_enabled", "Write prose with an OpenAI-compatible model.", _bool),
    Option("llm.base_url", "llm_base_url", "Chat Completions base URL.", _url),
    Option("llm.model", "llm_model", "Model name sent to the endpoint.", _text),
    Option("llm.timeout", "llm_timeout", "Seconds to wait for one answer.", _float(1, 600)),
    Option(
        "llm.max_tokens", "llm_max_tokens", "Upper bound of tokens per answer.", _int(64, 32000)
    ),
    Option("llm.temperature", "llm_temperature", "Sampling temperature.", _float(0, 2)),
    Option(
        "llm.api_key",
        "llm_api_key",
        "API key of the LLM endpoint.",
        _text,
        "HOTDIGEST_LLM_API_KEY",
        secret=True,
        file=False,
    ),
    Option(
        "store.keep_days",
        "keep_days",
        "Days of heat snapshots, push-ledger rows and follow alerts to keep (digests are kept).",
        _int(1, 36500),
    ),
    Option(
        "store.maintenance_time",
        "maintenance_time",
        "Local time (HH:MM) of the daily backup and pruning.",
        _clock,
    ),
    Option("backup.dir", "backup_dir", "Directory of the daily backups (unset: none).", _path),
    Option(
        "backup.keep",
        "backup_keep",
        "Daily backups to keep; older ones are deleted.",
        _int(1, 1000),
    ),
)
SOURCES_HELP = "Sources to fetch: [[sources]] tables with name, kind and the kind's options."
_BY_KEY = {option.key: option for option in OPTIONS}
