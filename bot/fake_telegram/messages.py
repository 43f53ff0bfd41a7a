"""Bot API methods that send, edit or delete messages, with Telegram's validation."""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING, Any

from .errors import JSONDict, bad_request, too_many_requests
from .html import EntityParseError, ParsedTexts, strip_text, utf16_len
from .params import Params, get_bool, get_chat_id, get_int, get_json
from .topics import thread_fields

if TYPE_CHECKING:
    from .model import FakeTelegram
    from .state import ChatState

MAX_TEXT = 4096  # UTF-16 code units of visible text
MAX_CAPTION = 1024  # UTF-16 code units of a media caption's visible text
MAX_PHOTO = 10 * 1024 * 1024  # bytes of an uploaded photo
_PNG = b"\x89PNG\r\n\x1a\n"
MAX_CALLBACK_DATA = 64  # bytes
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
BUTTON_ACTIONS = frozenset(
    [
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "login_url",
        "web_app",
        "copy_text",
        "callback_game",
        "pay",
    ]
)
CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)


# -- validation --------------------------------------------------------------------


def _parsed(
    html: ParsedTexts, params: Params, field: str, entities_field: str
) -> tuple[str, list[JSONDict]]:
    """A text or caption parameter's visible text and entities, after parse_mode."""
    raw = params.get(field)
    text = "" if raw is None else str(raw)
    mode = str(params.get("parse_mode") or "")
    if mode.lower() == "html":
        try:
            return html.parse(text)
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
    if mode.lower() in ("", "markdown", "markdownv2"):
        # Markdown is not parsed: the bot uses HTML; its text passes through as is.
        return strip_text(text, list(get_json(params, entities_field) or []))
    raise bad_request(f"unsupported parse_mode {mode!r}")


def _text(html: ParsedTexts, params: Params) -> tuple[str, list[JSONDict]]:
    """Visible text and entities, after parse_mode, trimmed, with Telegram's checks."""
    plain, entities = _parsed(html, params, "text", "entities")
    if not plain:
        raise bad_request("message text is empty")
    if utf16_len(plain) > MAX_TEXT:
        raise bad_request("message is too long")
    return plain, entities


def _reply_markup(params: Params) -> JSONDict | None:
    markup = get_json(params, "reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup  # reply keyboards and force_reply are accepted unchecked
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse reply keyboard markup JSON object")
    for row in rows:
        for button in row:
            _check_button(button)
    return markup


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not button.get("text"):
        raise bad_request("can't parse inline keyboard button: Text must be non-empty")
    if "callback_data" in button:
        size = len(str(button["callback_data"]).encode())
        if not 1 <= size <= MAX_CALLBACK_DATA:
            raise bad_request("BUTTON_DATA_INVALID")
    elif "url" in button:
        url = str(button["url"])
        if not url.lower().startswith(("http://", "https://", "tg://")):
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
    elif not BUTTON_ACTIONS.intersection(button):
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )


def _throttle(fake: FakeTelegram, state: ChatState, params: Params, *, edit: bool) -> None:
    if fake.flood is None:
        return
    group = state.chat["type"] in ("group", "supergroup")
    paid = get_bool(params, "allow_paid_broadcast")
    retry_after = fake.flood.acquire(state.chat["id"], group=group, paid=paid, edit=edit)
    if retry_after is not None:
        raise too_many_requests(retry_after)


def _content(plain: str, entities: list[JSONDict], markup: JSONDict | None) -> JSONDict:
    """The text fields of a Message; it only carries inline keyboards (reply keyboards
    live in the client)."""
    fields: JSONDict = {"text": plain}
    if entities:
        fields["entities"] = entities
    if markup and "inline_keyboard" in markup:
        fields["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
    return fields


def _record(
    fake: FakeTelegram, message: JSONDict, params: Params, kind: str, field: str = "text"
) -> None:
    previous = fake.journal.latest.get((message["chat"]["id"], message["message_id"]), {})
    has_text = field in params
    fallback = previous.get("html", message.get("text", message.get("caption", "")))
    fake.journal.record(
        message,
        kind,
        html=str(params[field]) if has_text else str(fallback),
        parse_mode=(params.get("parse_mode") or None) if has_text else previous.get("parse_mode"),
        markup=_reply_markup(params),
        paid=get_bool(params, "allow_paid_broadcast"),
        preview=get_json(params, "link_preview_options") if has_text else None,
    )


# -- sending and editing -----------------------------------------------------------


async def send_message(fake: FakeTelegram, params: Params) -> JSONDict:
    state = fake.chat_state(get_chat_id(params))
    plain, entities = _text(fake.html, params)
    markup = _reply_markup(params)
    reply_to = _replied_message(fake, state, params)
    topic = thread_fields(state, params)
    _throttle(fake, state, params, edit=False)
    fields = {"from": fake.bot_user, **_content(plain, entities, markup), **topic}
    if state.chat["type"] == "channel":
        # Telegram signs every channel post with the channel, the bot's own too ("from"
        # may be empty there; the fake keeps it so edits can check the author).
        fields["sender_chat"] = state.chat
    if reply_to is not None:
        fields["reply_to_message"] = reply_to
    message = fake.new_message(state, fields)
    _record(fake, message, params, "send")
    return message


async def send_photo(fake: FakeTelegram, params: Params) -> JSONDict:
    """An uploaded photo (multipart, as PTB sends bytes) with an optional HTML caption."""
    state = fake.chat_state(get_chat_id(params))
    size = _photo(fake, params)
    caption, entities = _parsed(fake.html, params, "caption", "caption_entities")
    if utf16_len(caption) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    markup = _reply_markup(params)
    reply_to = _replied_message(fake, state, params)
    topic = thread_fields(state, params)
    _throttle(fake, state, params, edit=False)
    fields: JSONDict = {"from": fake.bot_user, "photo": [size], **topic}
    if caption:
        fields["caption"] = caption
    if entities:
        fields["caption_entities"] = entities
    if markup and "inline_keyboard" in markup:
        fields["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
    if state.chat["type"] == "channel":
        fields["sender_chat"] = state.chat
    if reply_to is not None:
        fields["reply_to_message"] = reply_to
    message = fake.new_message(state, fields)
    _record(fake, message, params, "send", field="caption")
    return message


def _photo(fake: FakeTelegram, params: Params) -> JSONDict:
    """The PhotoSize of an uploaded photo, or of one sent before by its file_id.

    Telegram refuses what it cannot decode; the fake reads PNG dimensions from the header.
    """
    upload = params.get("photo")
    if isinstance(upload, str) and upload in fake.photos:
        return {k: v for k, v in fake.photos[upload].items() if k != "content"}
    if not isinstance(upload, dict) or not isinstance(upload.get("content"), bytes):
        # A URL, or a file_id the fake never issued.
        raise bad_request("wrong file identifier/HTTP URL specified")
    content: bytes = upload["content"]
    if not content or len(content) > MAX_PHOTO:
        raise bad_request("PHOTO_INVALID_DIMENSIONS" if content else "file must be non-empty")
    if content.startswith(_PNG) and len(content) >= 24:
        width, height = int.from_bytes(content[16:20]), int.from_bytes(content[20:24])
    elif content.startswith(b"\xff\xd8"):
        width = height = 0  # JPEG dimensions sit in a frame header; not needed by tests
    else:
        raise bad_request("IMAGE_PROCESS_FAILED")
    unique = hashlib.sha256(content).hexdigest()[:16]
    size: JSONDict = {
        "file_id": f"photo-{unique}",
        "file_unique_id": unique,
        "width": width,
        "height": height,
        "file_size": len(content),
    }
    fake.photos[size["file_id"]] = {**size, "content": content}
    return size


def _replied_message(fake: FakeTelegram, state: ChatState, params: Params) -> JSONDict | None:
    reply = get_json(params, "reply_parameters")
    if not isinstance(reply, dict) or "message_id" not in reply:
        return None
    replied = fake.store.get((state.chat["id"], int(reply["message_id"])))
    if replied is None and not reply.get("allow_sending_without_reply"):
        raise bad_request("message to be replied not found")
    return replied


def _editable(fake: FakeTelegram, params: Params) -> tuple[ChatState, JSONDict]:
    if params.get("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")  # inline messages are not modelled
    state = fake.chat_state(get_chat_id(params))
    message = fake.store.get((state.chat["id"], get_int(params, "message_id")))
    if message is None:
        raise bad_request("message to edit not found")
    if message.get("from", {}).get("id") != fake.bot_id:
        raise bad_request("message can't be edited")
    return state, message


def _apply_edit(
    fake: FakeTelegram, state: ChatState, message: JSONDict, fields: JSONDict, params: Params
) -> JSONDict:
    keep = {k: v for k, v in message.items() if k not in ("text", "entities", "reply_markup")}
    if all(message.get(key) == fields.get(key) for key in ("text", "entities", "reply_markup")):
        raise bad_request(NOT_MODIFIED)
    _throttle(fake, state, params, edit=True)
    # A new dict, so messages already embedded in callback queries keep their old state.
    edited = {**keep, **fields, "edit_date": int(time.time())}
    fake.store[(state.chat["id"], message["message_id"])] = edited
    _record(fake, edited, params, "edit")
    return edited


async def edit_message_text(fake: FakeTelegram, params: Params) -> JSONDict:
    state, message = _editable(fake, params)
    if "text" not in message:
        raise bad_request("there is no text in the message to edit")
    plain, entities = _text(fake.html, params)
    fields = _content(plain, entities, _reply_markup(params))
    return _apply_edit(fake, state, message, fields, params)


async def edit_message_reply_markup(fake: FakeTelegram, params: Params) -> JSONDict:
    state, message = _editable(fake, params)
    fields = _content(message["text"], message.get("entities", []), _reply_markup(params))
    return _apply_edit(fake, state, message, fields, params)


async def delete_message(fake: FakeTelegram, params: Params) -> bool:
    state = fake.chat_state(get_chat_id(params))
    key = (state.chat["id"], get_int(params, "message_id"))
    if fake.store.pop(key, None) is None:
        raise bad_request("message to delete not found")
    fake.journal.deleted.append(key)
    return True


async def answer_callback_query(fake: FakeTelegram, params: Params) -> bool:
    query_id = str(params.get("callback_query_id") or "")
    text = str(params.get("text") or "")
    if len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    record = {
        "callback_query_id": query_id,
        "text": text,
        "show_alert": get_bool(params, "show_alert"),
        "url": params.get("url"),
        "cache_time": get_int(params, "cache_time", 0),
        "time": fake.clock(),
    }
    fake.answer_query(query_id, record)
    return True


async def send_chat_action(fake: FakeTelegram, params: Params) -> bool:
    state = fake.chat_state(get_chat_id(params))
    action = str(params.get("action") or "")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    fake.journal.chat_actions.append({"chat_id": state.chat["id"], "action": action})
    return True
