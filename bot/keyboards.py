"""Inline keyboards: the layouts of the digest, sources, settings and follow buttons."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from digest import (
    LINK_PREVIEWS,
    SECTION_IDS,
    TOPIC_REASONS,
    BotTexts,
    Edit,
    SettingChange,
    Subscription,
    UsageError,
    cycle_source,
    parse_hhmm,
    source_state,
    toggle_section,
)

from .buttons import (
    VIEWS,
    AlertButton,
    Button,
    FollowButton,
    SettingsButton,
    ShownButton,
    SourceButton,
    SourcesButton,
    SubscribeButton,
    ViewButton,
    encode,
)

PAGE_SIZE = 10  # sources per page of /sources
TIMES = ("06:00", "07:00", "08:00", "09:00", "12:00", "18:00", "19:00", "20:00", "21:00", "22:00")
ZONES = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
)
MENUS = ("main", "time", "zone", "sections", "sources")
SOURCE_MARKS = {"all": "✅", "only": "⭐", "excluded": "🚫"}


def _button(label: str, button: Button) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=encode(button))


def _pager(make: Callable[[int], Button], page: int, pages: int) -> list[InlineKeyboardButton]:
    """‹ n/N ›, wrapping round; the middle button only shows where you are."""
    if pages <= 1:
        return []
    return [
        _button("‹", make((page - 1) % pages)),
        _button(f"{page + 1}/{pages}", ShownButton()),
        _button("›", make((page + 1) % pages)),
    ]


def subscribe_keyboard(chat_id: int, texts: BotTexts, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _button(texts.label("subscribe", lang), SubscribeButton(chat_id)),
                _button(texts.label("settings", lang), SettingsButton(chat_id, "menu", "main")),
            ]
        ]
    )


def digest_keyboard(
    current: ViewButton, pages: int, texts: BotTexts, lang: str, newest: int | None = None
) -> InlineKeyboardMarkup:
    """Section switches (the shown one marked), a pager, and 🆕 for a newer version."""

    def view(name: str) -> InlineKeyboardButton:
        key = "home" if name == "push" else "sources_section" if name == "sources" else name
        label = texts.label(key, lang)
        if name == current.view:
            return _button(f"· {label}", ShownButton())
        return _button(label, ViewButton(current.day, current.version, name))

    rows = [[view(v) for v in VIEWS[:3]], [view(v) for v in VIEWS[3:]]]
    pager = _pager(
        lambda p: ViewButton(current.day, current.version, current.view, p), current.page, pages
    )
    if pager:
        rows.append(pager)
    if newest is not None:
        rows.append([_button(texts.label("newest", lang), ViewButton(current.day, newest, "push"))])
    return InlineKeyboardMarkup(rows)


def sources_keyboard(
    current: SourcesButton, indexes: Sequence[int], pages: int, newest: int | None = None
) -> InlineKeyboardMarkup:
    """A button per source on the page (five a row), then the pager."""
    numbers = [_button(str(i), SourceButton(current.day, current.version, i)) for i in indexes]
    rows = [numbers[n : n + 5] for n in range(0, len(numbers), 5)]
    pager = _pager(lambda p: SourcesButton(current.day, current.version, p), current.page, pages)
    if pager:
        rows.append(pager)
    if newest is not None:
        rows.append([_button(f"🆕 v{newest}", SourcesButton(current.day, newest))])
    return InlineKeyboardMarkup(rows)


def settings_keyboard(
    sub: Subscription, menu: str, sources: Sequence[str], texts: BotTexts, lang: str
) -> InlineKeyboardMarkup:
    """The settings menu ``menu`` (main, time, zone, sections, sources) for ``sub``'s chat;
    a topic paused because it was closed gets a Resume button (Subscribe, in the topic).

    ``sub.link_preview`` None counts as ``none``: callers fill in the operator's default.
    """
    choices, width = _settings_choices(sub, menu, sources, texts, lang)
    pressed = [
        _button(label, SettingsButton(sub.chat_id, act, value)) for label, act, value in choices
    ]
    rows = [pressed[n : n + width] for n in range(0, len(pressed), width)]
    if menu == "main" and not sub.active and sub.inactive_reason in TOPIC_REASONS:
        rows.insert(0, [_button(texts.label("resume_push", lang), SubscribeButton(sub.chat_id))])
    if menu != "main":
        rows.append(
            [_button(texts.label("back", lang), SettingsButton(sub.chat_id, "menu", "main"))]
        )
    return InlineKeyboardMarkup(rows)


def _settings_choices(
    sub: Subscription, menu: str, sources: Sequence[str], texts: BotTexts, lang: str
) -> tuple[list[tuple[str, str, str]], int]:
    """(label, action, value) of each button of a settings menu, and how many fit a row."""
    if menu == "time":
        now = f"{sub.push_time:%H:%M}"
        return [(("· " if t == now else "") + t, "time", t.replace(":", "")) for t in TIMES], 5
    if menu == "zone":
        return [(("· " if z == sub.timezone else "") + z, "zone", z) for z in ZONES], 2
    if menu == "sections":
        marks = [("✅ " if s in sub.sections else "⬜ ", s) for s in SECTION_IDS]
        return [(m + texts.label(_label_key(s), lang), "section", s) for m, s in marks], 3
    if menu == "sources":
        states = [SOURCE_MARKS[source_state(sub, name)] for name in sources]
        return [
            (f"{m} {name}", "source", str(n))
            for n, (m, name) in enumerate(zip(states, sources, strict=True))
        ], 2
    mode = ("full_push", "full") if sub.mode == "brief" else ("brief", "brief")
    preview = sub.link_preview or "none"
    return [
        (texts.label("other_language", lang), "lang", "en" if sub.language == "zh" else "zh"),
        (texts.label(mode[0], lang), "mode", mode[1]),
        (texts.label("chart_off" if sub.chart else "chart_on", lang), "chart", _flag(sub.chart)),
        (texts.label(f"preview_{preview}", lang), "preview", _other_preview(preview)),
        (f"{texts.label('time', lang)} {sub.push_time:%H:%M}", "menu", "time"),
        (texts.label("zone", lang), "menu", "zone"),
        (texts.label("sections", lang), "menu", "sections"),
        (texts.label("sources", lang), "menu", "sources"),
    ], 2


def _other_preview(preview: str) -> str:
    """The value of the link preview button: the one not in use."""
    return "none" if preview == "headline" else "headline"


def _flag(on: bool) -> str:
    """The value of the chart button: what pressing it sets (the opposite of now)."""
    return "off" if on else "on"


def _label_key(section: str) -> str:
    return "sources_section" if section == "sources" else section


def settings_edit(button: SettingsButton, sources: Sequence[str]) -> tuple[Edit | None, str]:
    """What a settings button changes (None: only opens a menu) and the menu to show next.

    :raises UsageError: data no button of this bot carries.
    """
    action, value = button.action, button.value
    if action == "menu":
        if value not in MENUS:
            raise UsageError(f"unknown menu {value!r}")
        return None, value
    if action == "section":
        if value not in SECTION_IDS:
            raise UsageError(f"unknown section {value!r}")
        return toggle_section(value), "sections"
    if action == "source":
        if not value.isdigit() or int(value) >= len(sources):
            raise UsageError(f"unknown source {value!r}")
        return cycle_source(sources[int(value)]), "sources"
    return SettingChange(*_setting(action, value)), "main"


def _setting(action: str, value: str) -> tuple[str, object]:
    if action == "lang" and value in ("zh", "en"):
        return "language", value
    if action == "mode" and value in ("brief", "full"):
        return "mode", value
    if action == "chart" and value in ("on", "off"):
        return "chart", value == "on"
    if action == "preview" and value in LINK_PREVIEWS:
        return "link_preview", value
    if action == "time" and f"{value[:2]}:{value[2:]}" in TIMES:
        return "push_time", parse_hhmm(f"{value[:2]}:{value[2:]}")
    if action == "zone" and value in ZONES:
        return "timezone", value
    raise UsageError(f"unknown setting {action}={value!r}")


def following_keyboard(
    chat_id: int, follows: Sequence[tuple[int, int, bool]], alerts: bool, texts: BotTexts, lang: str
) -> InlineKeyboardMarkup:
    """Per group (number, id, paused): pause or resume, and remove; then alerts on/off."""
    rows = [
        [
            _button(
                f"{texts.label('resume' if paused else 'pause', lang)} {number}",
                FollowButton(chat_id, "resume" if paused else "pause", follow_id),
            ),
            _button(
                f"{texts.label('remove', lang)} {number}",
                FollowButton(chat_id, "remove", follow_id),
            ),
        ]
        for number, follow_id, paused in follows
    ]
    switch = "alerts_off" if alerts else "alerts_on"
    rows.append([_button(texts.label(switch, lang), FollowButton(chat_id, switch))])
    return InlineKeyboardMarkup(rows)


def alert_keyboard(
    batch_id: int, page: int, pages: int, more: int, texts: BotTexts, lang: str
) -> InlineKeyboardMarkup | None:
    """First page: "and N more"; later pages: the pager."""
    if pages <= 1:
        return None
    if page == 0:
        label = texts.label("more", lang).format(count=more)
        return InlineKeyboardMarkup([[_button(label, AlertButton(batch_id, 1))]])
    return InlineKeyboardMarkup([_pager(lambda p: AlertButton(batch_id, p), page, pages)])
