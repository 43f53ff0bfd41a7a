"""Subscriptions per (chat, forum topic): the v11 migration, settings, group migration,
Telegram's topic errors, alerts per topic, and the link a push previews."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlite_utils
from digest_factory import make_digest

from digest import (
    AlertOptions,
    ChatDefaults,
    Follows,
    Statement,
    Store,
    chat_settings,
    follow_migration,
    make_post,
    parse_expression,
    plan_alerts,
    stored_language,
    subscribe_chat,
    topic_problem,
    unsubscribe_chat,
)
from digest.push.planning import PushJob
from digest.push.subscriptions import Subscriptions
from digest.store.schema import MIGRATIONS, migrate, schema_version

T0 = datetime(2026, 2, 15, 2, 0, tzinfo=UTC)
GROUP, SUPER = -2002, -1002002


def defaults(chat_id: int, thread: int = 0, language: str = "zh") -> ChatDefaults:
    return ChatDefaults(chat_id, "supergroup", "G", language, time(19), "Asia/Shanghai", thread)


def test_v11_keys_chats_and_deliveries_by_topic_and_keeps_every_row() -> None:
    db = sqlite_utils.Database(memory=True)
    db.table("_meta").create({"key": str, "value": str}, pk="key")
    for number, migration in enumerate(MIGRATIONS[:10], start=1):
        migration(db)
        db.execute("INSERT OR REPLACE INTO _meta VALUES ('schema_version', ?)", [str(number)])
    db.execute(
        "INSERT INTO chats (chat_id, chat_type, language, push_time, timezone, mode, active, "
        "chart) VALUES (5, 'private', 'en', '08:00', 'Europe/Berlin', 'full', 1, 1)"
    )
    db.execute(
        "INSERT INTO deliveries (date, version, chat_id, part, parts, kind, status, attempts, "
        "updated_at) VALUES ('2026-02-15', 1, 5, 1, 2, 'push', 'sent', 1, 'x')"
    )
    assert migrate(db) == len(MIGRATIONS) and schema_version(db) == len(MIGRATIONS)
    assert db.table("chats").pks == ["chat_id", "thread_id"]
    assert db.table("deliveries").pks == ["date", "version", "chat_id", "thread_id", "part"]
    sub = Subscriptions(Store(db)).get(5)
    assert sub is not None and (sub.thread_id, sub.mode, sub.chart, sub.active) == (
        0,
        "full",
        True,
        True,
    )
    assert sub.link_preview is None  # the operator's default until the chat chooses
    row = db.execute("SELECT thread_id, status FROM deliveries").fetchone()
    assert tuple(row) == (0, "sent")


def test_topics_of_one_chat_keep_their_own_settings(store: Store) -> None:
    subscribe_chat(store, defaults(SUPER), T0, time(8))
    topic = subscribe_chat(store, defaults(SUPER, 12), T0, time(21), "Europe/Berlin")
    assert (topic.thread_id, topic.push_time, topic.timezone) == (12, time(21), "Europe/Berlin")
    chats = Subscriptions(store)
    assert [s.key for s in chats.active()] == [SUPER, (SUPER, 12)]  # the chat itself: its id
    assert unsubscribe_chat(store, SUPER, T0, 12)
    general, twelve = chats.get(SUPER), chats.get(SUPER, 12)
    assert general is not None and general.active and twelve is not None and not twelve.active


def test_a_new_topic_starts_from_its_chats_settings(store: Store) -> None:
    chats = Subscriptions(store)
    chats.save(replace(defaults(SUPER, language="en").subscription(), mode="full"), T0)
    fresh = chat_settings(store, defaults(SUPER, 7))
    assert (fresh.thread_id, fresh.mode, fresh.language, fresh.active) == (7, "full", "en", False)
    assert stored_language(store, SUPER, 7) == "en"  # from the chat until the topic chooses


def test_a_blocked_bot_stops_every_topic_a_closed_topic_only_itself(store: Store) -> None:
    for thread in (0, 3, 4):
        subscribe_chat(store, defaults(SUPER, thread), T0)
    chats = Subscriptions(store)
    assert chats.deactivate(SUPER, "topic_closed", T0, 3)
    assert [s.thread_id for s in chats.active()] == [0, 4]
    assert chats.deactivate(SUPER, "Forbidden: bot was kicked", T0)
    assert chats.active() == []


def test_a_migrated_group_keeps_its_topics_rows(store: Store) -> None:
    chats = Subscriptions(store)
    for thread in (0, 9):
        subscribe_chat(store, replace(defaults(GROUP, thread), chat_type="group"), T0)
    job = PushJob(chats.get(GROUP, 9) or pytest.fail("no row"), "2026-02-14", 1)
    moved = follow_migration(store, job, SUPER, T0)
    assert moved is not None and moved.key == (SUPER, 9) and moved.chat_type == "supergroup"
    assert [s.key for s in chats.active()] == [SUPER, (SUPER, 9)]
    old = chats.get(GROUP, 9)
    assert old is not None and old.inactive_reason == "migrated" and old.migrated_to == SUPER


@pytest.mark.parametrize(
    ("error", "problem"),
    [
        ("Bad Request: TOPIC_CLOSED", "topic_closed"),
        ("Topic_closed", "topic_closed"),
        ("Bad Request: TOPIC_DELETED", "topic_deleted"),
        ("Message thread not found", "topic_deleted"),
        ("Chat not found", None),
        ("Forbidden: bot was blocked by the user", None),
    ],
)
def test_telegrams_topic_errors_are_recognised(error: str, problem: str | None) -> None:
    assert topic_problem(error) == problem


def test_follows_alert_in_the_topic_they_were_set_in(store: Store) -> None:
    follows = Follows(store)
    follows.add(SUPER, parse_expression("Rust"), T0, thread_id=5)
    follows.add(SUPER, parse_expression("GLM"), T0, thread_id=6)
    follows.add(SUPER, parse_expression("华为"), T0)
    store.save_posts(
        [
            make_post(source="hn", post_id="a", title="Rust 2.0", heat=5),
            make_post(source="hn", post_id="b", title="GLM-6 and Rust", heat=9),
            make_post(source="hn", post_id="c", title="华为新机", heat=1),
        ],
        T0,
    )
    run = plan_alerts(store, T0 + timedelta(minutes=1), AlertOptions())
    by_topic = {b.thread_id: [i.post_id for i in b.items] for b in run.batches}
    # A post alerts the chat once, in the topic of the first group it matches.
    assert by_topic == {5: ["b", "a"], 0: ["c"]}
    assert {b.chat_id for b in run.batches} == {SUPER}
    assert follows.pause_topic(SUPER, 5) == 1
    assert [f.paused for f in follows.of_chat(SUPER)] == [True, False, False]


def test_held_alerts_are_released_into_their_topics(store: Store) -> None:
    follows = Follows(store)
    follows.add(SUPER, parse_expression("Rust"), T0, thread_id=5)
    settings = follows.settings(SUPER)
    quiet = (time(9), time(11))  # T0 is 10:00 in Asia/Shanghai
    follows.save_settings(replace(settings, quiet=quiet), T0)
    store.save_posts([make_post(source="hn", post_id="a", title="Rust 2.0", heat=5)], T0)
    held = plan_alerts(store, T0 + timedelta(minutes=1), AlertOptions())
    assert held.held == 1 and held.batches == []
    later = plan_alerts(store, T0 + timedelta(hours=2), AlertOptions())
    assert [(b.thread_id, [i.post_id for i in b.items]) for b in later.batches] == [(5, ["a"])]


def test_the_previewed_link_is_the_headlines_first_cited_source_with_a_link() -> None:
    urls = [None, "https://b.test/2", "https://c.test/3"]
    digest = make_digest(urls=urls)
    cited = Statement("two stories", (1, 3))
    assert replace(digest, headlines={"en": cited}).headline_link("en") == "https://c.test/3"
    bare = replace(digest, headline=Statement("x"), headlines={})
    assert bare.headline_link() is None  # no citation and the top source has no link
    assert make_digest().headline_link("zh") == "https://example.com/post/1?ref=hot&x=1"
