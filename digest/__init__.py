"""hotdigest's domain: store, sources, builder, writers and rendering.

Never imports ``bot`` or ``telegram``: the Telegram front end depends on this
package, not the other way round.
"""

from .build.builder import (
    MAX_POSTS,
    BuildOptions,
    build_digest,
    compose_digest,
    filtered_digest,
)
from .build.day import DayBuild, build_day, build_off_loop
from .build.heat import HeatChart, heat_chart
from .build.themes import Theme, load_themes
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
from .follow.alerts import (
    AlertBatch,
    AlertItem,
    AlertOptions,
    AlertRun,
    alert_counts,
    finish_batch,
    load_batch,
    plan_alerts,
    release_held,
)
from .follow.expression import Group, parse_expression, parse_group
from .follow.follows import AlertSettings, Follow, Follows, parse_quiet
from .follow.lookup import (
    ChatFollows,
    cited_follows,
    follow_overview,
    matching_posts,
    with_follows,
)
from .models import Post, make_post, parse_heat
from .push.alerts import Alert, build_alerts, ingest_alerts
from .push.chat_settings import (
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
from .push.ledger import CORRECTION, Claim, Finish, Ledger, PartKey
from .push.planning import (
    PushJob,
    PushPlan,
    correction_jobs,
    follow_migration,
    plan_date,
    plan_pushes,
)
from .push.reactions import ANONYMOUS_REACTOR, DayReactions, reactions_by_day, record_reactions
from .push.schedule import Schedule
from .push.subscriptions import (
    LINK_PREVIEWS,
    TOPIC_CLOSED,
    TOPIC_DELETED,
    TOPIC_REASONS,
    Subscription,
    SubscriptionKey,
    Subscriptions,
    topic_problem,
)
from .render.bot_text import BotTexts, language_of
from .render.chart import render_chart
from .render.renderer import (
    Renderer,
    digest_filename,
    render_markdown,
    render_telegram,
    render_text,
)
from .render.telegram_html import (
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    safe_href,
    split_blocks,
    split_caption,
    visible_length,
)
from .sources import (
    Proxies,
    check_proxy_url,
    make_http_client,
    make_source,
    mask_password,
    proxy_password,
)
from .sources.ingest import IngestResult, ingest_sources
from .sources.probe import Probe, probe_source
from .sources.refresh import ingest_in_thread
from .store.archive import (
    DigestChange,
    SavedDigest,
    compare_digests,
    digest_versions,
    get_digest,
    latest_digest,
    save_digest,
)
from .store.backup import (
    BackupReport,
    backup_database,
    backup_into,
    restore_database,
    verify_database,
)
from .store.build_log import BuildRecord, last_build
from .store.check import check_store
from .store.importer import ImportReport, import_posts
from .store.incidents import open_incidents
from .store.llm_cache import llm_usage
from .store.lock import lock_holder, store_lock
from .store.problems import store_problem
from .store.retention import (
    BatchSizer,
    PruneStep,
    TableSize,
    checkpoint_file,
    prune_steps,
    set_autocheckpoint,
    table_sizes,
    timed_prune_batch,
)
from .store.stats import collect_stats
from .store.store import Fetch, SeenPost, Store
from .store.vitals import StoreVitals, store_vitals
from .writers.llm import LlmWriter
from .writers.llm_client import LlmConfig
from .writers.llm_probe import probe_llm

__all__ = [
    "ANONYMOUS_REACTOR",
    "CAPTION_LIMIT",
    "CORRECTION",
    "LANGUAGES",
    "LINK_PREVIEWS",
    "MAX_POSTS",
    "MESSAGE_LIMIT",
    "SECTION_IDS",
    "TOPIC_CLOSED",
    "TOPIC_DELETED",
    "TOPIC_REASONS",
    "Alert",
    "AlertBatch",
    "AlertItem",
    "AlertOptions",
    "AlertRun",
    "AlertSettings",
    "BackupReport",
    "BatchSizer",
    "Block",
    "BotTexts",
    "BuildError",
    "BuildOptions",
    "BuildRecord",
    "ChatDefaults",
    "ChatFollows",
    "Claim",
    "ConfigError",
    "DayBuild",
    "DayReactions",
    "Digest",
    "DigestChange",
    "DigestError",
    "Edit",
    "Fetch",
    "Finish",
    "Follow",
    "Follows",
    "Footer",
    "Group",
    "HeatChart",
    "ImportReport",
    "ImportRowError",
    "IngestResult",
    "Ledger",
    "LlmConfig",
    "LlmWriter",
    "PartKey",
    "Post",
    "Probe",
    "Proxies",
    "PruneStep",
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
    "StoreVitals",
    "Subscription",
    "SubscriptionKey",
    "Subscriptions",
    "TableSize",
    "Theme",
    "UsageError",
    "WriterError",
    "alert_counts",
    "backup_database",
    "backup_into",
    "build_alerts",
    "build_day",
    "build_digest",
    "build_off_loop",
    "chat_settings",
    "check_proxy_url",
    "check_store",
    "checkpoint_file",
    "cited_follows",
    "collect_stats",
    "compare_digests",
    "compose_digest",
    "correction_jobs",
    "cycle_source",
    "day_window",
    "digest_filename",
    "digest_versions",
    "edit_settings",
    "filtered_digest",
    "finish_batch",
    "follow_migration",
    "follow_overview",
    "from_iso",
    "get_digest",
    "heat_chart",
    "import_posts",
    "ingest_alerts",
    "ingest_in_thread",
    "ingest_sources",
    "language_of",
    "last_build",
    "latest_digest",
    "llm_usage",
    "load_batch",
    "load_themes",
    "local_moment",
    "lock_holder",
    "make_http_client",
    "make_post",
    "make_source",
    "mask_password",
    "matching_posts",
    "open_incidents",
    "parse_expression",
    "parse_group",
    "parse_heat",
    "parse_hhmm",
    "parse_quiet",
    "plan_alerts",
    "plan_date",
    "plan_pushes",
    "probe_llm",
    "probe_source",
    "proxy_password",
    "prune_steps",
    "reactions_by_day",
    "record_reactions",
    "release_held",
    "render_chart",
    "render_markdown",
    "render_telegram",
    "render_text",
    "restore_database",
    "safe_href",
    "save_digest",
    "section_id",
    "set_autocheckpoint",
    "source_label",
    "source_state",
    "split_blocks",
    "split_caption",
    "store_lock",
    "store_problem",
    "store_vitals",
    "stored_language",
    "subscribe_chat",
    "table_sizes",
    "timed_prune_batch",
    "to_iso",
    "toggle_section",
    "topic_problem",
    "unsubscribe_chat",
    "utcnow",
    "verify_database",
    "visible_length",
    "with_follows",
    "zone",
]
