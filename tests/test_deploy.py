"""The deployment files match the project: paths exist, commands and flags are real.

Docker's engine is not on the development machine, so the image is not built here;
instead every path the Dockerfile copies must exist, its command must parse as a
``hotdigest`` command line, and its health check must ask the address ``--metrics``
serves. The same for the systemd unit and compose.yaml.
"""

from __future__ import annotations

import json
import re
import shlex
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import click
import yaml

from bot.cli import main
from bot.config import OPTIONS
from bot.health import HEALTH_PATH, parse_address

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def parse_command_line(args: list[str]) -> tuple[click.Context, click.Context]:
    """Parse ``hotdigest ARGS`` as click would; raises on an unknown command or flag."""
    assert Path(args[0]).name == "hotdigest", args
    with main.make_context("hotdigest", args[1:]) as group:
        with warnings.catch_warnings():  # click 8.2 deprecates it; 9.0 moves it into args
            warnings.simplefilter("ignore", DeprecationWarning)
            remaining = [*group.protected_args, *group.args]
        name, command, rest = main.resolve_command(group, remaining)
        assert command is not None, f"no hotdigest command {name!r}"
        return group, command.make_context(name or "", rest, parent=group)


def docker_command() -> list[str]:
    table = dict(instructions(DOCKERFILE))
    return [*json.loads(table["ENTRYPOINT"]), *json.loads(table["CMD"])]


def test_every_path_the_dockerfile_copies_exists() -> None:
    copies = [rest for word, rest in instructions(DOCKERFILE) if word == "COPY"]
    local = [rest.split() for rest in copies if not rest.startswith("--from")]
    assert local, "no COPY of the project"
    for *sources, _target in local:
        for source in sources:
            assert (ROOT / source).exists(), f"Dockerfile copies {source}, which is not here"
    copied = " ".join(" ".join(parts) for parts in local)
    for needed in ("pyproject.toml", "uv.lock", "bot", "digest", "templates", "data/themes.toml"):
        assert needed in copied, f"the image lacks {needed}"


def test_the_image_is_multi_stage_runs_as_a_user_and_keeps_the_store_on_a_volume() -> None:
    steps = instructions(DOCKERFILE)
    assert sum(word == "FROM" for word, _ in steps) == 2
    assert any(word == "RUN" and "uv sync --frozen" in rest for word, rest in steps)
    (user,) = [rest for word, rest in steps if word == "USER"]
    assert user not in ("root", "0")
    (volume,) = [json.loads(rest) for word, rest in steps if word == "VOLUME"]
    env = " ".join(rest for word, rest in steps if word == "ENV")
    db = re.search(r"HOTDIGEST_DB=(\S+)", env)
    assert db is not None and Path(db.group(1)).parent == Path(volume[0])
    assert any(o.env == "HOTDIGEST_DB" for o in OPTIONS)


def test_the_image_runs_the_bot_and_checks_the_address_it_serves() -> None:
    group, run = parse_command_line(docker_command())
    assert run.command.name == "run" and group.params["log_format"] == "json"
    host, port = parse_address(run.params["metrics_address"])
    (check,) = [rest for word, rest in instructions(DOCKERFILE) if word == "HEALTHCHECK"]
    url = re.search(r"https?://[^'\"]+", check)
    assert url is not None
    probed = urlsplit(url.group(0))
    assert (probed.port, probed.path) == (port, HEALTH_PATH)
    assert host in ("0.0.0.0", probed.hostname)


def test_the_service_unit_runs_a_real_command_with_hardening() -> None:
    lines = (ROOT / "deploy" / "hotdigest.service").read_text().splitlines()
    keys: dict[str, list[str]] = {}
    for line in lines:
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            keys.setdefault(key.strip(), []).append(value.strip())
    (exec_start,) = keys["ExecStart"]
    args = shlex.split(exec_start)
    assert Path(args[0]).is_absolute()  # systemd wants an absolute path
    _, run = parse_command_line(args)
    assert run.command.name == "run"
    parse_address(run.params["metrics_address"])
    assert keys["DynamicUser"] == ["yes"] and keys["ProtectSystem"] == ["strict"]
    (state,) = keys["StateDirectory"]
    db = next(v for v in keys["Environment"] if v.startswith("HOTDIGEST_DB="))
    assert Path(db.split("=", 1)[1]).parent == Path("/var/lib") / state
    assert keys["Restart"] == ["on-failure"] and keys["RestartPreventExitStatus"] == ["2"]


def test_compose_runs_the_image_with_its_options_wired_through_the_config() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    bot = services["bot"]
    assert bot["build"] == "." and "profiles" not in bot
    assert "TELEGRAM_API_BASE_URL" in bot["environment"]
    assert any(o.env == "TELEGRAM_API_BASE_URL" for o in OPTIONS)
    assert any(volume.endswith(":/data") for volume in bot["volumes"])
    _, run = parse_command_line(docker_command())
    _, port = parse_address(run.params["metrics_address"])
    assert any(mapping.endswith(f":{port}") for mapping in bot["ports"])
    assert services["telegram-bot-api"]["profiles"] == ["bot-api"]
    assert services["ollama"]["profiles"] == ["llm"]
