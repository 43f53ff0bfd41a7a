"""The layout rules: digest/ stays free of the edges, its API is declared, commands document,
modules and functions stay within their sizes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import pytest

import digest

ROOT = Path(__file__).resolve().parent.parent
DIGEST_MODULES = sorted((ROOT / "digest").rglob("*.py"))
FORBIDDEN = {"bot", "telegram", "click"}


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
            if node.module == "os" and {a.name for a in node.names} & {"environ", "getenv"}:
                found.append(f"line {node.lineno}: imports os.environ/os.getenv")
        else:
            modules = []
        for module in modules:
            if module.split(".")[0] in FORBIDDEN:
                found.append(f"line {node.lineno}: imports {module}")
        if (
            isinstance(node, ast.Attribute)
            and node.attr in {"environ", "getenv", "environb", "putenv"}
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ):
            found.append(f"line {node.lineno}: reads os.{node.attr}")
    return found


def test_digest_modules_were_found() -> None:
    names = {path.name for path in DIGEST_MODULES}
    assert {"__init__.py", "store.py", "models.py"} <= names


@pytest.mark.parametrize("path", DIGEST_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_digest_never_imports_the_edges_nor_reads_the_environment(path: Path) -> None:
    assert _problems(path) == []


def test_the_checker_catches_violations(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import os\nimport telegram.ext\nfrom bot.config import Settings\nfrom click import echo\n"
        "from os import environ\nTOKEN = os.environ['X']\nDB = os.getenv('Y')\n",
        encoding="utf-8",
    )
    assert len(_problems(bad)) == 6


def _isort_key(name: str) -> tuple[int, list[int | str]]:
    """ruff's RUF022 order: CONSTANTS, then CamelCase, then the rest; each naturally sorted."""
    if name.isupper() and len(name) > 1:
        kind = 0
    elif name[:1].isupper():
        kind = 1
    else:
        kind = 2
    natural = [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]
    return kind, natural


def test_digest_all_is_sorted_and_complete() -> None:
    # Sorted the way ruff (RUF022) keeps it, so the linter and this test agree.
    assert digest.__all__ == sorted(digest.__all__, key=_isort_key)
    assert len(set(digest.__all__)) == len(digest.__all__)
    missing = [name for name in digest.__all__ if not hasattr(digest, name)]
    assert missing == []
    # Everything digest/__init__.py imports is public API, so it must be declared.
    tree = ast.parse((ROOT / "digest" / "__init__.py").read_text(encoding="utf-8"))
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if not (alias.asname or alias.name).startswith("_")
    }
    imported.discard("annotations")
    assert sorted(imported - set(digest.__all__)) == []


def _commands() -> list[tuple[str, click.Command]]:
    from bot.cli import main

    found: list[tuple[str, click.Command]] = [("hotdigest", main)]
    groups = [("hotdigest", main)]
    while groups:
        prefix, group = groups.pop()
        for name, command in group.commands.items():  # type: ignore[attr-defined]
            found.append((f"{prefix} {name}", command))
            if isinstance(command, click.Group):
                groups.append((f"{prefix} {name}", command))
    return found


def test_every_command_has_help_with_an_example() -> None:
    commands = _commands()
    assert {"hotdigest config", "hotdigest import", "hotdigest posts"} <= {n for n, _ in commands}
    lacking = [name for name, command in commands if "Example:" not in (command.help or "")]
    assert lacking == []
    for name, command in commands:
        assert (command.help or "").strip().split("\n")[0], f"{name} has no summary line"


PIPELINE = ("sources", "store", "build", "writers", "render", "push")
DIGEST_TOP = {"__init__.py", "errors.py", "clock.py", "models.py", "document.py"}
BOT_PACKAGES = ("handlers", "delivery", "cli", "fake_telegram")


def test_digest_follows_the_pipeline_in_packages() -> None:
    for package in PIPELINE:
        assert (ROOT / "digest" / package / "__init__.py").is_file(), package
    loose = {path.name for path in (ROOT / "digest").glob("*.py")}
    # A new module belongs in the package of its pipeline step, not at the top.
    assert loose == DIGEST_TOP
    for package in BOT_PACKAGES:
        assert (ROOT / "bot" / package / "__init__.py").is_file(), package


def test_every_package_says_what_it_holds() -> None:
    for init in [*(ROOT / "digest").rglob("__init__.py"), *(ROOT / "bot").rglob("__init__.py")]:
        tree = ast.parse(init.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{init.relative_to(ROOT)} has no docstring"


SIZED = ("digest", "bot", "bench")
MAX_MODULE_LINES = 400  # STYLE §2: modules under about 400 lines
MAX_FUNCTION_LINES = 60  # STYLE §2 asks ~40; 60 is the line no function may cross


def _oversized(path: Path, root: Path) -> list[str]:
    """What in ``path`` is over the limits: the module's lines, each function's def to last line."""
    text = path.read_text(encoding="utf-8")
    name = str(path.relative_to(root))
    found = []
    lines = len(text.splitlines())
    if lines > MAX_MODULE_LINES:
        found.append(f"{name}: {lines} lines (module limit {MAX_MODULE_LINES})")
    for node in ast.walk(ast.parse(text, filename=name)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(
                    f"{name}:{node.lineno} {node.name}() is {length} lines "
                    f"(function limit {MAX_FUNCTION_LINES})"
                )
    return found


def test_no_module_or_function_is_oversized() -> None:
    paths = sorted(path for package in SIZED for path in (ROOT / package).rglob("*.py"))
    assert len(paths) > 100
    offenders = [problem for path in paths for problem in _oversized(path, ROOT)]
    assert offenders == [], "split these (STYLE §2):\n" + "\n".join(offenders)


def test_the_size_check_counts_from_def_to_last_line(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES - 2))
    fits = f"def fits():\n{body}\n    return 0\n"  # def + 58 + return = 60 lines
    over = f"async def over():\n{body}\n    x = 1\n    return x\n"  # 61 lines
    (tmp_path / "fits.py").write_text(fits, encoding="utf-8")
    (tmp_path / "over.py").write_text(over + "\n" * MAX_MODULE_LINES, encoding="utf-8")
    assert _oversized(tmp_path / "fits.py", tmp_path) == []
    assert _oversized(tmp_path / "over.py", tmp_path) == [
        f"over.py: {MAX_MODULE_LINES + 61} lines (module limit {MAX_MODULE_LINES})",
        f"over.py:1 over() is 61 lines (function limit {MAX_FUNCTION_LINES})",
    ]
