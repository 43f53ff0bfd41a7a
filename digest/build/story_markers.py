"""Story markers: whether a title tells of a release or event, or is a guide, tip or opinion.

A same story is posts about one release or event (issue 14: "a GitHub trending repo, the
HN post about it and a juejin article about the same release"). A tutorial, set-up guide,
usage tip or opinion piece about a project is not the project's story unless its title
names the release or event itself (bench/days/README.md, the convention). The words are
generic, read from the labelled days' titles (bench/README.md lists how often each
marker stood there and which gold pair it would have cost); no post is named.
"""

from __future__ import annotations

import re

# A release or event named in a title, each pattern labelled by the event it tells, so
# two titles can be asked whether they tell the same kind of event ("新出" a new product,
# "开源" a model opened: one company's two products, not one story).
_EVENTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern, re.IGNORECASE))
    for label, pattern in (
        # A version number, not a price or a count ("4.99元", "1.7 万人收藏").
        ("version", r"(?<![\w.])v?\d+\.\d+(?:\.\d+)*(?![\d.]|\s*[%元万亿倍kmb])"),
        ("release", r"发布|正式版|release[sd]?\b|\bis out\b|now available"),
        ("launch", r"上线|推出|\blaunch(?:es|ed)?\b|\bunveil"),
        ("new", r"新出|新品"),
        ("update", r"更新了|大更新|核心更新|\bupdate[sd]?\b"),
        ("announce", r"官宣|宣布|\bannounc|\bintroducing\b"),
        # The verb, not the adjective: "Kimi 开源新模型", "正式开源", never "开源项目" or
        # "【开源自荐】" (a project that happens to be open source).
        ("open-source", r"开源(?:了|新|！|!|$)|(?:宣布|正式|全面|终于)开源|\bopen[- ]sourced\b"),
        ("opening", r"开放了|全面开放|对个人开放"),
        ("acquisition", r"收购|卖身|\bacquir|\bto buy\b"),
        ("renamed", r"改名|更名|\brenamed\b"),
        ("viral", r"火了|爆火|走红|刷屏|\bviral\b"),
        # An outage as the lists say it ("崩了", "又挂了", a status page's "experiencing issues"),
        # not the same slang for a failed interview or a broken project or mood ("二面挂了",
        # "面试又挂了", "项目崩了", "心态崩了").
        (
            "incident",
            r"删库|泄露|宕机|停服|事故|(?<![面试目态])(?<![面试目态][又也都])[崩挂]了"
            r"|\bcompromised\b|\bbreach|\boutage\b"
            r"|\bsuspend|\bexperiencing issues\b|\b(?:is|are|goes|went|services?) down\b",
        ),
        ("vulnerability", r"漏洞|\bvulnerabilit|\bcve-\d{4}-\d+|\brce\b|\bzero[- ]day\b"),
    )
)

# A guide, tip, test or opinion about something (how to use it, set it up, what one
# thinks of it): generic words of such titles on the labelled days.
GUIDE_WORDS: tuple[str, ...] = (
    *"教程 手把手 保姆级 指南 入门 部署 安装 配置 实战 实践 使用 技巧".split(),
    *"踩坑 攻略 搭建 接入 对接".split(),
    *"从零 拆解 一文 详解 测了 实测 评测 试用".split(),
    r"从 ?0",
    r"\bhow to\b",
    r"\bguide\b",
    r"\btutorial\b",
    r"\bset ?up\b",
    r"\binstall",
    r"\btips\b",
)
_GUIDE = re.compile("|".join(GUIDE_WORDS), re.IGNORECASE)


# Events a thing has once on a day: two titles naming one thing and the same such event
# tell one story (an outage, a purchase, a renaming, a vulnerability), where two releases
# or two updates of one thing may be two (Claude Code 2.1 and Claude 4.5).
ONCE_A_DAY = frozenset({"incident", "acquisition", "renamed", "vulnerability"})
# One search tells whether a title may name such an event (most do not), before the
# kinds are read pattern by pattern.
_ONCE_A_DAY = re.compile(
    "|".join(f"(?:{pattern.pattern})" for label, pattern in _EVENTS if label in ONCE_A_DAY),
    re.IGNORECASE,
)


def names_once_a_day(title: str) -> bool:
    """Whether a title may name an event of ONCE_A_DAY's kinds (one search for them all)."""
    return _ONCE_A_DAY.search(title) is not None


def guide_words(title: str) -> list[str]:
    """The guide words a title carries (bench/themes.py --stories lists them per word)."""
    return [word for word in GUIDE_WORDS if re.search(word, title, re.IGNORECASE)]


def event_kinds() -> list[str]:
    """The kinds of event event_words tells apart, in order."""
    return [label for label, _ in _EVENTS]


def event_words(title: str) -> frozenset[str]:
    """The kinds of release or event a title names ("version", "release", "viral"…)."""
    return frozenset(label for label, pattern in _EVENTS if pattern.search(title))


def is_guide(title: str) -> bool:
    """A guide, tip, test or opinion that names no release or event: not a story's post
    by a name alone ("Clawdbot 完整对接飞书教程"; "Hermes Agent 火了，我也把它从安装到…"
    names the event and is not one)."""
    return bool(_GUIDE.search(title)) and not event_words(title)
