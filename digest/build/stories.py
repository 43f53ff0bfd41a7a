"""Same story: merge the posts of one window that report one event, and say why."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from difflib import SequenceMatcher

from .story_history import StoryHistory
from .story_items import Item, ScoredPost, hottest_first
from .story_markers import ONCE_A_DAY, event_words, is_guide, names_once_a_day
from .story_names import (
    COMMON_WORDS,
    NAME_STEM,
    STORY_NOISE,
    brief_of,
    canonical_version,
    name_parts,
    named_versions,
    next_to,
    normalise_url,
    phrases,
    releases,
    repository,
    shortened,
    spelt_parts,
    story_names,
)
from .themes import STOPWORDS, jaccard, latin_words, title_tokens

SIMILAR_TITLES = 0.5  # Jaccard of title tokens at which two posts are the same story
STORY_RARE = 3  # posts naming a thing at most this often: it may identify one event
STORY_COMMON = 8  # a name on more posts than this says nothing about a story
RARE_TOKEN = 40  # tokens on more posts than this are too common to suggest a duplicate
CJK_PHRASE = 5  # Han characters in a row two titles share: one wording of one event
_HAN = re.compile(r"[\u4e00-\u9fff]")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_CJK_BIGRAM = re.compile(r"^[\u4e00-\u9fff]{2}$")
_VERSION = re.compile(r"^v?\d+(\.\d+)+$")


class StoryEvidence:
    """What the titles and links of one window say about which posts are one story."""

    def __init__(self, posts: Sequence[ScoredPost], history: StoryHistory | None = None) -> None:
        self.posts = posts
        self.history = history or StoryHistory()
        self.urls = [normalise_url(p.seen.post.url) for p in posts]
        self.tokens = [title_tokens(p.seen.post.title) for p in posts]
        self.phrases = [phrases(p.seen.post.title) for p in posts]
        self.names = [story_names(p.seen.post.title) for p in posts]
        self.token_posts: Counter[str] = Counter(t for found in self.tokens for t in found)
        self.frequency: Counter[str] = Counter(n for found in self.names for n in found)
        # Only posts sharing a rare token can be alike: common words make no duplicate.
        self.rare_tokens = [
            frozenset(t for t in found if self.token_posts[t] <= RARE_TOKEN)
            for found in self.tokens
        ]
        self.words = [latin_words(p.seen.post.title) for p in posts]
        self.repositories = [repository(p.seen.post.source, p.seen.post.title) for p in posts]
        self.briefs = [brief_of(p.seen.post.brief) for p in posts]
        # Versions are read on English titles only (_new_version), once-a-day events
        # with one search a title (_same_event).
        self.versions = [
            frozenset() if _HAN.search(p.seen.post.title) else releases(p.seen.post.title)
            for p in posts
        ]
        self.once = [names_once_a_day(p.seen.post.title) for p in posts]
        # The events a title names, read when a rule asks (few titles are ever asked).
        self._events: dict[int, frozenset[str]] = {}
        self.guides = [is_guide(p.seen.post.title) for p in posts]
        # Tokens on titles that are not guides: a name the guides repeat is not common.
        self.telling: Counter[str] = Counter(
            t
            for found, guide in zip(self.tokens, self.guides, strict=True)
            if not guide
            for t in found
        )

    def events(self, n: int) -> frozenset[str]:
        """The kinds of release or event post ``n``'s title names (story_markers)."""
        if n not in self._events:
            self._events[n] = event_words(self.posts[n].seen.post.title)
        return self._events[n]

    def candidates(self) -> list[tuple[int, int]]:
        """The pairs ``link`` can join: a link, a rare token or a distinctive name in common
        (a repository's dashed name counts its parts); every other pair shares nothing a
        rule reads."""
        postings: dict[tuple[str, str], list[int]] = defaultdict(list)
        for i in range(len(self.posts)):
            keys = {("url", self.urls[i] or "")} if self.urls[i] else set()
            keys.update({("brief", self.briefs[i] or "")} if self.briefs[i] else set())
            keys.update(("token", token) for token in self.rare_tokens[i])
            names = set(self.names[i]) | set(name_parts(self.repositories[i] or ""))
            keys.update(("name", n) for n in names if self.frequency[n] <= STORY_COMMON)
            keys.update(("version", " ".join(v)) for v in self.versions[i])
            if self.once[i]:  # a renaming's names shortened (_same_event)
                keys.update(("stem", n[:NAME_STEM]) for n in self.names[i] if len(n) >= NAME_STEM)
            for key in keys:
                postings[key].append(i)
        return sorted(
            {
                (members[m], j)
                for members in postings.values()
                for m in range(len(members))
                for j in members[m + 1 :]
            }
        )

    def link(self, i: int, j: int) -> str | None:
        """Why posts ``i`` and ``j`` are one story, or None when nothing says so."""
        if self.urls[i] and self.urls[i] == self.urls[j]:
            return "same link"
        if self.briefs[i] and self.briefs[i] == self.briefs[j]:
            return "same description"
        if self.rare_tokens[i] & self.rare_tokens[j]:
            alike = jaccard(self.tokens[i], self.tokens[j])
            if alike >= SIMILAR_TITLES:
                return f"alike titles (Jaccard {alike:.2f})"
            if phrase := self.phrases[i] & self.phrases[j]:
                return f"shared phrase {' '.join(min(phrase))!r}"
        if wording := self._new_phrase(i, j):
            return f"phrase {wording} new to the last {self.history.posts} posts"
        if name := self._new_name(i, j):
            return f"name {name} new to the last {self.history.posts} posts"
        if release := self._new_version(i, j):
            return f"release {release} new to the last {self.history.posts} posts"
        if self.guides[i] or self.guides[j]:
            # A guide, tip or test names no release: not the story of what it names by a
            # name the store has seen before (bench/days/README.md, the same-story
            # convention). A name no earlier post carried (above) still links it: the
            # labelled days pair such guides with their event (bench/README.md, round 5).
            return None
        return self._same_story(i, j) or self._same_event(i, j) or self._same_release(i, j)

    def explain(self, i: int, j: int) -> str:
        """What the two posts share, for a pair no rule links (bench/themes.py --stories)."""
        names = sorted(self.names[i] & self.names[j])
        return f"Jaccard {jaccard(self.tokens[i], self.tokens[j]):.2f}; shared names " + (
            ", ".join(f"{n}×{self.frequency[n]}" for n in names) or "none"
        )

    def _same_story(self, i: int, j: int) -> str | None:
        """Posts on different lists naming the same rare things report the same event.

        Across sources and languages a title shares names, not wording: "SpaceX 收购
        Cursor" and "SpaceX to buy Cursor for $60B". A name is rare when at most
        STORY_RARE posts of the window carry it; two shared names, one of them
        rare, make a story ("claude" is on too many posts to count, "spacex" is not). A
        GitHub repository named in another list's title is one ("BerriAI/litellm" and
        "Litellm 1.82.7 … compromised").
        Posts of one list are two articles on one product, unless on one release
        (_one_list).
        """
        a, b = self.posts[i].seen.post, self.posts[j].seen.post
        shared = self.names[i] & self.names[j]
        if a.source == b.source:
            return self._one_list(i, j, shared) if shared else None
        distinct = {w for w in shared if self.frequency[w] <= STORY_COMMON}
        rare = {w for w in distinct if self.frequency[w] <= STORY_RARE}
        if rare and len(distinct) >= 2:
            return f"shared names {', '.join(sorted(distinct))}"
        if distinct and (words := self._own_words(i, j)):
            return f"shared name {min(distinct)} and words {', '.join(words)}"
        return self._repository_named(i, j)

    def _repository_named(self, i: int, j: int) -> str | None:
        """A GitHub repository whose name another list's title carries beside an event.

        With a history, rarity comes from it (a name it has not kept seeing): the day's
        own story puts its repository's name on several titles ("openclaw" on four the day
        of its renaming), which the window alone would take for a common word.
        """
        limit = STORY_COMMON if self.history.long_enough else STORY_RARE
        for name, k in ((self.repositories[i], j), (self.repositories[j], i)):
            if name is None:
                continue
            if all(self.history.common(part) for part in name_parts(name)):
                # flutter/flutter: words the lists keep using, a story only beside an event
                # a thing has once a day (facebook/react the day of React's vulnerability).
                if kind := self._once_a_day_of(name, k):
                    return f"{kind} of repository {name}"
                continue
            if not self.events(k):
                continue  # a project trending and a post on using it are two stories
            if self._names_short(name, k) or (
                len(name) >= 5 and name in self.names[k] and self.frequency[name] <= limit
            ):
                return f"repository {name} named"
            parts = spelt_parts(name, self.words[k])  # one of them a rare name
            if any(0 < self.frequency[part] <= STORY_RARE for part in parts):
                return f"repository {name} spelt as words"
        return None

    def _once_a_day_of(self, name: str, k: int) -> str | None:
        """The kind of once-a-day event (an outage, a purchase, a renaming, a vulnerability)
        title ``k`` tells of ``name``, a name on at most STORY_COMMON titles of the window."""
        if not self.once[k] or name not in self.names[k] or self.frequency[name] > STORY_COMMON:
            return None
        return min(self.events(k) & ONCE_A_DAY, default=None)

    def _same_event(self, i: int, j: int) -> str | None:
        """Two titles naming one thing and the same event a thing has once on a day (an
        outage, a purchase, a renaming, a vulnerability: story_markers.ONCE_A_DAY), on any
        lists: "Cloudflare outage on December 5" and "Cloudflare 貌似又挂了".

        The thing may be on many titles of the window or of the history (an outage is
        written about everywhere), up to STORY_COMMON of the window: the event kind, not
        the name's rarity, tells the story. A name that is itself the event word (Kotlin's
        `suspend` beside "suspended access") names nothing. A renaming gives a thing several
        names on its day: there a name may be shortened in one title ("Clawd" for
        "Clawdbot", story_names.shortened), where "React" and "Reactor" are two things.
        """
        if not (self.once[i] and self.once[j]):
            return None  # the kinds are read only for titles that may name such events
        kinds = self.events(i) & self.events(j) & ONCE_A_DAY
        shared = self.names[i] & self.names[j]
        if "renamed" in kinds:
            shared |= shortened(self.names[i], self.names[j])
        names = sorted(
            n
            for n in shared
            if self.frequency[n] <= STORY_COMMON and not event_words(n)  # not "suspend" itself
        )
        return f"{min(kinds)} of {names[0]} in both" if kinds and names else None

    def _same_release(self, i: int, j: int) -> str | None:
        """A name on these two posts only, followed in both titles by one version however
        it is written ("Node.js 25 正式发布" and "Node.js v25.0.0 发布": 25 = 25.0 = v25.0.0,
        never 2.5 or 250), on any lists and in any language.

        A number without a dot ("iPhone 17", "Node.js 25") is a model as often as a
        release: it counts only where both titles name one kind of release or event.
        """
        if not any(self.frequency[n] == 2 for n in self.names[i] & self.names[j]):
            return None  # most pairs: versions and events are read only past this
        a, b = self.posts[i].seen.post.title, self.posts[j].seen.post.title
        found = sorted(
            f"{name} {canonical_version(one)}"
            for name, one in named_versions(a)
            for other_name, other in named_versions(b)
            if name == other_name
            and self.frequency[name] == 2
            and canonical_version(one) == canonical_version(other)
            and (("." in one and "." in other) or self.events(i) & self.events(j) - {"version"})
        )
        return f"release {found[0]} on these two posts only" if found else None

    def _new_version(self, i: int, j: int) -> str | None:
        """A name and its version number that two English titles share and no earlier title
        carried ("Gemini 3" on five Hacker News posts the day it came out): one release in
        any words. A version the history has seen ("Vue 3", "Python 3") is a topic the lists
        keep, not the day's release; with no history, nothing is new.

        Chinese titles are left out: there a new model's name is on the articles that follow
        it (a switch to it, its leaked prompt), each its own story under the convention,
        where English headlines of a release day link its announcements. Two titles naming
        different events (the release and a later suspension) are two stories.
        """
        shared = self.versions[i] & self.versions[j]  # empty on Chinese titles
        if not shared or self.events(i) != self.events(j):
            return None
        new = sorted(" ".join(v) for v in shared if self.history.new_version(*v))
        return new[0] if new else None

    def _names_short(self, name: str, k: int) -> bool:
        """A short repository name (three or four letters, "bun" of oven-sh/bun) as a word of
        title ``k``, when the history tells it is no word the lists keep using (the caller
        asks) and at most STORY_RARE titles of the window carry it: without a history a
        short word is too likely a common one."""
        return (
            3 <= len(name) < 5
            and self.history.long_enough
            and name in self.words[k]
            and name not in STOPWORDS | COMMON_WORDS | STORY_NOISE
            and self.token_posts[name] <= STORY_RARE
        )

    def _one_list(self, i: int, j: int, shared: frozenset[str]) -> str | None:
        """Two articles of one list on one thing: one name of two words beside an event, or a
        name and a version, that no other post of the window carries.

        "Compose Multiplatform 1.10 Interop views 新特性" and "Compose Multiplatform 1.10.0
        重磅发布", "jQuery 4.0 正式发布" and "jQuery 4.0 发布：是否仍值得使用？" are one
        event each; one name alone is not ("Flutter" on two juejin posts is a topic the
        list keeps writing about, "Claude Code" twice is two tutorials), nor a name and
        any word ("HarmonyOS …的时间" twice is a column).
        """
        names = sorted(w for w in shared if self.frequency[w] == 2)
        titles = self.posts[i].seen.post.title, self.posts[j].seen.post.title
        together = [
            f"{first} {second}"
            for first, second in zip(self.words[i], self.words[i][1:], strict=False)
            if {first, second} <= set(names) and all(next_to(first, second, t) for t in titles)
        ]
        if together and self._one_event(i, j):
            return f"name {together[0]} on these two posts only"
        versions = sorted(
            t
            for t in self.tokens[i] & self.tokens[j]
            if _VERSION.match(t) and self.token_posts[t] == 2
        )
        if names and versions:
            return f"release {names[0]} {versions[0]} on these two posts only"
        return None

    def _new_name(self, i: int, j: int) -> str | None:
        """A Latin name two Chinese titles share, on no other post of the window and new to
        the history ("GetX 之死" and "浅谈Getx删库跑库了"), where one title names an event
        (删库) and, if both do, the same kind (_one_event).

        In a Chinese title a Latin word is a name; the history tells a name the lists keep
        writing about ("Flutter") from one that arrived with an event. English titles are
        left out: in mostly Chinese lists every English word looks rare. Guides carrying
        the name besides do not count (_only_guides_besides).
        """
        if not self.history.long_enough or not self._one_event(i, j):
            return None
        a, b = self.posts[i].seen.post.title, self.posts[j].seen.post.title
        if not (_HAN.search(a) and _HAN.search(b)):
            return None
        new = sorted(
            t
            for t in self.tokens[i] & self.tokens[j]
            if t.isascii()
            and any(c.isalpha() for c in t)
            and t not in COMMON_WORDS | STORY_NOISE
            and self._only_guides_besides(t, i, j)
            and self.history.rare(t)
        )
        return new[0] if new else None

    def _only_guides_besides(self, token: str, i: int, j: int) -> bool:
        """No title of the window but the two carries the token, or only guides do: the
        set-up guides that follow a project going viral do not make its name common."""
        return self.telling[token] - (not self.guides[i]) - (not self.guides[j]) == 0

    def _one_event(self, i: int, j: int) -> bool:
        """At least one of two titles names a release or event, and when both do, the same
        kind: "Kimi新出的「代码神器」" and "Kimi 开源新模型" are two products of one company."""
        a, b = self.events(i), self.events(j)
        return bool(a & b) if a and b else bool(a or b)

    def _new_phrase(self, i: int, j: int) -> str | None:
        """CJK_PHRASE Han characters in a row that two titles share, no other title of the
        window has and no earlier title had ("出不了好作品" in two V2EX threads arguing one
        question): a wording, where a set phrase ("从入门到精通") is in the history."""
        shared = self.tokens[i] & self.tokens[j]
        if not self.history.long_enough or sum(1 for t in shared if _CJK_BIGRAM.match(t)) < 4:
            return None
        a, b = self.posts[i].seen.post.title.lower(), self.posts[j].seen.post.title.lower()
        match = SequenceMatcher(None, a, b, autojunk=False).find_longest_match()
        runs = _HAN_RUN.findall(a[match.a : match.a + match.size])
        phrase = max(runs, key=len, default="")
        if len(phrase) < CJK_PHRASE or not self.history.new_phrase(phrase):
            return None
        others = (p.seen.post.title.lower() for n, p in enumerate(self.posts) if n not in (i, j))
        return None if any(phrase in title for title in others) else phrase

    def _own_words(self, i: int, j: int) -> list[str]:
        """CJK bigrams the two titles share and no other title of the window has.

        A name on several posts ("Claude", six that day) tells nothing alone; with words
        only these two titles use ("身份" in "Claude居然要上传身份证" and "Claude 平台推行身份
        验证"), two lists tell one event in their own words.
        """
        shared = self.tokens[i] & self.tokens[j]
        return sorted(t for t in shared if _CJK_BIGRAM.match(t) and self.token_posts[t] == 2)


def merge_duplicates(
    posts: Sequence[ScoredPost], history: StoryHistory | None = None
) -> list[Item]:
    """Union posts that are the same story: same link, alike titles, or shared rare names
    (rare in the window, or, with ``history``, new to the lists)."""
    parent = list(range(len(posts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    evidence = StoryEvidence(posts, history)
    for i, j in evidence.candidates():
        a, b = find(i), find(j)
        if a != b and evidence.link(i, j):
            parent[max(a, b)] = min(a, b)
    groups: dict[int, list[ScoredPost]] = defaultdict(list)
    for i, post in enumerate(posts):
        groups[find(i)].append(post)
    items = [Item(sorted(members, key=hottest_first)) for members in groups.values()]
    items.sort(key=lambda item: hottest_first(item.lead))
    return items
