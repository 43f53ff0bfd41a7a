"""The ``/_fake/`` control endpoints: JSON in, JSON out, so another process can play users.

=====================  ========================================================
POST /_fake/user_message  {"chat_id", "user_id", "text", "thread_id"?} → the user's Message
POST /_fake/press         {"chat_id", "user_id", "message_id", "data"} → query id
GET  /_fake/messages      ?chat_id= (optional) &current=1 → what the bot sent/edited
POST /_fake/inject        {"chat_id", "kind", "times", "retry_after", "code", "hold"}
GET  /_fake/stats         counters
POST /_fake/add_user      {"user_id", "first_name", "language_code", "username"}
POST /_fake/add_chat      {"chat_id", "type", "title", "admins", "bot_is_admin", "forum"}
POST /_fake/topic         {"chat_id", "action": create|close|reopen|delete, "name"|"thread_id"}
GET  /_fake/callback_answers, GET /_fake/commands
GET  /_fake/allowed_updates  what the bot last asked for (null: Telegram's default)
=====================  ========================================================

Replies are ``{"ok": true, "result": ...}`` or ``{"ok": false, "description": ...}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import ApiError, JSONDict
from .model import FakeTelegram

Args = dict[str, Any]


def _user_message(fake: FakeTelegram, args: Args) -> Any:
    thread = args.get("thread_id")
    chat_id, user_id = int(args["chat_id"]), int(args["user_id"])
    return fake.user_sends(chat_id, user_id, str(args["text"]), int(thread) if thread else None)


def _press(fake: FakeTelegram, args: Args) -> Any:
    return fake.user_presses(
        int(args["chat_id"]), int(args["user_id"]), int(args["message_id"]), str(args["data"])
    )


def _messages(fake: FakeTelegram, args: Args) -> Any:
    chat_id = int(args["chat_id"]) if args.get("chat_id") not in (None, "") else None
    if str(args.get("current", "")).lower() in ("1", "true"):
        if chat_id is None:
            raise ValueError("current=1 needs a chat_id")
        return fake.messages(chat_id)
    return fake.sent(chat_id)


def _inject(fake: FakeTelegram, args: Args) -> Any:
    chat_id = args.get("chat_id")
    hold = args.get("hold")
    return fake.inject(
        int(chat_id) if chat_id is not None else None,
        str(args["kind"]),
        args.get("times", 1),
        retry_after=int(args.get("retry_after", 3)),
        code=int(args.get("code", 500)),
        hold=float(hold) if hold is not None else None,
    )


def _add_user(fake: FakeTelegram, args: Args) -> Any:
    return fake.add_user(
        int(args["user_id"]),
        str(args.get("first_name", "")),
        str(args.get("language_code", "zh-hans")),
        args.get("username"),
    )


def _add_chat(fake: FakeTelegram, args: Args) -> Any:
    return fake.add_chat(
        int(args["chat_id"]),
        str(args.get("type", "private")),
        args.get("title"),
        tuple(int(admin) for admin in args.get("admins", ())),
        bool(args.get("bot_is_admin", True)),
        bool(args.get("forum", False)),
    )


def _topic(fake: FakeTelegram, args: Args) -> Any:
    chat_id, action = int(args["chat_id"]), str(args["action"])
    if action == "create":
        return fake.create_topic(chat_id, str(args["name"]))
    change = {"close": fake.close_topic, "reopen": fake.reopen_topic, "delete": fake.delete_topic}
    if action not in change:
        raise ValueError(f"unknown topic action {action!r}")
    change[action](chat_id, int(args["thread_id"]))
    return True


def _commands(fake: FakeTelegram, args: Args) -> Any:
    return [
        {"scope": scope, "language_code": language, "commands": commands}
        for (scope, language), commands in fake.commands.items()
    ]


_ROUTES: dict[tuple[str, str], Callable[[FakeTelegram, Args], Any]] = {
    ("POST", "user_message"): _user_message,
    ("POST", "press"): _press,
    ("GET", "messages"): _messages,
    ("POST", "inject"): _inject,
    ("GET", "stats"): lambda fake, args: fake.stats(),
    ("POST", "add_user"): _add_user,
    ("POST", "add_chat"): _add_chat,
    ("POST", "topic"): _topic,
    ("GET", "callback_answers"): lambda fake, args: fake.callback_answers,
    ("GET", "commands"): _commands,
    ("GET", "allowed_updates"): lambda fake, args: (
        None if fake.allowed_updates is None else sorted(fake.allowed_updates)
    ),
}


def control(fake: FakeTelegram, method: str, path: str, args: Args) -> tuple[int, JSONDict]:
    """Run one control call; returns (HTTP status, JSON body)."""
    route = _ROUTES.get((method, path.removeprefix("/_fake/")))
    if route is None:
        return 404, {"ok": False, "description": f"no control endpoint {method} {path}"}
    try:
        result = route(fake, args)
    except (KeyError, TypeError, ValueError) as exc:
        return 400, {"ok": False, "description": f"{type(exc).__name__}: {exc}"}
    except ApiError as exc:  # what Telegram would refuse (closing a closed topic)
        return exc.code, exc.payload()
    return 200, {"ok": True, "result": result}
