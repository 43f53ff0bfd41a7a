"""The normalized hot-post record every source produces and the store keeps."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from .clock import from_iso, to_iso

# Titles and briefs from the wild can be anything; these caps keep one post from
# dominating memory or a message while never losing a post altogether.
MAX_TITLE = 1000
MAX_BRIEF = 2000
MAX_URL = 2048
# Figures outside these bounds are typos or attacks, not hot lists; beyond them a
# number no longer fits SQLite's INTEGER or a float (400-digit heat, rank 10^30).
MAX_HEAT = 1e15
MAX_RANK = 1_000_000
# A source name reaches every digest, button and log line: a short identifier, as in
# the config, never free text (no RTL overrides, no 100,000-character names).
SOURCE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")


@dataclass(frozen=True, slots=True)
class Post:
    """One hot post as seen on a list: keyed by (source, post_id).

    ``heat`` is the source's own popularity figure (juejin hot_rank, HN points,
    V2EX replies, GitHub stars today); None when the source gives none. It is
    never estimated.
    """

    source: str
    post_id: str
    title: str
    url: str | None = None
    author: str | None = None
    heat: float | None = None
    rank: int | None = None
    category: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    brief: str | None = None
    published_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.source or not self.source.strip():
            raise ValueError("source is empty")
        if not str(self.post_id).strip():
            raise ValueError("post_id is empty")
        if not self.title or not self.title.strip():
            raise ValueError("title is empty")
        if self.heat is not None and not math.isfinite(self.heat):
            raise ValueError(f"heat {self.heat!r} is not a finite number")
        if self.published_at is not None:
            if self.published_at.utcoffset() is None:
                raise ValueError("published_at has no time zone")
            # The store keeps UTC whole seconds; normalizing here makes a stored
            # post compare equal to the one that was saved.
            try:
                moment = self.published_at.astimezone(UTC).replace(microsecond=0)
            except OverflowError:
                raise ValueError("published_at is out of range") from None
            object.__setattr__(self, "published_at", moment)

    def to_row(self) -> dict[str, Any]:
        """The post as a store row (times as UTC ISO text, tags as a list)."""
        row = asdict(self)
        row["tags"] = list(self.tags)
        row["published_at"] = to_iso(self.published_at) if self.published_at else None
        return row


def clean_text(value: object, limit: int) -> str | None:
    """Collapse whitespace, drop control characters, cap the length; None when empty."""
    if value is None:
        return None
    # Drop control characters before collapsing whitespace, so none leaves a
    # stray space behind ("fast \x07" → "fast").
    text = "".join(
        ch for ch in str(value) if ch.isprintable() or ch.isspace() or ch in "\u200b\u200c\u200d"
    )
    text = " ".join(text.split())
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def parse_heat(value: object) -> float | None:
    """A heat figure from a number or a string such as ``"1.2万"``, ``"3,450"``, ``"12k"``.

    Returns None when there is no figure; raises ValueError on something that is
    not a figure at all, so a mistyped field is reported rather than guessed.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"heat {value!r} is not a number")
    if isinstance(value, int) and abs(value) > MAX_HEAT:
        raise ValueError(f"heat {_short(value)} is out of range (at most {MAX_HEAT:.0e})")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip().replace(",", "").lower()
        for suffix in ("热度", "hot", "stars", "points"):
            text = text.removesuffix(suffix).strip()
        scale = 1.0
        for suffix, factor in (("亿", 1e8), ("万", 1e4), ("w", 1e4), ("k", 1e3), ("m", 1e6)):
            if text.endswith(suffix):
                text, scale = text[: -len(suffix)].strip(), factor
                break
        try:
            number = float(text) * scale
        except ValueError:
            raise ValueError(f"heat {value!r} is not a number") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"heat {_short(value)} is not a non-negative number")
    if number > MAX_HEAT:
        raise ValueError(f"heat {_short(value)} is out of range (at most {MAX_HEAT:.0e})")
    return number


def _short(value: object) -> str:
    """A value for an error message: never thousands of digits."""
    text = repr(value) if not isinstance(value, int) else str(value)
    return text if len(text) <= 40 else f"{text[:20]}… ({len(text)} characters)"


def check_source_name(value: object) -> str:
    """``value`` as a source name (a short identifier, as in the config); ValueError if not."""
    if not isinstance(value, str) or not SOURCE_NAME.fullmatch(value.strip()):
        raise ValueError(
            f"source {_short(value)} is not a name (letters, digits, '_', '-', '.'; at most 40)"
        )
    return value.strip()


def make_post(
    *,
    source: object,
    post_id: object,
    title: object,
    url: object = None,
    author: object = None,
    heat: object = None,
    rank: object = None,
    category: object = None,
    tags: object = (),
    brief: object = None,
    published_at: object = None,
) -> Post:
    """Build a Post from loosely typed values, cleaning text and checking types.

    Raises ValueError naming the field that is unusable.
    """
    source_name = check_source_name(source)
    title_text = clean_text(title, MAX_TITLE)
    if not title_text:
        raise ValueError("title is missing or empty")
    if post_id is None or isinstance(post_id, bool | float | dict | list):
        raise ValueError(f"post_id {_short(post_id)} is not a string or integer")
    if len(str(post_id).strip()) > MAX_URL:  # RSS uses links as ids; nothing is longer
        raise ValueError(f"post_id {_short(str(post_id))} is longer than {MAX_URL} characters")
    url_text = _link(url)
    if url_text and not url_text.lower().startswith(("http://", "https://")):
        raise ValueError(f"url {url_text[:80]!r} is not an http(s) link")
    if rank is not None and (isinstance(rank, bool) or not isinstance(rank, int | str)):
        raise ValueError(f"rank {_short(rank)} is not an integer")
    try:
        rank_value = int(rank) if rank not in (None, "") else None
    except ValueError:  # also a string of more than 4,300 digits
        raise ValueError(f"rank {_short(rank)} is not an integer") from None
    if rank_value is not None and not 0 <= rank_value <= MAX_RANK:
        raise ValueError(f"rank {_short(rank_value)} is out of range (0 to {MAX_RANK:,})")
    if isinstance(tags, str):
        tags = [part for part in tags.replace("，", ",").split(",")]
    if not isinstance(tags, list | tuple):
        raise ValueError(f"tags {tags!r} is not a list")
    tag_values = tuple(t for t in (clean_text(tag, 64) for tag in tags) if t)
    return Post(
        source=source_name,
        post_id=str(post_id).strip(),
        title=title_text,
        url=url_text,
        author=clean_text(author, 200),
        heat=parse_heat(heat),
        rank=rank_value,
        category=clean_text(category, 100),
        tags=tag_values,
        brief=clean_text(brief, MAX_BRIEF),
        published_at=_parse_time(published_at),
    )


def _link(value: object) -> str | None:
    """A URL whole or not at all: one cut short (with "…") would be a live, broken link."""
    text = clean_text(value, MAX_URL + 1)
    if text is None or len(text) > MAX_URL or " " in text:
        return None
    return text


def _parse_time(value: object) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("published_at has no time zone")
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            # NaN, or milliseconds where seconds were meant: report, never crash.
            raise ValueError(f"published_at {value!r} is not a usable epoch time: {exc}") from None
    try:
        return from_iso(str(value))
    except ValueError as exc:
        raise ValueError(f"published_at {value!r}: {exc}") from None
