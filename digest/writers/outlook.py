"""趋势与机会 / Outlook: the last 7 days of themes and posts, plain about short history."""

from __future__ import annotations

from collections.abc import Callable

from ..build.facts import ThemeTrend
from ..build.themes import OTHER_ID
from .draft import HISTORY_ENOUGH, STAYING_DAYS, Draft, DraftBlock, Voice, format_figure


class OutlookWriter(Voice):
    """Writes the outlook section from BuildFacts; deterministic."""

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
        return self._moving(
            lambda t: t.now > t.week and t.now > t.before,
            lambda t: t.now - t.week,
            5,
            self.t("升温的主题", "Themes on the rise"),
        )

    def _falling(self) -> DraftBlock | None:
        return self._moving(
            lambda t: t.week >= 2 and t.now < t.week / 2,
            lambda t: t.week - t.now,
            3,
            self.t("降温的主题", "Themes cooling down"),
        )

    def _moving(
        self,
        moves: Callable[[ThemeTrend], bool],
        by: Callable[[ThemeTrend], float],
        most: int,
        heading: str,
    ) -> DraftBlock | None:
        """The ``most`` themes that ``moves``, the largest change (``by``) first."""
        if not self.facts.history_days:
            return None
        trends = [t for t in self.facts.theme_trends if moves(t)]
        trends.sort(key=lambda t: (-by(t), t.theme_id))
        if not trends:
            return None
        return DraftBlock(tuple(self._trend_line(t) for t in trends[:most]), heading)

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
        themed = [g for g in self.facts.groups if g.theme.id != OTHER_ID] or self.facts.groups
        lead = max(themed, key=lambda g: len(g.posts))  # the first of equals: the hottest
        return DraftBlock(
            (
                Draft(
                    self.t(
                        f"本期最集中的主题是{self.named(lead)}（{len(lead.posts)} 篇）。",
                        f"The busiest theme is {self.label(lead)} ({len(lead.posts)} posts).",
                    ),
                    tuple(p.key for p in lead.posts[:3]),
                ),
            ),
            self.t("信号", "Signals"),
        )
