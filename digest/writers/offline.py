"""The offline writer: sentences built only from titles, briefs and stored figures."""

from __future__ import annotations

from dataclasses import dataclass

from ..build.facts import BuildFacts, Key, SourceCount, ThemeTrend
from ..build.ranking import Item, ScoredPost, ThemeGroup
from ..build.themes import OTHER_ID
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


_ENDINGS = ("。", "！", "？", "!", "?", ".", "…", "；", ";")


def _gap(label: str) -> str:
    """A space between a Latin source name and the Chinese that follows it."""
    return " " if label[-1:].isascii() else ""


def format_figure(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


class OfflineWriter:
    """Writes every section in one language from BuildFacts; deterministic."""

    name = "offline"

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
        label = source_label(post.seen.post.source, self.language)
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

    def label(self, group: ThemeGroup) -> str:
        return group.theme.label(self.language)

    def named(self, group: ThemeGroup) -> str:
        """The theme's label set off from the sentence around it."""
        return f"「{self.label(group)}」" if self.zh else self.label(group)

    # -- sections --------------------------------------------------------------

    def headline(self) -> Draft:
        lead = self.facts.groups[0].items[0]
        return Draft(lead.lead.seen.post.title, _keys(lead))

    def sections(self) -> list[DraftSection]:
        titles = SECTION_TITLES[self.language]
        builders = (self.summary, self.highlights, self.metrics, self.outlook)
        ids = ("summary", "highlights", "metrics", "outlook")
        return [
            DraftSection(i, titles[i], tuple(build()))
            for i, build in zip(ids, builders, strict=True)
        ]

    def summary(self) -> list[DraftBlock]:
        """Two to four sentences: the main theme and why it leads, then the next two."""
        themed = [g for g in self.facts.groups if g.theme.id != OTHER_ID]
        if not themed:
            lead = self.facts.groups[0].items[0].lead
            return [
                DraftBlock(
                    (
                        Draft(
                            self.t(
                                f"今天的帖子没有形成明显的主题，最靠前的是{self.quote(lead)}"
                                f"（{self.heat(lead)}）。",
                                f"No theme stands out today; the top post is "
                                f"{self.quote(lead)} ({self.heat(lead)}).",
                            ),
                            (lead.key,),
                        ),
                        Draft(self.t(self._window_sentence(), self._window_sentence())),
                    )
                )
            ]
        main, *rest = themed
        sentences = [self._main_theme(main)]
        if rest:
            sentences.append(self._next_themes(rest[:2]))
        else:
            sentences.append(Draft(self._window_sentence()))
        return [DraftBlock(tuple(sentences))]

    def _window_sentence(self) -> str:
        cited = len(self.facts.cited_posts)
        return self.t(
            f"本期窗口共 {self.facts.window_posts} 篇，摘要收录 {cited} 篇。",
            f"The window holds {self.facts.window_posts} posts; the digest cites {cited}.",
        )

    def _sources_of(self, group: ThemeGroup) -> str:
        counts: dict[str, int] = {}
        for post in group.posts:
            counts[post.seen.post.source] = counts.get(post.seen.post.source, 0) + 1
        ordered = sorted(counts, key=lambda s: (-counts[s], s))
        return ("、" if self.zh else ", ").join(source_label(s, self.language) for s in ordered)

    def _main_theme(self, group: ThemeGroup) -> Draft:
        lead = group.items[0].lead
        count, sources = len(group.posts), self._sources_of(group)
        trend = next((t for t in self.facts.theme_trends if t.theme_id == group.theme.id), None)
        change = ""
        if self.facts.previous_posts and trend is not None:
            change = self.t(f"，上期 {trend.before} 篇", f"; {trend.before} last time")
        text = self.t(
            f"今天的主线是{self.named(group)}：{count} 篇上榜，来自{sources}，"
            f"按各榜名次折算的热度合计最高；领头的是{self.quote(lead)}（{self.heat(lead)}）"
            f"{change}。",
            f"The day's main theme is {self.named(group)}: {count} "
            f"{'post' if count == 1 else 'posts'} from {sources}, the highest heat once each "
            f"list's ranks are made comparable; it is led by {self.quote(lead)} "
            f"({self.heat(lead)}){change}.",
        )
        return Draft(text, tuple(k for item in group.items[:3] for k in _keys(item)))

    def _next_themes(self, groups: list[ThemeGroup]) -> Draft:
        parts = []
        for group in groups:
            lead = group.items[0].lead
            count = len(group.posts)
            parts.append(
                self.t(
                    f"{self.named(group)}（{count} 篇，领头的是{self.quote(lead)}，"
                    f"{self.heat(lead)}）",
                    f"{self.named(group)} ({count} {'post' if count == 1 else 'posts'}, "
                    f"led by {self.quote(lead)}, {self.heat(lead)})",
                )
            )
        text = self.t(f"其次是{'和'.join(parts)}。", f"Next come {' and '.join(parts)}.")
        return Draft(text, tuple(k for g in groups for k in _keys(g.items[0])))

    def highlights(self) -> list[DraftBlock]:
        blocks = []
        for group in self.facts.groups:
            count = len(group.posts)
            heading = self.t(
                f"{self.label(group)}（{count} 篇）",
                f"{self.label(group)} ({count} {'post' if count == 1 else 'posts'})",
            )
            blocks.append(
                DraftBlock(tuple(self.item_sentence(item) for item in group.items), heading)
            )
        return blocks

    def item_sentence(self, item: Item) -> Draft:
        lead = item.lead
        text = self.t(
            f"{self.quote(lead)}，{self.heat(lead)}。", f"{self.quote(lead)}: {self.heat(lead)}."
        )
        brief = lead.seen.post.brief
        if brief:
            short = cut_brief(brief)
            end = "" if short.endswith(_ENDINGS) else self.t("。", ".")
            text += self.t(f"摘要：{short}{end}", f" In brief: {short}{end}")
        if len(item.posts) > 1:
            also = ("、" if self.zh else ", ").join(self.quote(p) for p in item.posts[1:])
            n = len(item.posts) - 1
            text += self.t(
                f"另有 {n} 篇讲的是同一件事：{also}。", f" {n} more on the same story: {also}."
            )
        return Draft(text, _keys(item))

    def metrics(self) -> list[DraftBlock]:
        heat_lines = tuple(
            Draft(
                self.t(f"{self.quote(p)}：{self.heat(p)}", f"{self.quote(p)}: {self.heat(p)}"),
                (p.key,),
            )
            for p in self.facts.cited_posts
        )
        blocks = [DraftBlock(heat_lines, self.t("上榜热度", "Heat of cited posts"))]
        blocks.append(
            DraftBlock(
                tuple(self.theme_range(g) for g in self.facts.groups),
                self.t("主题热度", "Heat by theme"),
            )
        )
        blocks.append(
            DraftBlock(
                tuple(self.source_count(c) for c in self.facts.per_source),
                self.t("来源分布", "Posts per source"),
            )
        )
        blocks.append(
            DraftBlock(
                tuple(self.comparison()), self.t("与上期相比", "Against the previous digest")
            )
        )
        return blocks

    def theme_range(self, group: ThemeGroup) -> Draft:
        parts = []
        for source in sorted({p.seen.post.source for p in group.posts}):
            figures = [
                p.seen.heat
                for p in group.posts
                if p.seen.post.source == source and p.seen.heat is not None
            ]
            missing = sum(
                1 for p in group.posts if p.seen.post.source == source and p.seen.heat is None
            )
            label = source_label(source, self.language)
            if figures:
                low, high, total = min(figures), max(figures), sum(figures)
                span = (
                    format_figure(low)
                    if low == high
                    else (f"{format_figure(low)}–{format_figure(high)}")
                )
                parts.append(
                    self.t(
                        f"{label} 热度 {span}，合计 {format_figure(total)}",
                        f"{label} heat {span}, total {format_figure(total)}",
                    )
                )
            if missing:
                parts.append(
                    self.t(
                        f"{label} {missing} 篇无热度数据",
                        f"{missing} on {label} without a heat figure",
                    )
                )
        joined = ("；" if self.zh else "; ").join(parts)
        count = len(group.posts)
        text = self.t(
            f"{self.label(group)}：{count} 篇，{joined}。",
            f"{self.label(group)}: {count} {'post' if count == 1 else 'posts'}, {joined}.",
        )
        return Draft(text, tuple(p.key for p in group.posts))

    def source_count(self, count: SourceCount) -> Draft:
        label = source_label(count.source, self.language)
        return Draft(
            self.t(
                f"{label}：窗口内 {count.posts} 篇，{count.with_heat} 篇有热度数据，"
                f"本期引用 {count.cited} 篇。",
                f"{label}: {count.posts} posts in the window, {count.with_heat} with a heat "
                f"figure, {count.cited} cited.",
            )
        )

    def comparison(self) -> list[Draft]:
        facts = self.facts
        if not facts.previous_posts:
            return [
                Draft(
                    self.t(
                        "上一期窗口内没有数据，暂无对比。",
                        "The previous window has no posts to compare with.",
                    )
                )
            ]
        new = [p for p in facts.cited_posts if facts.is_new(p)]
        lines = []
        if new:
            names = ("、" if self.zh else ", ").join(self.quote(p) for p in new[:8])
            lines.append(
                Draft(
                    self.t(f"新上榜 {len(new)} 篇：{names}。", f"{len(new)} new entries: {names}."),
                    tuple(p.key for p in new[:8]),
                )
            )
        moves = heat_moves(facts)
        rising = sorted((m for m in moves if m[2] > m[1]), key=lambda m: m[1] - m[2])[:5]
        falling = sorted((m for m in moves if m[2] < m[1]), key=lambda m: m[2] - m[1])[:5]
        for word_zh, word_en, chosen in (("升温", "Rising", rising), ("降温", "Falling", falling)):
            for post, before, now in chosen:
                figures = f"{format_figure(before)} → {format_figure(now)}"
                lines.append(
                    Draft(
                        self.t(
                            f"{word_zh}：{self.quote(post)}，{figures}。",
                            f"{word_en}: {self.quote(post)}, {figures}.",
                        ),
                        (post.key,),
                    )
                )
        if facts.dropped:
            lines.append(
                Draft(
                    self.t(
                        f"上期的 {facts.dropped} 篇本期未再出现。",
                        f"{facts.dropped} posts of the previous window are gone.",
                    )
                )
            )
        if not lines:
            lines.append(
                Draft(
                    self.t(
                        "与上期相比没有新上榜或热度变化。",
                        "No new entries and no heat changes since last time.",
                    )
                )
            )
        return lines

    def outlook(self) -> list[DraftBlock]:
        """The last 7 days: rising and falling themes, stayers; says when history is short."""
        facts = self.facts
        blocks = [self._history_note()] if facts.history_days < HISTORY_ENOUGH else []
        for build in (self._rising, self._falling, self._newcomers, self._staying):
            if (block := build()) is not None:
                blocks.append(block)
        if len(blocks) == 1 and not facts.history_days:
            blocks.append(self._busiest())
        return blocks

    def _history_note(self) -> DraftBlock:
        days = self.facts.history_days
        if not days:
            text = self.t(
                f"历史数据不足：最近 {STAYING_DAYS} 天里只有本期的数据，还谈不上升温或降温。",
                f"Too little history: of the last {STAYING_DAYS} days only this window has "
                "posts, so nothing can be said about rising or falling themes yet.",
            )
        else:
            text = self.t(
                f"历史数据有限：最近 {STAYING_DAYS} 天里此前只有 {days} 天有数据，"
                "下面的趋势仅供参考。",
                f"Little history: only {days} earlier {'day' if days == 1 else 'days'} of "
                f"the last {STAYING_DAYS} {'has' if days == 1 else 'have'} posts, so read "
                "the trends below with care.",
            )
        return DraftBlock((Draft(text),), self.t("历史", "History"))

    def _trend_line(self, t: ThemeTrend) -> Draft:
        by_id = {g.theme.id: g for g in self.facts.groups}
        days, week = self.facts.history_days, format_figure(round(t.week, 1))
        keys = tuple(p.key for p in by_id[t.theme_id].posts[:5]) if t.theme_id in by_id else ()
        return Draft(
            self.t(
                f"{t.zh}：本期 {t.now} 篇，上期 {t.before} 篇，此前 {days} 天平均每天 {week} 篇。",
                f"{t.en}: {t.now} posts now, {t.before} last time, {week} a day over the "
                f"{days} earlier {'day' if days == 1 else 'days'}.",
            ),
            keys,
        )

    def _rising(self) -> DraftBlock | None:
        if not self.facts.history_days:
            return None
        trends = [t for t in self.facts.theme_trends if t.now > t.week and t.now > t.before]
        trends.sort(key=lambda t: (-(t.now - t.week), t.theme_id))
        if not trends:
            return None
        lines = tuple(self._trend_line(t) for t in trends[:5])
        return DraftBlock(lines, self.t("升温的主题", "Themes on the rise"))

    def _falling(self) -> DraftBlock | None:
        if not self.facts.history_days:
            return None
        trends = [t for t in self.facts.theme_trends if t.week >= 2 and t.now < t.week / 2]
        trends.sort(key=lambda t: (-(t.week - t.now), t.theme_id))
        if not trends:
            return None
        lines = tuple(self._trend_line(t) for t in trends[:3])
        return DraftBlock(lines, self.t("降温的主题", "Themes cooling down"))

    def _newcomers(self) -> DraftBlock | None:
        facts = self.facts
        new = [p for p in facts.cited_posts if facts.is_new(p)]
        if not new or len(new) == len(facts.cited_posts):
            return None
        lines = tuple(
            Draft(
                self.t(
                    f"{self.quote(p)} 首次上榜（{self.heat(p)}）。",
                    f"{self.quote(p)} is new on the lists ({self.heat(p)}).",
                ),
                (p.key,),
            )
            for p in new[:5]
        )
        return DraftBlock(lines, self.t("新面孔", "Newcomers"))

    def _staying(self) -> DraftBlock | None:
        facts = self.facts
        staying = sorted(
            ((p, facts.days_seen.get(p.key, 0)) for p in facts.cited_posts),
            key=lambda pair: -pair[1],
        )
        chosen = [(p, days) for p, days in staying if days >= 2][:5]
        if not chosen:
            return None
        lines = tuple(
            Draft(
                self.t(
                    f"{self.quote(p)} 最近 {STAYING_DAYS} 天里有 {days} 天出现在榜单上。",
                    f"{self.quote(p)} has been on the lists on {days} of the last "
                    f"{STAYING_DAYS} days.",
                ),
                (p.key,),
            )
            for p, days in chosen
        )
        return DraftBlock(lines, self.t("持续上榜", "Staying power"))

    def _busiest(self) -> DraftBlock:
        lead = next((g for g in self.facts.groups if g.theme.id != OTHER_ID), self.facts.groups[0])
        return DraftBlock(
            (
                Draft(
                    self.t(
                        f"本期最集中的主题是{self.label(lead)}（{len(lead.posts)} 篇）。",
                        f"The busiest theme is {self.label(lead)} ({len(lead.posts)} posts).",
                    ),
                    tuple(p.key for p in lead.posts[:3]),
                ),
            ),
            self.t("信号", "Signals"),
        )


def heat_moves(facts: BuildFacts) -> list[tuple[ScoredPost, float, float]]:
    """(post, heat before, heat now) for cited posts with a figure in both windows."""
    moves = []
    for post in facts.cited_posts:
        before = facts.previous.get(post.key)
        if before is not None and post.seen.heat is not None:
            moves.append((post, before, post.seen.heat))
    return moves


def _keys(item: Item) -> tuple[Key, ...]:
    return tuple(post.key for post in item.posts)
