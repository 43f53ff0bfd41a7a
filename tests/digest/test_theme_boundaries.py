"""Theme rules between themes (issue 14): narrowing, giving way, and the AI boundary.

Titles are real ones from the labelled days of bench/days/ unless said otherwise.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_stories import items_of
from test_theme_matching import BUILT, DAY, SEEN, repository, theme_of

from digest import Store, compose_digest, load_themes, make_post
from digest.build.themes import (
    GENERIC_FACTOR,
    TITLE_WEIGHT,
    Theme,
    assign_theme,
    best_theme,
    theme_evidence,
    theme_scores,
)
from digest.errors import ConfigError


def taxonomy_of(tmp_path: Path, text: str) -> tuple[Theme, ...]:
    """A taxonomy file of ``text`` that replaces the bundled one."""
    taxonomy = tmp_path / "themes.toml"
    taxonomy.write_text(text, encoding="utf-8")
    return load_themes(taxonomy, mode="replace")


def test_a_narrower_theme_wins_over_generic_words_of_the_broader(tmp_path: Path):
    themes = taxonomy_of(
        tmp_path,
        '[[themes]]\nid = "broad"\nzh = "广"\nen = "Broad"\nkeywords = ["AI!", "agent!", "LLM"]\n\n'
        '[[themes]]\nid = "narrow"\nzh = "窄"\nen = "Narrow"\nnarrows = "broad"\n'
        'keywords = ["coding agent"]\n',
    )
    # "AI" in the title (2 x 0.5) and the brief (0.5) outweigh "coding agent" (1), but
    # generic words say only that the post is about AI; the specific phrase says which.
    assert assign_theme("AI AI", "AI coding agent", themes) == "narrow"
    # A specific keyword of the broader theme keeps it: a model is what the post is about.
    assert assign_theme("LLM benchmark", "a coding agent ran it", themes) == "broad"


def test_an_app_given_away_with_codes_keeps_its_topic(themes):
    # 送码 (codes for one's own app) is labelled on topic as often as not: not chatter.
    title = "AndroMeld：在 Mac 上无缝操控你的 Android [送码]"
    assert assign_theme(title, None, themes) == "mobile"


def test_an_assistant_deployed_on_a_cloud_server_is_ai(themes):
    # Cloud words (云服务, 部署: 4) outweigh the assistant's name (OpenClaw: 2), but they
    # say where it runs; the labelled days file such posts under AI (17 of 18).
    title = "超详细的云服务部署 OpenClaw 并接入飞书全流程，别再趟坑了"
    assert assign_theme(title, None, themes) == "ai-models"
    assert assign_theme("Clawdbot一夜爆火，我用云服务器搭了个24小时在线的AI助理", None, themes) == (
        "ai-models"
    )
    # Without an AI word, deploying stays cloud and operations.
    assert assign_theme("超详细的云服务部署 Nginx 全流程", None, themes) == "cloud-ops"


def test_a_theme_gives_way_to_the_themes_it_yields_to(tmp_path: Path):
    themes = taxonomy_of(
        tmp_path,
        '[[themes]]\nid = "tools"\nzh = "工具"\nen = "Tools"\nkeywords = ["assistant"]\n\n'
        '[[themes]]\nid = "where"\nzh = "哪里"\nen = "Where"\nyields = ["tools"]\n'
        'keywords = ["server", "deploy"]\n',
    )
    assert assign_theme("deploy an assistant on a server", None, themes) == "tools"
    assert assign_theme("deploy a server", None, themes) == "where"
    with pytest.raises(ConfigError, match="yields must be a list of theme ids"):
        taxonomy_of(
            tmp_path, '[[themes]]\nid = "where"\nzh = "哪里"\nen = "Where"\nyields = "tools"\n'
        )


def test_an_outage_story_that_took_a_chatbot_down_stays_cloud(store: Store, options):
    # 2025-11-18: the Cloudflare outage on three lists, one title naming GPT among what went
    # down. Cloud scores on every post, AI on one: too little for cloud to yield.
    store.save_posts(
        [
            make_post(
                source="hackernews",
                post_id="cf",
                title="Cloudflare Global Network experiencing issues",
            ),
            make_post(
                source="juejin",
                post_id="7573680361991077928",
                title="今天 Cloudflare 全球事故，连 GPT 和你的网站都一起“掉线”了",
            ),
            make_post(source="v2ex", post_id="1173587", title="活久见， Cloudflare 香港崩了"),
        ],
        SEEN,
    )
    digest = compose_digest(store, DAY, options, BUILT)
    story = {("hackernews", "cf"), ("juejin", "7573680361991077928"), ("v2ex", "1173587")}
    assert story in items_of(digest)
    assert {theme_of(digest)[key] for key in story} == {"cloud-ops"}


def test_a_website_cloner_for_ai_coding_agents_is_ai_coding(themes):
    name, brief = (
        "JCodesMore/ai-website-cloner-template",
        "Clone any website using AI coding agents",
    )
    assert assign_theme(name, brief, themes, repository=True) == "ai-coding"


def test_a_story_of_several_posts_keeps_the_ai_boundary_rule(store: Store, options):
    # Made-up titles: two say only "AI" and "agent" (generic, AI and models: 2 + 2), one
    # says "coding agents" (AI coding: 2). Summed over the story, the generic words lead,
    # but as for a single post they say only that it is AI; "coding agents" says which.
    store.save_posts(
        [
            repository("acme/swarm-coder", "Run a swarm of agents"),
            make_post(source="juejin", post_id="1", title="Swarm Coder 火了：AI 时代的 Agent"),
            make_post(source="juejin", post_id="2", title="Swarm Coder 实测：AI 智能体"),
            make_post(
                source="hackernews", post_id="3", title="Swarm Coder: coding agents in parallel"
            ),
        ],
        SEEN,
    )
    digest = compose_digest(store, DAY, options, BUILT)
    story = {("github", "acme/swarm-coder"), ("juejin", "1"), ("juejin", "2"), ("hackernews", "3")}
    assert story in items_of(digest)
    assert {theme_of(digest)[key] for key in story} == {"ai-coding"}


@pytest.mark.parametrize(
    ("title", "theme"),
    [
        # The on-topic posts of 2026-01-04 and -21 that no keyword matched (round 5).
        ("全面进发 | 2025年度总结", "career"),
        ("同事离职信没送达前，我做了最后一次谈话", "career"),
        ("2026 年 PHP 开发者进阶 快速高效开发学习习惯", "backend"),
        ("并行不等于更快：CompletableFuture 让你更慢的 5 个姿势", "backend"),
        ("🔥3 kB 换 120 ms 阻塞？ Axios 还是 fetch？", "frontend"),
        ("PicoPCMCIA – a PCMCIA development board for retro-computing", "hardware"),
        ("sony 把电视业务也卖给 tcl 之后。", "hardware"),
    ],
)
def test_vocabulary_for_the_posts_coverage_missed(themes, title, theme):
    assert assign_theme(title, None, themes) == theme


@pytest.mark.parametrize(
    ("title", "theme"),
    [
        ("Claude Sonnet 4.6", "ai-models"),  # a model release: "Claude" alone would tie
        ("Claude Opus 5 的系统提示词被扒出来了", "ai-models"),
        ("我把 Claude Code 切到 Claude Opus 5", "ai-coding"),  # made up: the tool leads
    ],
)
def test_a_claude_model_and_version_is_ai_and_models(themes, title, theme):
    assert assign_theme(title, None, themes) == theme


def test_harness_alone_says_only_agent_but_a_coding_harness_is_ai_coding(themes):
    lobehub = (
        "The ultimate space for work and life — to find, build, and collaborate with agent"
        " teammates that grow with you. We are taking agent harness to the next level — enabling"
        " multi-agent collaboration, effortless agent team design, and introducing agents as the"
        " unit of work interaction."
    )  # labelled AI and models on three days: a platform for agents, not for coding
    assert assign_theme("lobehub/lobehub", lobehub, themes, repository=True) == "ai-models"
    assert assign_theme("Pi – a minimal terminal coding harness", None, themes) == "ai-coding"
    assert assign_theme("Harness 工程：不是新词，而是 Agent 工程终于被讲明白了", None, themes) == (
        "ai-coding"
    )


def test_theme_evidence_returns_the_themes_a_specific_keyword_matched(tmp_path: Path):
    # What a story's theme is chosen from: the scores and, returned beside them (no set
    # filled in the caller's hands), which themes a keyword not marked "!" matched.
    themes = taxonomy_of(
        tmp_path,
        '[[themes]]\nid = "broad"\nzh = "广"\nen = "Broad"\nkeywords = ["AI!", "LLM"]\n\n'
        '[[themes]]\nid = "narrow"\nzh = "窄"\nen = "Narrow"\nkeywords = ["coding agent"]\n',
    )
    assert theme_evidence("AI news", None, themes) == (
        {"broad": GENERIC_FACTOR * TITLE_WEIGHT},
        set(),
    )
    scores, specific = theme_evidence("AI news", "an LLM coding agent", themes)
    assert specific == {"broad", "narrow"} and scores == theme_scores(
        "AI news", "an LLM coding agent", themes
    )


def test_ai_coding_generic_words_need_an_ai_word_to_win_a_tie(themes):
    # "代码" (code) is generic AI coding: beside "AI" it says which part of AI a post is
    # about, alone it says nothing about AI, so another theme's word decides a tie
    # (2025-10-25 and 2026-06-10, labelled frontend; both were AI coding).
    assert assign_theme("我在滴滴探索泛前端代码覆盖率", None, themes) == "frontend"
    assert (
        assign_theme(
            "我用3个周末重构了公司的前端项目，老板没发现，但同事都来找我要代码了", None, themes
        )
        == "frontend"
    )
    # With an AI word the generic words still narrow it (2026-04-29, labelled AI coding).
    assert assign_theme("告别 AI 乱改代码：OpenSpec 规范驱动开发完全指南", None, themes) == (
        "ai-coding"
    )
    # A story's titles are read the same way: together they name the web and code, no AI.
    assert best_theme({"frontend": 1.0, "ai-coding": 1.0}, set(), themes) == "frontend"
