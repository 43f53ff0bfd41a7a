"""The theme taxonomy and how a post is matched to a theme, for Chinese and English titles."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

BUNDLED_THEMES = Path(__file__).resolve().parents[2] / "data" / "themes.toml"
OTHER_ID = "other"
TITLE_WEIGHT = 2.0
BRIEF_WEIGHT = 1.0
GENERIC_FACTOR = 0.5  # a keyword marked "!" (e.g. "AI") counts half


@dataclass(frozen=True, slots=True)
class Keyword:
    text: str  # normalized (see ``normalize``)
    generic: bool  # marked "!" in the taxonomy: counts half
    noun: bool = False  # written in lower case: a common noun, so its plural matches too


@dataclass(frozen=True, slots=True)
class Theme:
    id: str
    zh: str
    en: str
    keywords: tuple[Keyword, ...] = ()
    chatter: bool = False  # off-topic talk (cars, credit cards, giveaways): never a headline
    # The broader theme this one narrows (AI coding narrows AI and models): when the
    # broader theme leads on generic words alone, a specific keyword of this one wins.
    narrows: str | None = None
    # Themes this one gives way to: when it leads and one of them scored at least
    # YIELD_SHARE of its score, that one wins (deploying an assistant on a cloud server is
    # news about the assistant).
    yields: tuple[str, ...] = ()

    def label(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


OTHER = Theme(OTHER_ID, "其他", "Other")


_SPACE_NEAR_CJK = re.compile(r"\s+(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])\s+")


def normalize(text: str) -> str:
    """Lower case, single spaces, none next to CJK: "AI 写" and "AI写" then match alike.

    Spaces between Latin words stay, so "flutter 3.41" keeps its word boundary.
    """
    return _SPACE_NEAR_CJK.sub("", " ".join(text.lower().split()))


def _keyword(raw: str) -> Keyword:
    text = raw.rstrip("!")
    return Keyword(normalize(text), generic=raw.endswith("!"), noun=text.islower())


def load_themes(extra: Path | None = None, mode: str = "extend") -> tuple[Theme, ...]:
    """The bundled taxonomy, extended or replaced by ``extra``; ConfigError on a bad file."""
    themes = [] if (extra and mode == "replace") else _read(BUNDLED_THEMES)
    if extra:
        for theme in _read(extra):
            themes = [t for t in themes if t.id != theme.id] + [theme]
    return tuple(themes)


def _read(path: Path) -> list[Theme]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read theme taxonomy: {exc}", file=str(path)) from None
    entries = data.get("themes")
    if not isinstance(entries, list) or not entries:
        raise ConfigError("expected [[themes]] tables", key="themes", file=str(path))
    themes = []
    for position, entry in enumerate(entries, start=1):
        key = f"themes[{position}]"
        if not isinstance(entry, dict):
            raise ConfigError("expected a table", key=key, file=str(path))
        for name in ("id", "zh", "en"):
            if not isinstance(entry.get(name), str) or not entry[name].strip():
                raise ConfigError(f"missing or empty {name!r}", key=key, file=str(path))
        words = entry.get("keywords", [])
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise ConfigError("keywords must be a list of strings", key=key, file=str(path))
        if entry["id"] == OTHER_ID:
            raise ConfigError(f"{OTHER_ID!r} is reserved", key=key, file=str(path))
        if not isinstance(entry.get("chatter", False), bool):
            raise ConfigError("chatter must be true or false", key=key, file=str(path))
        if not isinstance(entry.get("narrows", ""), str):
            raise ConfigError("narrows must be a theme id", key=key, file=str(path))
        yields = _ids(entry, "yields", key, path)
        keywords = tuple(_keyword(w) for w in words)
        chatter, narrows = entry.get("chatter", False), entry.get("narrows") or None
        themes.append(
            Theme(entry["id"], entry["zh"], entry["en"], keywords, chatter, narrows, yields)
        )
    return themes


def _ids(entry: dict[str, object], name: str, key: str, path: Path) -> tuple[str, ...]:
    ids = entry.get(name, [])
    if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
        raise ConfigError(f"{name} must be a list of theme ids", key=key, file=str(path))
    return tuple(ids)


class KeywordIndex:
    """All keywords of a taxonomy by first character: one pass over a text finds every match.

    A regex per keyword costs a scan per keyword; here each position looks up only
    the lengths of the keywords that start with its character (a handful).
    """

    def __init__(self, themes: Sequence[Theme]) -> None:
        self.owners: dict[str, list[tuple[str, bool]]] = {}
        for theme in themes:
            for keyword in theme.keywords:
                self.owners.setdefault(keyword.text, []).append((theme.id, keyword.generic))
        # "vulnerabilities" is about what "vulnerability" is: plurals of the nouns match
        # too, unless the taxonomy lists the plural itself (then its own entry decides).
        # Names do not ("anthropics" is a GitHub account, not Anthropic).
        plurals: dict[str, list[tuple[str, bool]]] = {}
        for theme in themes:
            for keyword in theme.keywords:
                for form in _plurals(keyword.text) if keyword.noun else ():
                    if form not in self.owners:
                        plurals.setdefault(form, []).append((theme.id, keyword.generic))
        self.owners.update(plurals)
        lengths: dict[str, set[int]] = {}
        for text in self.owners:
            lengths.setdefault(text[0], set()).add(len(text))
        self.lengths = {char: sorted(found, reverse=True) for char, found in lengths.items()}

    def matches(self, text: str) -> list[tuple[int, int, str]]:
        found = []
        for start, char in enumerate(text):
            for length in self.lengths.get(char, ()):
                if start + length > len(text):
                    continue
                candidate = text[start : start + length]
                if candidate in self.owners and _bounded(text, start, start + length):
                    found.append((start, start + length, candidate))
        return found


def _plurals(text: str) -> tuple[str, ...]:
    """English plural forms of a Latin keyword ending in a letter ("agent" -> "agents")."""
    if not (text[-1].isascii() and text[-1].isalpha()):
        return ()
    if text.endswith(("s", "x", "z", "ch", "sh")):
        return (text + "es",)
    if text.endswith("y") and len(text) > 1 and text[-2] not in "aeiou":
        return (text[:-1] + "ies",)
    return (text + "s",)


def _ascii_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _bounded(text: str, start: int, end: int) -> bool:
    """Latin edges need a boundary: no ASCII letter or digit just outside them.

    (A regex \\b would not do: it treats CJK characters as word characters.)
    """
    if _ascii_alnum(text[start]) and start > 0 and _ascii_alnum(text[start - 1]):
        return False
    # A name with its version glued on is the name: "Vue3", "iOS26", "Vite7".
    if end - start >= 2 and text[end - 1].isascii() and text[end - 1].isalpha():
        while end < len(text) and text[end].isascii() and text[end].isdigit():
            end += 1
    return not (_ascii_alnum(text[end - 1]) and end < len(text) and _ascii_alnum(text[end]))


# Keyed by identity: hashing a whole taxonomy on every call costs more than matching.
# The entry keeps the sequence alive, so its id cannot be reused by another object.
_INDEXES: dict[int, tuple[Sequence[Theme], KeywordIndex]] = {}


def keyword_index(themes: Sequence[Theme]) -> KeywordIndex:
    """The compiled index of a taxonomy (taxonomies are few and immutable: cache them)."""
    cached = _INDEXES.get(id(themes))
    if cached is None or cached[0] is not themes:
        cached = _INDEXES[id(themes)] = (themes, KeywordIndex(themes))
    return cached[1]


def theme_scores(
    title: str, brief: str | None, themes: Sequence[Theme], *, repository: bool = False
) -> dict[str, float]:
    """Score of each matching theme: longest keyword matches first, without overlaps.

    A repository's title is "owner/name-with-dashes": its words are read as words.
    """
    return theme_evidence(title, brief, themes, repository=repository)[0]


def theme_evidence(
    title: str, brief: str | None, themes: Sequence[Theme], *, repository: bool = False
) -> tuple[dict[str, float], set[str]]:
    """:func:`theme_scores`, and the themes a keyword not marked "!" matched (specific)."""
    (in_title, in_brief), specific = _title_and_brief_scores(title, brief, themes, repository)
    return _added(in_title, in_brief), specific


def _title_and_brief_scores(
    title: str, brief: str | None, themes: Sequence[Theme], repository: bool
) -> tuple[tuple[dict[str, float], dict[str, float]], set[str]]:
    """The scores in the title and in the brief, and the themes a specific keyword matched."""
    index = keyword_index(themes)
    if repository:
        title = _REPO_SEPARATORS.sub(" ", title)
        title = _GLUED_ACRONYM.sub(" ", title)
    # Links in briefs ("Article URL: https://….html") say nothing about the topic.
    brief = _URL.sub(" ", brief or "")
    in_title, specific = _text_scores(index, title, TITLE_WEIGHT)
    in_brief, specific_in_brief = _text_scores(index, brief, BRIEF_WEIGHT)
    return (in_title, in_brief), specific | specific_in_brief


def _text_scores(
    index: KeywordIndex, text: str, weight: float
) -> tuple[dict[str, float], set[str]]:
    """Each theme's score in ``text``, and the themes a keyword not marked "!" matched."""
    scores: dict[str, float] = {}
    specific: set[str] = set()
    text = normalize(text)
    # Longest first, so "android studio" (a tool) claims its span before "android".
    matches = sorted(index.matches(text), key=lambda m: (-(m[1] - m[0]), m[0]))
    taken: list[tuple[int, int]] = []
    counted: set[str] = set()
    for start, end, keyword in matches:
        if any(start < t_end and t_start < end for t_start, t_end in taken):
            continue
        taken.append((start, end))
        if keyword in counted:
            continue
        counted.add(keyword)
        for theme_id, generic in index.owners[keyword]:
            scores[theme_id] = scores.get(theme_id, 0.0) + weight * (
                GENERIC_FACTOR if generic else 1.0
            )
            if not generic:
                specific.add(theme_id)
    return scores, specific


def _added(left: dict[str, float], right: dict[str, float]) -> dict[str, float]:
    total = dict(left)  # in match order, never in set order (which varies between runs)
    for key, value in right.items():
        total[key] = total.get(key, 0.0) + value
    return total


def assign_theme(
    title: str, brief: str | None, themes: Sequence[Theme], *, repository: bool = False
) -> str | None:
    """The best theme id for a post, ties to the earlier theme; None when nothing matches.

    A repository's description counts like any brief: one generic word of it ("AI-powered
    …") is enough, since on days no rule was fitted to readers filed such repositories
    under that theme rather than under Open source (bench/README.md, third round).
    Title and brief are matched once each: the title alone decides chatter (a title
    about driving school or a giveaway is chatter even when it says "iOS").
    """
    (in_title, in_brief), specific = _title_and_brief_scores(title, brief, themes, repository)
    scores = _added(in_title, in_brief)
    if not scores:
        return None
    chatter = [t.id for t in themes if t.chatter and t.id in in_title]
    if chatter:
        return chatter[0]
    return best_theme(scores, specific, themes)


def best_theme(scores: dict[str, float], specific: set[str], themes: Sequence[Theme]) -> str:
    """The highest score, ties to the earlier theme, then narrowed (see ``_narrowed``).

    :param specific: the themes a keyword not marked "!" matched
    """
    order = {theme.id: position for position, theme in enumerate(themes)}
    scores = _narrowing_only(scores, specific, themes)
    best = min(scores, key=lambda theme_id: (-scores[theme_id], order[theme_id]))
    return _narrowed(_yielded(best, scores, themes), specific, themes)


def _narrowing_only(
    scores: dict[str, float], specific: set[str], themes: Sequence[Theme]
) -> dict[str, float]:
    """``scores`` without a narrower theme that matched only generic words while the theme
    it narrows matched none, unless no other theme scored.

    A narrower theme's generic words say which part of the broader theme a post is about
    ("代码" beside "AI" is AI coding); with no word of the broader theme they say nothing
    about AI, so another theme's word decides: "我在滴滴探索泛前端代码覆盖率" is frontend.
    """
    kept = {
        theme_id: score
        for theme_id, score in scores.items()
        if not any(
            t.id == theme_id and t.narrows and t.narrows not in scores and t.id not in specific
            for t in themes
        )
    }
    return kept or scores


# A theme gives way only to one that scored at least this share of its own score: a
# deployment guide names the assistant about as often as the server, but an outage story
# that took a chatbot down with it names the cloud on every post and the chatbot on one
# (2025-11-18's Cloudflare outage went under AI while any AI score made cloud yield).
YIELD_SHARE = 0.5


def _yielded(best: str, scores: dict[str, float], themes: Sequence[Theme]) -> str:
    """The theme ``best`` gives way to (its ``yields``) when that one scored at least
    :data:`YIELD_SHARE` of ``best``'s score.

    "超详细的云服务部署 OpenClaw": cloud words (云服务, 部署) say where the assistant runs,
    the assistant is what the post is about.
    """
    for theme in themes:
        if theme.id == best:
            return next(
                (o for o in theme.yields if scores.get(o, 0) >= YIELD_SHARE * scores[best]), best
            )
    return best


def _narrowed(best: str, specific: set[str], themes: Sequence[Theme]) -> str:
    """The narrower theme, when ``best`` leads on generic words alone and it has a specific one.

    "Clone any website using AI coding agents": "AI" twice (generic, AI and models) adds
    up past "coding agents" (AI coding), but only the latter says what the post is.
    """
    if best in specific:
        return best
    for theme in themes:
        if theme.narrows == best and theme.id in specific:
            return theme.id
    return best


_REPO_SEPARATORS = re.compile(r"[-_.]+")
# An acronym glued to a word in a repository's name is a word of its own: "nanoGPT",
# "VideoRAG", "DesktopCommanderMCP".
_GLUED_ACRONYM = re.compile(r"(?<=[a-z])(?=[A-Z]{2,}(?:[^a-z]|$))")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
# A Latin word of a lower-case title ("c++", "next.js", "v1.3"): the one reading of it
# for the theme matcher (title_tokens), the story history and the same-story rules.
LATIN_WORD = re.compile(r"[a-z0-9][a-z0-9.+#-]*")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
STOPWORDS = frozenset(
    "a an and are as at be by for from has have how i in is it its of on or our the this to "
    "was we what when why with you your my new show ask hn vs via".split()
)


def latin_words(text: str) -> list[str]:
    """The Latin words of a text, lower case and in order, keeping inner dots, dashes, +
    and #, and trimming dots and dashes from their ends ("Rust." is "rust")."""
    return [w.strip(".-") for w in LATIN_WORD.findall(text.lower())]


def title_words(lowered: str) -> set[str]:
    """The Latin words of a lower-case text (:func:`latin_words`): what title_tokens and
    the story history read as names."""
    return set(latin_words(lowered))


def title_tokens(text: str) -> frozenset[str]:
    """Latin words (no stop words) plus CJK character bigrams: works without a segmenter."""
    lowered = text.lower()
    words = title_words(lowered)
    tokens = {w for w in words if w and w not in STOPWORDS}
    for run in _CJK.findall(lowered):
        tokens.update(run[i : i + 2] for i in range(len(run) - 1))
        if len(run) == 1:
            tokens.add(run)
    return frozenset(tokens)


def jaccard(left: Iterable[str], right: Iterable[str]) -> float:
    a, b = set(left), set(right)
    return len(a & b) / len(a | b) if a and b else 0.0
