"""The words of the weekly digest's settings (issue 17): cadence, week day, weekly time.

Kept apart from ``parsing`` so the weekly forms stay one self-contained piece:
``/subscribe weekly fri 09:00``, ``/settings cadence both``, ``/settings weekday sun``,
``/settings weektime 20:00``, ``/settings weekchart off``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import time

from digest import WeeklyPush

CADENCE_WORDS = {
    "daily": "daily",
    "每日": "daily",
    "日报": "daily",
    "weekly": "weekly",
    "每周": "weekly",
    "周报": "weekly",
    "both": "both",
    "都要": "both",
    "两者": "both",
}
_DAYS = (
    ("mon", "monday", "周一", "星期一"),
    ("tue", "tuesday", "周二", "星期二"),
    ("wed", "wednesday", "周三", "星期三"),
    ("thu", "thursday", "周四", "星期四"),
    ("fri", "friday", "周五", "星期五"),
    ("sat", "saturday", "周六", "星期六"),
    ("sun", "sunday", "周日", "星期日", "周天", "星期天"),
)
WEEKDAY_WORDS = {word: number for number, words in enumerate(_DAYS, start=1) for word in words}
WEEK_SETTING_KEYS = {
    "cadence": "cadence",
    "频率": "cadence",
    "weekday": "week_day",
    "周几": "week_day",
    "weektime": "week_time",
    "周报时间": "week_time",
    "weekchart": "week_chart",
    "周报图表": "week_chart",
}


NO_CHOICE = WeeklyPush()


def weekly_token(token: str, choice: WeeklyPush) -> WeeklyPush | None:
    """``choice`` with ``token`` taken in (a cadence or a week day), or None if it is neither
    (or names what ``choice`` already has)."""
    word = token.lower()
    if word in CADENCE_WORDS and choice.cadence is None:
        return replace(choice, cadence=CADENCE_WORDS[word])
    if word in WEEKDAY_WORDS and choice.week_day is None:
        return replace(choice, week_day=WEEKDAY_WORDS[word])
    return None


def weekly_time(choice: WeeklyPush, given: time | None) -> tuple[time | None, WeeklyPush]:
    """The daily push time and the weekly choice once ``given`` went to the right one: with
    ``weekly`` or a week day it is the weekly push's time, else the daily's."""
    if choice.cadence == "weekly" or choice.week_day is not None:
        return None, replace(choice, week_time=given)
    return given, choice


def week_setting_value(
    field: str, token: str, parse_time: Callable[[str], time], on_off: dict[str, bool]
) -> object | None:
    """The value of a weekly setting typed as ``token`` (None if it is not one)."""
    if field == "week_time":
        return parse_time(token)
    words: dict[str, dict[str, object]] = {
        "cadence": dict(CADENCE_WORDS),
        "week_day": dict(WEEKDAY_WORDS),
        "week_chart": dict(on_off),
    }
    return words[field].get(token.lower())
