"""What the LLM writer's validator accepts: schema, citations, plain text, numbers from the data."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.writers.llm_validate import (
    MAX_BLOCKS,
    MAX_TEXT,
    allowed_numbers,
    normalise_number,
    numbers_in,
    text_problems,
    validate_answer,
)

ALLOWED = {"1188", "2026", "2", "15", "3.41", "5"}


def answer(*statements: dict, heading: str | None = None) -> str:
    return json.dumps({"blocks": [{"heading": heading, "statements": list(statements)}]})


def say(text: str = "A statement about a post.", cites: list = [1]) -> dict:  # noqa: B006
    return {"text": text, "cites": cites}


@pytest.mark.parametrize(
    ("token", "canonical"),
    [("1,188", "1188"), ("1188", "1188"), ("02", "2"), ("1.50", "1.5"), ("1.0", "1"), ("0", "0")],
)
def test_normalise_number(token, canonical):
    assert normalise_number(token) == canonical


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("上下求索，2025年我用AI写了哪些东西", ["2025"]),
        ("测完 GLM-5 我沉默了", ["5"]),
        ("Flutter 3.41 发布", ["3.41"]),
        ("热度 1,188，合计 1,872", ["1188", "1872"]),
        ("１２３３ full-width", ["1233"]),
        ("1,2345 is not a thousands group", ["1", "2345"]),
        ("2026-02-15", ["2026", "2", "15"]),
        ("三篇文章，两个主题，十二个小时", []),  # Chinese numerals are not checked
    ],
)
def test_numbers_in(text, numbers):
    assert numbers_in(text) == numbers


@given(st.integers(min_value=0, max_value=10**12))
def test_thousands_separators_do_not_change_a_number(n):
    assert numbers_in(f"heat {n:,}") == numbers_in(f"heat {n}") == [str(n)]


@given(st.text(max_size=80))
def test_numbers_copied_from_the_data_always_pass(title):
    allowed = allowed_numbers({"posts": [{"index": 99, "title": title}]})
    assert not any("not in the data" in p for p in text_problems(f"«{title}»", allowed))


def test_allowed_numbers_reads_values_and_text_but_not_references():
    data = {
        "date": "2026-02-15",
        "posts": [{"index": 7, "title": "GLM-5", "heat": 1188.0, "new_today": True}],
        "themes": [{"label": "AI", "posts": 4, "cites": [7, 42]}],
    }
    assert allowed_numbers(data) == {"2026", "2", "15", "5", "1188", "4"}


@pytest.mark.parametrize(
    "text",
    [
        "See https://evil.example for more.",
        "Visit HTTP://EVIL.EXAMPLE now.",
        "Details on www.example.org today.",
        "Details on evil.example today.",
        "Mail mailto:someone today.",
    ],
)
def test_links_are_rejected(text):
    assert any("link" in p for p in text_problems(text, ALLOWED))


@pytest.mark.parametrize("text", ["ASP.NET and Node.js both trend.", "smol-ai/developer is hot."])
def test_names_with_dots_are_not_links(text):
    assert text_problems(text, ALLOWED) == []


@pytest.mark.parametrize(
    "text",
    [
        "This is **bold** news.",
        "Use `pip install` here.",
        "A [link](somewhere) here.",
        "An <b>html</b> tag.",
        "Cited inline [1] here.",
        "Cited inline [^1] here.",
        "Cited inline 【1】 here.",
        "# A heading line",
        "- a list item",
        "Escaped &amp; entity.",
    ],
)
def test_markup_and_citation_markers_are_rejected(text):
    assert any("markup" in p for p in text_problems(text, ALLOWED | {"1"}))


def test_line_breaks_are_rejected():
    assert any("line break" in p for p in text_problems("one\ntwo", ALLOWED))


def test_a_valid_answer_becomes_blocks():
    checked = validate_answer(
        answer(say("GLM-5 leads at 1,188.", [1, 1, 2]), heading="AI"), "summary", 3, ALLOWED
    )
    assert checked.errors == ()
    block = checked.blocks[0]
    assert block.heading == "AI"
    assert block.statements[0].cites == (1, 2)  # duplicates dropped, order kept


def test_a_fenced_answer_is_read():
    assert validate_answer(f"```json\n{answer(say())}\n```", "summary", 1, ALLOWED).errors == ()


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("{not json", "not valid JSON"),
        ('["blocks"]', "exactly one key"),
        ('{"blocks": [], "extra": 1}', "exactly one key"),
        ('{"blocks": []}', "list of 1 to"),
        (answer(say(cites=[])), "cites nothing"),
        (answer(say(cites=[0, 4])), "cites 0, 4, but sources are numbered 1 to 3"),
        (answer(say(cites=[True])), "integers"),
        (answer(say(cites="1")), "integers"),
        (answer(say("abc")), "characters of text"),
        (answer(say("x" * (MAX_TEXT + 1))), "characters of text"),
        (answer({"text": "A statement here.", "cites": [1], "url": "x"}), "exactly 'text'"),
        (answer(say(), heading="h" * 80), "heading"),
        (answer(say("Up 37% to 4,200 today.")), "number 37, 4200 is not in the data"),
        (answer(say(), heading="Top 99"), "blocks[0].heading: number 99"),
    ],
)
def test_invalid_answers_are_named(content, error):
    checked = validate_answer(content, "summary", 3, ALLOWED)
    assert checked.blocks is None
    assert any(error in e for e in checked.errors), checked.errors


def test_too_many_blocks_for_the_section():
    blocks = [{"heading": None, "statements": [say()]}] * (MAX_BLOCKS["summary"] + 1)
    content = json.dumps({"blocks": blocks})
    assert validate_answer(content, "summary", 1, ALLOWED).blocks is None
    assert validate_answer(content, "highlights", 1, ALLOWED).blocks is not None
