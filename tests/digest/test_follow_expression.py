"""Follow expressions: TrendRadar's syntax, folding, bounded regexes, and the matcher."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest import UsageError, parse_expression, parse_group
from digest.follow.expression import fold
from digest.follow.matcher import AutomatonScanner, Matcher, RegexScanner, bits


def matches(expression: str, text: str) -> bool:
    return parse_group(expression).matches(fold(text))


def test_plain_words_are_ored_required_words_anded_and_exclusions_win() -> None:
    expression = "Rust Go +release !rumor"
    assert matches(expression, "Rust 1.80 release notes")
    assert matches(expression, "Go 1.24 release")
    assert not matches(expression, "Rust 1.80 is out")  # +release missing
    assert not matches(expression, "Go release rumor")  # an exclusion wins
    assert not matches(expression, "Python release")  # none of the words


def test_a_group_of_only_required_words_needs_all_of_them() -> None:
    assert matches("+华为 +手机", "华为发布新手机")
    assert not matches("+华为 +手机", "华为发布新平板")


def test_folding_makes_case_and_full_width_forms_equal() -> None:
    assert matches("gpt", "ＧＰＴ-5 发布")
    assert matches("ＧＰＴ", "OpenAI ships gpt-5")
    assert matches("deepseek", "DeepSeek-R2")


def test_latin_terms_match_whole_words_and_chinese_terms_anywhere() -> None:
    assert not matches("go", "Google launches a new phone")
    assert matches("go", "Why I moved from Go to Rust")
    assert matches("rust", "rust-lang 1.80")
    assert matches("rust", "Rust编程入门")
    assert matches("模型", "国产大模型又进步了")


def test_trendradar_groups_paste_as_lines_and_blank_lines_separate_groups() -> None:
    groups = parse_expression("华为\nOPPO\n+手机\n!水果\n\nClaude Code\n=> agents")
    assert [g.text() for g in groups] == ["华为 oppo +手机 !水果", '"claude code" => agents']
    assert groups[1].label == "agents"
    assert groups[1].matches(fold("Claude Code now writes tests"))


def test_names_quotes_and_regexes_on_one_line() -> None:
    group = parse_group('/GLM-?\\d/ "claude code" +发布 => 模型')
    assert group.name == "模型" and group.label == "模型"
    assert group.matches(fold("GLM5 发布了"))
    assert group.matches(fold("claude code 发布"))
    assert not group.matches(fold("GLM 发布"))


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("", "empty"),
        ("!rumor", "not only !exclusions"),
        ("/[a-/", "not a valid regular expression"),
        ("/a*/", "matches an empty title"),
        ("/(a+)+$/", "too slow"),
        ("/(x+x+)+y/", "too slow"),
        ("/abc", "unclosed regular expression"),
        ("x" * 501, "at most 500 characters"),
        (" ".join(f"w{n}" for n in range(31)), "at most 30 terms"),
    ],
)
def test_bad_expressions_are_refused_with_the_reason(expression: str, reason: str) -> None:
    with pytest.raises(UsageError, match=reason):
        parse_expression(expression)


def test_the_slow_pattern_check_itself_is_bounded() -> None:
    start = time.perf_counter()
    with pytest.raises(UsageError):
        parse_expression("/^(([a-z])+.)+[A-Z]([a-z])+$/")
    assert time.perf_counter() - start < 5  # a handful of 50 ms trials, with room on a busy CI


@given(
    st.lists(
        st.sampled_from(["rust", "go", "华为", "+手机", "!rumor", '"claude code"']), min_size=1
    )
)
def test_the_canonical_text_parses_back_to_the_same_group(words: list[str]) -> None:
    if all(w.startswith("!") for w in words):
        return
    group = parse_group(" ".join(words))
    assert parse_group(group.text()) == group


WORDS = ["go", "rust", "rus", "ru", "华为", "为", "gpt", "gpt-5", "模型", "大模型", "a b"]


@given(st.text(alphabet="goruстgpt-5华为大模型ab ", max_size=40))
def test_both_scanners_find_the_same_terms(text: str) -> None:
    assert AutomatonScanner(WORDS).found(text) == RegexScanner(WORDS).found(text)


def test_the_matcher_gives_each_key_its_matching_texts_once_per_distinct_group() -> None:
    entries = [
        ((1, 1), parse_group("Rust Go")),
        ((2, 7), parse_group("go rust => langs")),  # the same group under another name
        ((3, 1), parse_group("/glm-?\\d/ +发布")),
        ((3, 2), parse_group("华为 !水果")),
    ]
    texts = ["Rust 1.80", "GLM-5 发布", "华为 水果", "Go and google", "华为 Mate"]
    for scanner in (AutomatonScanner, RegexScanner):
        found = Matcher(entries, scanner).match_all(texts)
        assert {key: bits(mask) for key, mask in found.items()} == {
            (1, 1): [0, 3],
            (2, 7): [0, 3],
            (3, 1): [1],
            (3, 2): [4],
        }
