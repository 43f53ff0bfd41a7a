"""What a push run sends: each job's digest loaded, its parts rendered once per view.

Rendering goes through the digest's render API (``render_telegram`` and the bot texts);
nothing here writes HTML of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from digest import (
    CORRECTION,
    MESSAGE_LIMIT,
    SECTION_IDS,
    BuildOptions,
    Digest,
    DigestError,
    PartKey,
    PushJob,
    Store,
    Subscription,
    default_texts,
    filtered_digest,
    get_digest,
    render_telegram,
    utcnow,
)

from ..keyboards import ViewButton, digest_keyboard
from ..services import StoreRunner
from .ledger import fail_jobs

_NOTE_ROOM = 80  # UTF-16 units a correction note may take from the first message

Filter = tuple[tuple[str, ...], tuple[str, ...]]  # a chat's (include, exclude) sources
DigestKey = tuple[str, int, tuple[str, ...], tuple[str, ...]]  # date, version, filter
View = tuple[str, int, str, str, tuple[str, ...], str, Filter]


@dataclass(eq=False, slots=True)
class Push:
    """One chat's push in this run: the texts, the parts still to send, its retry counts.

    A run holds one per chat (100,000 for a big push), hence slots and a list, not a
    deque, for ``todo``: a deque takes over 600 bytes even for one part.
    """

    job: PushJob
    texts: list[str]
    todo: list[int]
    markup: InlineKeyboardMarkup | None = None  # on the last part: switch sections in place
    attempts: int = 0
    floods: int = 0

    @property
    def chat(self) -> Subscription:
        return self.job.chat

    def key(self) -> PartKey:
        return PartKey(self.job.date, self.job.version, self.chat.chat_id, self.todo[0])


def render_parts(digest: Digest, chat: Subscription, kind: str) -> list[str]:
    """The messages one chat gets: the brief push, or its sections; a correction says so."""
    correction = kind == CORRECTION
    limit = MESSAGE_LIMIT - _NOTE_ROOM if correction else MESSAGE_LIMIT
    if chat.mode == "brief":
        parts = render_telegram(digest, "push", chat.language, limit)
    elif tuple(chat.sections) == SECTION_IDS:
        parts = render_telegram(digest, "full", chat.language, limit)
    else:
        parts = [p for s in chat.sections for p in render_telegram(digest, s, chat.language, limit)]
    if correction and parts:
        note = default_texts().html("correction_note", chat.language, version=digest.version)
        parts[0] = f"{note}\n\n{parts[0]}"
    return parts


def push_keyboard(digest: Digest, chat: Subscription, parts: int) -> InlineKeyboardMarkup | None:
    """A brief push ends with the /digest keyboard, so a reader opens any section in place."""
    if chat.mode != "brief" or not parts:
        return None
    at = ViewButton(digest.date, digest.version, "push", page=parts - 1)
    return digest_keyboard(at, parts, default_texts(), chat.language)


async def prepare(
    store: StoreRunner,
    jobs: Sequence[PushJob],
    options: BuildOptions | None = None,
    *,
    record: bool = True,
) -> tuple[list[Push], list[tuple[int, str]]]:
    """Each job's parts still to send, and the chats failed for a digest that cannot be
    rendered (with ``record``, written to the ledger); a bad view fails its chats, never
    the run.

    A chat with a source filter gets the digest rebuilt from those sources (once per
    distinct filter) when ``options`` are given.
    """
    digests = await store.run(lambda s: _load(s, jobs, options))
    rendered: dict[View, tuple[list[str], InlineKeyboardMarkup | None]] = {}
    pushes: list[Push] = []
    failed: list[tuple[PushJob, str]] = []
    for job in jobs:
        chat, chosen = job.chat, _filter(job, options)
        look = (chat.mode, tuple(chat.sections), chat.language)
        view: View = (job.date, job.version, job.kind, *look, chosen)
        if view not in rendered:
            digest = digests[(job.date, job.version, *chosen)]
            try:
                if digest is None:
                    raise DigestError(f"digest {job.date} v{job.version} is not stored")
                texts = render_parts(digest, chat, job.kind)
            except DigestError as exc:
                failed.append((job, str(exc)))
                continue
            rendered[view] = (texts, push_keyboard(digest, chat, len(texts)))
        texts, markup = rendered[view]
        todo = [n for n in range(1, len(texts) + 1) if n not in job.delivered]
        if todo:
            pushes.append(Push(job, texts, todo, markup))
    if failed and record:
        stamp = utcnow()
        await store.run(lambda s: fail_jobs(s, failed, stamp))
    return pushes, [(job.chat.chat_id, reason) for job, reason in failed]


def _load(
    store: Store, jobs: Sequence[PushJob], options: BuildOptions | None
) -> dict[DigestKey, Digest | None]:
    """The digest of every (date, version, filter) the jobs need, each loaded once."""
    keys = {(job.date, job.version, *_filter(job, options)) for job in jobs}
    found: dict[DigestKey, Digest | None] = {}
    for day, version, include, exclude in sorted(keys, key=lambda k: (k[2], k[3])):
        stored = found.get((day, version, (), ())) or get_digest(store, day, version)
        found[(day, version, include, exclude)] = (
            filtered_digest(store, stored, options, include, exclude)
            if stored is not None and options is not None
            else stored
        )
    return found


def _filter(job: PushJob, options: BuildOptions | None) -> Filter:
    """The chat's (include, exclude) source filter, or none when it cannot be applied."""
    if options is None:
        return ((), ())
    return (tuple(job.chat.include_sources), tuple(job.chat.exclude_sources))
