"""The Bot API method table: dispatch, plus the methods that send no messages."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from . import messages, topics
from .errors import ApiError, JSONDict, bad_request
from .params import Params, get_bool, get_chat_id, get_int, get_json, get_number, target_chat_id

if TYPE_CHECKING:
    from .model import FakeTelegram
    from .state import ChatState

Handler = Callable[["FakeTelegram", Params], Awaitable[Any]]

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_SCOPES = frozenset(
    [
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    ]
)
_ADMIN_RIGHTS = [
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
]


async def dispatch(fake: FakeTelegram, token: str, method: str, params: Params) -> Any:
    """Check the token and method name, serve injections, then run the handler."""
    if token != fake.token:
        raise ApiError(401)
    handler = METHODS.get(method.lower())  # Telegram ignores the case of method names
    if handler is None:
        raise ApiError(404)
    fake.fire_injection(target_chat_id(params))
    return await handler(fake, params)


# -- bot and updates ---------------------------------------------------------------


async def get_me(fake: FakeTelegram, params: Params) -> JSONDict:
    return fake.bot_user


async def ok(fake: FakeTelegram, params: Params) -> bool:
    """close and logOut: nothing to do for a fake."""
    return True


async def get_updates(fake: FakeTelegram, params: Params) -> list[JSONDict]:
    if fake.webhook is not None:
        raise ApiError(
            409,
            "can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    remember_allowed_updates(fake, params)
    offset = get_int(params, "offset", 0)
    limit = min(max(get_int(params, "limit", 100), 1), 100)
    timeout = max(get_number(params, "timeout", 0), 0)
    updates = fake.pending_updates(offset, limit)
    if not updates and timeout:
        await fake.wait_for_updates(timeout)
        updates = fake.pending_updates(0, limit)
    return updates


def remember_allowed_updates(fake: FakeTelegram, params: Params) -> None:
    """Telegram keeps the last list given; an empty list means its default set."""
    if "allowed_updates" not in params:
        return
    kinds = get_json(params, "allowed_updates")
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise bad_request("can't parse allowed updates JSON array")
    fake.allowed_updates = frozenset(kinds) or None


async def set_webhook(fake: FakeTelegram, params: Params) -> bool:
    url = str(params.get("url") or "")
    if url and not url.startswith("https://"):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    remember_allowed_updates(fake, params)
    fake.webhook = {"url": url, "secret_token": params.get("secret_token")} if url else None
    if get_bool(params, "drop_pending_updates"):
        fake.drop_updates()
    return True


async def delete_webhook(fake: FakeTelegram, params: Params) -> bool:
    fake.webhook = None
    if get_bool(params, "drop_pending_updates"):
        fake.drop_updates()
    return True


async def get_webhook_info(fake: FakeTelegram, params: Params) -> JSONDict:
    return {
        "url": fake.webhook["url"] if fake.webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": fake.update_count,
    }


# -- commands ----------------------------------------------------------------------


def _commands_key(params: Params) -> tuple[str, str]:
    """Telegram keeps one command list per (scope, language_code)."""
    scope = get_json(params, "scope") or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
        raise bad_request("can't parse BotCommandScope JSON object")
    key = ":".join([scope["type"], *(str(scope[f]) for f in ("chat_id", "user_id") if f in scope)])
    return key, _language(params)


async def set_my_commands(fake: FakeTelegram, params: Params) -> bool:
    commands = get_json(params, "commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("commands must be an array of at most 100 BotCommand objects")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND.fullmatch(str(command.get("command"))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description") or "")) <= 256:
            raise bad_request("command description is empty or too long")
    key = _commands_key(params)
    if commands:
        fake.commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
    else:
        fake.commands.pop(key, None)
    return True


async def get_my_commands(fake: FakeTelegram, params: Params) -> list[JSONDict]:
    return fake.commands.get(_commands_key(params), [])


async def delete_my_commands(fake: FakeTelegram, params: Params) -> bool:
    fake.commands.pop(_commands_key(params), None)
    return True


# -- descriptions ------------------------------------------------------------------

# Telegram's limits on what the empty chat screen and the profile show.
_DESCRIPTION_LIMITS = {"description": 512, "short_description": 120}


def _language(params: Params) -> str:
    language = str(params.get("language_code") or "")
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request("invalid language code specified")
    return language


def _describer(kind: str) -> tuple[Handler, Handler]:
    async def set_text(fake: FakeTelegram, params: Params) -> bool:
        text = str(params.get(kind) or "")
        if len(text) > _DESCRIPTION_LIMITS[kind]:
            raise bad_request(f"{kind} is too long")
        key = (kind, _language(params))
        if text:
            fake.descriptions[key] = text
        else:
            fake.descriptions.pop(key, None)
        return True

    async def get_text(fake: FakeTelegram, params: Params) -> JSONDict:
        return {kind: fake.descriptions.get((kind, _language(params)), "")}

    return set_text, get_text


set_my_description, get_my_description = _describer("description")
set_my_short_description, get_my_short_description = _describer("short_description")


# -- chats -------------------------------------------------------------------------


async def get_chat(fake: FakeTelegram, params: Params) -> JSONDict:
    state = fake.chat_state(get_chat_id(params))
    gifts = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
    return {
        **state.chat,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {name: False for name in (*gifts, "gifts_from_channels")},
    }


def _member(fake: FakeTelegram, state: ChatState, user_id: int) -> JSONDict:
    """A ChatMember: admins[0] owns a group, the rest administer it."""
    private = state.chat["type"] == "private"
    if user_id == fake.bot_id:
        user = fake.bot_user
        status = "administrator" if state.bot_is_admin and not private else "member"
    else:
        if user_id not in fake.users and user_id not in state.admins:
            raise bad_request("user not found")
        user = fake.user(user_id)
        status = "member"
        if not private and user_id in state.admins:
            status = "creator" if state.admins[0] == user_id else "administrator"
    member: JSONDict = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(can_be_edited=False, is_anonymous=False)
        member.update(dict.fromkeys(_ADMIN_RIGHTS, True))
    return member


async def get_chat_member(fake: FakeTelegram, params: Params) -> JSONDict:
    state = fake.chat_state(get_chat_id(params))
    return _member(fake, state, get_int(params, "user_id"))


async def get_chat_administrators(fake: FakeTelegram, params: Params) -> list[JSONDict]:
    state = fake.chat_state(get_chat_id(params))
    if state.chat["type"] == "private":
        raise bad_request("there are no administrators in the private chat")
    admins = [_member(fake, state, user_id) for user_id in state.admins]
    if state.bot_is_admin:
        admins.append(_member(fake, state, fake.bot_id))
    return admins


METHODS: dict[str, Handler] = {
    name.lower(): handler
    for name, handler in {
        "getMe": get_me,
        "logOut": ok,
        "close": ok,
        "getUpdates": get_updates,
        "setWebhook": set_webhook,
        "deleteWebhook": delete_webhook,
        "getWebhookInfo": get_webhook_info,
        "setMyCommands": set_my_commands,
        "getMyCommands": get_my_commands,
        "deleteMyCommands": delete_my_commands,
        "setMyDescription": set_my_description,
        "getMyDescription": get_my_description,
        "setMyShortDescription": set_my_short_description,
        "getMyShortDescription": get_my_short_description,
        "getChat": get_chat,
        "getChatMember": get_chat_member,
        "getChatAdministrators": get_chat_administrators,
        "sendMessage": messages.send_message,
        "sendPhoto": messages.send_photo,
        "editMessageText": messages.edit_message_text,
        "editMessageReplyMarkup": messages.edit_message_reply_markup,
        "deleteMessage": messages.delete_message,
        "answerCallbackQuery": messages.answer_callback_query,
        "sendChatAction": messages.send_chat_action,
        "createForumTopic": topics.create_forum_topic,
        "closeForumTopic": topics.close_forum_topic,
        "reopenForumTopic": topics.reopen_forum_topic,
        "deleteForumTopic": topics.delete_forum_topic,
    }.items()
}
