"""``hotdigest run`` and ``hotdigest fake-telegram``: start-up errors, and the documented demo."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from bot.cli.bot_commands import fake_telegram_command, run_command
from bot.cli.common import CliState
from bot.fake_telegram import FakeTelegram, serve_http
from digest import BuildOptions, Store, build_digest, import_posts, load_themes

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "posts.jsonl"
SAMPLE_SEEN = datetime(2026, 2, 15, 10, 0, tzinfo=UTC)
REAL_LOOKING_TOKEN = "7123456789:AAF-real-looking-token-abcdefghijk"


@contextmanager
def fake_over_http(token: str = "123456:TEST-TOKEN") -> Iterator[str]:
    """A fake Bot API served from a thread (the CLI under test runs its own event loop)."""
    ready: list[str] = []
    stop = threading.Event()

    async def serve() -> None:
        async with serve_http(FakeTelegram(token, limits=None)) as url:
            ready.append(url)
            while not stop.is_set():
                await asyncio.sleep(0.01)

    thread = threading.Thread(target=asyncio.run, args=(serve(),))
    thread.start()
    while not ready:
        time.sleep(0.01)
    try:
        yield ready[0]
    finally:
        stop.set()
        thread.join()


def invoke(runner: CliRunner, db_path: Path, args: list[str], env: dict[str, str]) -> Result:
    return runner.invoke(run_command, args, obj=CliState(None, str(db_path)), env=env)


def test_run_without_a_token_exits_2(runner: CliRunner, db_path: Path) -> None:
    result = invoke(runner, db_path, [], {})
    assert result.exit_code == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in result.output


def test_run_with_a_rejected_token_exits_2_without_printing_it(
    runner: CliRunner, db_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with fake_over_http() as url:
        env = {"TELEGRAM_BOT_TOKEN": REAL_LOOKING_TOKEN, "TELEGRAM_API_BASE_URL": url}
        result = invoke(runner, db_path, [], env)
    assert result.exit_code == 2
    assert "Telegram rejected the bot token" in result.output
    captured = capfd.readouterr()
    for text in (result.output, captured.out, captured.err):
        assert REAL_LOOKING_TOKEN not in text and "AAF-real" not in text


def test_run_with_an_unreachable_api_exits_1(runner: CliRunner, db_path: Path) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": "123456:TEST-TOKEN",
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",
    }
    result = invoke(runner, db_path, [], env)
    assert result.exit_code == 1
    assert "cannot reach the Bot API at http://127.0.0.1:9/bot" in result.output


def test_a_webhook_needs_its_secret(runner: CliRunner, db_path: Path) -> None:
    env = {"TELEGRAM_BOT_TOKEN": "123456:TEST-TOKEN"}
    result = invoke(runner, db_path, ["--webhook", "https://bot.example.com/hook"], env)
    assert result.exit_code == 2
    assert "TELEGRAM_WEBHOOK_SECRET" in result.output


def test_fake_telegram_reports_a_busy_port(runner: CliRunner) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(fake_telegram_command, ["--port", str(port), "--token", "1:x"])
    assert result.exit_code == 1
    assert f"export TELEGRAM_API_BASE_URL=http://127.0.0.1:{port}/bot" in result.output
    assert f"cannot listen on 127.0.0.1:{port}" in result.output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _python(code: str, *args: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(
    check: object, processes: list[subprocess.Popen[str]], timeout: float = 20.0
) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                out, err = process.communicate()
                raise AssertionError(f"{process.args!r} ended early:\n{out}\n{err}")
        try:
            found = check()  # type: ignore[operator]
        except httpx.HTTPError:
            found = None
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_the_documented_demo_runs_end_to_end(db_path: Path, tmp_path: Path) -> None:
    """fake-telegram and run as two processes; a user talks through the control endpoint."""
    store = Store.open(db_path)
    import_posts(store, SAMPLE, now=SAMPLE_SEEN)
    build_digest(store, SAMPLE_SEEN.date(), BuildOptions(themes=load_themes()), SAMPLE_SEEN)
    store.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTDIGEST_", "TELEGRAM_"))}
    port, token = _free_port(), "123456:demo-token"
    fake = _python(
        "from bot.cli.bot_commands import fake_telegram_command as c; c()",
        *("--port", str(port), "--token", token, "--latency", "0", "--no-limits"),
        env=env,
        cwd=tmp_path,
    )
    base = f"http://127.0.0.1:{port}"
    # As the README does it: the fake is listening before the bot starts (the bot checks
    # its token at start-up and exits if the API cannot be reached).
    with httpx.Client(base_url=f"{base}/_fake") as control:
        _wait_for(lambda: control.get("/stats").json()["ok"], [fake])
    bot_env = {**env, "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_BASE_URL": f"{base}/bot"}
    run = _python(
        "import sys; from bot.cli.bot_commands import run_command as c;"
        "from bot.cli.common import CliState;"
        "c.main(['--no-schedule'], obj=CliState(None, sys.argv[1]))",
        str(db_path),
        env=bot_env,
        cwd=tmp_path,
    )
    try:
        with httpx.Client(base_url=f"{base}/_fake") as control:
            _wait_for(lambda: control.get("/commands").json()["result"], [fake, run])
            said = {"chat_id": 1001, "user_id": 1001, "text": "/digest"}
            assert control.post("/user_message", json=said).json()["ok"]
            replies = _wait_for(
                lambda: control.get("/messages", params={"chat_id": 1001}).json()["result"],
                [fake, run],
            )
            # Polling asked for reactions (readers' feedback on pushes).
            asked = control.get("/allowed_updates").json()["result"]
        assert replies[0]["text"].startswith("科技热榜日报 · 2026-02-15")  # type: ignore[index]
        assert {"message", "callback_query", "message_reaction"} <= set(asked)
        assert "chat_member" not in asked
    finally:
        run.send_signal(signal.SIGINT)
        fake.send_signal(signal.SIGINT)
        _, run_err = run.communicate(timeout=20)
        fake_out, _ = fake.communicate(timeout=20)
    assert run.returncode == 0, run_err
    assert token not in run_err and "bot @hotdigest_bot ready" in run_err
    assert f"export TELEGRAM_BOT_TOKEN={token}" in fake_out
    assert json.dumps({"chat_id": 1001, "user_id": 1001, "text": "/digest"}) in fake_out


# -- issue 10: the webhook -----------------------------------------------------------------

WEBHOOK_SECRET = "hook-Secret_4f9c2a7e1b"
LLM_KEY = "sk-llm-key-5c1e9a03d7"


@contextmanager
def fake_with_state(token: str = "123456:TEST-TOKEN") -> Iterator[tuple[str, FakeTelegram]]:
    """``fake_over_http``, also handing over the fake to look at."""
    fake = FakeTelegram(token, limits=None)
    ready: list[str] = []
    stop = threading.Event()

    async def serve() -> None:
        async with serve_http(fake) as url:
            ready.append(url)
            while not stop.is_set():
                await asyncio.sleep(0.01)

    thread = threading.Thread(target=asyncio.run, args=(serve(),))
    thread.start()
    while not ready:
        time.sleep(0.01)
    try:
        yield ready[0], fake
    finally:
        stop.set()
        thread.join()


def test_verbose_webhook_logs_mask_every_secret(db_path: Path, tmp_path: Path) -> None:
    """``hotdigest -v run --webhook``: PTB's debug line for setWebhook quotes the secret."""
    token = "123456:TEST-TOKEN"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTDIGEST_", "TELEGRAM_"))}
    with fake_with_state(token) as (url, fake):
        env |= {
            "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_API_BASE_URL": url,
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "HOTDIGEST_LLM_API_KEY": LLM_KEY,
        }
        args = ["-v", "--db", str(db_path), "run", "--webhook", "https://bot.example.com/hook"]
        run = _python(
            "import sys; from bot.cli import main; main(sys.argv[1:])",
            *args,
            *("--port", str(_free_port()), "--no-schedule"),
            env=env,
            cwd=tmp_path,
        )
        try:
            _wait_for(lambda: fake.webhook is not None, [run])
        finally:
            run.send_signal(signal.SIGINT)
            _, err = run.communicate(timeout=20)
    assert fake.webhook == {"url": "https://bot.example.com/hook", "secret_token": WEBHOOK_SECRET}
    assert "setWebhook" in err and "level=DEBUG" in err  # the line that used to leak
    for secret in (WEBHOOK_SECRET, LLM_KEY, "TEST-TOKEN"):
        assert secret not in err


def test_a_refused_webhook_is_a_clear_error(runner: CliRunner, db_path: Path) -> None:
    with fake_over_http() as url:
        env = {
            "TELEGRAM_BOT_TOKEN": "123456:TEST-TOKEN",
            "TELEGRAM_API_BASE_URL": url,
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }
        result = invoke(runner, db_path, ["--webhook", "http://bot.example.com/hook"], env)
    assert result.exit_code == 2, result.output
    assert "Telegram refused the webhook http://bot.example.com/hook" in result.output
    assert "an https url must be provided" in result.output
    assert result.exc_info is None or result.exc_info[0] is SystemExit


# -- issue 12: no numpy or matplotlib in the bot's interpreter -------------------------------


def _mapped_packages(pid: int, names: tuple[str, ...]) -> set[str]:
    """Which of ``names`` have a file (their C extensions) mapped into process ``pid``."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return {name for name in names if f"/{name}/" in maps}


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc/<pid>/maps")
def test_the_started_bot_draws_a_chart_without_numpy_or_matplotlib(
    db_path: Path, tmp_path: Path
) -> None:
    """``hotdigest run`` as installed (the console script): after /digest chart has been
    answered with the picture, neither package is loaded in the bot's process."""
    store = Store.open(db_path)
    import_posts(store, SAMPLE, now=SAMPLE_SEEN)
    build_digest(store, SAMPLE_SEEN.date(), BuildOptions(themes=load_themes()), SAMPLE_SEEN)
    store.close()
    heavy = ("numpy", "matplotlib")
    # The probe sees them where they are loaded: an interpreter that imports matplotlib.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTDIGEST_", "TELEGRAM_"))}
    loaded = _python("import matplotlib.pyplot, sys; print(1, flush=True); sys.stdin.read()",
                     env=env, cwd=tmp_path)  # fmt: skip
    try:
        assert loaded.stdout is not None and loaded.stdout.readline().strip() == "1"
        assert _mapped_packages(loaded.pid, heavy) == set(heavy)
    finally:
        loaded.kill()
        loaded.communicate()
    with fake_with_state() as (url, _fake):
        hotdigest = str(Path(sys.executable).with_name("hotdigest"))
        bot_env = {**env, "TELEGRAM_BOT_TOKEN": "123456:TEST-TOKEN", "TELEGRAM_API_BASE_URL": url}
        run = subprocess.Popen(
            [hotdigest, "--db", str(db_path), "run", "--no-schedule"],
            env=bot_env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            with httpx.Client(base_url=url.removesuffix("/bot") + "/_fake") as control:
                _wait_for(lambda: control.get("/commands").json()["result"], [run])
                said = {"chat_id": 1001, "user_id": 1001, "text": "/digest chart"}
                assert control.post("/user_message", json=said).json()["ok"]
                messages = {"chat_id": 1001}
                sent = _wait_for(
                    lambda: control.get("/messages", params=messages).json()["result"],
                    [run],
                    timeout=120.0,  # a chart child imports matplotlib: seconds when loaded
                )
            assert sent[0]["photo"] is not None  # type: ignore[index]
            assert _mapped_packages(run.pid, heavy) == set()
        finally:
            run.send_signal(signal.SIGINT)
            _, run_err = run.communicate(timeout=30)
    assert run.returncode == 0, run_err
