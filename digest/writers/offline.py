"""The offline writer: sentences built only from titles, briefs and stored figures."""

from __future__ import annotations

from collections.abc import Sequence

from ..build.facts import BuildFacts, SourceCount
from ..build.ranking import Item, ScoredPost, ThemeGroup
from ..build.themes import OTHER_ID
from ..document import source_label
from .draft import (
    SECTION_TITLES,
    SENTENCE_ENDINGS,
    STAYING_DAYS,
    Draft,
    DraftBlock,
    DraftSection,
    Voice,
    cut_brief,
    format_figure,
    keys_of,
)
from .outlook import OutlookWriter

__all__ = [
    "SECTION_TITLES",
    "STAYING_DAYS",
    "Draft",
    "DraftBlock",
    "DraftSection",
    "OfflineWriter",
    "cut_brief",
    "format_figure",
    "heat_moves",
    "source_label",
]


class OfflineWriter(Voice):
    """Writes every section in one language from BuildFacts; deterministic."""

    name = "offline"

    def headline(self) -> Draft:
        lead = self.facts.groups[0].items[0]
        return Draft(lead.lead.seen.post.title, keys_of(lead))

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
        return ("、" if self.zh else ", ").join(self.site(s) for s in ordered)

    def _main_theme(self, group: ThemeGroup) -> Draft:
        lead = group.items[0].lead
        count, sources = len(group.posts), self._sources_of(group)
        trend = next((t for t in self.facts.theme_trends if t.theme_id == group.theme.id), None)
        change = ""
        if self.facts.previous_posts and trend is not None:
            change = self.t(f"，上期 {trend.before} 篇", f"; {trend.before} last time")
        text = self.t(
            f"今天的主线是{self.named(group)}：{count} 篇上榜，来自{_lead_gap(sources)}{sources}，"
            f"按各榜名次折算（同一榜的第 n 篇计 1/n）得分最高；"
            f"领头的是{self.quote(lead)}（{self.heat(lead)}）{change}。",
            f"The day's main theme is {self.named(group)}: {count} "
            f"{'post' if count == 1 else 'posts'} from {sources}, the highest score once each "
            f"list's ranks are made comparable (the nth post from one list counting 1/n); "
            f"led by {self.quote(lead)} ({self.heat(lead)}){change}.",
        )
        return Draft(text, tuple(k for item in group.items[:3] for k in keys_of(item)))

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
        return Draft(text, tuple(k for g in groups for k in keys_of(g.items[0])))

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
            end = "" if short.endswith(SENTENCE_ENDINGS) else self.t("。", ".")
            text += self.t(f"摘要：{short}{end}", f" In brief: {short}{end}")
        if len(item.posts) > 1:
            also = ("、" if self.zh else ", ").join(self.quote(p) for p in item.posts[1:])
            n = len(item.posts) - 1
            text += self.t(
                f"另有 {n} 篇讲的是同一件事：{also}。", f" {n} more on the same story: {also}."
            )
        return Draft(text, keys_of(item))

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
            label = self.site(source)
            if figures:
                parts.append(self._heat_span(label, figures))
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

    def _heat_span(self, label: str, figures: Sequence[float]) -> str:
        """One list's heat in a theme: a lone post's figure, or how many, their range and
        total (a total of one figure, or a range of equal ones, says nothing more)."""
        if len(figures) == 1:
            figure = format_figure(figures[0])
            return self.t(f"{label} 热度 {figure}", f"{label} heat {figure}")
        low, high = format_figure(min(figures)), format_figure(max(figures))
        n, total = len(figures), format_figure(sum(figures))
        span = self.t(f"均为 {low}", f"{low} each") if low == high else f"{low}–{high}"
        return self.t(
            f"{label} {n} 篇，热度 {span}，合计 {total}",
            f"{label} {n} posts, heat {span}, total {total}",
        )

    def source_count(self, count: SourceCount) -> Draft:
        label = self.site(count.source)
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
        return OutlookWriter(self.facts, self.language).outlook()


def heat_moves(facts: BuildFacts) -> list[tuple[ScoredPost, float, float]]:
    """(post, heat before, heat now) for cited posts with a figure in both windows."""
    moves = []
    for post in facts.cited_posts:
        before = facts.previous.get(post.key)
        if before is not None and post.seen.heat is not None:
            moves.append((post, before, post.seen.heat))
    return moves


def _lead_gap(text: str) -> str:
    """A space between Chinese and a name in Latin letters that follows it."""
    return " " if text[:1].isascii() else ""
