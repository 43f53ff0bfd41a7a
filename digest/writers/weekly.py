"""The offline writer of a weekly digest: the week's stayers, climbers, themes and sources.

Same sections (ids, citations by post key, figures from the store only) as the daily
writer, whose sentences it reuses where they fit; the LLM writer and its validation
rewrite a week's prose exactly as a day's.
"""

from __future__ import annotations

from ..build.facts import BuildFacts
from ..build.ranking import ScoredPost
from ..build.week import WeekFacts, WeekStory, WeekTheme
from .draft import SECTION_TITLES, Draft, DraftBlock, DraftSection
from .offline import OfflineWriter

WEEK_TITLES = {
    "zh": {**SECTION_TITLES["zh"], "highlights": "本周要点"},
    "en": {**SECTION_TITLES["en"], "highlights": "The week's highlights"},
}
MOVING_THEMES = 3  # rising (and falling) themes the summary and outlook name


class WeekWriter(OfflineWriter):
    """Writes every section of a week's digest in one language; deterministic."""

    def __init__(self, facts: BuildFacts, language: str, week: WeekFacts) -> None:
        super().__init__(facts, language)
        self.week = week

    def sections(self) -> list[DraftSection]:
        titles = WEEK_TITLES[self.language]
        built = (self.summary(), self.highlights(), self.metrics(), self.outlook())
        ids = ("summary", "highlights", "metrics", "outlook")
        return [DraftSection(i, titles[i], tuple(b)) for i, b in zip(ids, built, strict=True)]

    def headline(self) -> Draft:
        lead = self.week.stories[0]
        return Draft(lead.post.post.title, (lead.post.key,))

    # -- naming ------------------------------------------------------------------------

    def story(self, story: WeekStory) -> ScoredPost:
        return ScoredPost(story.post, story.score)

    def theme(self, theme: WeekTheme) -> str:
        label = theme.zh if self.zh else theme.en
        return f"「{label}」" if self.zh else label

    def theme_keys(self, theme: WeekTheme, count: int = 3) -> tuple[tuple[str, str], ...]:
        group = next((g for g in self.facts.groups if g.theme.id == theme.theme_id), None)
        return tuple(p.key for p in group.posts[:count]) if group else ()

    def counts(self, theme: WeekTheme) -> str:
        return self.t(
            f"本周 {theme.now} 篇，上周 {theme.before} 篇",
            f"{theme.now} posts this week, {theme.before} the week before",
        )

    def rising(self) -> list[WeekTheme]:
        return [t for t in self.week.themes if t.change > 0][:MOVING_THEMES]

    def falling(self) -> list[WeekTheme]:
        found = [t for t in self.week.themes if t.change < 0]
        return sorted(found, key=lambda t: (t.change, t.theme_id))[:MOVING_THEMES]

    def stayed(self, story: WeekStory) -> Draft:
        post = self.story(story)
        return Draft(
            self.t(
                f"{self.quote(post)}：在榜 {story.days} 天，{self.heat(post)}。",
                f"{self.quote(post)}: on the lists {story.days} "
                f"{'day' if story.days == 1 else 'days'}, {self.heat(post)}.",
            ),
            (post.key,),
        )

    def climbed(self, story: WeekStory) -> Draft:
        post, site = self.story(story), self.site(story.post.post.source)
        spaced = f" {site} " if site.isascii() else site
        first, best = story.first_rank, story.post.rank
        return Draft(
            self.t(
                f"{self.quote(post)}：从{spaced}第 {first} 名升至第 {best} 名。",
                f"{self.quote(post)}: from #{first} to #{best} on {site}.",
            ),
            (post.key,),
        )

    # -- sections ----------------------------------------------------------------------

    def summary(self) -> list[DraftBlock]:
        """The week in figures, its longest stayer and biggest climber, its moving themes."""
        week = self.week
        first, last = week.days[0].isoformat(), week.days[-1].isoformat()
        lines = [
            Draft(
                self.t(
                    f"{week.week}（{first} 至 {last}）各榜共出现 {week.posts} 篇，"
                    + (
                        f"上周 {week.previous_posts} 篇。"
                        if week.previous_posts
                        else "上周没有数据。"
                    ),
                    f"In {week.week} ({first} to {last}) the lists carried {week.posts} posts; "
                    + (
                        f"the week before, {week.previous_posts}."
                        if week.previous_posts
                        else "there is no data for the week before."
                    ),
                )
            ),
            self.stayed(week.stories[0]),
        ]
        if week.climbers:
            lines.append(self.climbed(week.climbers[0]))
        if week.previous_posts and (rising := self.rising()):
            lines.append(self._moved(rising[0], self.t("升温最多的主题是", "Rising most: ")))
        if week.previous_posts and (falling := self.falling()):
            lines.append(self._moved(falling[0], self.t("降温最多的是", "Falling most: ")))
        return [DraftBlock(tuple(lines))]

    def _moved(self, theme: WeekTheme, lead: str) -> Draft:
        named, counts = self.theme(theme), self.counts(theme)
        text = self.t(f"{lead}{named}：{counts}。", f"{lead}{named}, {counts}.")
        return Draft(text, self.theme_keys(theme))

    def highlights(self) -> list[DraftBlock]:
        """The longest on the lists, the biggest climbers, then the week's themes."""
        blocks = [
            DraftBlock(
                tuple(self.stayed(s) for s in self.week.stories),
                self.t("在榜最久", "Longest on the lists"),
            )
        ]
        if self.week.climbers:
            blocks.append(
                DraftBlock(
                    tuple(self.climbed(s) for s in self.week.climbers),
                    self.t("排名攀升最多", "Climbed highest"),
                )
            )
        return blocks + super().highlights()

    def metrics(self) -> list[DraftBlock]:
        top = tuple(self._source_top(source) for source in self.week.top_by_source)
        themes = tuple(self._moved(t, "") for t in self.week.themes)
        blocks = [
            DraftBlock(
                tuple(self.source_count(c) for c in self.facts.per_source),
                self.t("来源分布", "Posts per source"),
            ),
            DraftBlock(top, self.t("各来源本周热门", "Each list's top posts of the week")),
        ]
        if themes:
            blocks.append(DraftBlock(themes, self.t("主题与上周相比", "Themes against last week")))
        blocks.append(
            DraftBlock(tuple(self.comparison()), self.t("与上周相比", "Against last week"))
        )
        return blocks

    def _source_top(self, source: str) -> Draft:
        posts = [self.story(s) for s in self.week.top_by_source[source]]
        named = self.t("；", "; ").join(
            self.t(f"{self.quote(p)}（{self.heat(p)}）", f"{self.quote(p)} ({self.heat(p)})")
            for p in posts
        )
        site = self.site(source)
        return Draft(self.t(f"{site}：{named}。", f"{site}: {named}."), tuple(p.key for p in posts))

    def outlook(self) -> list[DraftBlock]:
        """Themes to watch (rising), cooling ones, and the stories that stayed all week."""
        if not self.week.previous_posts:
            note = self.t(
                "上周没有数据，还谈不上主题的升温或降温。",
                "The week before has no posts, so no theme can be said to rise or fall yet.",
            )
            blocks = [DraftBlock((Draft(note),), self.t("历史", "History"))]
        else:
            blocks = [
                DraftBlock(tuple(self._moved(t, "") for t in moving), heading)
                for moving, heading in (
                    (self.rising(), self.t("值得关注：升温的主题", "To watch: rising themes")),
                    (self.falling(), self.t("热度回落的主题", "Cooling themes")),
                )
                if moving
            ]
        stayers = [s for s in self.week.stories if s.days >= len(self.week.days) // 2 + 1]
        if stayers:
            blocks.append(
                DraftBlock(
                    tuple(self.stayed(s) for s in stayers[:3]),
                    self.t("持续受关注", "Attention that lasted"),
                )
            )
        if not blocks:
            blocks.append(DraftBlock((self.stayed(self.week.stories[0]),)))
        return blocks
