"""Checks a model's answer before anything is stored: schema, citations, links, numbers, sizes.

Numbers are compared after ``normalise_number``: text is NFKC-folded (full-width digits
become ASCII), a comma between digit groups of three is a thousands separator
("1,188" == "1188"), leading zeros and trailing decimal zeros go ("02" == "2",
"1.50" == "1.5", "1.0" == "1"); a sign is not part of the number. Digits count wherever they
stand, so "2025年" and "GLM-5" contain 2025 and 5. The same tokenizer reads the
input, so a number copied from a title always passes. Chinese numerals (三, 两,
十二) and English number words are not checked: they also occur in ordinary words
(一些, 统一, "one of") and cannot be told apart from figures reliably.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..document import Block, Statement

MIN_TEXT = 4
MAX_TEXT = 320
MAX_HEADING = 48
MAX_CITES = 8
MAX_STATEMENTS_PER_BLOCK = 6
MAX_BLOCKS = {"summary": 3, "highlights": 8, "outlook": 4}
MAX_ERRORS = 12  # enough for the retry message to name what to fix; more is noise

_NUMBER = re.compile(r"\d+(?:,\d{3}(?!\d))*(?:\.\d+)?")
_TLDS = "com|net|org|io|dev|ai|app|co|cn|me|xyz|info|example|link|ly|gl|sh|gg|tv|top|site"
# Domains must be lower case: "ASP.NET" or "Node.js" in a title are names, not links.
_LINK = re.compile(
    rf"(?i:\b(?:https?|ftp)://|\bwww\.|mailto:)|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:{_TLDS})\b"
)
# HTML tags and entities, Markdown emphasis/code/links/headings/lists/quotes, and
# citation markers the renderer adds itself ([3], [^3], 【3】).
_MARKUP = re.compile(
    r"<[a-zA-Z/!][^>]*>|&(?:[a-zA-Z]+|#\d+);|\*\*|__|`|\]\(|^\s*(?:#{1,6}|[-*+>])\s"
    r"|\[\^?\d+\]|【\d+】"
)


def answer_schema(section: str) -> dict[str, Any]:
    """The JSON schema the model is asked to fill for ``section``."""
    statement = {
        "type": "object",
        "properties": {
            "text": {"type": "string", "maxLength": MAX_TEXT},
            "cites": {
                "type": "array",
                "items": {"type": "integer"},
                "minItems": 1,
                "maxItems": MAX_CITES,
            },
        },
        "required": ["text", "cites"],
        "additionalProperties": False,
    }
    block = {
        "type": "object",
        "properties": {
            "heading": {"type": ["string", "null"], "maxLength": MAX_HEADING},
            "statements": {
                "type": "array",
                "items": statement,
                "minItems": 1,
                "maxItems": MAX_STATEMENTS_PER_BLOCK,
            },
        },
        "required": ["heading", "statements"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "blocks": {
                "type": "array",
                "items": block,
                "minItems": 1,
                "maxItems": MAX_BLOCKS[section],
            }
        },
        "required": ["blocks"],
        "additionalProperties": False,
    }


def normalise_number(token: str) -> str:
    """The canonical form of one number token (see the module docstring)."""
    text = token.replace(",", "")
    whole, _, fraction = text.partition(".")
    whole = whole.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def numbers_in(text: str) -> list[str]:
    """Every number in ``text``, normalised, in order."""
    folded = unicodedata.normalize("NFKC", text)
    return [normalise_number(match) for match in _NUMBER.findall(folded)]


def figure(value: float) -> str:
    """A stored figure (heat, count) in the same canonical form as ``numbers_in``."""
    return normalise_number(f"{float(value):f}")


def allowed_numbers(
    data: Any, skip: Iterable[str] = ("index", "cites", "items", "stories")
) -> set[str]:
    """Every number in a JSON-like value: string contents and numeric values.

    :param skip: keys whose values are references, not facts (source indices).
    """
    skipped = set(skip)
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, int | float):
            found.add(figure(value))
        elif isinstance(value, str):
            found.update(numbers_in(value))
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if key not in skipped:
                    walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(data)
    return found


@dataclass(frozen=True, slots=True)
class Checked:
    """The outcome of validating one answer: blocks when valid, else the reasons."""

    blocks: tuple[Block, ...] | None
    errors: tuple[str, ...]


def validate_answer(content: str, section: str, sources: int, allowed: set[str]) -> Checked:
    """Parse and check an answer for ``section`` against ``sources`` numbered 1..n."""
    try:
        data = json.loads(_strip_fence(content))
    except (json.JSONDecodeError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        return Checked(None, (f"the answer is not valid JSON ({reason})",))
    errors: list[str] = []
    blocks = _blocks(data, section, errors)
    for place, text in _texts(blocks):
        errors.extend(f"{place}: {problem}" for problem in text_problems(text, allowed))
    for b, block in enumerate(blocks):
        for s, statement in enumerate(block.statements):
            errors.extend(_cite_problems(f"blocks[{b}].statements[{s}]", statement, sources))
    if errors:
        return Checked(None, tuple(errors[:MAX_ERRORS]))
    return Checked(tuple(blocks), ())


def text_problems(text: str, allowed: set[str]) -> list[str]:
    """Why a piece of generated text may not be shown: links, markup, invented numbers."""
    problems = []
    if _LINK.search(text):
        problems.append("contains a link or domain name; links come only from the source list")
    if _MARKUP.search(text):
        problems.append("contains markup or a citation marker; write plain text, cite in 'cites'")
    if any(ch in text for ch in "\r\n\t"):
        problems.append("contains a line break; one statement is one line")
    invented = sorted(set(numbers_in(text)) - allowed, key=lambda n: (len(n), n))
    if invented:
        problems.append(f"number {', '.join(invented)} is not in the data")
    return problems


def _strip_fence(content: str) -> str:
    """Drop a ```json fence: endpoints without a JSON mode often wrap the answer in one."""
    text = content.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text


def _blocks(data: Any, section: str, errors: list[str]) -> list[Block]:
    if not isinstance(data, dict) or set(data) != {"blocks"}:
        errors.append("the answer must be an object with exactly one key, 'blocks'")
        return []
    items = data["blocks"]
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BLOCKS[section]:
        errors.append(f"'blocks' must be a list of 1 to {MAX_BLOCKS[section]} blocks")
        return []
    blocks = []
    for b, item in enumerate(items):
        block = _block(item, f"blocks[{b}]", errors)
        if block is not None:
            blocks.append(block)
    return blocks


def _block(item: Any, place: str, errors: list[str]) -> Block | None:
    if not isinstance(item, dict) or not set(item) <= {"heading", "statements"}:
        errors.append(f"{place}: a block has only 'heading' and 'statements'")
        return None
    heading = item.get("heading")
    if heading is not None and (not isinstance(heading, str) or len(heading) > MAX_HEADING):
        errors.append(f"{place}.heading: a string of at most {MAX_HEADING} characters, or null")
        return None
    raw = item.get("statements")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_STATEMENTS_PER_BLOCK:
        errors.append(f"{place}.statements: a list of 1 to {MAX_STATEMENTS_PER_BLOCK}")
        return None
    statements = []
    for s, entry in enumerate(raw):
        statement = _statement(entry, f"{place}.statements[{s}]", errors)
        if statement is not None:
            statements.append(statement)
    return Block(tuple(statements), heading.strip() or None if isinstance(heading, str) else None)


def _statement(entry: Any, place: str, errors: list[str]) -> Statement | None:
    if not isinstance(entry, dict) or set(entry) != {"text", "cites"}:
        errors.append(f"{place}: a statement has exactly 'text' and 'cites'")
        return None
    text, cites = entry["text"], entry["cites"]
    if not isinstance(text, str) or not MIN_TEXT <= len(text.strip()) <= MAX_TEXT:
        errors.append(f"{place}.text: {MIN_TEXT} to {MAX_TEXT} characters of text")
        return None
    if not isinstance(cites, list) or not all(
        isinstance(c, int) and not isinstance(c, bool) for c in cites
    ):
        errors.append(f"{place}.cites: a list of source indices (integers)")
        return None
    return Statement(text.strip(), tuple(dict.fromkeys(cites)))


def _cite_problems(place: str, statement: Statement, sources: int) -> list[str]:
    if not statement.cites:
        return [f"{place}: cites nothing; every statement cites at least one source"]
    problems = []
    if len(statement.cites) > MAX_CITES:
        problems.append(f"{place}: cites more than {MAX_CITES} sources")
    missing = [c for c in statement.cites if not 1 <= c <= sources]
    if missing:
        listed = ", ".join(map(str, missing))
        problems.append(f"{place}: cites {listed}, but sources are numbered 1 to {sources}")
    return problems


def _texts(blocks: list[Block]) -> Iterable[tuple[str, str]]:
    for b, block in enumerate(blocks):
        if block.heading:
            yield f"blocks[{b}].heading", block.heading
        for s, statement in enumerate(block.statements):
            yield f"blocks[{b}].statements[{s}]", statement.text
