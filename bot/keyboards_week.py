"""The settings menus of the weekly digest (issue 17): cadence, week day, weekly time, chart.

``weekly`` offers daily / weekly / both, the seven week days and the weekly chart;
``weektime`` the weekly push's time. Buttons carry (action, value) like the others.
"""

from __future__ import annotations

from collections.abc import Sequence

from digest import Subscription, UsageError, parse_hhmm

WEEK_MENUS = ("weekly", "weektime")
WEEK_ACTIONS = ("cadence", "weekday", "weekchart", "weektime")
CADENCES = ("daily", "weekly", "both")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekly_choices(
    sub: Subscription, menu: str, times: Sequence[str], label: dict[str, str]
) -> tuple[list[tuple[str, str, str]], int]:
    """(label, action, value) of each button of a weekly menu, and how many fit a row."""
    if menu == "weektime":
        now = f"{sub.weekly_time:%H:%M}"
        return [(("· " if t == now else "") + t, "weektime", t.replace(":", "")) for t in times], 5
    cadence = [(_mark(sub.cadence == c) + label[f"cadence_{c}"], "cadence", c) for c in CADENCES]
    days = [
        (_mark(sub.week_day == n) + label[day], "weekday", str(n))
        for n, day in enumerate(WEEKDAYS, start=1)
    ]
    chart = "week_chart_off" if sub.week_chart else "week_chart_on"
    rest = [
        (f"{label['week_time']} {sub.weekly_time:%H:%M}", "menu", "weektime"),
        (label[chart], "weekchart", "off" if sub.week_chart else "on"),
    ]
    return cadence + days + rest, 3


def weekly_button(sub: Subscription, label: dict[str, str]) -> tuple[str, str, str]:
    """The main menu's button that opens the weekly menu, naming the chat's cadence."""
    return f"{label['weekly']}: {label[f'cadence_{sub.cadence}']}", "menu", "weekly"


def weekly_setting(action: str, value: str, times: Sequence[str]) -> tuple[str, object]:
    """The (field, value) a weekly button sets; UsageError for data no button carries."""
    if action == "cadence" and value in CADENCES:
        return "cadence", value
    if action == "weekday" and value in {str(n) for n in range(1, 8)}:
        return "week_day", int(value)
    if action == "weekchart" and value in ("on", "off"):
        return "week_chart", value == "on"
    if action == "weektime" and f"{value[:2]}:{value[2:]}" in times:
        return "week_time", parse_hhmm(f"{value[:2]}:{value[2:]}")
    raise UsageError(f"unknown setting {action}={value!r}")


def _mark(chosen: bool) -> str:
    return "· " if chosen else ""
