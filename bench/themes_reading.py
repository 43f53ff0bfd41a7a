"""Reading-rule variants of the theme matcher, scored by bench/themes_loo.py (issue 14, h14match).

Each variant is a few literal text edits of the working tree's `digest/` and `data/` (see
`themes_loo.score_variant`): how the matcher reads a repository's owner and language,
words glued into compound names, AI coding's generic words and chatter. Only
"narrowing" is shipped (its variant is the rule taken out); bench/README.md has the figures.

    uv run python bench/themes_loo.py narrowing code owner glued language chatter
"""

from __future__ import annotations

Edit = tuple[str, str, str]  # file under the tree, old text, new text
Variants = list[tuple[str, tuple[Edit, ...]]]
THEMES = "digest/build/themes.py"
TAXONOMY = "data/themes.toml"
RANKING = "digest/build/ranking.py"

# A repository's title "owner/name": today both are read as the title (weight 2).
_REPO = """        title = _REPO_SEPARATORS.sub(" ", title)
        title = _GLUED_ACRONYM.sub(" ", title)
"""
_NAME = """        owner, _, name = title.rpartition("/")
        title = _GLUED_ACRONYM.sub(" ", _REPO_SEPARATORS.sub(" ", name))
"""
_OWNER_AS_BRIEF = """        words = _GLUED_ACRONYM.sub(" ", _REPO_SEPARATORS.sub(" ", owner))
        brief = words + " " + (brief or "")
"""
_OWNER_UNLESS_NAME = """        if owner.lower() != name.lower():
            words = _GLUED_ACRONYM.sub(" ", _REPO_SEPARATORS.sub(" ", owner))
            brief = words + " " + (brief or "")
"""

# The GitHub language (`category`) of a trending repository.
_SINGLE = (
    "        return assign_theme(post.title, post.brief, themes, repository=_is_repository(item))\n"
)
_LANGUAGE_AS_BRIEF = """        brief = post.brief
        if post.source == "github" and post.category:
            brief = f"{brief or ''} {post.category}"
        return assign_theme(post.title, brief, themes, repository=_is_repository(item))
"""
_LANGUAGE_IF_NOTHING = """        found = assign_theme(
            post.title, post.brief, themes, repository=_is_repository(item)
        )
        if found is None and post.source == "github" and post.category:
            found = assign_theme(post.category, None, themes)
        return found
"""

# Words glued into one Latin word: edges inside it where a keyword may start or end.
_NORMALIZE_END = """    return _SPACE_NEAR_CJK.sub("", " ".join(text.lower().split()))
"""
_EDGES = """

def _edges(text: str) -> tuple[str, frozenset[tuple[int, int]], frozenset[int]]:
    lowered = normalize(text)
    spaced = _SPACE_NEAR_CJK.sub("", " ".join(text.split()))
    if spaced.lower() != lowered:
        return lowered, frozenset(), frozenset()
    spans = frozenset(m.span() for m in _GLUED.finditer(spaced))
    return lowered, spans, frozenset(m.start() for m in _CAMEL.finditer(spaced))
"""
# "eGPU", "FastAPI", "nanoGPT" (after a small letter); "MCPServer", "JSBridge" (before a word).
_ACRONYM = (
    r'_GLUED = re.compile(r"(?<=[a-z])[A-Z]{N,}(?=[^a-z]|$)|(?<![A-Za-z])[A-Z]{N,}(?=[A-Z][a-z])")'
)
# Every word of a camel-case name: "SpringBoot", "macOS", "WebSocket".
_CAMEL = r'_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")'
_MATCHES = "    def matches(self, text: str) -> list[tuple[int, int, str]]:\n"
_MATCHES_GLUED = (
    "    def matches(self, text: str, spans: frozenset[tuple[int, int]] = frozenset(), "
    "edges: frozenset[int] = frozenset()) -> list[tuple[int, int, str]]:\n"
)
_CANDIDATE = "if candidate in self.owners and _bounded(text, start, start + length):"
_CANDIDATE_ACRONYM = (
    "if candidate in self.owners and ((start, start + length) in spans"
    " or _bounded(text, start, start + length)):"
)
_CANDIDATE_CAMEL = _CANDIDATE_ACRONYM.replace("length)):", "length, edges)):")
_BOUNDED = """def _bounded(text: str, start: int, end: int) -> bool:"""
_BOUNDED_EDGES = (
    "def _bounded(text: str, start: int, end: int, edges: frozenset[int] = frozenset()) -> bool:"
)
_LEFT = "    if _ascii_alnum(text[start]) and start > 0 and _ascii_alnum(text[start - 1]):"
_LEFT_EDGES = _LEFT.replace("if ", "if start not in edges and ", 1)
_RIGHT = (
    "    return not (_ascii_alnum(text[end - 1]) and end < len(text) and _ascii_alnum(text[end]))"
)
_RIGHT_EDGES = _RIGHT.replace("return ", "return end in edges or ", 1)
_READ = """    text = normalize(text)
    # Longest first, so "android studio" (a tool) claims its span before "android".
    matches = sorted(index.matches(text), key=lambda m: (-(m[1] - m[0]), m[0]))"""
_READ_GLUED = """    text, spans, edges = _edges(text)
    matches = sorted(index.matches(text, spans, edges), key=lambda m: (-(m[1] - m[0]), m[0]))"""


def _glued(acronym_letters: int, camel: bool) -> tuple[Edit, ...]:
    """Acronyms of ``acronym_letters`` or more glued to a word match as keywords; with
    ``camel``, every word of a camel-case name may start or end a keyword."""
    patterns = "\n" + _ACRONYM.replace("N", str(acronym_letters)) + "\n" + _CAMEL + "\n"
    edits = [
        (THEMES, _NORMALIZE_END, _NORMALIZE_END + patterns + _EDGES),
        (THEMES, _MATCHES, _MATCHES_GLUED),
        (THEMES, _CANDIDATE, _CANDIDATE_CAMEL if camel else _CANDIDATE_ACRONYM),
        (THEMES, _READ, _READ_GLUED),
    ]
    if camel:
        edits += [(THEMES, _BOUNDED, _BOUNDED_EDGES), (THEMES, _LEFT, _LEFT_EDGES)]
        edits.append((THEMES, _RIGHT, _RIGHT_EDGES))
    return tuple(edits)


_CHATTER = "    chatter = [t.id for t in themes if t.chatter and t.id in in_title]\n"
_CHATTER_UNLESS_OUTWEIGHED = """    talk = {t.id for t in themes if t.chatter}
    topic = max((v for k, v in in_title.items() if k not in talk), default=0.0)
    chatter = [t.id for t in themes if t.id in talk & in_title.keys() and in_title[t.id] >= topic]
"""

READING: dict[str, Variants] = {
    # The shipped rule taken out: AI coding's generic words win ties with no AI word again.
    "narrowing": [
        (
            "no narrowing-only",
            ((THEMES, "    scores = _narrowing_only(scores, specific, themes)\n", ""),),
        )
    ],
    # "代码" (code) as a generic AI-coding word: what it files alone (stop 24's note).
    "code": [("no 代码", ((TAXONOMY, '"代码!", ', ""),))],
    # A repository's owner read as its description (weight 1) instead of its title (2).
    "owner": [
        ("owner as brief", ((THEMES, _REPO, _NAME + _OWNER_AS_BRIEF),)),
        ("owner dropped", ((THEMES, _REPO, _NAME),)),
        ("owner unless name", ((THEMES, _REPO, _NAME + _OWNER_UNLESS_NAME),)),
    ],
    # A keyword glued into a longer Latin word, in every title and brief.
    "glued": [
        ("acronyms 2+", _glued(2, camel=False)),
        ("acronyms 3+", _glued(3, camel=False)),
        ("camel-case words", _glued(2, camel=True)),
    ],
    # GitHub's language of a trending repository, read as a word of its description.
    "language": [
        ("language as brief", ((RANKING, _SINGLE, _LANGUAGE_AS_BRIEF),)),
        ("language if nothing", ((RANKING, _SINGLE, _LANGUAGE_IF_NOTHING),)),
    ],
    # A title's chatter word decides only when no topic weighs more in the title.
    "chatter": [("chatter unless less", ((THEMES, _CHATTER, _CHATTER_UNLESS_OUTWEIGHED),))],
}
