"""Settings: defaults, the TOML file, the environment; errors name file, key and reason."""

from __future__ import annotations

import dataclasses
import io
import logging
import re
import tomllib
from collections.abc import Iterator
from datetime import time
from pathlib import Path
from typing import Any

import pytest

from bot.config import (
    DEFAULT_BASE_URL,
    DEFAULT_SOURCES,
    OPTIONS,
    Settings,
    SourceConfig,
    build_options,
    describe,
    load_settings,
    setting_names,
)
from bot.logs import SecretFilter, configure_logging, mask_secrets, mask_token
from digest import ConfigError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "hotdigest.example.toml"
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def toml_file(tmp_path: Path, text: str, name: str = "settings.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- where settings come from ---------------------------------------------------


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings == Settings()
    assert settings.db_path == Path("data/hotdigest.db")
    assert settings.timezone == "Asia/Shanghai"
    assert settings.telegram_base_url == DEFAULT_BASE_URL
    assert settings.telegram_token is None
    assert settings.admins == ()
    assert settings.sources == DEFAULT_SOURCES
    assert {source.name for source in settings.sources} == {
        "juejin",
        "hackernews",
        "v2ex",
        "github",
    }


def test_file_values_override_defaults(tmp_path: Path) -> None:
    path = toml_file(
        tmp_path,
        'timezone = "Europe/Berlin"\nadmins = [42, 7]\n'
        '[digest]\nbuild_time = "07:05"\n[llm]\nenabled = true\n',
    )
    settings = load_settings(path, environ={})
    assert settings.timezone == "Europe/Berlin"
    assert settings.admins == (42, 7)
    assert settings.build_time == time(7, 5)
    assert settings.llm_enabled is True
    assert settings.language == "zh"  # untouched keys keep their default
    assert settings.origin["timezone"] == str(path)


def test_config_file_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    toml_file(tmp_path, 'language = "en"\n', name="hotdigest.toml")
    from_env = toml_file(tmp_path, 'timezone = "Europe/Berlin"\n', name="env.toml")
    explicit = toml_file(tmp_path, 'timezone = "America/Los_Angeles"\n', name="explicit.toml")

    assert load_settings(environ={}).language == "en"  # ./hotdigest.toml
    via_env = load_settings(environ={"HOTDIGEST_CONFIG": str(from_env)})
    assert (via_env.timezone, via_env.language) == ("Europe/Berlin", "zh")
    via_option = load_settings(explicit, environ={"HOTDIGEST_CONFIG": str(from_env)})
    assert via_option.timezone == "America/Los_Angeles"


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = toml_file(
        tmp_path,
        'db = "from-file.db"\ntimezone = "Europe/Berlin"\nadmins = [1]\n'
        '[telegram]\nbase_url = "https://file.example/bot"\n',
    )
    settings = load_settings(
        path,
        environ={
            "HOTDIGEST_DB": "/srv/hot.db",
            "HOTDIGEST_TZ": "America/Los_Angeles",
            "HOTDIGEST_ADMINS": " 12, 34 ,",
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot/",
            "TELEGRAM_BOT_TOKEN": TOKEN,
        },
    )
    assert settings.db_path == Path("/srv/hot.db")
    assert settings.timezone == "America/Los_Angeles"
    assert settings.admins == (12, 34)
    assert settings.telegram_base_url == "http://127.0.0.1:8081/bot"
    assert settings.telegram_token == TOKEN
    assert settings.origin["db"] == "$HOTDIGEST_DB"


def test_empty_environment_variables_are_ignored(tmp_path: Path) -> None:
    path = toml_file(tmp_path, 'timezone = "Europe/Berlin"\n')
    settings = load_settings(path, environ={"HOTDIGEST_TZ": " ", "TELEGRAM_BOT_TOKEN": ""})
    assert (settings.timezone, settings.telegram_token) == ("Europe/Berlin", None)


# -- invalid settings -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        ('timezone = "Mars/Olympus_Mons"\n', "timezone", "unknown time zone"),
        ('[digest]\nbuild_time = "25:00"\n', "digest.build_time", "time of day"),
        ('[schedule]\npush_time = "7pm"\n', "schedule.push_time", "HH:MM"),
        ("colour = 3\n", "colour", "unknown setting"),
        ('[telegram]\nbase_url = "https://x.example/bot"\nbot = 1\n', "telegram.bot", "unknown"),
        (f'[telegram]\ntoken = "{TOKEN}"\n', "telegram.token", "TELEGRAM_BOT_TOKEN"),
        ('[llm]\napi_key = "sk-abc"\n', "llm.api_key", "HOTDIGEST_LLM_API_KEY"),
        ('admins = "12,abc"\n', "admins", "'abc' is not a numeric"),
        ("admins = [true]\n", "admins", "numeric"),
        ('[digest]\nwindow_hours = "many"\n', "digest.window_hours", "whole number"),
        ("[digest]\nwindow_hours = 0\n", "digest.window_hours", "from 1"),
        ("[llm]\nenabled = 1\n", "llm.enabled", "true or false"),
        ('[telegram]\nbase_url = "ftp://x"\n', "telegram.base_url", "http"),
    ],
)
def test_invalid_file_values_name_file_key_and_reason(
    tmp_path: Path, text: str, key: str, reason: str
) -> None:
    path = toml_file(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    error = caught.value
    assert (error.file, error.key) == (str(path), key)
    assert reason in error.reason
    assert str(path) in str(error) and key in str(error)
    assert TOKEN not in str(error)


def test_invalid_toml(tmp_path: Path) -> None:
    path = toml_file(tmp_path, 'timezone = "Asia/Shanghai\n')
    with pytest.raises(ConfigError, match="not valid TOML") as caught:
        load_settings(path, environ={})
    assert caught.value.file == str(path)


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found") as caught:
        load_settings(tmp_path / "nope.toml", environ={})
    assert caught.value.file == str(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("variable", "value", "key"),
    [
        ("HOTDIGEST_ADMINS", "12,abc", "admins"),
        ("HOTDIGEST_TZ", "Nowhere/Special", "timezone"),
        ("TELEGRAM_API_BASE_URL", "api.telegram.org", "telegram.base_url"),
    ],
)
def test_invalid_environment_values_name_the_variable(variable: str, value: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={variable: value, "HOTDIGEST_CONFIG": str(EXAMPLE)})
    assert (caught.value.file, caught.value.key) == (f"${variable}", key)


# -- [[sources]] --------------------------------------------------------------------


def test_sources_table_replaces_the_defaults(tmp_path: Path) -> None:
    path = toml_file(
        tmp_path,
        '[[sources]]\nname = "hn"\nkind = "hackernews"\nlimit = 10\n'
        '[[sources]]\nname = "feed"\nkind = "rss"\nurl = "https://hnrss.org/frontpage"\n'
        'display_name = "Hacker News 首页"\n',
    )
    settings = load_settings(path, environ={})
    assert settings.sources == (
        SourceConfig("hn", "hackernews", {"limit": 10}),
        SourceConfig("feed", "rss", {"url": "https://hnrss.org/frontpage"}, "Hacker News 首页"),
    )
    # The name stays the id commands take; the display name is what digests show.
    options = build_options(settings)
    assert options.sources == ("hn", "feed")
    assert options.source_names == (("feed", "Hacker News 首页"),)


def test_a_name_that_is_display_text_is_shown_and_gives_the_id(tmp_path: Path) -> None:
    # Issue 14 writes the setting as `name = "…"`, shown everywhere: free text in name is
    # the display name, and the id commands take comes from `id`, its Latin words or the kind.
    path = toml_file(
        tmp_path,
        '[[sources]]\nname = "Hacker News 最新"\nkind = "rss"\nurl = "https://hnrss.org/newest"\n'
        '[[sources]]\nname = "哔哩哔哩热门"\nkind = "dailyhot"\nurl = "http://127.0.0.1:6688/b"\n'
        '[[sources]]\nname = "掘金 前端"\nid = "juejin-fe"\nkind = "juejin"\n',
    )
    settings = load_settings(path, environ={})
    assert [(s.name, s.display_name) for s in settings.sources] == [
        ("hacker-news", "Hacker News 最新"),
        ("dailyhot", "哔哩哔哩热门"),
        ("juejin-fe", "掘金 前端"),
    ]
    assert build_options(settings).source_names == (
        ("hacker-news", "Hacker News 最新"),
        ("dailyhot", "哔哩哔哩热门"),
        ("juejin-fe", "掘金 前端"),
    )
    shown = dict((key, value) for key, value, _ in describe(settings))["sources"]
    assert shown.startswith('hacker-news (rss, shown as "Hacker News 最新"), dailyhot (dailyhot,')


@pytest.mark.parametrize(
    ("tables", "key", "reason"),
    [
        # Two display names with the same Latin words: the second needs its own id.
        (
            'name = "Hacker News 最新"\nkind = "rss"\nurl = "https://a.example/1"\n'
            '[[sources]]\nname = "Hacker News 首页"\nkind = "rss"\nurl = "https://a.example/2"\n',
            "sources.hacker-news",
            "id =",
        ),
        (
            'name = "Hacker News 最新"\ndisplay_name = "HN"\nkind = "rss"\nurl = "https://a.example/1"\n',
            "sources.Hacker News 最新.display_name",
            "drop display_name",
        ),
        (
            'name = "Hacker News 最新"\nid = "two words"\nkind = "rss"\nurl = "https://a.example/1"\n',
            "sources.Hacker News 最新.id",
            "id must be",
        ),
        (
            'name = "a\u202eb c"\nkind = "rss"\nurl = "https://a.example/1"\n',
            "sources.a\u202eb c",
            "printable",
        ),
    ],
)
def test_display_text_in_name_is_checked(
    tmp_path: Path, tables: str, key: str, reason: str
) -> None:
    path = toml_file(tmp_path, "[[sources]]\n" + tables)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert caught.value.key == key
    assert reason in caught.value.reason


@pytest.mark.parametrize("shown", ['""', '"a\u202eb"', '"' + "长" * 41 + '"', "3"])
def test_a_display_name_is_short_printable_text(tmp_path: Path, shown: str) -> None:
    path = toml_file(
        tmp_path,
        f'[[sources]]\nname = "feed"\nkind = "rss"\nurl = "https://a.example/rss"\n'
        f"display_name = {shown}\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert caught.value.key == "sources.feed.display_name"


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        ('[[sources]]\nname = "x"\nkind = "myspace"\n', "sources.x.kind", "unknown source kind"),
        ('[[sources]]\nname = "x"\n', "sources.x", "kind"),
        ('[[sources]]\nkind = "v2ex"\n', "sources", "no name"),
        ('[[sources]]\nname = "x"\nkind = "v2ex"\nlimt = 5\n', "sources.x.limt", "unknown option"),
        ('[[sources]]\nname = "x"\nkind = "v2ex"\nlimit = "5"\n', "sources.x.limit", "integer"),
        ('[[sources]]\nname = "x"\nkind = "rss"\n', "sources.x.url", "required"),
        (
            '[[sources]]\nname = "x"\nkind = "v2ex"\n[[sources]]\nname = "x"\nkind = "github"\n',
            "sources.x",
            "two sources",
        ),
        ('sources = "juejin"\n', "sources", "[[sources]]"),
    ],
)
def test_invalid_sources_name_file_key_and_reason(
    tmp_path: Path, text: str, key: str, reason: str
) -> None:
    path = toml_file(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert (caught.value.file, caught.value.key) == (str(path), key)
    assert reason in caught.value.reason


# -- describe and documentation -------------------------------------------------


def test_describe_masks_secrets() -> None:
    settings = load_settings(
        environ={
            "HOTDIGEST_CONFIG": str(EXAMPLE),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": "webhook-secret-value",
            "HOTDIGEST_LLM_API_KEY": "sk-live-0123456789abcdef",
        }
    )
    rows = describe(settings)
    shown = repr(rows)
    for secret in (TOKEN, "webhook-secret-value", "sk-live-0123456789abcdef"):
        assert secret not in shown
        assert secret not in repr(settings)
    values = {key: value for key, value, _ in rows}
    assert values["telegram.token"] != "(not set)"
    assert {key for key, _, _ in rows} == set(setting_names())


def test_describe_shows_where_each_value_came_from(tmp_path: Path) -> None:
    path = toml_file(tmp_path, 'language = "en"\n')
    rows = describe(load_settings(path, environ={"HOTDIGEST_TZ": "UTC"}))
    origin = {key: where for key, _, where in rows}
    assert origin["language"] == str(path)
    assert origin["timezone"] == "$HOTDIGEST_TZ"
    assert origin["db"] == "default"


def test_every_setting_has_an_option() -> None:
    # environment_proxies: the standard variables (HTTPS_PROXY...), not settings of ours.
    not_options = {"sources", "origin", "environment_proxies"}
    attrs = {field.name for field in dataclasses.fields(Settings)} - not_options
    assert attrs == {option.attr for option in OPTIONS}
    assert all(option.help.strip() for option in OPTIONS)
    assert len(setting_names()) == len(set(setting_names()))


def _flatten(data: dict[str, Any], prefix: str = "") -> Iterator[str]:
    for name, value in data.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}"


def _commented_keys(text: str) -> set[str]:
    """Keys of `# key = value` lines, qualified by the table they sit in."""
    keys, table = set(), ""
    for line in text.splitlines():
        header = re.match(r"^\s*\[([A-Za-z_.]+)\]\s*$", line)
        if header:
            table = header.group(1) + "."
            continue
        if re.match(r"^\s*\[\[", line):
            table = "sources."
            continue
        commented = re.match(r"^\s*#\s*([A-Za-z_]+)\s*=", line)
        if commented:
            keys.add(table + commented.group(1))
    return keys


def test_example_file_is_valid_toml_of_known_settings() -> None:
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert set(_flatten(data)) <= set(setting_names())
    # Its values are the defaults, [[sources]] included.
    assert load_settings(EXAMPLE, environ={}) == Settings()


def test_example_file_documents_every_setting() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    documented = set(_flatten(data)) | _commented_keys(text)
    for option in OPTIONS:
        assert option.help in text, f"help of {option.key} is not in the example"
        if option.file:
            assert option.key in documented, f"{option.key} is not in the example"
        else:
            # Secrets are comments naming the only place they are read from.
            line = next((ln for ln in text.splitlines() if option.key in ln), "")
            assert line.lstrip().startswith("#") and str(option.env) in line, option.key
    assert "[[sources]]" in text
    for kind in ("rss", "dailyhot"):
        assert f'# kind = "{kind}"' in text
    assert "sources.url" in _commented_keys(text)


# -- logs never show the token -----------------------------------------------------


@pytest.fixture
def log_stream() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(SecretFilter([TOKEN]))
    logger = logging.getLogger("tests.token")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True


def test_token_is_masked_in_messages_and_args(
    log_stream: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = log_stream
    logger.info(f"direct {TOKEN}")
    logger.info("POST %s -> %d", f"https://api.telegram.org/bot{TOKEN}/sendMessage", 200)
    output = stream.getvalue()
    assert TOKEN not in output
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in output
    assert "sendMessage -> 200" in output


def test_token_is_masked_in_tracebacks(log_stream: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log_stream
    try:
        raise RuntimeError(f"Invalid token {TOKEN} rejected")
    except RuntimeError:
        logger.exception("bot failed to start")
    output = stream.getvalue()
    assert "Traceback" in output and "RuntimeError" in output
    assert TOKEN not in output


def test_mask_token_masks_token_shapes_without_knowing_the_token() -> None:
    other = "987654321:ZZZdqTcvCH1vGWJxfSeofSAs0K5PALDxyz"
    assert other not in mask_token(f"https://api.telegram.org/bot{other}/getMe")
    assert mask_token("plain text 12:30 and id 123456") == "plain text 12:30 and id 123456"
    assert "s3cret" not in mask_token("token=s3cret", "s3cret")


def test_configure_logging_quiets_httpx() -> None:
    loggers = [logging.getLogger(name) for name in ("", "httpx", "httpcore")]
    saved = [(logger.handlers[:], logger.level) for logger in loggers]
    try:
        configure_logging("DEBUG", secrets=[TOKEN])
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("httpcore").getEffectiveLevel() == logging.WARNING
        (handler,) = logging.getLogger().handlers
        assert any(isinstance(f, SecretFilter) for f in handler.filters)
    finally:
        for logger, (handlers, level) in zip(loggers, saved, strict=True):
            logger.handlers[:] = handlers
            logger.setLevel(level)


def test_mask_secrets_masks_known_values_and_secret_shapes() -> None:
    secrets = ["hook-secret-1", "sk-key-2", "proxy-pass-3"]
    lines = [
        "Calling Bot API endpoint `setWebhook` with parameters `{'url': 'https://x', "
        "'secret_token': 'unknown-secret'}`",
        "headers {'Authorization': 'Bearer sk-unlisted'}",
        "proxy socks5://alice:unlisted-pass@127.0.0.1:1080 and http://bob:pw@h:3128/",
        "listed: hook-secret-1 sk-key-2 proxy-pass-3",
        'json {"api_key": "k-unlisted", "password": "p-unlisted"}',
    ]
    masked = mask_secrets("\n".join(lines), secrets)
    for leaked in (*secrets, "unknown-secret", "sk-unlisted", "unlisted-pass", ":pw@"):
        assert leaked not in masked
    assert "k-unlisted" not in masked and "p-unlisted" not in masked
    assert "socks5://alice:<secret>@127.0.0.1:1080" in masked  # where, not what
    plain = "plain text 12:30, https://example.com/a?b=c"
    assert mask_secrets(plain, secrets) == plain


def test_every_secret_setting_is_masked() -> None:
    settings = load_settings(
        None,
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": "hook-secret",
            "HOTDIGEST_LLM_API_KEY": "sk-key",
        },
    )
    assert set(settings.secrets) >= {TOKEN, "hook-secret", "sk-key"}
