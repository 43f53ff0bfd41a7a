"""The offline writer: sentences built only from titles, briefs and stored figures."""

from __future__ import annotations

from dataclasses import dataclass

from ..build.facts import BuildFacts, Key, SourceCount
from ..build.ranking import Item, ScoredPost, ThemeGroup
from ..build.themes import OTHER_ID
from ..document import source_label

MAX_KEY_POINTS = 5
MIN_KEY_POINTS = 3
BRIEF_CHARS = 120
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
        if post.seen.heat is None:
            return self.t("未提供热度数据", "no heat figure given")
        label = source_label(post.seen.post.source, self.language)
        figure = format_figure(post.seen.heat)
        return self.t(f"{label} 热度 {figure}", f"heat {figure} on {label}")

    def label(self, group: ThemeGroup) -> str:
        return group.theme.label(self.language)

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
        groups = [g for g in self.facts.groups if g.theme.id != OTHER_ID][:MAX_KEY_POINTS]
        if len(groups) < MIN_KEY_POINTS:
            groups = self.facts.groups[:MIN_KEY_POINTS]
        points = [self.key_point(group) for group in groups]
        head = self.headline()
        intro = Draft(
            self.t(
                f"今日头条：{self.quote(self.facts.groups[0].items[0].lead)}，"
                f"{self.heat(self.facts.groups[0].items[0].lead)}。",
                f"Top story: {self.quote(self.facts.groups[0].items[0].lead)}, "
                f"{self.heat(self.facts.groups[0].items[0].lead)}.",
            ),
            head.keys,
        )
        return [DraftBlock((intro,)), DraftBlock(tuple(points))]

    def key_point(self, group: ThemeGroup) -> Draft:
        items = group.items[:3]
        lead = items[0].lead
        others = "、".join(self.quote(item.lead) for item in items[1:])
        count = len(group.posts)
        if self.zh:
            text = (
                f"【{self.label(group)}】{count} 篇上榜，"
                f"最热的是{self.quote(lead)}（{self.heat(lead)}）"
            )
            text += f"，另有{others}。" if others else "。"
        else:
            others_en = ", ".join(self.quote(item.lead) for item in items[1:])
            noun = "post" if count == 1 else "posts"
            text = (
                f"{self.label(group)}: {count} {noun}, "
                f"led by {self.quote(lead)} ({self.heat(lead)})"
            )
            text += f"; also {others_en}." if others_en else "."
        return Draft(text, tuple(k for item in items for k in _keys(item)))

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
            short = brief if len(brief) <= BRIEF_CHARS else brief[: BRIEF_CHARS - 1] + "…"
            text += self.t(f"摘要：{short}", f" In brief: {short}")
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
        facts = self.facts
        blocks = []
        by_id = {g.theme.id: g for g in facts.groups}
        trends = [t for t in facts.theme_trends if t.now > t.before and t.theme_id in by_id]
        if trends:
            blocks.append(
                DraftBlock(
                    tuple(
                        Draft(
                            self.t(
                                f"{t.zh}：本期 {t.now} 篇，上期 {t.before} 篇。",
                                f"{t.en}: {t.now} posts now, {t.before} last time.",
                            ),
                            tuple(p.key for p in by_id[t.theme_id].posts[:5]),
                        )
                        for t in trends[:5]
                    ),
                    self.t("升温的主题", "Themes on the rise"),
                )
            )
        new = [p for p in facts.cited_posts if facts.is_new(p)]
        if new and len(new) < len(facts.cited_posts):
            blocks.append(
                DraftBlock(
                    tuple(
                        Draft(
                            self.t(
                                f"{self.quote(p)} 首次上榜（{self.heat(p)}）。",
                                f"{self.quote(p)} is new on the lists ({self.heat(p)}).",
                            ),
                            (p.key,),
                        )
                        for p in new[:5]
                    ),
                    self.t("新面孔", "Newcomers"),
                )
            )
        staying = sorted(
            ((p, facts.days_seen.get(p.key, 0)) for p in facts.cited_posts),
            key=lambda pair: -pair[1],
        )
        staying = [(p, days) for p, days in staying if days >= 2][:5]
        if staying:
            blocks.append(
                DraftBlock(
                    tuple(
                        Draft(
                            self.t(
                                f"{self.quote(p)} 已连续 {days} 天出现在榜单上。",
                                f"{self.quote(p)} has been on the lists on {days} days.",
                            ),
                            (p.key,),
                        )
                        for p, days in staying
                    ),
                    self.t("持续上榜", "Staying power"),
                )
            )
        if not blocks:
            lead = facts.groups[0]
            blocks.append(
                DraftBlock(
                    (
                        Draft(
                            self.t(
                                "数据只覆盖这一期，尚看不出趋势；"
                                f"本期最集中的主题是{self.label(lead)}（{len(lead.posts)} 篇）。",
                                "The data covers this window only, so no trend shows yet; "
                                f"the busiest theme is {self.label(lead)} "
                                f"({len(lead.posts)} posts).",
                            ),
                            tuple(p.key for p in lead.posts[:3]),
                        ),
                    ),
                    self.t("信号", "Signals"),
                )
            )
        return blocks


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
