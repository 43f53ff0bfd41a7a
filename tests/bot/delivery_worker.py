"""Delivery test helpers, and a pusher process for the kill test (``python delivery_worker.py``).

As a script it pushes due chats through the fake Bot API served over HTTP by the test
process, until a run finds nothing left to send; the test kills it with SIGKILL mid-push.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from telegram import Bot

from bot.config import Settings
from bot.delivery.engine import push_due
from bot.delivery.options import DeliveryOptions, PushReport
from bot.fake_telegram import FakeRequest, FakeTelegram
from bot.logs import quiet_time_period_warning
from bot.services import Services
from digest import (
    SECTION_IDS,
    Block,
    Digest,
    Footer,
    Section,
    SourceEntry,
    Statement,
    Store,
    save_digest,
)
from digest.push.subscriptions import Subscription, Subscriptions

TOKEN = "123456:TEST-TOKEN"
SINCE = datetime(2026, 1, 1, tzinfo=UTC)
TITLES = {"zh": ("摘要", "要点", "数据", "趋势", "来源"), "en": SECTION_IDS}


def sample_digest(day: str, version: int = 1, headline: str = "GLM-5 tops the lists") -> Digest:
    """A small digest dated ``day``: three sources, every section in zh and en."""
    sources = tuple(
        SourceEntry(n, "hackernews", f"p{n}", f"Post {n} & more", f"https://example.com/{n}", 100.0)
        for n in (1, 2, 3)
    )
    sections = {
        lang: tuple(
            Section(sid, title, (Block((Statement(f"{title}: {headline}.", (1, 2)),)),))
            for sid, title in zip(SECTION_IDS, TITLES[lang], strict=True)
        )
        for lang in ("zh", "en")
    }
    return Digest(
        date=day,
        version=version,
        fingerprint=f"{day}-{headline}",
        language="zh",
        headline=Statement(headline, (1,)),
        sources=sources,
        sections=sections,
        footer=Footer(
            built_at=f"{day}T10:30:00Z",
            timezone="Asia/Shanghai",
            window_start=f"{day}T10:30:00Z",
            window_end=f"{day}T10:30:00Z",
            sources_used=("hackernews",),
        ),
    )


def store_digest(store: Store, day: str, headline: str = "GLM-5 tops the lists") -> Digest:
    """Save a sample digest for ``day`` as its next version; returns it as stored."""
    built = datetime.combine(date.fromisoformat(day), time(10, 30), tzinfo=UTC)
    return save_digest(store, sample_digest(day, headline=headline), built).digest


def add_chat(
    store: Store,
    chat_id: int,
    *,
    chat_type: str = "private",
    timezone: str = "Asia/Shanghai",
    push_time: time = time(8, 0),
    mode: str = "brief",
    sections: tuple[str, ...] = SECTION_IDS,
    language: str = "zh",
    since: datetime = SINCE,
) -> Subscription:
    """An active subscription, subscribed at ``since``."""
    sub = Subscription(
        chat_id=chat_id,
        chat_type=chat_type,
        language=language,
        push_time=push_time,
        timezone=timezone,
        mode=mode,
        sections=sections,
        active=True,
        subscribed_at=since,
    )
    return Subscriptions(store).save(sub, since)


# The tests' pace: well below the 200/s their fakes allow. The in-process fake counts a
# send when its call runs, which on a loaded machine can be tens of milliseconds after
# the outbox let it leave; a pace at the fake's own limit then meets 429s it would not
# get from a fake that counted when the send left.
TEST_RATE = 150.0


def delivery_settings(db_path: Path, **changes: object) -> Settings:
    """Settings for a delivery test: the database, a fast pace (``TEST_RATE``)."""
    base = replace(Settings(), db_path=db_path, telegram_token=TOKEN, messages_per_second=TEST_RATE)
    return replace(base, **changes)  # type: ignore[arg-type]


def fast_options(**changes: object) -> DeliveryOptions:
    """Engine options for tests: quick backoff."""
    base = DeliveryOptions(backoff=0.05, stale_after=timedelta(seconds=30))
    return replace(base, **changes)  # type: ignore[arg-type]


async def push_on_fake(
    services: Services,
    fake: FakeTelegram,
    *,
    now: datetime,
    options: DeliveryOptions | None = None,
    latency: float = 0.002,
    senders: int = 4,
    storm: int = 0,
    storm_retry: int = 1,
    day: str | None = None,
) -> PushReport:
    """``push_due`` through in-process senders; ``storm`` 429s (``retry_after``
    ``storm_retry`` seconds) hit the first sends."""
    bots = [Bot(TOKEN, request=FakeRequest(fake, latency=latency)) for _ in range(senders)]
    for bot in bots:
        await bot.initialize()
    if storm:  # after getMe, which an injection for every chat would refuse too
        fake.inject(None, "flood", times=storm, retry_after=storm_retry)
    try:
        opts = options or fast_options()
        return await push_due(services, bots[0], now=now, day=day, options=opts, bots=bots)
    finally:
        for bot in bots:
            await bot.shutdown()


async def _run(args: argparse.Namespace) -> None:
    settings = delivery_settings(
        Path(args.db), telegram_base_url=args.url, messages_per_second=args.rate
    )
    options = DeliveryOptions(
        stale_after=timedelta(seconds=args.stale),
        senders=4,
        connections=2,
    )
    services = Services.create(settings)
    try:
        async with Bot(TOKEN, base_url=args.url) as bot:
            now = datetime.fromisoformat(args.now)
            while True:
                report = await push_due(services, bot, now=now, options=options)
                if not report.planned and not report.busy:
                    break
                await asyncio.sleep(0.2)  # chats another run held: look again
    finally:
        await services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--now", required=True, help="the schedule's 'now', ISO-8601")
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--stale", type=float, default=1.0)
    args = parser.parse_args()
    quiet_time_period_warning()
    asyncio.run(_run(args))


if __name__ == "__main__":
    main()
