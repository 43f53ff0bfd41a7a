"""The offline writer's vocabulary: drafts citing posts by key, and how posts are named."""

from __future__ import annotations

from dataclasses import dataclass

from ..build.facts import BuildFacts, Key
from ..build.ranking import Item, ScoredPost, ThemeGroup
from ..document import source_label

BRIEF_CHARS = 120
STAYING_DAYS = 7  # the builder counts days on the lists over this many days
HISTORY_ENOUGH = 3  # earlier days with posts before trends are stated without a caveat
_SENTENCE_ENDS = ("。", "！", "？", "；", "!", "?", ";", ". ", "…")
_CLAUSE_ENDS = ("，", "、", "：", ", ", ": ", " - ", " — ")
SECTION_TITLES = {
    "zh": {
        "summary": "核心摘要",
        "highlights": "今日要点",
        "metrics": "数据与指标",
        "outlook": "趋势与机会",
        "sources": "来源列表",
    },
    "en": {
        "summary": "Summary",
        "highlights": "Highlights",
        "metrics": "Metrics",
        "outlook": "Outlook",
        "sources": "Sources",
    },
}


@dataclass(frozen=True, slots=True)
class Draft:
    """A sentence citing posts by key; numbering happens once the whole digest is written."""

    text: str
    keys: tuple[Key, ...] = ()


@dataclass(frozen=True, slots=True)
class DraftBlock:
    statements: tuple[Draft, ...]
    heading: str | None = None


@dataclass(frozen=True, slots=True)
class DraftSection:
    id: str
    title: str
    blocks: tuple[DraftBlock, ...]


def cut_brief(text: str, limit: int = BRIEF_CHARS) -> str:
    """``text`` in at most ``limit`` characters, cut after a sentence, else a clause, else a
    word, and ending with "…" when cut; never mid-word unless one word fills the limit.

    A cut nearer the start than 40% of ``limit`` would drop too much: the next kind of
    boundary is tried instead.
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    floor = int(limit * 0.4)
    for marks in (_SENTENCE_ENDS, _CLAUSE_ENDS, (" ",)):
        end = max(head.rfind(mark) for mark in marks)
        if end >= floor:
            return head[:end].rstrip(" ,.;:，。；：、") + "…"
    return head + "…"


SENTENCE_ENDINGS = ("。", "！", "？", "!", "?", ".", "…", "；", ";")


def _gap(label: str) -> str:
    """A space between a name ending in a Latin letter or digit and the Chinese that follows
    it ("GitHub Trending 榜首"); none after Chinese ("Hacker News 最新第 2 名", "掘金榜首")."""
    return " " if label and label[-1].isascii() and label[-1].isalnum() else ""


def format_figure(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


class Voice:
    """Sentences in one language about BuildFacts: quoting, placing and naming posts."""

    def __init__(self, facts: BuildFacts, language: str) -> None:
        self.facts = facts
        self.zh = language == "zh"
        self.language = language

    def t(self, zh: str, en: str) -> str:
        return zh if self.zh else en

    def quote(self, post: ScoredPost) -> str:
        title = post.seen.post.title
        return f"《{title}》" if self.zh else f"“{title}”"

    def heat(self, post: ScoredPost) -> str:
        """Where the post stands on its own list, and its heat figure if the list gives one.

        Heat figures of different lists mean different things (HN points, juejin heat),
        so a post is only ever said to lead its own list.
        """
        label = self.site(post.seen.post.source)
        place = self.facts.places.get(post.key)
        if post.seen.heat is None and post.seen.rank is None:
            # Neither a figure nor a list position: any place would be our guess.
            return self.t(f"{label}，未提供热度数据", f"{label}, no heat figure given")
        if place is None:
            where = label
        elif place == 1:
            where = self.t(f"{label}{_gap(label)}榜首", f"#1 on {label}")
        else:
            where = self.t(f"{label}{_gap(label)}第 {place} 名", f"#{place} on {label}")
        if post.seen.heat is None:
            return where
        figure = format_figure(post.seen.heat)
        return self.t(f"{where}，热度 {figure}", f"{where}, heat {figure}")

    def site(self, source: str) -> str:
        """The list's name as readers know it (a configured display name first)."""
        return source_label(source, self.language, self.facts.source_names)

    def label(self, group: ThemeGroup) -> str:
        return group.theme.label(self.language)

    def named(self, group: ThemeGroup) -> str:
        """The theme's label set off from the sentence around it."""
        return f"「{self.label(group)}」" if self.zh else self.label(group)


def keys_of(item: Item) -> tuple[Key, ...]:
    return tuple(post.key for post in item.posts)
