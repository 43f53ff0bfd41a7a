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
from .builder import BuildOptions, build_digest, compose_digest
from .clock import day_window, from_iso, local_moment, parse_hhmm, to_iso, utcnow, zone
from .document import (
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
from .llm_cache import llm_usage
from .llm_client import LlmConfig
from .models import Post, make_post, parse_heat
from .render import (
    Renderer,
    digest_filename,
    render_markdown,
    render_telegram,
    render_text,
)
from .sources import make_http_client, make_source
from .store import Fetch, SeenPost, Store
from .telegram_html import safe_href, split_blocks, visible_length
from .themes import Theme, load_themes
from .writer_llm import LlmWriter

__all__ = [
    "SECTION_IDS",
    "Block",
    "BuildError",
    "BuildOptions",
    "ConfigError",
    "Digest",
    "DigestChange",
    "DigestError",
    "Fetch",
    "Footer",
    "ImportReport",
    "ImportRowError",
    "IngestResult",
    "LlmConfig",
    "LlmWriter",
    "Post",
    "Renderer",
    "SavedDigest",
    "Section",
    "SeenPost",
    "SourceEntry",
    "SourceError",
    "Statement",
    "Store",
    "StoreError",
    "Theme",
    "UsageError",
    "WriterError",
    "build_digest",
    "compare_digests",
    "compose_digest",
    "day_window",
    "digest_filename",
    "digest_versions",
    "from_iso",
    "get_digest",
    "import_posts",
    "ingest_sources",
    "latest_digest",
    "llm_usage",
    "load_themes",
    "local_moment",
    "make_http_client",
    "make_post",
    "make_source",
    "parse_heat",
    "parse_hhmm",
    "render_markdown",
    "render_telegram",
    "render_text",
    "safe_href",
    "save_digest",
    "section_id",
    "source_label",
    "split_blocks",
    "to_iso",
    "utcnow",
    "visible_length",
    "zone",
]
