"""The Telegram-free parts of the bot: argument parsers, callback data, reply templates."""

from __future__ import annotations

import ast
from datetime import date, time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.buttons import (
    MAX_DATA,
    SettingsButton,
    SourceButton,
    SourcesButton,
    SubscribeButton,
    ViewButton,
    decode,
    encode,
)
from bot.keyboards import TIMES, ZONES, settings_edit
from bot.parsing import (
    ArgumentError,
    RebuildArgs,
    SourcesArgs,
    parse_digest,
    parse_rebuild,
    parse_settings,
    parse_sources,
    parse_subscribe,
    parse_unsubscribe,
)
from digest import SECTION_IDS, Renderer, UsageError
from digest.push.chat_settings import SettingChange
from digest.push.subscriptions import Subscription

SOURCES = ["juejin", "hackernews", "v2ex"]
ROOT = Path(__file__).resolve().parents[2]


def problem(call: object, *args: object) -> tuple[str, str]:
    with pytest.raises(ArgumentError) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value.problem, caught.value.value


# -- arguments -------------------------------------------------------------------------


def test_subscribe_takes_time_and_zone_in_either_order() -> None:
    assert parse_subscribe([]) == parse_subscribe(())
    args = parse_subscribe(["asia/tokyo", "7：30"])  # any case; a full-width colon
    assert (args.push_time, args.timezone, args.target) == (time(7, 30), "Asia/Tokyo", None)
    channel = parse_subscribe(["-1001234567", "08:00"])
    assert (channel.target, channel.push_time) == (-1001234567, time(8, 0))
    assert parse_subscribe(["@hotnews"]).target == "@hotnews"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["25:00"], ("time", "25:00")),
        (["8"], ("time", "8")),
        (["08:00", "Mars/Base"], ("zone", "Mars/Base")),
        (["08:00", "09:00"], ("extra", "09:00")),
        (["UTC", "Asia/Tokyo"], ("extra", "Asia/Tokyo")),
        (["@x"], ("target", "@x")),
    ],
)
def test_subscribe_rejects(args: list[str], expected: tuple[str, str]) -> None:
    assert problem(parse_subscribe, args) == expected


def test_digest_sections_by_id_or_alias_and_dates() -> None:
    assert parse_digest(["要点"]).section == "highlights"
    assert parse_digest(["2026-02-15", "Sources"]).day == date(2026, 2, 15)
    assert parse_digest(["2026-02-15", "Sources"]).section == "sources"
    assert problem(parse_digest, ["nosuch"]) == ("section", "nosuch")
    assert problem(parse_digest, ["2026-13-01"]) == ("date", "2026-13-01")
    assert problem(parse_digest, ["摘要", "要点"]) == ("extra", "要点")


def test_sources_number_and_date() -> None:
    assert parse_sources(["3"]).index == 3
    assert parse_sources(["2026-02-15"]).day == date(2026, 2, 15)
    assert problem(parse_sources, ["0"]) == ("number", "0")
    assert problem(parse_sources, ["three"]) == ("number", "three")
    assert parse_sources(["all"]) == SourcesArgs(left_out=True)
    assert parse_sources(["全部", "2026-02-15"]) == SourcesArgs(None, date(2026, 2, 15), True)
    assert problem(parse_sources, ["all", "3"]) == ("extra", "3")
    assert problem(parse_sources, ["3", "4"]) == ("extra", "4")


def test_rebuild_and_unsubscribe() -> None:
    assert parse_rebuild([]) == RebuildArgs(None, push=False)
    assert parse_rebuild(["2026-02-15", "—push"]) == RebuildArgs(date(2026, 2, 15), push=True)
    assert parse_rebuild(["--push"]).push
    assert problem(parse_rebuild, ["yesterday"]) == ("date", "yesterday")
    assert problem(parse_rebuild, ["--push", "--push"]) == ("extra", "--push")
    assert parse_unsubscribe(["@hotnews"]) == "@hotnews"
    assert problem(parse_unsubscribe, ["now"]) == ("target", "now")


@pytest.mark.parametrize(
    ("args", "field", "value"),
    [
        (["time", "08:00"], "push_time", time(8, 0)),
        (["时区", "europe/berlin"], "timezone", "Europe/Berlin"),
        (["lang", "EN"], "language", "en"),
        (["mode", "完整"], "mode", "full"),
        (["sections", "要点,metrics"], "sections", ("highlights", "metrics")),
        (["sections", "all"], "sections", SECTION_IDS),
        (["include", "V2EX,", "juejin"], "include_sources", ("v2ex", "juejin")),
        (["exclude", "none"], "exclude_sources", ()),
    ],
)
def test_settings_typed(args: list[str], field: str, value: object) -> None:
    parsed = parse_settings(args, SOURCES)
    assert parsed.change == SettingChange(field, value)
    assert parse_settings(["-1001234567", *args], SOURCES).target == -1001234567


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["colour", "red"], ("setting", "colour")),
        (["time"], ("missing", "")),
        (["time", "24:00"], ("time", "24:00")),
        (["zone", "Mars/Base"], ("zone", "Mars/Base")),
        (["lang", "fr"], ("value", "fr")),
        (["include", "reddit"], ("source", "reddit")),
        (["sections", "nosuch"], ("section", "nosuch")),
    ],
)
def test_settings_rejects(args: list[str], expected: tuple[str, str]) -> None:
    assert problem(parse_settings, args, SOURCES) == expected


def test_a_source_is_included_or_excluded_never_both() -> None:
    sub = Subscription(1, "private", "zh", time(8), "UTC", exclude_sources=("v2ex",))
    included = SettingChange("include_sources", ("v2ex",))(sub)
    assert (included.include_sources, included.exclude_sources) == (("v2ex",), ())


# -- callback data ---------------------------------------------------------------------

days = st.dates(date(2000, 1, 1), date(2999, 12, 31)).map(date.isoformat)
buttons = st.one_of(
    st.builds(
        ViewButton,
        days,
        st.integers(1, 10**6),
        st.sampled_from(["push", *SECTION_IDS]),
        st.integers(0, 999),
    ),
    st.builds(SourcesButton, days, st.integers(1, 10**6), st.integers(0, 999)),
    st.builds(SourceButton, days, st.integers(1, 10**6), st.integers(1, 999)),
    st.builds(
        SettingsButton,
        st.integers(-(10**13), 10**13),
        st.just("zone"),
        st.sampled_from(ZONES),
    ),
    st.builds(SubscribeButton, st.integers(-(10**13), 10**13)),
)


@given(buttons)
def test_callback_data_round_trips_within_64_bytes(button: object) -> None:
    data = encode(button)  # type: ignore[arg-type]
    assert len(data.encode()) <= MAX_DATA
    assert decode(data) == button


@given(st.text(max_size=70))
def test_foreign_callback_data_is_a_usage_error(data: str) -> None:
    try:
        decode(data)
    except UsageError:
        return
    assert encode(decode(data)) == data  # whatever parses is data this bot could have made


def test_settings_buttons_map_to_edits() -> None:
    sub = Subscription(7, "private", "zh", time(8), "UTC")
    for time_label in TIMES:
        change, menu = settings_edit(
            SettingsButton(7, "time", time_label.replace(":", "")), SOURCES
        )
        assert change is not None and menu == "main"
        assert f"{change(sub).push_time:%H:%M}" == time_label
    change, menu = settings_edit(SettingsButton(7, "source", "1"), SOURCES)
    assert change is not None and change(sub).include_sources == ("hackernews",)
    assert settings_edit(SettingsButton(7, "menu", "zone"), SOURCES) == (None, "zone")
    for forged in [("time", "2500"), ("zone", "Mars/Base"), ("source", "9"), ("menu", "x")]:
        with pytest.raises(UsageError):
            settings_edit(SettingsButton(7, *forged), SOURCES)


# -- reply templates ---------------------------------------------------------------------


def _macros(lang: str) -> dict[str, list[str]]:
    """Each macro of a language's template and its argument names."""
    source = (ROOT / "templates" / "bot" / f"{lang}.html.j2").read_text(encoding="utf-8")
    texts = Renderer().texts
    found = {}
    for name in dir(texts.modules[lang]):
        macro = getattr(texts.modules[lang], name)
        if hasattr(macro, "arguments"):
            found[name] = list(macro.arguments)
    assert "{% macro start(" in source
    return found


def test_both_languages_have_the_same_replies_and_tables() -> None:
    assert _macros("zh") == _macros("en")
    texts = Renderer().texts
    for table in ("labels", "commands"):
        assert texts.table(table, "zh").keys() == texts.table(table, "en").keys()


MINE = ["app.py", "keyboards.py", "parsing.py", "webhook.py"]
HANDLERS = sorted(p.name for p in (ROOT / "bot" / "handlers").glob("*.py"))


@pytest.mark.parametrize("name", [*MINE, *(f"handlers/{name}" for name in HANDLERS)])
def test_bot_modules_hold_no_sql_http_or_templates(name: str) -> None:
    tree = ast.parse((ROOT / "bot" / name).read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not {m.split(".")[0] for m in imported} & {"sqlite3", "sqlite_utils", "httpx", "jinja2"}


def test_the_weekly_forms() -> None:
    week = parse_digest(["周报"])
    assert week.week and week.section is None and not week.chart
    assert parse_digest(["week", "要点"]).section == "highlights"
    assert parse_digest(["highlights", "weekly"]).week
    assert parse_digest(["week", "chart"]).chart
    assert problem(parse_digest, ["week", "2026-02-15"]) == ("extra", "2026-02-15")
    named = parse_digest(["2026-w07", "要点"])
    assert (named.week, named.week_key, named.section) == (True, "2026-W07", "highlights")
    assert parse_digest(["周报"]).week_key is None
    assert problem(parse_digest, ["2026-W54"]) == ("week", "2026-W54")
    args = parse_subscribe(["weekly", "fri", "09:00"])
    assert (args.weekly.cadence, args.weekly.week_day, args.weekly.week_time) == (
        "weekly",
        5,
        time(9),
    )
    assert args.push_time is None  # the time given is the weekly push's
    both = parse_subscribe(["both", "07:00"])  # no week day: the daily push's time
    assert (both.push_time, both.weekly.week_time) == (time(7), None)
    args = parse_subscribe(["都要", "周日", "Asia/Tokyo"])
    assert (args.weekly.cadence, args.weekly.week_day, args.timezone) == ("both", 7, "Asia/Tokyo")
    assert problem(parse_subscribe, ["weekly", "daily"]) == ("zone", "daily")  # one cadence
    change = parse_settings(["cadence", "both"], []).change
    assert change is not None and (change.field, change.value) == ("cadence", "both")
    change = parse_settings(["weekday", "Sun"], []).change
    assert change is not None and (change.field, change.value) == ("week_day", 7)
    change = parse_settings(["weektime", "20:30"], []).change
    assert change is not None and change.value == time(20, 30)
    change = parse_settings(["weekchart", "off"], []).change
    assert change is not None and change.value is False
    assert problem(parse_settings, ["weekday", "8"], []) == ("value", "8")
