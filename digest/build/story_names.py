"""What a title names, for the same-story rules: Latin words and names, phrases, a name's
version, a GitHub repository, a description, a link without its tracking."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit

from .themes import STOPWORDS, latin_words

SHARED_PHRASE = 3  # consecutive distinctive Latin words naming one thing ("android studio panda")
NAME_STEM = 5  # letters a shortened name keeps ("clawd" of "clawdbot"): fewer begin any word
SAME_BRIEF = 20  # characters of a description two posts share: one project ("moltbot" renamed)
# A name and the version after it, as a title writes a release ("Gemini 3 Pro", "Bun v1.3",
# "Node.js v25.0.0").
NAMED_VERSION = re.compile(r"(?<![\w.])([a-z][a-z+#.-]*[a-z]) v?(\d+(?:\.\d+)*)(?![\w%]|\.\d)")
_ZEROS = re.compile(r"(?:\.0+)+$")
_TRACKING = re.compile(r"^(utm_|spm$|from$|ref$|source$|share|fbclid$|gclid$)")


def normalise_url(url: str | None) -> str | None:
    """Scheme, www., fragment, trailing slash and tracking parameters do not make a new link."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not _TRACKING.match(k)))
    path = parts.path.rstrip("/") or ""
    return f"{host}{path}" + (f"?{query}" if query else "")


def phrases(title: str) -> frozenset[tuple[str, ...]]:
    """Runs of SHARED_PHRASE consecutive distinctive Latin words ("android studio panda")."""
    words = latin_words(title)
    found = set()
    for start in range(len(words) - SHARED_PHRASE + 1):
        run = tuple(words[start : start + SHARED_PHRASE])
        if all(w not in STOPWORDS and not w.isdigit() for w in run):
            found.add(run)
    return frozenset(found)


def story_names(title: str) -> frozenset[str]:
    """Latin names in a title that could identify one event ("spacex", "k3", "litellm")."""
    return frozenset(
        w
        for w in latin_words(title)
        if len(w) >= 2
        and any(c.isalpha() for c in w)
        and (len(w) >= 4 or any(c.isdigit() for c in w))
        and w not in STOPWORDS | COMMON_WORDS | STORY_NOISE
    )


def shortened(names: frozenset[str], others: frozenset[str]) -> frozenset[str]:
    """Names of one title that begin a longer name of the other, at least NAME_STEM letters
    ("clawd" and "clawdbot"): one thing, shortened in one of them."""
    pairs = [*((a, b) for a in names for b in others), *((b, a) for a in names for b in others)]
    return frozenset(
        short
        for short, long in pairs
        if NAME_STEM <= len(short) < len(long) and long.startswith(short)
    )


def repository(source: str, title: str) -> str | None:
    """A GitHub trending post's repository name, lower case ("litellm" of BerriAI/litellm)."""
    if source != "github" or "/" not in title:
        return None
    return title.rsplit("/", 1)[-1].lower()


def named_versions(title: str) -> frozenset[tuple[str, str]]:
    """A title's names followed by a version number ("gemini", "3"), no common word."""
    return frozenset(
        (name, number)
        for name, number in NAMED_VERSION.findall(title.lower())
        if len(name) >= 3 and name not in STOPWORDS | COMMON_WORDS | STORY_NOISE
    )


def releases(title: str) -> frozenset[tuple[str, str]]:
    """A title's names with the version after each, in one spelling ("node.js", "25")."""
    return frozenset((name, canonical_version(number)) for name, number in named_versions(title))


def canonical_version(number: str) -> str:
    """One spelling of a version: "v25.0.0", "25.0" and "25" are "25"; "2.5" and "250"
    are other versions, and so is "25.0.1"."""
    return _ZEROS.sub("", number.lower().removeprefix("v"))


def brief_of(text: str | None) -> str | None:
    """A description long enough that two posts sharing it are one project."""
    brief = (text or "").strip().lower()
    return brief if len(brief) >= SAME_BRIEF else None


def name_parts(name: str) -> list[str]:
    """A repository name's words: "hermes-agent" is hermes and agent."""
    return [part for part in re.split(r"[-_.]+", name) if part]


def spelt_parts(name: str, words: Sequence[str]) -> list[str]:
    """A repository's dashed name spelt as words in a row of a title ("Hermes Agent" for
    hermes-agent): its parts, or none."""
    parts = name_parts(name)
    if len(parts) < 2:
        return []
    runs = {tuple(words[n : n + len(parts)]) for n in range(len(words) - len(parts) + 1)}
    return parts if tuple(parts) in runs else []


def next_to(first: str, second: str, title: str) -> bool:
    """Whether ``second`` follows ``first`` in ``title`` with only a space or a dash between
    (one name of two words), not two names a clause apart ("Android 升级、Compose")."""
    pattern = rf"(?<![\w.+#-]){re.escape(first)}[ -]+{re.escape(second)}(?![\w+#])"
    return re.search(pattern, title.lower()) is not None


# Words in many unrelated titles that are not names ("launch", "release", "tool").
STORY_NOISE = frozenset(
    "launch launches release released releases tool tools model models agent agents "
    "code coding open source app apps new data system systems api apis guide "
    "skill skills plugin plugins".split()
)

COMMON_WORDS = frozenset(
    "that this with from your have will what about into more than just like make using "
    "used does only over been they them their there when where which while would could "
    "should year years time first last best good great small big open free http https "
    "html www com".split()
)
