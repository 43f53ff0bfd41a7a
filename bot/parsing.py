"""Pure parsers of command arguments: a typed value, or ArgumentError naming what is wrong."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from functools import cache

from digest import SECTION_IDS, SettingChange, UsageError, parse_hhmm, section_id

_TIME = re.compile(r"\d{1,2}[:：]\d{2}")  # a full-width colon is what Chinese keyboards type
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CHAT_ID = re.compile(r"-\d+")  # groups and channels have negative ids
_USERNAME = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}")
_LIST_SEPARATORS = re.compile(r"[,，、\s]+")

SETTING_KEYS = {
    "time": "push_time",
    "时间": "push_time",
    "zone": "timezone",
    "tz": "timezone",
    "时区": "timezone",
    "lang": "language",
    "language": "language",
    "语言": "language",
    "mode": "mode",
    "chart": "chart",
    "图表": "chart",
    "preview": "link_preview",
    "预览": "link_preview",
    "push": "mode",
    "推送": "mode",
    "sections": "sections",
    "栏目": "sections",
    "include": "include_sources",
    "只看": "include_sources",
    "exclude": "exclude_sources",
    "屏蔽": "exclude_sources",
}
LANGUAGE_WORDS = {"zh": "zh", "中文": "zh", "cn": "zh", "en": "en", "english": "en", "英文": "en"}
MODE_WORDS = {"brief": "brief", "简版": "brief", "full": "full", "完整": "full", "完整版": "full"}
CHART_NAMES = frozenset(["chart", "图表", "热度图"])
CHART_WORDS = {"on": True, "开": True, "开启": True, "off": False, "关": False, "关闭": False}
PREVIEW_WORDS = {"headline": "headline", "标题": "headline", "none": "none", "无": "none"}
EVERYTHING = {"all", "全部"}
NOTHING = {"none", "无", "清空"}


class ArgumentError(UsageError):
    """A bad argument of ``command``: ``problem`` says what kind, ``value`` is the token."""

    def __init__(self, command: str, problem: str, value: str = "") -> None:
        self.command = command
        self.problem = problem
        self.value = value
        super().__init__(f"/{command}: {value!r} {problem}")


@dataclass(frozen=True, slots=True)
class SubscribeArgs:
    target: int | str | None = None  # another chat (a channel): its id or @username
    push_time: time | None = None
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class DigestArgs:
    section: str | None = None
    day: date | None = None
    chart: bool = False  # the heat chart as a photo, instead of text


@dataclass(frozen=True, slots=True)
class SourcesArgs:
    index: int | None = None
    day: date | None = None
    left_out: bool = False  # `/sources all`: the posts the digest left out


@dataclass(frozen=True, slots=True)
class SettingsArgs:
    target: int | str | None = None
    change: SettingChange | None = None  # None: show the settings


@cache
def _zones() -> dict[str, str]:
    """Lower-cased IANA name → its proper spelling (people type asia/shanghai).

    Only Area/City zones and UTC: the database also holds ``localtime`` (the host's
    zone, whatever it is), ``Factory`` (no offset, "-00") and old aliases like ``EST``.
    """
    return {
        name.lower(): name
        for name in zoneinfo.available_timezones()
        if name == "UTC" or ("/" in name and name.split("/", 1)[0] in _AREAS)
    }


_AREAS = frozenset(
    {"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe"}
    | {"Indian", "Pacific", "Etc"}
)


def canonical_zone(text: str) -> str | None:
    """The IANA zone ``text`` names (any case), or None."""
    return _zones().get(text.strip().lower())


def parse_target(token: str) -> int | str | None:
    """A chat named by id (``-100…``) or ``@username``; None for any other token."""
    if _CHAT_ID.fullmatch(token):
        return int(token)
    return token if _USERNAME.fullmatch(token) else None


def parse_time(token: str, command: str) -> time:
    try:
        return parse_hhmm(token.replace("：", ":"))
    except ValueError:
        raise ArgumentError(command, "time", token) from None


def parse_day(token: str, command: str) -> date:
    try:
        return date.fromisoformat(token)
    except ValueError:
        raise ArgumentError(command, "date", token) from None


def _is_day(token: str) -> bool:
    return bool(_DATE.fullmatch(token))


def _split_target(args: Sequence[str]) -> tuple[int | str | None, list[str]]:
    """A leading chat target, then the other arguments."""
    if args and (target := parse_target(args[0])) is not None:
        return target, list(args[1:])
    return None, list(args)


def parse_subscribe(args: Sequence[str]) -> SubscribeArgs:
    """``[@channel|-100…] [HH:MM] [Area/City]``, time and zone in either order."""
    target, rest = _split_target(args)
    push_time: time | None = None
    timezone: str | None = None
    for token in rest:
        if _TIME.fullmatch(token) or token.isdigit():
            if push_time is not None:
                raise ArgumentError("subscribe", "extra", token)
            push_time = parse_time(token, "subscribe")
        elif timezone is None:
            timezone = canonical_zone(token)
            if timezone is None:
                raise ArgumentError("subscribe", "target" if token[:1] in "@-" else "zone", token)
        else:
            raise ArgumentError("subscribe", "extra", token)
    return SubscribeArgs(target, push_time, timezone)


def parse_unsubscribe(args: Sequence[str]) -> int | str | None:
    """Nothing, or a channel: ``@channel`` or ``-100…``."""
    target, rest = _split_target(args)
    if rest:
        raise ArgumentError("unsubscribe", "target" if not target else "extra", rest[0])
    return target


def parse_digest(args: Sequence[str]) -> DigestArgs:
    """``[section|chart] [YYYY-MM-DD]`` in either order; sections by id or alias."""
    section: str | None = None
    day: date | None = None
    chart = False
    for token in args:
        if _is_day(token) or token[:1].isdigit():
            if day is not None:
                raise ArgumentError("digest", "extra", token)
            day = parse_day(token, "digest")
        elif token.lower() in CHART_NAMES and section is None and not chart:
            chart = True
        elif section is None and not chart:
            section = section_id(token)
            if section is None:
                raise ArgumentError("digest", "section", token)
        else:
            raise ArgumentError("digest", "extra", token)
    return DigestArgs(section, day, chart)


def parse_sources(args: Sequence[str]) -> SourcesArgs:
    """``[n|all] [YYYY-MM-DD]``: one source by number, the list, or the posts left out."""
    index: int | None = None
    day: date | None = None
    left_out = False
    for token in args:
        if token.lower() in ("all", "全部") and index is None and not left_out:
            left_out = True
        elif _is_day(token) and day is None:
            day = parse_day(token, "sources")
        elif token.isdigit() and index is None and not left_out:
            index = int(token)
            if index < 1:
                raise ArgumentError("sources", "number", token)
        else:
            problem = "extra" if index is not None or day is not None or left_out else "number"
            raise ArgumentError("sources", problem, token)
    return SourcesArgs(index, day, left_out)


@dataclass(frozen=True, slots=True)
class RebuildArgs:
    day: date | None = None
    push: bool = False  # send the new version as a correction to who got the old one


PUSH_WORDS = {"--push", "—push", "push", "推送"}  # phones turn "--" into an em dash


def parse_rebuild(args: Sequence[str]) -> RebuildArgs:
    """``[YYYY-MM-DD] [--push]``."""
    day: date | None = None
    push = False
    for token in args:
        if token.lower() in PUSH_WORDS and not push:
            push = True
        elif day is None and not token.startswith("-"):
            day = parse_day(token, "rebuild")
        else:
            raise ArgumentError("rebuild", "extra", token)
    return RebuildArgs(day, push)


def parse_nothing(args: Sequence[str], command: str) -> None:
    """Commands without arguments still say so when given one."""
    if args:
        raise ArgumentError(command, "extra", args[0])


def parse_settings(args: Sequence[str], sources: Sequence[str]) -> SettingsArgs:
    """``[@channel|-100…] [key value…]``; ``sources`` are the configured source names."""
    target, rest = _split_target(args)
    if not rest:
        return SettingsArgs(target)
    key, values = rest[0], rest[1:]
    field = SETTING_KEYS.get(key.lower())
    if field is None:
        raise ArgumentError("settings", "setting", key)
    if not values:
        raise ArgumentError("settings", "missing")
    return SettingsArgs(target, SettingChange(field, _setting_value(field, values, sources)))


def _setting_value(field: str, values: list[str], sources: Sequence[str]) -> object:
    joined = " ".join(values)
    if field in ("sections", "include_sources", "exclude_sources"):
        return _names(field, joined, sources)
    if len(values) > 1:
        raise ArgumentError("settings", "extra", values[1])
    token = values[0]
    if field == "push_time":
        return parse_time(token, "settings")
    if field == "timezone":
        if (zone := canonical_zone(token)) is None:
            raise ArgumentError("settings", "zone", token)
        return zone
    choices: dict[str, Mapping[str, object]] = {
        "language": LANGUAGE_WORDS,
        "chart": CHART_WORDS,
        "link_preview": PREVIEW_WORDS,
    }
    words = choices.get(field, MODE_WORDS)
    if (word := words.get(token.lower())) is None:
        raise ArgumentError("settings", "value", token)
    return word


def _names(field: str, text: str, sources: Sequence[str]) -> tuple[str, ...]:
    tokens = [t for t in _LIST_SEPARATORS.split(text) if t]
    lowered = {t.lower() for t in tokens}
    if field == "sections":
        if lowered & EVERYTHING:
            return SECTION_IDS
        chosen = set()
        for token in tokens:
            if (sid := section_id(token)) is None:
                raise ArgumentError("settings", "section", token)
            chosen.add(sid)
        return tuple(s for s in SECTION_IDS if s in chosen)
    if lowered & NOTHING:
        return ()
    by_name = {name.lower(): name for name in sources}
    unknown = [t for t in tokens if t.lower() not in by_name]
    if unknown:
        raise ArgumentError("settings", "source", unknown[0])
    return tuple(dict.fromkeys(by_name[t.lower()] for t in tokens))
