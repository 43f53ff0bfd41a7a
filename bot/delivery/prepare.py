"""What a push run sends: each job's digest loaded, its parts rendered once per view.

Rendering goes through the digest's render API (the services' ``Renderer``);
nothing here writes HTML of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from digest import (
    CORRECTION,
    MESSAGE_LIMIT,
    SECTION_IDS,
    BotTexts,
    BuildOptions,
    ChartDrawer,
    Digest,
    DigestError,
    PartKey,
    PushJob,
    PushReader,
    Renderer,
    RosterJobs,
    Store,
    Subscription,
    SubscriptionKey,
    chats_with_follows,
    cited_follows,
    filtered_view,
    get_digest,
    one_per_chat,
    utcnow,
    with_follows,
)

from ..buttons import ViewButton
from ..keyboards import digest_keyboard
from ..services import StoreRunner
from .ledger import fail_jobs
from .photos import ChartKey, ChartPhoto, chart_parts, wants_chart

_NOTE_ROOM = 80  # UTF-16 units a correction note may take from the first message

Filter = tuple[tuple[str, ...], tuple[str, ...]]  # a chat's (include, exclude) sources
DigestKey = tuple[str, int, tuple[str, ...], tuple[str, ...]]  # date, version, filter
Follows = dict[
    SubscriptionKey, list[tuple[str, tuple[int, ...]]]
]  # subscription -> (group, source numbers)
View = tuple[str, int, str, str, tuple[str, ...], str, str, Filter, bool]  # bool: a chart


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
    photo: ChartPhoto | None = None  # part 1 is this chart, texts[0] its caption
    preview: str | None = None  # the link part 1 previews (None: no preview)
    then: Push | PushJob | None = None  # the chat's next push in this run, after this one
    attempts: int = 0
    floods: int = 0

    @property
    def chat(self) -> Subscription:
        return self.job.chat

    def key(self) -> PartKey:
        chat = self.chat
        return PartKey(self.job.date, self.job.version, chat.chat_id, self.todo[0], chat.thread_id)


def render_parts(renderer: Renderer, digest: Digest, chat: Subscription, kind: str) -> list[str]:
    """The messages one chat gets: the brief push, or its sections; a correction says so."""
    correction = kind == CORRECTION
    limit = MESSAGE_LIMIT - _NOTE_ROOM if correction else MESSAGE_LIMIT
    zone = chat.timezone  # "generated at" shows in the reader's time if theirs differs
    if chat.mode == "brief":
        views = ["push"]
    elif tuple(chat.sections) == SECTION_IDS:
        views = ["full"]
    else:
        views = list(chat.sections)
    parts = [p for v in views for p in renderer.telegram(digest, v, chat.language, limit, zone)]
    if correction and parts:
        texts = renderer.texts
        note = texts.html("correction_note", chat.language, version=digest.version)
        parts[0] = f"{note}\n\n{parts[0]}"
    return parts


def push_keyboard(
    texts: BotTexts, digest: Digest, chat: Subscription, parts: int
) -> InlineKeyboardMarkup | None:
    """A brief push ends with the /digest keyboard, so a reader opens any section in place."""
    if chat.mode != "brief" or not parts:
        return None
    at = ViewButton(digest.date, digest.version, "push", page=parts - 1)
    return digest_keyboard(at, parts, texts, chat.language)


@dataclass(frozen=True, slots=True)
class Rendered:
    """One view's messages, and the keyboard on its last one."""

    texts: list[str]
    markup: InlineKeyboardMarkup | None
    photo: ChartPhoto | None = None
    link: str | None = None  # the headline's link, for chats that preview it


class Prepared:
    """Every view's messages, and the jobs with parts left to send.

    A :class:`Push` is made only when its chat's turn comes (:meth:`push`): a push to
    100,000 chats would otherwise hold 100,000 of them and their part lists for the
    whole run (17 MB, ``bench/memory.py``), on top of the jobs the plan holds anyway.
    """

    def __init__(
        self,
        views: dict[View, Rendered],
        jobs: Sequence[PushJob],
        split: tuple[Sequence[PushJob], dict[SubscriptionKey, PushJob]],
        options: BuildOptions | None,
        follows: dict[DigestKey, Follows],
        renderer: Renderer,
        link_preview: str = "none",
    ) -> None:
        self.views = views
        self.jobs = jobs
        self.first, self._after = split  # the jobs to start; weeks held back (one_per_chat)
        self.options = options
        self.follows = follows
        self.renderer = renderer
        self.link_preview = link_preview  # for chats that did not choose

    def push(self, job: PushJob) -> Push:
        """The job's push: its view's messages (with its follows line, if the digest cites
        any of its follow groups), and the parts it still lacks."""
        view = _view(job, self.options)
        rendered = self.views[view]
        hits = self.follows.get((job.date, job.version, *view[-2]), {}).get(job.chat.key)
        lang = job.chat.language
        texts = with_follows(self.renderer.texts, rendered.texts, hits or (), lang)
        push = Push(job, texts, _todo(job, rendered), rendered.markup, rendered.photo)
        if (job.chat.link_preview or self.link_preview) == "headline":
            push.preview = rendered.link
        push.then = self._after.pop(job.chat.key, None)
        return push

    def __iter__(self) -> Iterator[Push]:
        return (self.push(job) for job in self.jobs)

    def __len__(self) -> int:
        return len(self.jobs)


async def prepare(
    store: StoreRunner,
    renderer: Renderer,
    jobs: Sequence[PushJob],
    options: BuildOptions | None = None,
    *,
    record: bool = True,
    link_preview: str = "none",
    charts: ChartDrawer,
) -> tuple[Prepared, list[tuple[int, str]]]:
    """Each view's parts (rendered once), the jobs with parts to send, and the chats failed
    for a digest that cannot be rendered (with ``record``, written to the ledger); a bad
    view fails its chats, never the run. ``link_preview`` is the operator's default.

    A chat with a source filter gets the digest rebuilt from those sources (once per
    distinct filter) when ``options`` are given. ``charts`` draws the heat charts of
    chats that open their push with one (in a child process).

    The jobs are read in threads, never on the event loop: each read makes a job's chat
    again, and 100,000 of them took the loop (and the bot's replies) for a second.
    """
    reads = PushReader()  # a day's story history, a week's reads: once for all filters, charts
    survey = await store.run(lambda s: _load(s, jobs, options, reads))
    views: dict[View, Rendered] = {}
    photos: dict[ChartKey, ChartPhoto | None] = {}
    broken: dict[View, str] = {}
    for view, job in survey.first_of.items():  # the first job of each view renders it
        digest = survey.digests[(job.date, job.version, *view[-2])]
        try:
            if digest is None:
                raise DigestError(f"digest {job.date} v{job.version} is not stored")
            charted = None
            if view[-1]:
                charts_of = (store, charts, renderer, digest, job.chat, options, photos, reads)
                charted = await chart_parts(*charts_of)
            photo, texts = charted or (None, render_parts(renderer, digest, job.chat, job.kind))
        except DigestError as exc:
            broken[view] = str(exc)
            continue
        markup = push_keyboard(renderer.texts, digest, job.chat, len(texts))
        views[view] = Rendered(texts, markup, photo, digest.headline_link(job.chat.language))
    sorting = (jobs, options, views, broken, survey.partial)
    ready, failed = await asyncio.to_thread(_ready, *sorting)
    if failed and record:
        stamp = utcnow()
        await store.run(lambda s: fail_jobs(s, failed, stamp))
    both = jobs.both if isinstance(jobs, RosterJobs) else None  # as the plan found them
    split = await asyncio.to_thread(one_per_chat, ready, both)
    prepared = Prepared(views, ready, split, options, survey.follows, renderer, link_preview)
    return prepared, [(job.chat.chat_id, why) for job, why in failed]


def _ready(
    jobs: Sequence[PushJob],
    options: BuildOptions | None,
    views: dict[View, Rendered],
    broken: dict[View, str],
    partial: bool,
) -> tuple[Sequence[PushJob], list[tuple[PushJob, str]]]:
    """The jobs with parts to send, and those whose view could not be rendered (with why).
    ``jobs`` themselves, unread, when every job has parts to send (no copy of 100,000)."""
    if not broken and not partial and all(rendered.texts for rendered in views.values()):
        return jobs, []
    ready: list[PushJob] = []
    failed: list[tuple[PushJob, str]] = []
    for job in jobs:
        view = _view(job, options)
        if view in broken:
            failed.append((job, broken[view]))
        elif _todo(job, views[view]):
            ready.append(job)
    return ready, failed


def _view(job: PushJob, options: BuildOptions | None) -> View:
    """What a job's messages depend on: chats with equal views get the same texts."""
    chat = job.chat
    # The zone too: "generated at" is a tg-time for a reader in another zone.
    look = (chat.mode, tuple(chat.sections), chat.language, chat.timezone)
    return (
        job.date,
        job.version,
        job.kind,
        *look,
        _filter(job, options),
        wants_chart(chat, job.kind, job.date),
    )


def _todo(job: PushJob, rendered: Rendered) -> list[int]:
    return [n for n in range(1, len(rendered.texts) + 1) if n not in job.delivered]


@dataclass(slots=True)
class _Survey:
    """What a push needs from its jobs, read in one pass off the event loop."""

    digests: dict[DigestKey, Digest | None]
    follows: dict[DigestKey, Follows]
    first_of: dict[View, PushJob]  # the first job of each view
    partial: bool  # some job has parts delivered already (a push cut short)


def _load(
    store: Store, jobs: Sequence[PushJob], options: BuildOptions | None, reads: PushReader
) -> _Survey:
    """The digest of every (date, version, filter) the jobs need, each loaded once, the
    chats' follow groups each one cites (issue 15), and the jobs' views."""
    followers = chats_with_follows(store)  # the few chats whose follows a push may show
    chats_of: dict[DigestKey, set[SubscriptionKey]] = {}
    first_of: dict[View, PushJob] = {}
    partial = False
    for job in jobs:
        chats = chats_of.setdefault((job.date, job.version, *_filter(job, options)), set())
        if job.chat.key in followers:
            chats.add(job.chat.key)
        first_of.setdefault(_view(job, options), job)
        partial = partial or bool(job.delivered)
    keys = set(chats_of)
    found: dict[DigestKey, Digest | None] = {}
    for day, version, include, exclude in sorted(keys, key=lambda k: (k[2], k[3])):
        stored = found.get((day, version, (), ())) or get_digest(store, day, version)
        found[(day, version, include, exclude)] = (
            filtered_view(store, stored, options, (include, exclude), reads)
            if stored is not None and options is not None
            else stored
        )
    follows = {
        key: cited_follows(store, digest.sources, chats_of.get(key, ()))
        for key, digest in found.items()
        if digest is not None
    }
    return _Survey(found, follows, first_of, partial)


def _filter(job: PushJob, options: BuildOptions | None) -> Filter:
    """The chat's (include, exclude) source filter, or none when it cannot be applied."""
    if options is None:
        return ((), ())
    return (tuple(job.chat.include_sources), tuple(job.chat.exclude_sources))
