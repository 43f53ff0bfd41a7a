"""hotdigest's domain: store, sources, builder, writers and rendering.

Never imports ``bot`` or ``telegram``: the Telegram front end depends on this
package, not the other way round.
"""

from .clock import day_window, from_iso, local_moment, parse_hhmm, to_iso, utcnow, zone
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
from .models import Post, make_post, parse_heat
from .store import Fetch, SeenPost, Store

__all__ = [
    "BuildError",
    "ConfigError",
    "DigestError",
    "Fetch",
    "ImportReport",
    "ImportRowError",
    "Post",
    "SeenPost",
    "SourceError",
    "Store",
    "StoreError",
    "UsageError",
    "WriterError",
    "day_window",
    "from_iso",
    "import_posts",
    "local_moment",
    "make_post",
    "parse_heat",
    "parse_hhmm",
    "to_iso",
    "utcnow",
    "zone",
]
