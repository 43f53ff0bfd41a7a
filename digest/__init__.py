"""hotdigest's domain: store, sources, builder, writers and rendering.

Never imports ``bot`` or ``telegram``: the Telegram front end depends on this
package, not the other way round.
"""

from .archive import (
    DigestChange,
    SavedDigest,
    compare_digests,
    digest_versions,
    get_digest,
    latest_digest,
    save_digest,
)
from .bot_text import BotTexts, default_texts, language_of
from .builder import BuildOptions, build_digest, compose_digest, filtered_digest
from .chat_settings import (
    ChatDefaults,
    Edit,
    SettingChange,
    chat_settings,
    cycle_source,
    edit_settings,
    source_state,
    stored_language,
    subscribe_chat,
    toggle_section,
    unsubscribe_chat,
)
from .clock import day_window, from_iso, local_moment, parse_hhmm, to_iso, utcnow, zone
from .document import (
    LANGUAGES,
    SECTION_IDS,
    Block,
    Digest,
    Footer,
    Section,
    SourceEntry,
    Statement,
    section_id,
    source_label,
)
from .errors import (
    BuildError,
    ConfigError,
    DigestError,
    ImportRowError,
    SourceError,
    StoreError,
    UsageError,
    WriterError,
)
from .importer import ImportReport, import_posts
from .ingest import IngestResult, ingest_sources
from .ledger import (
    CORRECTION,
    Claim,
    Finish,
    Ledger,
    PartKey,
    PushJob,
    PushPlan,
    correction_jobs,
    follow_migration,
    plan_date,
    plan_pushes,
)
from .llm_cache import llm_usage
from .llm_client import LlmConfig
from .models import Post, make_post, parse_heat
from .refresh import ingest_in_thread
from .render import (
    Renderer,
    digest_filename,
    render_markdown,
    render_telegram,
    render_text,
)
from .schedule import Schedule
from .sources import make_http_client, make_source
from .stats import collect_stats
from .store import Fetch, SeenPost, Store
from .subscriptions import Subscription, Subscriptions
from .telegram_html import MESSAGE_LIMIT, safe_href, split_blocks, visible_length
from .themes import Theme, load_themes
from .writer_llm import LlmWriter

__all__ = [
    "CORRECTION",
    "LANGUAGES",
    "MESSAGE_LIMIT",
    "SECTION_IDS",
    "Block",
    "BotTexts",
    "BuildError",
    "BuildOptions",
    "ChatDefaults",
    "Claim",
    "ConfigError",
    "Digest",
    "DigestChange",
    "DigestError",
    "Edit",
    "Fetch",
    "Finish",
    "Footer",
    "ImportReport",
    "ImportRowError",
    "IngestResult",
    "Ledger",
    "LlmConfig",
    "LlmWriter",
    "PartKey",
    "Post",
    "PushJob",
    "PushPlan",
    "Renderer",
    "SavedDigest",
    "Schedule",
    "Section",
    "SeenPost",
    "SettingChange",
    "SourceEntry",
    "SourceError",
    "Statement",
    "Store",
    "StoreError",
    "Subscription",
    "Subscriptions",
    "Theme",
    "UsageError",
    "WriterError",
    "build_digest",
    "chat_settings",
    "collect_stats",
    "compare_digests",
    "compose_digest",
    "correction_jobs",
    "cycle_source",
    "day_window",
    "default_texts",
    "digest_filename",
    "digest_versions",
    "edit_settings",
    "filtered_digest",
    "follow_migration",
    "from_iso",
    "get_digest",
    "import_posts",
    "ingest_in_thread",
    "ingest_sources",
    "language_of",
    "latest_digest",
    "llm_usage",
    "load_themes",
    "local_moment",
    "make_http_client",
    "make_post",
    "make_source",
    "parse_heat",
    "parse_hhmm",
    "plan_date",
    "plan_pushes",
    "render_markdown",
    "render_telegram",
    "render_text",
    "safe_href",
    "save_digest",
    "section_id",
    "source_label",
    "source_state",
    "split_blocks",
    "stored_language",
    "subscribe_chat",
    "to_iso",
    "toggle_section",
    "unsubscribe_chat",
    "utcnow",
    "visible_length",
    "zone",
]
