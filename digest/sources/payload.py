"""Reading untrusted payloads: JSON bodies, typed field access, HTML to plain text."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

import httpx

from ..errors import SourceError
from ..models import clean_text

_TYPE_NAMES: dict[type, str] = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
    dict: "an object",
    list: "a list",
}
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def decode_json(response: httpx.Response, source: str) -> Any:
    """The JSON body of ``response``, or a SourceError saying what came instead."""
    text = response.text
    head = text.lstrip()[:1]
    content_type = response.headers.get("content-type", "").lower()
    # Gateways and anti-bot walls answer 200 with an HTML page; say so plainly
    # instead of reporting a JSON syntax error at line 1.
    if head == "<" or "text/html" in content_type:
        found = _TITLE.search(text[:4096])
        title = clean_text(found.group(1), 80) if found else None
        what = f" titled {title!r}" if title else ""
        raise SourceError(
            f"{source}: HTML error page{what} instead of JSON (HTTP {response.status_code})"
        )
    if not head:
        raise SourceError(f"{source}: empty body instead of JSON (HTTP {response.status_code})")
    try:
        return json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"{source}: payload is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from exc
    except RecursionError:
        raise SourceError(f"{source}: payload is nested too deeply to read") from None


def _json_int(digits: str) -> int | float:
    """A JSON integer; one too long for Python's int() (4,300 digits) becomes a float
    (inf), so the item holding it is rejected by its own checks, not the whole payload."""
    return int(digits) if len(digits) <= 4000 else float(digits)


def type_name(value: object) -> str:
    """How an error message names the JSON type of ``value``."""
    if value is None:
        return "null"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def get_field(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    """``obj[key]`` checked against ``kind``; ValueError naming the field otherwise."""
    if key not in obj or obj[key] is None:
        raise ValueError(f"field {key!r} missing")
    return _checked(obj[key], key, kind)


def get_optional(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    """Like :func:`get_field`, but a missing or null field is None."""
    value = obj.get(key)
    return None if value is None else _checked(value, key, kind)


def as_object(value: object, what: str) -> Mapping[str, Any]:
    """``value`` as a JSON object, or ValueError naming ``what`` it should have been."""
    if not isinstance(value, dict):
        raise ValueError(f"{what} is {type_name(value)}, not an object")
    return value


def envelope(payload: object, source: str) -> Mapping[str, Any]:
    """A response body that must be a JSON object; SourceError (the payload is unusable)
    otherwise."""
    if not isinstance(payload, dict):
        raise SourceError(f"{source}: payload is {type_name(payload)}, not an object")
    return payload


def list_field(payload: Mapping[str, Any], key: str, source: str) -> list[Any]:
    """The list a response envelope carries under ``key``; SourceError when it does not."""
    value = payload.get(key)
    if value is None:
        raise SourceError(f"{source}: field {key} missing")
    if not isinstance(value, list):
        raise SourceError(f"{source}: field {key} is {type_name(value)}, not a list")
    return value


def _checked(value: object, key: str, kind: type | tuple[type, ...]) -> Any:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # JSON true/false are ints to Python; a boolean is never a count or an id here.
    if isinstance(value, bool) and bool not in kinds:
        raise ValueError(f"field {key!r} is a boolean, not {_TYPE_NAMES.get(kinds[0], kinds[0])}")
    if not isinstance(value, kinds):
        wanted = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
        raise ValueError(f"field {key!r} is {type_name(value)}, not {wanted}")
    return value


class _TextExtractor(HTMLParser):
    _BREAKS = frozenset({"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"})

    _HIDDEN = frozenset({"script", "style", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag in self._BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment, entities decoded, whitespace collapsed."""
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    return " ".join("".join(extractor.parts).split())
