"""Realistic Digest objects for tests: five sections in zh and en over a numbered source list."""

from __future__ import annotations

from collections.abc import Sequence

from digest.document import SECTION_IDS, Block, Digest, Footer, Section, SourceEntry, Statement

TITLES = (
    "开源大模型 GLM-5 实测：推理与代码生成表现如何",
    "Flutter 3.41 released: what changed for desktop and web",
    "用 AI 写 Android 需求：一个月的踩坑记录",
    "Show HN: a terminal UI for browsing SQLite databases",
    "Android Studio 新版本：JDK 配置终于自动化了",
    "Why our team stopped writing unit tests for generated code",
    "模块联邦 2.0 稳定版：构建速度对比",
    "Ask HN: how do you keep up with AI tooling fatigue?",
)
BRIEFS = (
    "作者用同一组任务对比了几款开源模型。",
    "A minor release with a few welcome surprises.",
    None,
    "Written in Rust, reads any SQLite file read-only.",
    "Gradle 同步更快，内存泄漏检测内置。",
    None,
    "对比了三种打包配置下的冷启动时间。",
    "A thread on burnout and the pace of new tools.",
)
ORIGINS = ("juejin", "hackernews", "juejin", "hackernews", "juejin", "v2ex", "juejin", "hackernews")
HEATS = (1188.0, 412.0, None, 236.0, 1143.0, None, 648.0, 97.5)
THEMES = (
    ("ai-models", "AI 与大模型", "AI and models"),
    ("ai-coding", "AI 编程", "AI coding"),
    ("mobile", "移动开发", "Mobile development"),
)
SECTION_TITLES = {
    "zh": ("核心摘要", "今日要点", "数据与指标", "趋势与机会", "来源列表"),
    "en": ("Summary", "Highlights", "Metrics", "Outlook", "Sources"),
}
EMPTY_NOTICE = {"zh": "这个时间窗口内没有热门内容。", "en": "No hot posts in this window."}


def make_digest(
    titles: Sequence[str] | None = None,
    briefs: Sequence[str | None] | None = None,
    urls: Sequence[str | None] | None = None,
    language: str = "zh",
    version: int = 1,
) -> Digest:
    """A digest over one source per title; ``titles=[]`` gives the empty digest.

    Missing briefs are None and missing urls default to an https link, so a test can
    pass only what it varies.
    """
    titles = TITLES if titles is None else titles
    briefs = BRIEFS if briefs is None else briefs
    urls = urls or ()
    sources = tuple(
        SourceEntry(
            index=n,
            source=ORIGINS[(n - 1) % len(ORIGINS)],
            post_id=f"p{n}",
            title=title,
            url=urls[n - 1] if n - 1 < len(urls) else f"https://example.com/post/{n}?ref=hot&x=1",
            heat=HEATS[(n - 1) % len(HEATS)],
            brief=briefs[n - 1] if n - 1 < len(briefs) else None,
            theme=THEMES[_theme_of(n, len(titles))][0],
        )
        for n, title in enumerate(titles, start=1)
    )
    if not sources:
        return _empty(language, version)
    groups = [[s for s in sources if s.theme == theme[0]] for theme in THEMES]
    groups = [g for g in groups if g]
    return Digest(
        date="2026-02-15",
        version=version,
        fingerprint="f" * 16,
        language=language,
        headline=Statement(sources[0].title, (1,)),
        headlines={lang: Statement(sources[0].title, (1,)) for lang in ("zh", "en")},
        sources=sources,
        sections={lang: _sections(lang, sources, groups) for lang in ("zh", "en")},
        footer=_footer(sorted({s.source for s in sources})),
        facts={
            "window_posts": len(sources) + 3,
            "themes": [
                {
                    "id": g[0].theme,
                    "zh": _label(g[0].theme, "zh"),
                    "en": _label(g[0].theme, "en"),
                    "items": [[s.index] for s in g],
                }
                for g in groups
            ],
        },
    )


def _theme_of(n: int, count: int) -> int:
    """Contiguous runs of sources per theme, so first citations come in index order."""
    return min((n - 1) * len(THEMES) // max(count, 1), len(THEMES) - 1)


def _label(theme_id: str | None, lang: str) -> str:
    zh, en = next((zh, en) for tid, zh, en in THEMES if tid == theme_id)
    return zh if lang == "zh" else en


def _sections(
    lang: str, sources: Sequence[SourceEntry], groups: list[list[SourceEntry]]
) -> tuple[Section, ...]:
    zh = lang == "zh"

    def q(entry: SourceEntry) -> str:
        return f"《{entry.title}》" if zh else f"“{entry.title}”"

    def heat(entry: SourceEntry) -> str:
        if entry.heat is None:
            return "未提供热度数据" if zh else "no heat figure given"
        return f"{entry.source}热度 {entry.heat:,.0f}" if zh else f"heat {entry.heat:,.0f}"

    top = sources[0]
    intro = Statement(f"今日头条：{q(top)}，{heat(top)}。" if zh else f"Top story: {q(top)}.", (1,))
    points = tuple(
        Statement(
            f"{_label(g[0].theme, lang)}：{'、'.join(q(s) for s in g)}。"
            if zh
            else f"{_label(g[0].theme, lang)}: {', '.join(q(s) for s in g)}.",
            tuple(s.index for s in g),
        )
        for g in groups
    )
    highlights = tuple(
        Block(
            tuple(
                Statement(f"{q(s)}{'：' if zh else ': '}{s.brief}" if s.brief else q(s), (s.index,))
                for s in g
            ),
            heading=_label(g[0].theme, lang),
        )
        for g in groups
    )
    metrics = Block(
        tuple(
            Statement(f"{q(s)}{'：' if zh else ': '}{heat(s)}{'。' if zh else '.'}", (s.index,))
            for s in sources
        )
    )
    outlook = Block(
        tuple(
            Statement(
                f"{_label(g[0].theme, lang)}{'有 ' if zh else ' has '}{len(g)}"
                f"{' 篇上榜。' if zh else ' posts on the lists.'}",
                tuple(s.index for s in g),
            )
            for g in groups
        )
    )
    listing = Block(tuple(Statement(s.title, (s.index,)) for s in sources))
    blocks = ((Block((intro,)), Block(points)), highlights, (metrics,), (outlook,), (listing,))
    return tuple(
        Section(sid, title, body)
        for sid, title, body in zip(SECTION_IDS, SECTION_TITLES[lang], blocks, strict=True)
    )


def _footer(used: Sequence[str]) -> Footer:
    return Footer(
        built_at="2026-02-15T18:11:31+08:00",
        timezone="Asia/Shanghai",
        window_start="2026-02-14T18:11:31+08:00",
        window_end="2026-02-15T18:11:31+08:00",
        sources_used=tuple(used),
        sources_stale=("v2ex",),
        sources_failed=("github",),
        notes=("summary fell back to the offline writer",),
    )


def _empty(language: str, version: int) -> Digest:
    sections = {
        lang: tuple(
            Section(
                sid, title, (Block((Statement(EMPTY_NOTICE[lang]),)),) if sid != "sources" else ()
            )
            for sid, title in zip(SECTION_IDS, SECTION_TITLES[lang], strict=True)
        )
        for lang in ("zh", "en")
    }
    return Digest(
        date="2026-02-15",
        version=version,
        fingerprint="0" * 16,
        language=language,
        headline=Statement(EMPTY_NOTICE[language]),
        headlines={lang: Statement(EMPTY_NOTICE[lang]) for lang in ("zh", "en")},
        sources=(),
        sections=sections,
        footer=_footer(()),
        facts={"window_posts": 0},
    )
